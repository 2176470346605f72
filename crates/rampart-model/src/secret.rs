//! Secrets an app declares: references into a secrets manager, never values. Each renders
//! as an ExternalSecret whose remote version is pinned, so a new value reaches the cluster
//! only through a reviewed Git change.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Fields that would carry a secret's content inline. A request holding one is refused with
/// a dedicated message before anything else is read (checklist 4.7: no secrets in Git).
pub const INLINE_VALUE_FIELDS: &[&str] = &[
    "value",
    "values",
    "data",
    "stringData",
    "binaryData",
    "content",
    "contents",
    "plaintext",
    "literal",
    "secret",
    "password",
    "token",
];

/// Default directory a secret is mounted at: `/etc/secrets/<name>`.
pub const DEFAULT_MOUNT_ROOT: &str = "/etc/secrets";

/// One secret of an app: where its value lives, which version, and where the app reads it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppSecret {
    /// Name of the Kubernetes Secret (and of its ExternalSecret); an RFC 1123 label,
    /// unique in the namespace.
    pub name: String,
    /// The secrets manager that holds the value.
    pub backend: SecretBackend,
    /// Vault/OpenBao: path under the environment's KV v2 mount (e.g. `shop/api/db`);
    /// AWS: the secret's name in Secrets Manager.
    pub remote_key: String,
    /// Keys of the remote secret (a KV map, or a JSON object in AWS) to copy; each becomes
    /// one key of the Secret and one file in the mounted directory.
    pub properties: Vec<String>,
    /// The pinned version: a KV v2 version number (`3`) or a Secrets Manager VersionId;
    /// one for every environment, or a map of environment name to version when the
    /// environments' backends hold different histories.
    pub version: PinnedVersions,
    /// Absolute directory the sample workload mounts the Secret at, read-only; defaults to
    /// `/etc/secrets/<name>`.
    #[serde(default)]
    pub mount_path: Option<String>,
}

impl AppSecret {
    /// Where the sample workload mounts this secret.
    pub fn mount_path(&self) -> String {
        self.mount_path
            .clone()
            .unwrap_or_else(|| format!("{DEFAULT_MOUNT_ROOT}/{}", self.name))
    }

    /// `remoteRef.version` in `environment` as ESO reads it: the KV v2 version number, or
    /// `uuid/<VersionId>` (without the prefix ESO would read it as a staging label such as
    /// AWSCURRENT). `None` when a per-environment map has no entry for it.
    pub fn remote_version(&self, environment: &str) -> Option<String> {
        let v = self.version.for_environment(environment)?;
        Some(match self.backend {
            SecretBackend::Vault => v.0.clone(),
            SecretBackend::Aws => format!("uuid/{}", v.0),
        })
    }
}

/// A secrets manager Rampart renders a SecretStore for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretBackend {
    /// HashiCorp Vault or OpenBao, KV version 2, Kubernetes auth.
    Vault,
    /// AWS Secrets Manager, authenticated through IRSA.
    Aws,
}

impl SecretBackend {
    /// The request spelling, also the SecretStore's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretBackend::Vault => "vault",
            SecretBackend::Aws => "aws",
        }
    }

    /// Name of the dedicated ServiceAccount the backend's SecretStore authenticates as.
    pub fn service_account(self) -> &'static str {
        match self {
            SecretBackend::Vault => "secret-store-vault",
            SecretBackend::Aws => "secret-store-aws",
        }
    }
}

/// A pinned remote version, as written in the request. YAML lets `version: 3` be a number;
/// it is read as the string `"3"` so both spellings mean the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PinnedVersion(pub String);

impl PinnedVersion {
    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `version` of a secret: the same in every environment, or per environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PinnedVersions {
    /// One version for every environment.
    All(PinnedVersion),
    /// Environment name → version.
    PerEnvironment(BTreeMap<String, PinnedVersion>),
}

impl PinnedVersions {
    /// The version pinned for `environment`.
    pub fn for_environment(&self, environment: &str) -> Option<&PinnedVersion> {
        match self {
            PinnedVersions::All(v) => Some(v),
            PinnedVersions::PerEnvironment(map) => map.get(environment),
        }
    }
}

impl<'de> Deserialize<'de> for PinnedVersions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PinnedVersions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a version, or a map of environment name to version")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PinnedVersions, E> {
                Ok(PinnedVersions::All(PinnedVersion(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PinnedVersions, E> {
                Ok(PinnedVersions::All(PinnedVersion(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PinnedVersions, E> {
                Ok(PinnedVersions::All(PinnedVersion(v.to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<PinnedVersions, A::Error> {
                BTreeMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(PinnedVersions::PerEnvironment)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl<'de> Deserialize<'de> for PinnedVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = PinnedVersion;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a version number or a VersionId string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PinnedVersion, E> {
                Ok(PinnedVersion(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PinnedVersion, E> {
                Ok(PinnedVersion(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PinnedVersion, E> {
                Ok(PinnedVersion(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_from_numbers_and_strings_alike() {
        let a: AppSecret = serde_yaml::from_str(
            "{name: db, backend: vault, remoteKey: a/b, properties: [p], version: 3}",
        )
        .unwrap();
        let b: AppSecret = serde_yaml::from_str(
            "{name: db, backend: vault, remoteKey: a/b, properties: [p], version: \"3\"}",
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.remote_version("prod").as_deref(), Some("3"));
        assert_eq!(a.mount_path(), "/etc/secrets/db");
    }

    #[test]
    fn aws_versions_are_pinned_by_version_id() {
        let s: AppSecret = serde_yaml::from_str(
            "{name: t, backend: aws, remoteKey: shop/t, properties: [k], version: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b, mountPath: /run/t}",
        )
        .unwrap();
        assert_eq!(
            s.remote_version("dev").as_deref(),
            Some("uuid/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")
        );
        assert_eq!(s.mount_path(), "/run/t");
    }

    #[test]
    fn versions_may_differ_per_environment() {
        let s: AppSecret = serde_yaml::from_str(
            "{name: db, backend: vault, remoteKey: a/b, properties: [p], version: {dev: 7, prod: \"3\"}}",
        )
        .unwrap();
        assert_eq!(s.remote_version("dev").as_deref(), Some("7"));
        assert_eq!(s.remote_version("prod").as_deref(), Some("3"));
        assert_eq!(s.remote_version("staging"), None);
        let err = serde_yaml::from_str::<AppSecret>(
            "{name: db, backend: vault, remoteKey: a/b, properties: [p], version: [3]}",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("a version, or a map of environment name to version"),
            "{err}"
        );
    }
}
