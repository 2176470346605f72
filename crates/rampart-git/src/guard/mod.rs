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
mod rules;
mod tokens;

use std::fmt;

pub use rules::Rule;

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
    let text = String::from_utf8_lossy(content);
    let mut found: Vec<Finding> = Vec::new();
    let lines = LineIndex::new(&text);
    for doc in documents::split(&text) {
        let kind = documents::kind(doc.text);
        if kind.as_deref() == Some("Secret")
            && let Some(offset) = documents::secret_data_offset(doc.text)
        {
            found.push(Finding {
                path: path.to_string(),
                line: lines.line_of(doc.offset + offset),
                rule: Rule::KubernetesSecretData,
            });
        }
        let sealed = kind.as_deref() == Some("SealedSecret");
        for (rule, offset) in rules::scan(doc.text, sealed) {
            found.push(Finding {
                path: path.to_string(),
                line: lines.line_of(doc.offset + offset),
                rule,
            });
        }
    }
    found.sort_by_key(|f| (f.line, f.rule));
    found.dedup();
    found
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
