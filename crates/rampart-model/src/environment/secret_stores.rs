//! Where an environment's ExternalSecrets read from: one SecretStore per backend a
//! namespace uses. Only locations and role names live here; no credential ever does —
//! every store authenticates with a ServiceAccount token of its own.

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
}

/// A Vault/OpenBao server with a KV v2 mount and the Kubernetes auth method.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultStore {
    /// `https://` URL of the server, e.g. `https://vault.example.com:8200`.
    pub server: String,
    /// Mount path of the KV version 2 secrets engine, e.g. `secret`.
    pub kv_mount: String,
    /// The Kubernetes auth method.
    pub auth: VaultKubernetesAuth,
    /// CA bundle to trust for `server`, from a ConfigMap present in every namespace
    /// (e.g. distributed by trust-manager); the system roots otherwise.
    #[serde(default)]
    pub ca_bundle: Option<ConfigMapKey>,
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
}

/// `pattern` with `{namespace}` replaced by `namespace`.
pub fn for_namespace(pattern: &str, namespace: &str) -> String {
    pattern.replace(NAMESPACE_PLACEHOLDER, namespace)
}
