//! Checks of the `delivery:` section of rampart.yaml.

use crate::delivery::{Delivery, DeliveryMode, ForgeKindSetting};
use crate::load::Report;

/// Most retries a push may be configured with.
const MAX_RETRIES: u32 = 10;

pub(crate) fn check_delivery(d: &Delivery, r: &mut Report) {
    if d.token_env.is_some() && d.token_file.is_some() {
        r.error(
            "delivery.tokenFile",
            "both tokenEnv and tokenFile are set",
            "keep one of them",
        );
    }
    // The value is never echoed: a mistake here is typically the token itself.
    if let Some(var) = &d.token_env {
        if looks_like_token(var) {
            r.error(
                "delivery.tokenEnv",
                "the value looks like an access token, not an environment variable name (it is not shown here)",
                "revoke that token now, and name the variable that holds the token (e.g. GITHUB_TOKEN)",
            );
        } else if var.is_empty()
            || var.starts_with(|c: char| c.is_ascii_digit())
            || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            r.error(
                "delivery.tokenEnv",
                "the value is not an environment variable name (letters, digits and `_`)",
                "name the variable that holds the token (e.g. GITHUB_TOKEN), never the token itself",
            );
        }
    }
    if let Some(remote) = &d.remote
        && (remote.is_empty() || remote.contains(char::is_whitespace))
    {
        r.error(
            "delivery.remote",
            format!("`{remote}` is not a remote name"),
            "name a git remote, e.g. `origin`",
        );
    }
    for (field, name) in [
        ("delivery.baseBranch", d.base_branch.as_deref()),
        ("delivery.branchPrefix", d.branch_prefix.as_deref()),
    ] {
        if let Some(name) = name
            && !is_ref_component(name)
        {
            r.error(
                field,
                format!("`{name}` cannot be part of a branch name"),
                "use letters, digits, `-`, `_`, `.` and `/`",
            );
        }
    }
    if let Some(n) = d.max_retries
        && n > MAX_RETRIES
    {
        r.error(
            "delivery.maxRetries",
            format!("{n} retries is more than {MAX_RETRIES}"),
            "a remote that keeps moving needs a person; use at most 10",
        );
    }
    for (i, label) in d.labels.iter().enumerate() {
        if label.trim().is_empty() || label.contains(',') {
            r.error(
                &format!("delivery.labels[{i}]"),
                format!("`{label}` is not a usable label"),
                "use a non-empty label without commas",
            );
        }
    }
    if d.ssh.known_hosts.is_some() && d.ssh.host_key_fingerprint.is_some() {
        r.error(
            "delivery.ssh.hostKeyFingerprint",
            "both knownHosts and hostKeyFingerprint are set",
            "keep one of them",
        );
    }
    if let Some(fp) = &d.ssh.host_key_fingerprint {
        let body = fp.strip_prefix("SHA256:").unwrap_or("");
        let body = body.trim_end_matches('=');
        if body.len() != 43
            || !body
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
        {
            r.error(
                "delivery.ssh.hostKeyFingerprint",
                format!("`{fp}` is not a SHA-256 host-key fingerprint"),
                "use what `ssh-keyscan HOST | ssh-keygen -lf -` prints, e.g. `SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU`",
            );
        }
    }
    if let Some(signing) = &d.signing
        && signing.key.trim().is_empty()
    {
        r.error(
            "delivery.signing.key",
            "no signing key",
            "name the SSH private key file (format: ssh) or the GPG key id (format: gpg)",
        );
    }
    match &d.forge {
        Some(forge) => {
            let parts: Vec<&str> = forge.repository.split('/').collect();
            let numeric_gitlab = forge.kind == ForgeKindSetting::Gitlab
                && !forge.repository.is_empty()
                && forge.repository.chars().all(|c| c.is_ascii_digit());
            if !numeric_gitlab && (parts.len() < 2 || parts.iter().any(|p| p.is_empty())) {
                r.error(
                    "delivery.forge.repository",
                    format!("`{}` is not `owner/repo`", forge.repository),
                    "name the repository as on the forge, e.g. `acme/gitops`",
                );
            }
            if forge.kind != ForgeKindSetting::Github && forge.api_base.is_none() {
                r.error(
                    "delivery.forge",
                    "apiBase is required for GitLab and Gitea",
                    "set e.g. `apiBase: https://gitlab.example.com/api/v4` or `https://gitea.example.com/api/v1`",
                );
            }
            if let Some(base) = &forge.api_base
                && !(base.starts_with("https://") || base.starts_with("http://"))
            {
                r.error(
                    "delivery.forge.apiBase",
                    format!("`{base}` is not an http(s) URL"),
                    "use the API root, e.g. https://api.github.com",
                );
            }
            if d.token_env.is_none() && d.token_file.is_none() {
                r.error(
                    "delivery.forge",
                    "no token for the forge API",
                    "set delivery.tokenEnv (a variable name) or delivery.tokenFile",
                );
            }
        }
        None if d.mode == DeliveryMode::PullRequest => r.error(
            "delivery.mode",
            "pull-request delivery needs delivery.forge",
            "add `forge: {kind: github, repository: owner/repo}` under delivery",
        ),
        None => {}
    }
}

