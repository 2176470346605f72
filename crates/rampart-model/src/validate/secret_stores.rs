//! Checks of an environment's `secretStores`: where ExternalSecrets read from, and the
//! per-namespace identities they authenticate as.

use super::secrets::is_secret_key;
use super::syntax::{is_dns_subdomain, is_mount, is_role_name};
use crate::environment::Environment;
use crate::environment::secret_stores::{NAMESPACE_PLACEHOLDER, for_namespace};
use crate::load::Report;

/// Checks `secretStores` of an environment.
pub(crate) fn check_secret_stores(env: &Environment, r: &mut Report) {
    if let Some(vault) = &env.secret_stores.vault {
        check_server(&vault.server, r);
        for (field, value) in [
            ("kvMount", &vault.kv_mount),
            ("auth.mountPath", &vault.auth.mount_path),
        ] {
            if !is_mount(value) {
                r.error(
                    &format!("secretStores.vault.{field}"),
                    format!("`{value}` is not a Vault mount path"),
                    "write the mount without slashes at either end, e.g. `secret` or `kubernetes`",
                );
            }
        }
        check_pattern(
            "secretStores.vault.auth.role",
            &vault.auth.role,
            is_role_name,
            "e.g. `rampart-{namespace}` (letters, digits, `-`, `_`, `.`)",
            r,
        );
        if let Some(ca) = &vault.ca_bundle {
            if !is_dns_subdomain(&ca.config_map) {
                r.error(
                    "secretStores.vault.caBundle.configMap",
                    format!("`{}` is not a ConfigMap name", ca.config_map),
                    "use the ConfigMap's name, e.g. `vault-ca`",
                );
            }
            if !is_secret_key(&ca.key) {
                r.error(
                    "secretStores.vault.caBundle.key",
                    format!("`{}` is not a ConfigMap key", ca.key),
                    "use the key holding the PEM bundle, e.g. `ca.crt`",
                );
            }
        }
    }
    super::rotator::check_rotation_settings(env, r);
    if let Some(aws) = &env.secret_stores.aws {
        if !is_aws_region(&aws.region) {
            r.error(
                "secretStores.aws.region",
                format!("`{}` is not an AWS region", aws.region),
                "write e.g. `eu-central-1`",
            );
        }
        check_pattern(
            "secretStores.aws.roleArn",
            &aws.role_arn,
            is_role_arn,
            "e.g. `arn:aws:iam::123456789012:role/rampart-{namespace}`",
            r,
        );
        if let Some(oidc) = &aws.oidc_provider {
            let ok = !oidc.contains("://")
                && oidc.split('/').count() >= 3
                && oidc
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'/'));
            if !ok {
                r.error(
                    "secretStores.aws.oidcProvider",
                    format!("`{oidc}` is not an OIDC provider host and path"),
                    "write the issuer without https://, e.g. `oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE` (aws eks describe-cluster --query cluster.identity.oidc.issuer)",
                );
            }
        }
    }
}

/// `https://`, or `http://` for a loopback host (a local dev server); no credentials.
fn check_server(server: &str, r: &mut Report) {
    let (host, plain) = match (
        server.strip_prefix("https://"),
        server.strip_prefix("http://"),
    ) {
        (Some(host), _) => (host, false),
        (None, Some(host)) => (host, true),
        (None, None) => ("", false),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with('/')
        && !host.bytes().any(|b| {
            b.is_ascii_whitespace() || b.is_ascii_control() || matches!(b, b'@' | b'?' | b'#')
        });
    if !host_ok {
        r.error(
            "secretStores.vault.server",
            format!("`{server}` is not an https:// URL of a server"),
            "write e.g. `https://vault.example.com:8200`: TLS is required, and credentials never go into the URL",
        );
    } else if plain && !is_loopback(host) {
        r.error(
            "secretStores.vault.server",
            format!("`{server}` uses plain http:// for a host that is not loopback"),
            "write an https:// URL, e.g. `https://vault.example.com:8200`; http:// is accepted only for a local dev server on 127.0.0.1, ::1 or localhost",
        );
    }
}

/// True when the authority of a URL (`host[:port][/path]`) names a loopback address.
fn is_loopback(authority: &str) -> bool {
    let authority = authority.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `value` must hold `{namespace}` once (one identity per namespace) and be valid with it
/// replaced by a namespace name.
fn check_pattern(
    path: &str,
    value: &str,
    valid: impl Fn(&str) -> bool,
    example: &str,
    r: &mut Report,
) {
    if value.matches(NAMESPACE_PLACEHOLDER).count() != 1 {
        r.error(
            path,
            format!("`{value}` does not contain `{NAMESPACE_PLACEHOLDER}` once"),
            format!(
                "every namespace needs its own identity, so include the placeholder: {example}"
            ),
        );
    } else if !valid(&for_namespace(value, "ns")) {
        r.error(
            path,
            format!("`{value}` is malformed"),
            format!("write {example}"),
        );
    }
}

fn is_aws_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

pub(super) fn is_role_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    parts.len() == 5
        && matches!(parts[0], "aws" | "aws-cn" | "aws-us-gov")
        && parts[1] == "iam"
        && parts[2].is_empty()
        && parts[3].len() == 12
        && parts[3].bytes().all(|b| b.is_ascii_digit())
        && parts[4].strip_prefix("role/").is_some_and(|name| {
            !name.is_empty()
                && !name.ends_with('/')
                && name.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'+' | b'=' | b',' | b'.' | b'@' | b'_' | b'-' | b'/')
                })
        })
}

