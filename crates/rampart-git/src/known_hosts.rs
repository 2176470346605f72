//! SSH host keys: OpenSSH `known_hosts` look-up and SHA-256 fingerprints.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// `SHA256:<unpadded base64>` of a host-key hash, as `ssh-keygen -l` prints it.
pub(crate) fn fingerprint(hash: &[u8; 32]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(hash))
}

/// Whether `pinned` (with or without the `SHA256:` prefix and padding) names `hash`.
pub(crate) fn fingerprint_matches(pinned: &str, hash: &[u8; 32]) -> bool {
    let pinned = pinned.trim();
    let pinned = pinned.strip_prefix("SHA256:").unwrap_or(pinned);
    pinned.trim_end_matches('=') == STANDARD_NO_PAD.encode(hash)
}

/// Checks that `known_hosts` lists `key` (the raw public key blob) for `host`
/// (`host` or `[host]:port`). `Err` says why not.
pub(crate) fn check(known_hosts: &Path, host: &str, key: &[u8]) -> Result<(), String> {
    let text = std::fs::read_to_string(known_hosts).map_err(|e| {
        format!(
            "cannot read {} ({e}); add the host with ssh-keyscan or pin its fingerprint (delivery.ssh.hostKeyFingerprint)",
            known_hosts.display()
        )
    })?;
    // The whole file is read before deciding: a `@revoked` line anywhere refuses its key,
    // whatever host pattern (even a wildcard) it names.
    let mut host_listed = false;
    let mut accepted = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let mut hosts = fields.next().unwrap_or_default();
        let revoked = hosts == "@revoked";
        if hosts.starts_with('@') {
            // @cert-authority entries are not supported.
            if !revoked {
                continue;
            }
            hosts = fields.next().unwrap_or_default();
        }
        let (Some(_key_type), Some(encoded)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(listed) = STANDARD.decode(encoded) else {
            continue;
        };
        if revoked {
            if listed == key {
                return Err(format!(
                    "the key is marked @revoked in {}",
                    known_hosts.display()
                ));
            }
            continue;
        }
        if !hosts_match(hosts, host) {
            continue;
        }
        if listed == key {
            accepted = true;
        } else {
            host_listed = true;
        }
    }
    if accepted {
        return Ok(());
    }
    Err(if host_listed {
        format!(
            "the key differs from the one {} lists for it (a changed key or an attack); refusing to connect",
            known_hosts.display()
        )
    } else {
        format!(
            "{host} is not in {}; add it (ssh-keyscan) or pin its fingerprint (delivery.ssh.hostKeyFingerprint)",
            known_hosts.display()
        )
    })
}

/// Whether the comma-separated host patterns of a known_hosts line name `host`.
/// Negated and wildcard patterns are not supported and never match.
fn hosts_match(patterns: &str, host: &str) -> bool {
    if let Some(hashed) = patterns.strip_prefix("|1|") {
        let Some((salt, hash)) = hashed.split_once('|') else {
            return false;
        };
        let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
            return false;
        };
        return hmac_sha1(&salt, host.as_bytes()).as_slice() == hash.as_slice();
    }
    patterns.split(',').any(|p| p == host)
}

/// HMAC-SHA1 (RFC 2104), as OpenSSH hashes host names.
fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    use hmac::{KeyInit, Mac};
    // HMAC takes keys of any length (longer ones are hashed first), so this cannot fail.
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(key) else {
        return [0; 20];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha1_matches_rfc_2202() {
        // RFC 2202 test case 2.
        let mac = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    #[test]
    fn known_hosts_plain_hashed_changed_and_unknown() -> Result<(), std::io::Error> {
        let key = b"\x00\x00\x00\x0bssh-ed25519fake-key-bytes".to_vec();
        let other = b"\x00\x00\x00\x0bssh-ed25519other-key".to_vec();
        let revoked_key = b"\x00\x00\x00\x0bssh-ed25519revoked".to_vec();
        let salt = b"0123456789abcdef0123";
        let hashed = format!(
            "|1|{}|{}",
            STANDARD.encode(salt),
            STANDARD.encode(hmac_sha1(salt, b"[git.example]:2222"))
        );
        let dir = tempfile::TempDir::new()?;
        let path = dir.path().join("known_hosts");
        std::fs::write(
            &path,
            format!(
                "# comment\ngithub.example,10.0.0.1 ssh-ed25519 {}\n{hashed} ssh-ed25519 {}\nchanged.example ssh-ed25519 {}\n@revoked bad.example ssh-ed25519 {}\n",
                STANDARD.encode(&key),
                STANDARD.encode(&key),
                STANDARD.encode(&other),
                STANDARD.encode(&revoked_key),
            ),
        )?;
        assert_eq!(check(&path, "github.example", &key), Ok(()));
        assert_eq!(check(&path, "10.0.0.1", &key), Ok(()));
        assert_eq!(check(&path, "[git.example]:2222", &key), Ok(()));
        let changed = check(&path, "changed.example", &key)
            .err()
            .unwrap_or_default();
        assert!(changed.contains("differs"), "{changed}");
        let unknown = check(&path, "unknown.example", &key)
            .err()
            .unwrap_or_default();
        assert!(unknown.contains("not in"), "{unknown}");
        let revoked = check(&path, "bad.example", &revoked_key)
            .err()
            .unwrap_or_default();
        assert!(revoked.contains("revoked"), "{revoked}");
        assert!(check(&dir.path().join("missing"), "github.example", &key).is_err());
        Ok(())
    }

    #[test]
    fn a_revoked_key_is_refused_wherever_its_line_is_and_whatever_host_it_names()
    -> Result<(), std::io::Error> {
        let key = b"\x00\x00\x00\x0bssh-ed25519revoked-key".to_vec();
        let dir = tempfile::TempDir::new()?;
        let path = dir.path().join("known_hosts");
        let encoded = STANDARD.encode(&key);
        for revocation in [
            format!("@revoked git.example ssh-ed25519 {encoded}"),
            format!("@revoked * ssh-ed25519 {encoded}"),
            format!("@revoked other.example ssh-ed25519 {encoded}"),
        ] {
            // The plain match comes first: the revocation after it still wins.
            std::fs::write(
                &path,
                format!("git.example ssh-ed25519 {encoded}\n{revocation}\n"),
            )?;
            let refused = check(&path, "git.example", &key).err().unwrap_or_default();
            assert!(refused.contains("revoked"), "{revocation}: {refused}");
        }
        // A revocation of another key does not affect this one.
        let other = STANDARD.encode(b"\x00\x00\x00\x0bssh-ed25519other");
        std::fs::write(
            &path,
            format!("git.example ssh-ed25519 {encoded}\n@revoked * ssh-ed25519 {other}\n"),
        )?;
        assert_eq!(check(&path, "git.example", &key), Ok(()));
        Ok(())
    }

    #[test]
    fn fingerprints_compare_with_or_without_prefix_and_padding() {
        let hash = [7u8; 32];
        let printed = fingerprint(&hash);
        assert!(printed.starts_with("SHA256:") && !printed.ends_with('='));
        assert!(fingerprint_matches(&printed, &hash));
        assert!(fingerprint_matches(
            printed.trim_start_matches("SHA256:"),
            &hash
        ));
        assert!(fingerprint_matches(&format!("{printed}="), &hash));
        assert!(!fingerprint_matches(&fingerprint(&[8u8; 32]), &hash));
    }
}
