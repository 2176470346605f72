//! Typed forms of the External Secrets Operator objects a blueprint may render
//! (`external-secrets.io/v1` ExternalSecret and SecretStore), for the same round-trip check
//! the built-in kinds get from k8s-openapi.
//!
//! They cover the subset Rampart uses, and are stricter than the CRD on purpose: unknown
//! fields are refused; the fields the ESO API server (2.x) would default are required, so
//! no blueprint can render an object that drifts in Argo CD; a SecretStore can only
//! authenticate with a ServiceAccount token (Vault Kubernetes auth, AWS IRSA), never with
//! credentials kept in a Secret. The full CRD schemas are checked in the end-to-end tests.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// API version of both kinds.
pub const API_VERSION: &str = "external-secrets.io/v1";

/// `ExternalSecret`: one target Secret filled from pinned remote versions.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSecret {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: ExternalSecretSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExternalSecretSpec {
    secret_store_ref: SecretStoreRef,
    refresh_policy: RefreshPolicy,
    refresh_interval: String,
    target: Target,
    data: Vec<Data>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SecretStoreRef {
    kind: StoreKind,
    name: String,
}

#[derive(Debug, Deserialize, Serialize)]
enum StoreKind {
    SecretStore,
    ClusterSecretStore,
}

#[derive(Debug, Deserialize, Serialize)]
enum RefreshPolicy {
    CreatedOnce,
    Periodic,
    OnChange,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Target {
    name: String,
    creation_policy: CreationPolicy,
    deletion_policy: DeletionPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    immutable: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
enum CreationPolicy {
    Owner,
    Orphan,
    Merge,
    None,
    CreateOrMerge,
}

#[derive(Debug, Deserialize, Serialize)]
enum DeletionPolicy {
    Delete,
    Merge,
    Retain,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Data {
    secret_key: String,
    remote_ref: RemoteRef,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RemoteRef {
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    property: Option<String>,
    version: String,
    conversion_strategy: ConversionStrategy,
    decoding_strategy: DecodingStrategy,
    metadata_policy: MetadataPolicy,
    null_byte_policy: NullBytePolicy,
}

#[derive(Debug, Deserialize, Serialize)]
enum ConversionStrategy {
    Default,
    Unicode,
}

#[derive(Debug, Deserialize, Serialize)]
enum DecodingStrategy {
    Auto,
    Base64,
    #[serde(rename = "Base64URL")]
    Base64Url,
    None,
}

#[derive(Debug, Deserialize, Serialize)]
enum MetadataPolicy {
    None,
    Fetch,
}

#[derive(Debug, Deserialize, Serialize)]
enum NullBytePolicy {
    Ignore,
    Fail,
}

/// `SecretStore`: how the namespace's ExternalSecrets reach one backend.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStore {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: SecretStoreSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SecretStoreSpec {
    provider: Provider,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Provider {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vault: Option<VaultProvider>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aws: Option<AwsProvider>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VaultProvider {
    server: String,
    path: String,
    version: VaultKvVersion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ca_provider: Option<CaProvider>,
    auth: VaultAuth,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum VaultKvVersion {
    V1,
    V2,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CaProvider {
    #[serde(rename = "type")]
    kind: CaProviderKind,
    name: String,
    key: String,
}

#[derive(Debug, Deserialize, Serialize)]
enum CaProviderKind {
    Secret,
    ConfigMap,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct VaultAuth {
    kubernetes: VaultKubernetesAuth,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VaultKubernetesAuth {
    mount_path: String,
    role: String,
    service_account_ref: ServiceAccountRef,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ServiceAccountRef {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audiences: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AwsProvider {
    service: AwsService,
    region: String,
    session_tags_policy: SessionTagsPolicy,
    auth: AwsAuth,
}

#[derive(Debug, Deserialize, Serialize)]
enum AwsService {
    SecretsManager,
    ParameterStore,
}

#[derive(Debug, Deserialize, Serialize)]
enum SessionTagsPolicy {
    None,
    Simple,
    Custom,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct AwsAuth {
    jwt: AwsJwtAuth,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AwsJwtAuth {
    service_account_ref: ServiceAccountRef,
}

impl SecretStore {
    /// A store names exactly one provider.
    pub fn check(&self) -> Result<(), String> {
        match (&self.spec.provider.vault, &self.spec.provider.aws) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err("spec.provider must name exactly one of vault or aws".to_string()),
        }
    }
}
