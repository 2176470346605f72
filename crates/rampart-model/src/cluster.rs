//! Cluster configuration values of an environment (`cluster:` in `environments/<env>.yaml`):
//! API server audit, encryption at rest, admission plugins and runtime detection.
//!
//! Every field has a default, so an environment without `cluster:` renders the hardened
//! baseline: audit at `Metadata`, KMS v2 encryption, restricted Pod Security defaults.

use serde::{Deserialize, Serialize};

/// Settings for `clusters/<env>/cluster/`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSettings {
    /// API server audit logging and forwarding.
    #[serde(default)]
    pub audit: AuditSettings,
    /// Encryption of Secrets (and other resources) at rest.
    #[serde(default)]
    pub encryption: EncryptionSettings,
    /// Admission plugin settings.
    #[serde(default)]
    pub admission: AdmissionSettings,
    /// Runtime detection (Falco, Tetragon, Prometheus alerts).
    #[serde(default)]
    pub runtime: RuntimeSettings,
}

impl ClusterSettings {
    /// Namespaces the cluster-wide Pod Security defaults exempt: `admission.podSecurityExemptions`
    /// plus the Falco and monitoring namespaces of `runtime`, whose DaemonSets (Falco,
    /// node-exporter) need host access the `restricted` default would refuse. In that order,
    /// without duplicates.
    pub fn pod_security_exempt_namespaces(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for ns in self.admission.pod_security_exemptions.iter().chain([
            &self.runtime.falco_namespace,
            &self.runtime.monitoring_namespace,
        ]) {
            if !out.contains(ns) {
                out.push(ns.clone());
            }
        }
        out
    }
}

/// Audit policy and audit backends.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditSettings {
    /// Level for ordinary resources: `Metadata` or `Request` (checklist 6.1). Secrets,
    /// configmaps and tokens are always `Metadata`; RBAC and admission configuration
    /// changes always `RequestResponse`; exec and workload writes always `Request`.
    #[serde(default = "default_audit_level")]
    pub level: String,
    /// The audit log file on the control-plane nodes.
    #[serde(default)]
    pub log: AuditLog,
    /// Forwarding to a SIEM through the audit webhook backend (checklist 6.2).
    #[serde(default)]
    pub webhook: Option<AuditWebhook>,
    /// Extra rules placed before Rampart's own rules (the first matching rule wins); refused
    /// when they would change how secrets, RBAC or exec are audited.
    #[serde(default)]
    pub overrides: Vec<AuditOverride>,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            level: default_audit_level(),
            log: AuditLog::default(),
            webhook: None,
            overrides: Vec::new(),
        }
    }
}

fn default_audit_level() -> String {
    "Metadata".to_string()
}

/// `--audit-log-*` flags. Defaults are the CIS minimums (1.2.16–1.2.19).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditLog {
    /// `--audit-log-path`: an absolute path on the node.
    #[serde(default = "default_log_path")]
    pub path: String,
    /// `--audit-log-maxage`: days to keep rotated files (at least 30).
    #[serde(default = "default_max_age")]
    pub max_age: u32,
    /// `--audit-log-maxbackup`: rotated files to keep (at least 10).
    #[serde(default = "default_max_backup")]
    pub max_backup: u32,
    /// `--audit-log-maxsize`: megabytes before a file is rotated (at least 100).
    #[serde(default = "default_max_size")]
    pub max_size: u32,
}

impl Default for AuditLog {
    fn default() -> Self {
        AuditLog {
            path: default_log_path(),
            max_age: default_max_age(),
            max_backup: default_max_backup(),
            max_size: default_max_size(),
        }
    }
}

fn default_log_path() -> String {
    "/var/log/kubernetes/audit/audit.log".to_string()
}
fn default_max_age() -> u32 {
    30
}
fn default_max_backup() -> u32 {
    10
}
fn default_max_size() -> u32 {
    100
}

