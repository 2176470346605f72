//! Credentials recognised by their documented formats wherever they appear, under any key:
//! provider tokens, passwords in URLs and Docker registry `auth` entries (also inside a
//! base64-encoded `.dockerconfigjson`).

use super::prefilter::Folded;
use super::rule::Rule;
use base64::Engine;
use regex::Regex;
use std::sync::LazyLock;

/// Characters a token continues with: a match next to one of these is part of something
/// longer (a base64 blob, a longer identifier) and not a token.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '=')
}

/// A provider's token pattern and the literals one of which it cannot match without.
struct Provider {
    rule: Rule,
    literals: Vec<String>,
    /// The pattern ignores letter case (and so the literals are in lower case).
    any_case: bool,
    regex: Regex,
}

/// Provider tokens by their published prefixes and lengths, each with the literals one of
/// which a text must contain for the pattern to be tried (a fast substring search instead of
/// a regex pass over every file).
static PROVIDER_TOKENS: LazyLock<Vec<Provider>> = LazyLock::new(|| {
    let table: [(Rule, &'static [&'static str], &str); 11] = [
        // GitHub: personal, OAuth, user-to-server, server-to-server and refresh tokens;
        // fine-grained personal access tokens.
        (
            Rule::GitHubToken,
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        ),
        // GitLab: personal, deploy, runner, pipeline-trigger, feed, service-account, CI
        // build, incoming-mail, agent, feature-flag and OAuth application tokens; runner
        // registration tokens.
        (
            Rule::GitLabToken,
            &[
                "glpat-",
                "gldt-",
                "glrt-",
                "glptt-",
                "glft-",
                "glsoat-",
                "glcbt-",
                "glimt-",
                "glagent-",
                "glffct-",
                "gloas-",
                "GR1348941",
            ],
            r"gl(?:pat|dt|rt|ptt|ft|soat|cbt|imt|agent|ffct|oas)-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,}",
        ),
        (
            Rule::SlackToken,
            &["xox", "xapp-"],
            r"xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,}",
        ),
        (
            Rule::SlackWebhook,
            &["hooks.slack.com/"],
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}",
        ),
        (
            Rule::StripeKey,
            &["_live_"],
            r"(?:sk|rk)_live_[A-Za-z0-9]{20,}",
        ),
        (Rule::GoogleApiKey, &["AIza"], r"AIza[0-9A-Za-z_-]{35}"),
        (Rule::NpmToken, &["npm_"], r"npm_[A-Za-z0-9]{36}"),
        (
            Rule::PypiToken,
            &["pypi-AgEIcHlwaS5vcmc"],
            r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        ),
        (
            Rule::SendGridKey,
            &["SG."],
            r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        ),
        (Rule::TwilioApiKey, &["SK"], r"SK[0-9a-fA-F]{32}"),
        (
            Rule::AzureStorageKey,
            &["accountkey="],
            r"(?i:AccountKey)=[A-Za-z0-9+/]{80,}={0,2}",
        ),
    ];
    table
        .into_iter()
        .map(|(rule, literals, pattern)| {
            // Not preceded by a token character (`=` may precede: `--token=ghp_…`).
            let bounded = format!(r"(?m)(?:^|[^A-Za-z0-9_+/-])({pattern})");
            // A case-insensitive pattern's literals in lower case, for [`Folded::may_contain`].
            let any_case = pattern.contains("(?i");
            let literals = literals
                .iter()
                .map(|l| {
                    if any_case {
                        l.to_ascii_lowercase()
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            Provider {
                rule,
                literals,
                any_case,
                regex: Regex::new(&bounded).expect("static regex"),
            }
        })
        .collect()
});

/// The literals of the providers whose patterns are case-sensitive, in one pattern (a
/// vectorised multi-substring search).
static PROVIDER_LITERALS: LazyLock<Regex> = LazyLock::new(|| {
    let literals: Vec<String> = PROVIDER_TOKENS
        .iter()
        .filter(|provider| !provider.any_case)
        .flat_map(|provider| provider.literals.iter().map(|l| regex::escape(l)))
        .collect();
    Regex::new(&literals.join("|")).expect("static regex")
});

/// Per provider, whether the text holds one of its literals (in any letter case where its
/// pattern ignores case): its pattern is tried only then. Every occurrence of any literal is
/// visited (each search starts one byte after the last match's start) and each literal is
/// compared there.
fn providers_present(text: &str, folded: &Folded) -> Vec<bool> {
    let mut present: Vec<bool> = PROVIDER_TOKENS
        .iter()
        .map(|provider| {
            provider.any_case && provider.literals.iter().any(|l| folded.may_contain(l))
        })
        .collect();
    let mut from = 0;
    while let Some(found) = PROVIDER_LITERALS.find_at(text, from) {
        let rest = &text[found.start()..];
        for (provider, present) in PROVIDER_TOKENS.iter().zip(present.iter_mut()) {
            *present |= !provider.any_case && provider.literals.iter().any(|l| rest.starts_with(l));
        }
        // Literals are ASCII: the next byte starts a character.
        from = found.start() + 1;
    }
    present
}

/// A Docker config `auth` entry: base64 of `user:password`.
static DOCKER_AUTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""auth"[ \t]*:[ \t]*"([A-Za-z0-9+/]{8,}={0,2})""#).expect("static regex")
});

