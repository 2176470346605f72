//! What a secret looks like: the token patterns and the entropy test the commit guard
//! (`rampart-git`) scans files with, shared so that messages built here never quote a value
//! the guard would refuse to commit.

use regex::Regex;
use std::sync::LazyLock;

/// A PEM private key block header.
pub static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")
        .expect("static regex")
});
/// An AWS access key id (`AKIA…`, `ASIA…`).
pub static AWS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b").expect("static regex"));
/// An AWS secret access key assigned to its conventional name.
pub static AWS_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b"#)
        .expect("static regex")
});
/// A Vault or OpenBao token (`hvs.`, `hvb.`, legacy `s.`); see [`looks_random`].
pub static VAULT_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:hv[sb]\.[A-Za-z0-9_-]{24,}|s\.[A-Za-z0-9]{24})\b").expect("static regex")
});
/// A JSON Web Token.
pub static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
        .expect("static regex")
});

/// A token body with both letters and digits, as generated tokens have.
pub fn looks_random(token: &str) -> bool {
    let body = token.split_once('.').map_or(token, |(_, b)| b);
    body.bytes().any(|b| b.is_ascii_digit()) && body.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Random-looking (and not SOPS ciphertext or a placeholder): letters and digits mixed, at
/// least three character classes (or long hex), and Shannon entropy of at least 3.5 bits per
/// character.
pub fn is_high_entropy(value: &str) -> bool {
    // SOPS ciphertext and template placeholders are not secrets.
    if value.starts_with("ENC[") || value.contains("${") || value.contains("{{") {
        return false;
    }
    let b = value.as_bytes();
    let lower = b.iter().any(u8::is_ascii_lowercase);
    let upper = b.iter().any(u8::is_ascii_uppercase);
    let digit = b.iter().any(u8::is_ascii_digit);
    let symbol = b.iter().any(|c| !c.is_ascii_alphanumeric());
    let classes = [lower, upper, digit, symbol].iter().filter(|c| **c).count();
    let long_hex = b.len() >= 32 && b.iter().all(u8::is_ascii_hexdigit);
    // Lowercase words joined by `-`, `.` or `_` are names (`app-credentials-2024`).
    let name_like = b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'.' | b'_'))
        && b.iter().any(|c| matches!(c, b'-' | b'.' | b'_'));
    digit && (lower || upper) && !name_like && (classes >= 3 || long_hex) && entropy(b) >= 3.5
}

/// Whether `value` holds something the commit guard refuses wherever it stands (a private
/// key, an AWS access key, a Vault/OpenBao token, a JWT), or a word of 16 or more characters
/// random enough that the guard would refuse it under a secret-like key. Names and
/// references are not taken for secrets: lowercase host names, paths and image references
/// (`registry.example.com/a/api:1.2`), upper-case variable names (`RAMPART_KEY_1`) and SSH
/// host key fingerprints (`SHA256:…`, which are public).
pub fn looks_like_secret(value: &str) -> bool {
    [&PRIVATE_KEY, &AWS_KEY_ID, &AWS_SECRET, &JWT]
        .iter()
        .any(|pattern| pattern.is_match(value))
        || VAULT_TOKEN
            .find_iter(value)
            .any(|m| looks_random(m.as_str()))
        || value
            .split(|c: char| c.is_whitespace() || "\"'`,;()[]{}<>".contains(c))
            .any(|word| {
                word.len() >= 16
                    && is_high_entropy(word)
                    && !is_reference(word)
                    && !is_variable_name(word)
                    && !word.starts_with("SHA256:")
            })
}

/// Lowercase names joined by the separators of host names, paths, ARNs and image
/// references.
fn is_reference(word: &str) -> bool {
    let b = word.as_bytes();
    b.iter().all(|c| {
        c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || matches!(c, b'-' | b'.' | b'_' | b'/' | b':' | b'@')
    }) && b.iter().any(|c| matches!(c, b'.' | b'/' | b':' | b'@'))
}

/// An upper-case name such as an environment variable's (`RAMPART_ENCRYPTION_KEY_1`).
fn is_variable_name(word: &str) -> bool {
    let b = word.as_bytes();
    b.iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && b.contains(&b'_')
}

fn entropy(bytes: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for b in bytes {
        counts[*b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keys_and_random_words_look_like_secrets() {
        for value in [
            "-----BEGIN RSA PRIVATE KEY-----",
            "key AKIAIOSFODNN7EXAMPLE here",
            "hvs.CAESIJ2aVq7Xb3k9Lm4Np8Qr5St6Uv",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "password is xK9mP2vL5nQ8wR3tZ7",
        ] {
            assert!(looks_like_secret(value), "{value}");
        }
    }

    #[test]
    fn names_paths_and_image_references_do_not() {
        for value in [
            "registry.example.com/a/api:1.2",
            "../../etc",
            "app-credentials-2024",
            "root:x:0:0:root:/root:/bin/bash",
            "bad\nkind: Secret",
            "a short sentence with words in it",
            "keys: [{name: key-1, env: RAMPART_ENCRYPTION_KEY_1}]",
            "registry/repo@sha256:<digest>",
            "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
            "arn:aws:iam::123456789012:role/rampart-{namespace}",
        ] {
            assert!(!looks_like_secret(value), "{value}");
        }
    }
}