/// The audit webhook backend: a kubeconfig naming the SIEM endpoint, in batch mode.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditWebhook {
    /// HTTPS URL the API server posts audit event batches to.
    pub server: String,
    /// CA bundle file on the node that signs the endpoint's certificate.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// File on the node holding a bearer token for the endpoint (never the token itself).
    #[serde(default)]
    pub token_file: Option<String>,
    /// Client certificate file on the node, for mutual TLS.
    #[serde(default)]
    pub client_certificate: Option<String>,
    /// Client key file on the node, for mutual TLS.
    #[serde(default)]
    pub client_key: Option<String>,
    /// `--audit-webhook-batch-*` settings.
    #[serde(default)]
    pub batch: AuditBatch,
}

/// Batch-mode settings of the webhook backend (the kube-apiserver defaults).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditBatch {
    /// Events buffered before batching; when full, events are dropped (and counted).
    #[serde(default = "default_buffer_size")]
    pub buffer_size: u32,
    /// Events per batch.
    #[serde(default = "default_batch_max_size")]
    pub max_size: u32,
    /// Longest wait before a partial batch is sent, e.g. `30s`.
    #[serde(default = "default_max_wait")]
    pub max_wait: String,
    /// Batches per second sent at most.
    #[serde(default = "default_throttle_qps")]
    pub throttle_qps: u32,
    /// Batches sent at once when the QPS allowance was unused.
    #[serde(default = "default_throttle_burst")]
    pub throttle_burst: u32,
}

impl Default for AuditBatch {
    fn default() -> Self {
        AuditBatch {
            buffer_size: default_buffer_size(),
            max_size: default_batch_max_size(),
            max_wait: default_max_wait(),
            throttle_qps: default_throttle_qps(),
            throttle_burst: default_throttle_burst(),
        }
    }
}

fn default_buffer_size() -> u32 {
    10000
}
fn default_batch_max_size() -> u32 {
    400
}
fn default_max_wait() -> String {
    "30s".to_string()
}
fn default_throttle_qps() -> u32 {
    10
}
fn default_throttle_burst() -> u32 {
    15
}

/// One extra audit rule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditOverride {
    /// `None`, `Metadata`, `Request` or `RequestResponse`.
    pub level: String,
    /// API group (`""` is the core group).
    #[serde(default)]
    pub group: String,
    /// Resources of the group (`resource/subresource`, `*`); empty means all of them.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Verbs; empty means all.
    #[serde(default)]
    pub verbs: Vec<String>,
    /// Namespaces; empty means all.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

/// Encryption at rest (`EncryptionConfiguration`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncryptionSettings {
    /// The provider that encrypts: `kms` (v2, the default), `secretbox` or `aescbc`.
    #[serde(default)]
    pub provider: EncryptionProvider,
    /// The KMS v2 plugin (used when `provider: kms`).
    #[serde(default)]
    pub kms: KmsPlugin,
    /// Keys of `secretbox` or `aescbc`, by reference; the first encrypts, the others only
    /// decrypt (key rotation).
    #[serde(default)]
    pub keys: Vec<KeyReference>,
    /// Appends the `identity` provider last, so data written before encryption was enabled
    /// stays readable. Only while migrating: remove once every Secret was rewritten.
    #[serde(default)]
    pub migrating: bool,
    /// Resources encrypted; must include `secrets`.
    #[serde(default = "default_encrypted_resources")]
    pub resources: Vec<String>,
}

impl Default for EncryptionSettings {
    fn default() -> Self {
        EncryptionSettings {
            provider: EncryptionProvider::default(),
            kms: KmsPlugin::default(),
            keys: Vec::new(),
            migrating: false,
            resources: default_encrypted_resources(),
        }
    }
}

fn default_encrypted_resources() -> Vec<String> {
    vec!["secrets".to_string()]
}

/// The provider that encrypts new writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EncryptionProvider {
    /// KMS v2: the key lives outside the host (stable since 1.29).
    #[default]
    Kms,
    /// XSalsa20 and Poly1305 with a local key.
    Secretbox,
    /// AES-CBC with PKCS#7 padding and a local key (weak: padding oracle).
    Aescbc,
}

impl EncryptionProvider {
    /// The field name in `EncryptionConfiguration` providers.
    pub fn as_str(self) -> &'static str {
        match self {
            EncryptionProvider::Kms => "kms",
            EncryptionProvider::Secretbox => "secretbox",
            EncryptionProvider::Aescbc => "aescbc",
        }
    }
}

