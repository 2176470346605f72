//! Where an environment's ExternalSecrets read from: one SecretStore per backend a
//! namespace uses. Only locations and role names live here; no credential ever does —
//! every store authenticates with a ServiceAccount token of its own.

use crate::delivery::DeliveryMode;
use serde::{Deserialize, Serialize};

/// Placeholder replaced by the namespace name in role names and ARNs.
pub const NAMESPACE_PLACEHOLDER: &str = "{namespace}";

/// The secret backends an environment offers; a request may only use configured ones.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStores {
    /// HashiCorp Vault or OpenBao.
    #[serde(default)]
    pub vault: Option<VaultStore>,
    /// AWS Secrets Manager.
    #[serde(default)]
    pub aws: Option<AwsStore>,
    /// How `rampart rotate` keeps versions and delivers its commits in this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationSettings>,
}

impl SecretStores {
    /// Versions a rotation keeps in the backend ([`DEFAULT_KEEP_VERSIONS`] by default).
    pub fn keep_versions(&self) -> u32 {
        self.rotation
            .as_ref()
            .and_then(|r| r.keep_versions)
            .unwrap_or(DEFAULT_KEEP_VERSIONS)
    }

    /// How rotation commits reach Git here: `secretStores.rotation.delivery`, else
    /// `repo_default` (rampart.yaml's `delivery.mode`).
    pub fn rotation_delivery(&self, repo_default: DeliveryMode) -> DeliveryMode {
        self.rotation
            .as_ref()
            .and_then(|r| r.delivery)
            .unwrap_or(repo_default)
    }
}

/// Versions kept in the backend when `keepVersions` is not set.
pub const DEFAULT_KEEP_VERSIONS: u32 = 5;
/// Fewest versions a backend may keep: the pinned one and the one being written.
pub const MIN_KEEP_VERSIONS: u32 = 2;

/// `secretStores.rotation`: rotation settings of one environment.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotationSettings {
    /// Versions kept in the backend (Vault `max_versions`; AWS versions keeping a label);
    /// at least [`MIN_KEEP_VERSIONS`]. Read through [`SecretStores::keep_versions`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_versions: Option<u32>,
    /// How rotation commits reach Git; rampart.yaml's `delivery.mode` by default. Read
    /// through [`SecretStores::rotation_delivery`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryMode>,
}

/// A Vault/OpenBao server with a KV v2 mount and the Kubernetes auth method.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultStore {
    /// `https://` URL of the server, e.g. `https://vault.example.com:8200`; `http://` only
    /// for a loopback address (a local dev server).
    pub server: String,
    /// Mount path of the KV version 2 secrets engine, e.g. `secret`.
    pub kv_mount: String,
    /// The Kubernetes auth method.
    pub auth: VaultKubernetesAuth,
    /// CA bundle to trust for `server`, from a ConfigMap present in every namespace
    /// (e.g. distributed by trust-manager); the system roots otherwise.
    #[serde(default)]
    pub ca_bundle: Option<ConfigMapKey>,
    /// How `rampart rotate` authenticates to this server (not the SecretStores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotator: Option<VaultRotator>,
}

/// `secretStores.vault.rotator`: the rotation engine's own Vault/OpenBao identity. Only
/// where to find a credential is written here, never the credential.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultRotator {
    /// The auth method.
    pub auth: RotatorAuthMethod,
    /// `token`: file holding the token (else `VAULT_TOKEN` or `BAO_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// `kubernetes`: the role to log in as (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `kubernetes`: mount path of the auth method ([`DEFAULT_KUBERNETES_MOUNT`] by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
}

/// Mount path of the Kubernetes auth method when `mountPath` is not set.
pub const DEFAULT_KUBERNETES_MOUNT: &str = "kubernetes";

/// `secretStores.vault.rotator.auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RotatorAuthMethod {
    /// A token from `VAULT_TOKEN`, `BAO_TOKEN` or `tokenFile`.
    Token,
    /// Kubernetes auth with the pod's ServiceAccount token, inside a cluster.
    Kubernetes,
}

/// A validated rotator login, as the engine uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotatorAuth<'a> {
    /// Read the token from this file, or (`None`) from `VAULT_TOKEN` / `BAO_TOKEN`.
    Token {
        /// `tokenFile`.
        token_file: Option<&'a str>,
    },
    /// Log in with Kubernetes auth.
    Kubernetes {
        /// The Vault role.
        role: &'a str,
        /// The auth method's mount path.
        mount_path: &'a str,
    },
}

impl VaultRotator {
    /// The login to perform. Validation guarantees `role` with `kubernetes`; should it be
    /// missing anyway, the role is empty (and the login fails) rather than a panic.
    pub fn auth(&self) -> RotatorAuth<'_> {
        match self.auth {
            RotatorAuthMethod::Token => RotatorAuth::Token {
                token_file: self.token_file.as_deref(),
            },
            RotatorAuthMethod::Kubernetes => RotatorAuth::Kubernetes {
                role: self.role.as_deref().unwrap_or_default(),
                mount_path: self
                    .mount_path
                    .as_deref()
                    .unwrap_or(DEFAULT_KUBERNETES_MOUNT),
            },
        }
    }
}

/// Vault's Kubernetes auth method: one role per namespace, bound to the namespace's
/// `secret-store-vault` ServiceAccount.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultKubernetesAuth {
    /// Mount path of the auth method, e.g. `kubernetes`.
    pub mount_path: String,
    /// Role name with `{namespace}`, e.g. `rampart-{namespace}`.
    pub role: String,
}

/// A key of a ConfigMap in the same namespace.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMapKey {
    /// ConfigMap name.
    pub config_map: String,
    /// Key holding the PEM bundle, e.g. `ca.crt`.
    pub key: String,
}

/// AWS Secrets Manager, reached through IAM Roles for Service Accounts (IRSA).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsStore {
    /// Region of the secrets, e.g. `eu-central-1`.
    pub region: String,
    /// IAM role ARN with `{namespace}`, e.g. `arn:aws:iam::123456789012:role/rampart-{namespace}`;
    /// set as `eks.amazonaws.com/role-arn` on the namespace's `secret-store-aws` ServiceAccount.
    pub role_arn: String,
    /// The cluster's OIDC provider (`oidc.eks.<region>.amazonaws.com/id/<id>`): with it,
    /// Rampart renders each role's trust policy for its namespace's ServiceAccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_provider: Option<String>,
}

/// `pattern` with `{namespace}` replaced by `namespace`.
pub fn for_namespace(pattern: &str, namespace: &str) -> String {
    pattern.replace(NAMESPACE_PLACEHOLDER, namespace)
}