#[cfg(test)]
pub(in crate::validate) mod tests {
    use super::*;
    use crate::parse_environment;

    pub(in crate::validate) const PROD: &str = include_str!("../../../../environments/prod.yaml");

    #[test]
    fn environment_stores_are_checked() {
        let bad = PROD
            .replace(
                "https://vault.example.com:8200",
                "https://user:pw@vault.example.com",
            )
            .replace("kvMount: secret", "kvMount: /secret/")
            .replace(
                "arn:aws:iam::123456789012:role/rampart-prod-{namespace}",
                "arn:aws:iam::123456789012:role/{namespace}-{namespace}",
            );
        let err = parse_environment("environments/prod.yaml", &bad, "prod")
            .unwrap_err()
            .to_string();
        assert!(err.contains("secretStores.vault.server"), "{err}");
        assert!(err.contains("credentials never go into the URL"), "{err}");
        assert!(
            err.contains("secretStores.vault.kvMount: `/secret/` is not a Vault mount path"),
            "{err}"
        );
        assert!(err.contains("secretStores.aws.roleArn"), "{err}");
    }

    #[test]
    fn regions_and_role_arns() {
        for ok in ["eu-central-1", "us-gov-west-1", "ap-southeast-2"] {
            assert!(is_aws_region(ok), "{ok}");
        }
        for bad in ["eu-central", "EU-central-1", "eucentral1", "e-central-1"] {
            assert!(!is_aws_region(bad), "{bad}");
        }
        assert!(is_role_arn("arn:aws:iam::123456789012:role/rampart-ns"));
        assert!(is_role_arn(
            "arn:aws-cn:iam::123456789012:role/path/rampart-ns"
        ));
        assert!(!is_role_arn("arn:aws:iam::1234:role/x"));
        assert!(!is_role_arn("arn:aws:s3:::bucket"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/x"));
    }

    /// The errors of the example prod.yaml with `from` replaced by `to` (empty: none).
    pub(in crate::validate) fn stores_error(from: &str, to: &str) -> String {
        let text = PROD.replace(from, to);
        assert_ne!(text, PROD, "{to}");
        match parse_environment("environments/prod.yaml", &text, "prod") {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8200",
            "http://127.8.9.10",
            "http://localhost:8200",
            "http://[::1]:8200",
            "https://vault.example.com",
        ] {
            assert_eq!(
                stores_error("https://vault.example.com:8200", ok),
                "",
                "{ok}"
            );
        }
        for bad in [
            "http://vault.example.com:8200",
            "http://10.0.0.1:8200",
            "http://localhost.example.com",
            "http://[::2]:8200",
        ] {
            let err = stores_error("https://vault.example.com:8200", bad);
            assert!(
                err.contains(&format!("secretStores.vault.server: `{bad}` uses plain http:// for a host that is not loopback")),
                "{err}"
            );
            assert!(
                err.contains("only for a local dev server on 127.0.0.1, ::1 or localhost"),
                "{err}"
            );
        }
        let err = stores_error("https://vault.example.com:8200", "http://u:p@127.0.0.1");
        assert!(err.contains("credentials never go into the URL"), "{err}");
    }
}
