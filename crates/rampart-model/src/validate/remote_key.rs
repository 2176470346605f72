//! Remote keys: the path or name of a secret in its backend.

use crate::load::Report;
use crate::secret::SecretBackend;

/// A remote key in `backend`'s syntax (`remoteKey`, `rotation.postgres.adminSecret`).
pub(super) fn check_remote_key(path: &str, backend: SecretBackend, key: &str, r: &mut Report) {
    match backend {
        SecretBackend::Vault => {
            let chars_ok = key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
            let segments_ok = key
                .split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
            if key.is_empty() || !chars_ok || !segments_ok {
                r.error(
                    path,
                    format!("`{key}` is not a KV v2 secret path"),
                    "write the path below the environment's KV mount, without the mount or `data/`, e.g. `shop/api/db` (letters, digits, `-`, `_`, `.`, `/` between non-empty segments)",
                );
            }
        }
        SecretBackend::Aws => {
            let name_ok = |n: &str| {
                !n.is_empty()
                    && n.len() <= 512
                    && n.bytes().all(|b| {
                        b.is_ascii_alphanumeric()
                            || matches!(b, b'/' | b'_' | b'+' | b'=' | b'.' | b'@' | b'-')
                    })
            };
            let ok = match key.strip_prefix("arn:") {
                Some(rest) => {
                    let parts: Vec<&str> = rest.splitn(6, ':').collect();
                    parts.len() == 6
                        && parts[0].starts_with("aws")
                        && parts[1] == "secretsmanager"
                        && !parts[2].is_empty()
                        && parts[3].len() == 12
                        && parts[3].bytes().all(|b| b.is_ascii_digit())
                        && parts[4] == "secret"
                        && name_ok(parts[5])
                }
                None => name_ok(key),
            };
            if !ok {
                r.error(
                    path,
                    format!("`{key}` is not a Secrets Manager secret name or ARN"),
                    "write the secret's name (letters, digits and `/_+=.@-`, at most 512), e.g. `shop/payment-api`, or its full ARN",
                );
            }
        }
    }
}