/// Whether `value` looks like an access token rather than a variable name: a known forge
/// token prefix (GitHub `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`; GitLab
/// `glpat-` and other `gl…-` tokens), a long hexadecimal string (Gitea), or a long string
/// mixing lower case, upper case and digits.
pub(crate) fn looks_like_token(value: &str) -> bool {
    const PREFIXES: [&str; 10] = [
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "glpat-",
        "gldt-",
        "glrt-",
        "glptt-",
    ];
    if PREFIXES.iter().any(|p| value.starts_with(p)) {
        return true;
    }
    let long_hex = value.len() >= 32 && value.chars().all(|c| c.is_ascii_hexdigit());
    let mixed = value.len() >= 20
        && value.chars().any(|c| c.is_ascii_lowercase())
        && value.chars().any(|c| c.is_ascii_uppercase())
        && value.chars().any(|c| c.is_ascii_digit());
    long_hex || mixed
}

/// Whether `name` is usable inside a branch name.
pub(crate) fn is_ref_component(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.starts_with('-')
        && !name.contains("//")
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

#[cfg(test)]
mod tests {
    use crate::parse_repo_config;

    const HEAD: &str = "apiVersion: rampart.dev/v1alpha1\nkind: RepoConfig\nenvironments: [dev]\n";

    #[test]
    fn a_full_delivery_section_parses() {
        let text = format!(
            "{HEAD}delivery:\n  mode: pull-request\n  remote: origin\n  baseBranch: main\n  labels: [rampart]\n  tokenEnv: GITHUB_TOKEN\n  forge:\n    kind: github\n    repository: acme/gitops\n  ssh:\n    hostKeyFingerprint: SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU\n"
        );
        let cfg = parse_repo_config("rampart.yaml", &text).map_err(|d| d.to_string());
        assert!(cfg.is_ok(), "{cfg:?}");
    }

    #[test]
    fn bad_delivery_settings_are_located() {
        let text = format!(
            "{HEAD}delivery:\n  mode: pull-request\n  tokenEnv: ghp_abc-123\n  tokenFile: /run/token\n  maxRetries: 99\n  ssh:\n    hostKeyFingerprint: MD5:aa\n"
        );
        let err = parse_repo_config("rampart.yaml", &text)
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default();
        for expected in [
            "rampart.yaml:6:",
            "not an environment variable name",
            "both tokenEnv and tokenFile",
            "more than 10",
            "not a SHA-256 host-key fingerprint",
            "needs delivery.forge",
        ] {
            assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
        }
        // The token-like value is located but never printed.
        assert!(err.contains("rampart.yaml:5:"), "{err}");
        assert!(err.contains("looks like an access token"), "{err}");
        assert!(!err.contains("abc-123"), "{err}");
    }

    #[test]
    fn token_like_variable_names_are_refused_without_echoing_them() {
        for value in [
            "ghp_a1b2c3d4e5f6",
            "gho_x",
            "ghs_SECRETVALUE",
            "github_pat_11ABCDEF0_xyz",
            "glpat-abcdefghij",
            "0123456789abcdef0123456789abcdef01234567",
            "aB3dE5fG7hJ9kL1mN3pQ5rS7",
        ] {
            let text = format!("{HEAD}delivery:\n  mode: commit\n  tokenEnv: {value}\n");
            let err = parse_repo_config("rampart.yaml", &text)
                .err()
                .map(|d| d.to_string())
                .unwrap_or_default();
            assert!(err.contains("looks like an access token"), "{value}: {err}");
            assert!(!err.contains(value), "{value} echoed: {err}");
        }
        for name in [
            "GITHUB_TOKEN",
            "RAMPART_FORGE_TOKEN_FOR_PRODUCTION",
            "gitea_token",
        ] {
            assert!(!super::looks_like_token(name), "{name}");
            let text = format!("{HEAD}delivery:\n  mode: commit\n  tokenEnv: {name}\n");
            let cfg = parse_repo_config("rampart.yaml", &text).map_err(|d| d.to_string());
            assert!(cfg.is_ok(), "{name}: {cfg:?}");
        }
    }

    #[test]
    fn an_unknown_mode_is_refused_with_its_line() {
        let text = format!("{HEAD}delivery:\n  mode: yolo\n");
        let err = parse_repo_config("rampart.yaml", &text)
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default();
        assert!(err.contains("rampart.yaml:5"), "{err}");
    }
}
