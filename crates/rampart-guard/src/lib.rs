//! The secret guard: scans what is about to be committed for secrets and refuses the
//! commit, naming file, line and rule — never the secret itself.
//!
//! Rules: Kubernetes Secrets carrying `data`/`stringData`, PEM private keys, AWS access keys,
//! Vault/OpenBao tokens, JWTs, high-entropy values assigned to secret-sounding keys, and in
//! any field: provider tokens by their documented formats (GitHub, GitLab, Slack, Stripe,
//! Google, npm, PyPI, SendGrid, Twilio, Azure storage), passwords in URLs and Docker
//! registry logins.
//! ExternalSecrets, SealedSecrets and SOPS-encrypted values pass; image digests, CA bundles
//! and checksums are not secrets and pass too.

mod documents;
mod prefilter;
mod rule;
mod rules;
mod tokens;

use rayon::prelude::*;
use std::borrow::Cow;
use std::fmt;

pub use rule::Rule;

/// One secret found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Repository-relative (or given) path of the file.
    pub path: String,
    /// 1-based line of the secret.
    pub line: usize,
    /// What was found.
    pub rule: Rule,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} ({})\n  help: {}",
            self.path,
            self.line,
            self.rule.description(),
            self.rule.id(),
            self.rule.fix()
        )
    }
}

/// Scans one file. Binary files (a NUL byte in the first 8 KiB) are skipped.
pub fn scan_file(path: &str, content: &[u8]) -> Vec<Finding> {
    if content[..content.len().min(8192)].contains(&0) {
        return Vec::new();
    }
    // Valid UTF-8 (the usual case) is validated fast and not copied.
    let text = match std::str::from_utf8(content) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(content),
    };
    // (rule, byte offset in the file); lines are counted only for a file with findings.
    let mut at: Vec<(Rule, usize)> = Vec::new();
    for doc in documents::split(&text) {
        let kind = documents::kind(doc.text);
        if kind.as_deref() == Some("Secret")
            && let Some(offset) = documents::secret_data_offset(doc.text)
        {
            at.push((Rule::KubernetesSecretData, doc.offset + offset));
        }
        let sealed = kind.as_deref() == Some("SealedSecret");
        at.extend(
            rules::scan(doc.text, sealed)
                .into_iter()
                .map(|(rule, offset)| (rule, doc.offset + offset)),
        );
    }
    if at.is_empty() {
        return Vec::new();
    }
    let lines = LineIndex::new(&text);
    let mut found: Vec<Finding> = at
        .into_iter()
        .map(|(rule, offset)| Finding {
            path: path.to_string(),
            line: lines.line_of(offset),
            rule,
        })
        .collect();
    found.sort_by_key(|f| (f.line, f.rule));
    found.dedup();
    found
}

/// The secrets in `files` (path, content), scanned in parallel, ordered by path and line:
/// for what shows content a commit would hold (`rampart plan`'s diff), so that nothing
/// prints what the guard keeps out of Git.
pub fn find_secrets(files: &[(&str, &[u8])]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = files
        .par_iter()
        .flat_map_iter(|(path, content)| scan_file(path, content))
        .collect();
    findings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    findings
}

/// Scans many files, in parallel: `read` puts a file's content into the buffer it is given
/// (one per thread, reused) and returns its path as shown, or `None` to leave it out.
/// Returns how many files were scanned and their findings, in the order of `files`; or the
/// error of the first file (in that order) that could not be read.
pub fn scan_files<T, E, F>(files: &[T], read: F) -> Result<(usize, Vec<Finding>), E>
where
    T: Sync,
    E: Send,
    F: Fn(&T, &mut Vec<u8>) -> Result<Option<String>, E> + Sync,
{
    let scanned: Vec<Result<Option<Vec<Finding>>, E>> = files
        .par_iter()
        .map_init(Vec::new, |content, file| {
            Ok(read(file, content)?.map(|path| scan_file(&path, content)))
        })
        .collect();
    let mut count = 0;
    let mut findings = Vec::new();
    for file in scanned {
        if let Some(found) = file? {
            count += 1;
            findings.extend(found);
        }
    }
    Ok((count, findings))
}

/// Byte offset → line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}
