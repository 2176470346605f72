//! Line-level secret patterns.

use super::prefilter::{Folded, line_around};
use super::rule::Rule;
use rampart_model::secret_shape::{
    AWS_KEY_ID, AWS_SECRET, JWT, PRIVATE_KEY, VAULT_TOKEN, is_high_entropy, looks_random,
};
use regex::Regex;
use std::sync::LazyLock;

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?im)([A-Za-z0-9_./-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?key|credential|auth)[A-Za-z0-9_./-]*)["']?[ \t]*[:=][ \t]*["']?([^\s"']{16,})["']?,?[ \t]*(?:[ \t]#.*)?$"#,
    )
    .expect("static regex")
});

/// The words a key must contain for [`ASSIGNMENT`] to match, in lower case: the literal
/// prefilter of the entropy rule.
static SECRET_KEY_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?key|credential|auth",
    )
    .expect("static regex")
});

/// Finds line-level secrets in `text`: (rule, byte offset). In SealedSecrets the values are
/// ciphertext, so the entropy rule does not apply there.
pub(super) fn scan(text: &str, sealed: bool) -> Vec<(Rule, usize)> {
    let mut found = Vec::new();
    let folded = Folded::new(text);
    let patterns: [(&Regex, Rule); 4] = [
        (&PRIVATE_KEY, Rule::PrivateKey),
        (&AWS_KEY_ID, Rule::AwsAccessKeyId),
        (&AWS_SECRET, Rule::AwsSecretAccessKey),
        (&JWT, Rule::Jwt),
    ];
    for (regex, rule) in patterns {
        // `(?i)aws_?secret…`: not without `aws`.
        if rule == Rule::AwsSecretAccessKey && !folded.may_contain("aws") {
            continue;
        }
        found.extend(regex.find_iter(text).map(|m| (rule, m.start())));
    }
    found.extend(
        VAULT_TOKEN
            .find_iter(text)
            .filter(|m| looks_random(m.as_str()))
            .map(|m| (Rule::VaultToken, m.start())),
    );
    found.extend(super::tokens::scan(text, &folded));
    if !sealed {
        for (key_start, all_start) in assignments(text, &folded) {
            if !in_arn(text, key_start) {
                found.push((Rule::HighEntropyAssignment, all_start));
            }
        }
    }
    found
}

/// (key start, match start) of the [`ASSIGNMENT`]s of high-entropy values that are neither
/// digests nor paths. A match never spans lines and ends at one's end, so a line holds at most
/// one, the one a search of that line alone finds; and the key names a secret, so only the
/// lines where [`SECRET_KEY_WORDS`] occurs (in any case) are searched.
fn assignments(text: &str, folded: &Folded) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut check = |caps: regex::Captures<'_>, base: usize| {
        if let (Some(all), Some(key), Some(value)) = (caps.get(0), caps.get(1), caps.get(2))
            && is_high_entropy(value.as_str())
            && !is_checksum(key.as_str(), value.as_str())
            && !is_path(value.as_str())
        {
            found.push((base + key.start(), base + all.start()));
        }
    };
    let Some(lower) = folded.lower() else {
        for caps in ASSIGNMENT.captures_iter(text) {
            check(caps, 0);
        }
        return found;
    };
    let mut from = 0;
    while let Some(word) = SECRET_KEY_WORDS.find_at(lower, from) {
        let (start, end) = line_around(text, word.start());
        if let Some(caps) = ASSIGNMENT.captures(&text[start..end]) {
            check(caps, start);
        }
        from = end + 1;
        if from > text.len() {
            break;
        }
    }
    found
}

/// A hex digest under a key that names it as one (`checksum/secret`, `rampart.dev/secret-hash`,
/// `caCertSha256`): Helm and Rampart roll pods with such annotations, and a digest of a secret
/// does not reveal it.
fn is_checksum(key: &str, value: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let digest_key = [
        "checksum",
        "hash",
        "digest",
        "sha1",
        "sha256",
        "sha512",
        "fingerprint",
    ]
    .iter()
    .any(|word| key.contains(word));
    let hex_digest =
        matches!(value.len(), 32 | 40 | 64 | 128) && value.bytes().all(|b| b.is_ascii_hexdigit());
    digest_key && hex_digest
}

/// Whether the key starts inside an ARN (`arn:aws:secretsmanager:…:secret:name-??????`):
/// an IAM policy names secrets, it does not hold them.
fn in_arn(text: &str, key_start: usize) -> bool {
    let before = &text[..key_start];
    let token = before
        .rfind(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '[' | ','))
        .map_or(0, |i| i + 1);
    before[token..].starts_with("arn:")
}

/// A file path made of name-like segments (`/etc/kubernetes/audit/siem-token-2026`):
/// `tokenFile:` and `client-key:` settings point at secrets, they do not hold them.
fn is_path(value: &str) -> bool {
    let segments: Vec<&str> = value.trim_start_matches('/').split('/').collect();
    value.contains('/')
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'.' | b'_')
                })
        })
}