/// A base64 blob long enough to hold a Docker config.
static BASE64_BLOB: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/]{60,}={0,2}").expect("static regex"));

/// Finds credentials by format in `text`: (rule, byte offset).
pub(super) fn scan(text: &str, folded: &Folded) -> Vec<(Rule, usize)> {
    let mut found = Vec::new();
    let present = providers_present(text, folded);
    for (provider, _) in PROVIDER_TOKENS.iter().zip(present).filter(|(_, p)| *p) {
        let (rule, regex) = (&provider.rule, &provider.regex);
        for caps in regex.captures_iter(text) {
            let Some(token) = caps.get(1) else { continue };
            let ends_there = !text[token.end()..].starts_with(is_token_char);
            if ends_there && !is_example(token.as_str()) {
                found.push((*rule, token.start()));
            }
        }
    }
    found.extend(
        url_passwords(text)
            .into_iter()
            .map(|at| (Rule::UrlPassword, at)),
    );
    found.extend(
        docker_auths(text)
            .into_iter()
            .map(|at| (Rule::DockerRegistryAuth, at)),
    );
    // A base64-encoded Docker config: named so (`.dockerconfigjson`, `dockerconfigjson:`), or
    // starting as one (`{"auths"` encodes to `eyJhdXRocy`).
    // (Blobs are looked for only then: the regex has no literal to skip ahead with.)
    let encoded_config = text.contains("ockerconfig") || text.contains("eyJhdXRocy");
    if encoded_config {
        for blob in BASE64_BLOB.find_iter(text) {
            if let Some(decoded) = decode(blob.as_str())
                && decoded.contains("\"auths\"")
                && !docker_auths(&decoded).is_empty()
            {
                found.push((Rule::DockerRegistryAuth, blob.start()));
            }
        }
    }
    found
}

/// Offsets of `scheme://user:password@host` URLs (the user may be empty, the password may
/// not, and a placeholder is not one). Found from each `://`, without a regex pass.
fn url_passwords(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    // A literal regex finds `://` with a vectorised substring search.
    static SCHEME_END: LazyLock<Regex> = LazyLock::new(|| Regex::new("://").expect("static regex"));
    for at in SCHEME_END.find_iter(text).map(|m| m.start()) {
        // The scheme starts after the character before it, which may take several bytes.
        let scheme_start = text[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')))
            .map_or(0, |(i, c)| i + c.len_utf8());
        if !text[scheme_start..at].starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let rest = &text[at + 3..];
        let authority_end = rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '"' | '\'' | '<' | '>' | '?' | '#')
            })
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some(userinfo_end) = authority.rfind('@') else {
            if reserved_char_password(rest) {
                found.push(scheme_start);
            }
            continue;
        };
        let host_follows = authority[userinfo_end + 1..]
            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[');
        let password = authority[..userinfo_end].split_once(':').map(|(_, p)| p);
        if let Some(password) = password
            && host_follows
            && !password.is_empty()
            && !is_placeholder(password)
        {
            found.push(scheme_start);
        }
    }
    found
}

/// Whether `rest` (what follows a `://`) starts with `user:password@host` where the password
/// holds a character that ends the authority of a well-formed URL (`#`, `?`, `/`): people
/// write such passwords unescaped (`postgres://app:N9v#2kLq8Zr@db:5432/app`), and the
/// value is still a real credential. The user must be plain userinfo, and a password that
/// is a port number followed by a path, query or fragment (`host:8080/@me`) is none.
fn reserved_char_password(rest: &str) -> bool {
    let token_end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
        .unwrap_or(rest.len());
    let token = &rest[..token_end];
    let Some((user, after)) = token.split_once(':') else {
        return false;
    };
    let plain_user = user.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '.'
                    | '_'
                    | '~'
                    | '%'
                    | '!'
                    | '$'
                    | '&'
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
            )
    });
    let Some((password, host)) = after.split_once('@') else {
        return false;
    };
    let digits = password.chars().take_while(char::is_ascii_digit).count();
    let is_port =
        (digits > 0 && password[digits..].starts_with(['/', '?', '#'])) || digits == password.len();
    plain_user
        && !is_port
        && !password.is_empty()
        && !is_placeholder(password)
        && host.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[')
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