/// A KMS v2 plugin reached over a unix socket.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KmsPlugin {
    /// Provider name, unique in the configuration.
    #[serde(default = "default_kms_name")]
    pub name: String,
    /// `unix://` socket of the plugin.
    #[serde(default = "default_kms_endpoint")]
    pub endpoint: String,
    /// Call timeout, e.g. `3s`.
    #[serde(default = "default_kms_timeout")]
    pub timeout: String,
}

impl Default for KmsPlugin {
    fn default() -> Self {
        KmsPlugin {
            name: default_kms_name(),
            endpoint: default_kms_endpoint(),
            timeout: default_kms_timeout(),
        }
    }
}

fn default_kms_name() -> String {
    "kms-plugin".to_string()
}
fn default_kms_endpoint() -> String {
    "unix:///var/run/kmsplugin/socket.sock".to_string()
}
fn default_kms_timeout() -> String {
    "3s".to_string()
}

/// A local encryption key, by reference: the generated file holds `${ENV}`, which the
/// install step replaces with the key from that environment variable. The key never
/// reaches Git.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyReference {
    /// Key name in the configuration, e.g. `key-2026-01`.
    pub name: String,
    /// Name of the environment variable holding the base64 key at install time.
    pub env: String,
}

/// Admission plugin settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdmissionSettings {
    /// EventRateLimit limits.
    #[serde(default = "default_event_rate_limits")]
    pub event_rate_limits: Vec<EventRateLimit>,
    /// Namespaces exempt from the cluster-wide Pod Security defaults (the Falco and monitoring
    /// namespaces are always added: [`ClusterSettings::pod_security_exempt_namespaces`]).
    #[serde(default = "default_pod_security_exemptions")]
    pub pod_security_exemptions: Vec<String>,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        AdmissionSettings {
            event_rate_limits: default_event_rate_limits(),
            pod_security_exemptions: default_pod_security_exemptions(),
        }
    }
}

fn default_pod_security_exemptions() -> Vec<String> {
    vec!["kube-system".to_string()]
}

fn default_event_rate_limits() -> Vec<EventRateLimit> {
    let limit = |kind: &str, qps, burst, cache| EventRateLimit {
        kind: kind.to_string(),
        qps,
        burst,
        cache_size: cache,
    };
    vec![
        limit("Server", 100, 200, None),
        limit("Namespace", 20, 100, Some(2000)),
        limit("User", 20, 100, Some(2000)),
    ]
}

/// One EventRateLimit limit.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventRateLimit {
    /// `Server`, `Namespace`, `User` or `SourceAndObject`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Events per second.
    pub qps: u32,
    /// Events at once.
    pub burst: u32,
    /// Buckets kept (not for `Server`); left out of the rendered configuration when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_size: Option<u32>,
}

/// Runtime detection settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeSettings {
    /// Namespaces whose image changes are alerted on; empty means every namespace but
    /// the system ones.
    #[serde(default)]
    pub production_namespaces: Vec<String>,
    /// Users expected to read Secrets (controllers, GitOps, External Secrets); reads by
    /// anyone else but nodes and kube-system controllers raise an alert.
    #[serde(default = "default_secret_readers")]
    pub secret_readers: Vec<String>,
    /// Namespace of Falco (the generated rules ConfigMap goes there).
    #[serde(default = "default_falco_namespace")]
    pub falco_namespace: String,
    /// Namespace of the Prometheus operator's rules.
    #[serde(default = "default_monitoring_namespace")]
    pub monitoring_namespace: String,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            production_namespaces: Vec::new(),
            secret_readers: default_secret_readers(),
            falco_namespace: default_falco_namespace(),
            monitoring_namespace: default_monitoring_namespace(),
        }
    }
}

fn default_secret_readers() -> Vec<String> {
    [
        "system:kube-controller-manager",
        "system:apiserver",
        "system:serviceaccount:external-secrets:external-secrets",
        "system:serviceaccount:argocd:argocd-application-controller",
        "system:serviceaccount:flux-system:kustomize-controller",
    ]
    .map(String::from)
    .to_vec()
}
fn default_falco_namespace() -> String {
    "falco".to_string()
}
fn default_monitoring_namespace() -> String {
    "monitoring".to_string()
}
