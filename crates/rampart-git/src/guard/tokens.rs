//! Credentials recognised by their documented formats wherever they appear, under any key:
//! provider tokens, passwords in URLs and Docker registry `auth` entries (also inside a
//! base64-encoded `.dockerconfigjson`).

use super::rules::Rule;
use base64::Engine;
use regex::Regex;
use std::sync::LazyLock;

/// Characters a token continues with: a match next to one of these is part of something
/// longer (a base64 blob, a longer identifier) and not a token.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '=')
}

/// Provider tokens by their published prefixes and lengths.
static PROVIDER_TOKENS: LazyLock<Vec<(Rule, Regex)>> = LazyLock::new(|| {
    [
        // GitHub: personal, OAuth, user-to-server, server-to-server and refresh tokens;
        // fine-grained personal access tokens.
        (
            Rule::GitHubToken,
            r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        ),
        // GitLab: personal, deploy, runner, pipeline-trigger, feed, service-account, CI
        // build, incoming-mail, agent, feature-flag and OAuth application tokens; runner
        // registration tokens.
        (
            Rule::GitLabToken,
            r"gl(?:pat|dt|rt|ptt|ft|soat|cbt|imt|agent|ffct|oas)-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,}",
        ),
        (Rule::SlackToken, r"xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,}"),
        (
            Rule::SlackWebhook,
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}",
        ),
        (Rule::StripeKey, r"(?:sk|rk)_live_[A-Za-z0-9]{20,}"),
        (Rule::GoogleApiKey, r"AIza[0-9A-Za-z_-]{35}"),
        (Rule::NpmToken, r"npm_[A-Za-z0-9]{36}"),
        (Rule::PypiToken, r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
        (Rule::SendGridKey, r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
        (Rule::TwilioApiKey, r"SK[0-9a-fA-F]{32}"),
        (Rule::AzureStorageKey, r"(?i:AccountKey)=[A-Za-z0-9+/]{80,}={0,2}"),
    ]
    .into_iter()
    .map(|(rule, pattern)| {
        // Not preceded by a token character (`=` may precede: `--token=ghp_…`).
        let bounded = format!(r"(?m)(?:^|[^A-Za-z0-9_+/-])({pattern})");
        (rule, Regex::new(&bounded).expect("static regex"))
    })
    .collect()
});

/// `scheme://user:password@host`: the user may be empty, the password may not.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@'"<>]*:([^\s/@'"<>]+)@[A-Za-z0-9\[]"#)
        .expect("static regex")
});

/// A Docker config `auth` entry: base64 of `user:password`.
static DOCKER_AUTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""auth"[ \t]*:[ \t]*"([A-Za-z0-9+/]{8,}={0,2})""#).expect("static regex")
});

/// A base64 blob long enough to hold a Docker config.
static BASE64_BLOB: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/]{60,}={0,2}").expect("static regex"));

/// Finds credentials by format in `text`: (rule, byte offset).
pub(super) fn scan(text: &str) -> Vec<(Rule, usize)> {
    let mut found = Vec::new();
    for (rule, regex) in PROVIDER_TOKENS.iter() {
        for caps in regex.captures_iter(text) {
            let Some(token) = caps.get(1) else { continue };
            let ends_there = !text[token.end()..].starts_with(is_token_char);
            if ends_there && !is_example(token.as_str()) {
                found.push((*rule, token.start()));
            }
        }
    }
    for caps in URL_CREDENTIALS.captures_iter(text) {
        if let (Some(all), Some(password)) = (caps.get(0), caps.get(1))
            && !is_placeholder(password.as_str())
        {
            found.push((Rule::UrlPassword, all.start()));
        }
    }
    found.extend(
        docker_auths(text)
            .into_iter()
            .map(|at| (Rule::DockerRegistryAuth, at)),
    );
    for blob in BASE64_BLOB.find_iter(text) {
        if let Some(decoded) = decode(blob.as_str())
            && decoded.contains("\"auths\"")
            && !docker_auths(&decoded).is_empty()
        {
            found.push((Rule::DockerRegistryAuth, blob.start()));
        }
    }
    found
}

/// Offsets of `auth` entries whose value decodes to `user:password` with a password.
fn docker_auths(text: &str) -> Vec<usize> {
    DOCKER_AUTH
        .captures_iter(text)
        .filter_map(|caps| {
            let value = caps.get(1)?;
            let decoded = decode(value.as_str())?;
            let (_, password) = decoded.split_once(':')?;
            (!password.is_empty() && !is_placeholder(password)).then_some(value.start())
        })
        .collect()
}

fn decode(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    String::from_utf8(bytes).ok()
}

/// A template or variable standing in for a password, or a masked one.
fn is_placeholder(password: &str) -> bool {
    let p = password;
    p.contains("${")
        || p.contains("{{")
        || p.contains("$(")
        || p.contains("%(")
        || p.starts_with('$')
        || p.starts_with('%')
        || (p.starts_with('<') && p.ends_with('>'))
        || p.chars().all(|c| matches!(c, '*' | 'x' | 'X' | '.'))
}

/// A documentation example: the token ends in one character repeated or a run of the
/// same few characters (`ghp_xxxxxxxx…`, `sk_live_0000…`), which no issued token does.
fn is_example(token: &str) -> bool {
    let tail: Vec<char> = token
        .chars()
        .rev()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    let mut distinct = tail.clone();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len() <= 4
}
