//! Typed mirrors of the upstream configuration files that have no served schema (the API
//! server reads them from disk), written from the upstream Go types. Every struct refuses
//! unknown fields, so a misspelt field in a template fails the render instead of being
//! ignored by the API server at start-up.
//!
//! Sources: `k8s.io/apiserver/pkg/apis/audit/v1` (Policy), `k8s.io/apiserver/pkg/apis/
//! apiserver/v1` (EncryptionConfiguration, AdmissionConfiguration),
//! `k8s.io/pod-security-admission/admission/api/v1` (PodSecurityConfiguration),
//! `k8s.io/kubernetes/plugin/pkg/admission/eventratelimit/apis/eventratelimit/v1alpha1`,
//! `k8s.io/client-go/tools/clientcmd/api/v1` (kubeconfig) and
//! `k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4` (ClusterConfiguration).

use serde::{Deserialize, Serialize};

/// `audit.k8s.io/v1` Policy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditPolicy {
    /// `audit.k8s.io/v1`.
    pub api_version: String,
    /// `Policy`.
    pub kind: String,
    /// Object metadata (unused by the API server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Rules in order: the first rule that matches a request sets its level.
    pub rules: Vec<PolicyRule>,
    /// Stages never recorded, for every rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omit_stages: Vec<Stage>,
    /// Drop managedFields from recorded bodies.
    #[serde(default)]
    pub omit_managed_fields: bool,
}

/// One audit policy rule; empty lists match everything.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyRule {
    /// What is recorded for matching requests.
    pub level: Level,
    /// User names matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// User groups matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_groups: Vec<String>,
    /// Verbs matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verbs: Vec<String>,
    /// Resources matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<GroupResources>,
    /// Namespaces matched (`""` is cluster-scoped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Non-resource URLs matched (trailing `*` is a prefix match).
    #[serde(
        default,
        rename = "nonResourceURLs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub non_resource_urls: Vec<String>,
    /// Stages not recorded for this rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omit_stages: Vec<Stage>,
    /// Per-rule override of the policy's omitManagedFields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omit_managed_fields: Option<bool>,
}

/// Resources of one API group.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupResources {
    /// API group; `""` is the core group.
    #[serde(default)]
    pub group: String,
    /// Resources (`res`, `res/sub`, `*`, `*/sub`, `res/*`); empty means all of the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Object names matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
}

/// Audit level, least to most detailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub enum Level {
    /// Nothing is recorded.
    None,
    /// Who, what, when: no bodies.
    Metadata,
    /// Metadata and the request body.
    Request,
    /// Metadata, request and response bodies.
    RequestResponse,
}

/// Audit stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Stage {
    /// As soon as the request is received.
    RequestReceived,
    /// Headers sent, body not yet (long-running requests such as exec and watch).
    ResponseStarted,
    /// The response is complete.
    ResponseComplete,
    /// A panic occurred.
    Panic,
}

/// What the API server knows about a request when it picks the audit level.
#[derive(Debug, Clone, Default)]
pub struct RequestAttributes<'a> {
    /// User name.
    pub user: &'a str,
    /// User groups.
    pub groups: &'a [&'a str],
    /// Verb.
    pub verb: &'a str,
    /// API group (`""` core); `None` for a non-resource request.
    pub group: Option<&'a str>,
    /// Resource, e.g. `pods`.
    pub resource: &'a str,
    /// Subresource, e.g. `exec`.
    pub subresource: &'a str,
    /// Namespace (`""` cluster-scoped).
    pub namespace: &'a str,
    /// Object name.
    pub name: &'a str,
    /// URL path of a non-resource request.
    pub path: &'a str,
}

impl AuditPolicy {
    /// The level the API server records `req` at: that of the first matching rule, else
    /// `None` (the apiserver's policy checker semantics).
    pub fn level_for(&self, req: &RequestAttributes) -> Level {
        self.rules
            .iter()
            .find(|r| r.matches(req))
            .map_or(Level::None, |r| r.level)
    }
}

impl PolicyRule {
    /// Whether the rule applies to `req`.
    pub fn matches(&self, req: &RequestAttributes) -> bool {
        if !self.users.is_empty() && !self.users.iter().any(|u| u == req.user) {
            return false;
        }
        if !self.user_groups.is_empty()
            && !self
                .user_groups
                .iter()
                .any(|g| req.groups.contains(&g.as_str()))
        {
            return false;
        }
        if !self.verbs.is_empty() && !self.verbs.iter().any(|v| v == req.verb) {
            return false;
        }
        match req.group {
            Some(group) => {
                if !self.non_resource_urls.is_empty() {
                    return false;
                }
                if !self.namespaces.is_empty()
                    && !self.namespaces.iter().any(|n| n == req.namespace)
                {
                    return false;
                }
                self.resources.is_empty() || self.resources.iter().any(|gr| gr.matches(group, req))
            }
            None => {
                if !self.namespaces.is_empty() || !self.resources.is_empty() {
                    return false;
                }
                self.non_resource_urls.is_empty()
                    || self
                        .non_resource_urls
                        .iter()
                        .any(|u| match u.strip_suffix('*') {
                            Some(prefix) => req.path.starts_with(prefix),
                            None => u == req.path,
                        })
            }
        }
    }
}

impl GroupResources {
    fn matches(&self, group: &str, req: &RequestAttributes) -> bool {
        if self.group != group {
            return false;
        }
        if self.resources.is_empty() {
            return true;
        }
        if !self.resource_names.is_empty() && !self.resource_names.iter().any(|n| n == req.name) {
            return false;
        }
        let combined = if req.subresource.is_empty() {
            req.resource.to_string()
        } else {
            format!("{}/{}", req.resource, req.subresource)
        };
        self.resources.iter().any(|r| {
            *r == combined
                || r == "*"
                || (!req.subresource.is_empty() && r.strip_prefix("*/") == Some(req.subresource))
                || r.strip_suffix("/*") == Some(req.resource)
        })
    }
}

/// `apiserver.config.k8s.io/v1` EncryptionConfiguration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncryptionConfiguration {
    /// `apiserver.config.k8s.io/v1`.
    pub api_version: String,
    /// `EncryptionConfiguration`.
    pub kind: String,
    /// Resources and their providers.
    pub resources: Vec<ResourceConfiguration>,
}

/// Providers of a set of resources; the first encrypts, all are tried to decrypt.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceConfiguration {
    /// `resource.group` names, e.g. `secrets`.
    pub resources: Vec<String>,
    /// Providers in order.
    pub providers: Vec<ProviderConfiguration>,
}

/// Exactly one of the fields is set.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderConfiguration {
    /// AES-GCM with local keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aesgcm: Option<KeysConfiguration>,
    /// AES-CBC with local keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aescbc: Option<KeysConfiguration>,
    /// XSalsa20/Poly1305 with local keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secretbox: Option<KeysConfiguration>,
    /// No encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityConfiguration>,
    /// An external KMS plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms: Option<KmsConfiguration>,
}

/// Local keys of aesgcm, aescbc or secretbox; the first encrypts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeysConfiguration {
    /// Keys in order.
    pub keys: Vec<Key>,
}

/// A named key; `secret` is the base64 key material.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Key {
    /// Key name.
    pub name: String,
    /// Base64 key (in Rampart's files: a `${VAR}` placeholder).
    pub secret: String,
}

/// The identity provider has no fields.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfiguration {}

/// A KMS provider.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KmsConfiguration {
    /// `v1` (deprecated) or `v2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Provider name.
    pub name: String,
    /// v1 only.
    #[serde(default, rename = "cachesize", skip_serializing_if = "Option::is_none")]
    pub cache_size: Option<i32>,
    /// `unix://` socket.
    pub endpoint: String,
    /// Call timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

/// `apiserver.config.k8s.io/v1` AdmissionConfiguration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdmissionConfiguration {
    /// `apiserver.config.k8s.io/v1`.
    pub api_version: String,
    /// `AdmissionConfiguration`.
    pub kind: String,
    /// Plugin configurations.
    pub plugins: Vec<AdmissionPluginConfiguration>,
}

/// One plugin's configuration, inline or by path.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdmissionPluginConfiguration {
    /// Plugin name.
    pub name: String,
    /// File with the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Inline configuration (for PodSecurity: a [`PodSecurityConfiguration`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<serde_json::Value>,
}

/// `pod-security.admission.config.k8s.io/v1` PodSecurityConfiguration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSecurityConfiguration {
    /// `pod-security.admission.config.k8s.io/v1`.
    pub api_version: String,
    /// `PodSecurityConfiguration`.
    pub kind: String,
    /// Levels of namespaces without labels.
    pub defaults: PodSecurityDefaults,
    /// Requests never checked.
    pub exemptions: PodSecurityExemptions,
}

/// Default levels and versions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PodSecurityDefaults {
    /// Enforced level.
    pub enforce: String,
    /// Enforced version.
    #[serde(rename = "enforce-version")]
    pub enforce_version: String,
    /// Audited level.
    pub audit: String,
    /// Audited version.
    #[serde(rename = "audit-version")]
    pub audit_version: String,
    /// Warned level.
    pub warn: String,
    /// Warned version.
    #[serde(rename = "warn-version")]
    pub warn_version: String,
}

/// Exemptions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSecurityExemptions {
    /// Exempt users.
    #[serde(default)]
    pub usernames: Vec<String>,
    /// Exempt namespaces.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Exempt runtime classes.
    #[serde(default)]
    pub runtime_classes: Vec<String>,
}

/// `eventratelimit.admission.k8s.io/v1alpha1` Configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventRateLimitConfiguration {
    /// `eventratelimit.admission.k8s.io/v1alpha1`.
    pub api_version: String,
    /// `Configuration`.
    pub kind: String,
    /// Limits.
    pub limits: Vec<EventRateLimitEntry>,
}

/// One limit.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventRateLimitEntry {
    /// `Server`, `Namespace`, `User` or `SourceAndObject`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Events per second.
    pub qps: i32,
    /// Burst.
    pub burst: i32,
    /// LRU cache size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_size: Option<i32>,
}

/// `v1` Config (kubeconfig), the fields an audit webhook uses.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Kubeconfig {
    /// `v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `Config`.
    pub kind: String,
    /// Endpoints.
    pub clusters: Vec<NamedCluster>,
    /// Credentials.
    pub users: Vec<NamedUser>,
    /// Contexts.
    pub contexts: Vec<NamedContext>,
    /// The context used.
    pub current_context: String,
}

/// A named endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NamedCluster {
    /// Name.
    pub name: String,
    /// Endpoint.
    pub cluster: KubeconfigCluster,
}

/// An endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct KubeconfigCluster {
    /// URL.
    pub server: String,
    /// CA file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority: Option<String>,
}

/// Named credentials.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NamedUser {
    /// Name.
    pub name: String,
    /// Credentials.
    pub user: KubeconfigUser,
}

/// Credentials, by file only (the fields holding inline material are not mirrored, so a
/// template that wrote one would fail).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct KubeconfigUser {
    /// Client certificate file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
    /// Client key file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
    /// Bearer token file.
    #[serde(default, rename = "tokenFile", skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
}

/// A named context.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NamedContext {
    /// Name.
    pub name: String,
    /// Cluster and user.
    pub context: KubeconfigContext,
}

/// Cluster and user of a context.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KubeconfigContext {
    /// Cluster name.
    pub cluster: String,
    /// User name.
    pub user: String,
}

/// `kubeadm.k8s.io/v1beta4` ClusterConfiguration, the API server part Rampart sets.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeadmClusterConfiguration {
    /// `kubeadm.k8s.io/v1beta4`.
    pub api_version: String,
    /// `ClusterConfiguration`.
    pub kind: String,
    /// API server settings.
    pub api_server: KubeadmApiServer,
}

/// API server settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeadmApiServer {
    /// Flags (v1beta4: a list of name/value pairs).
    pub extra_args: Vec<KubeadmArg>,
    /// Host paths mounted into the static pod.
    pub extra_volumes: Vec<KubeadmVolume>,
}

/// One flag.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KubeadmArg {
    /// Flag name without `--`.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A host path mount.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeadmVolume {
    /// Volume name.
    pub name: String,
    /// Path on the node.
    pub host_path: String,
    /// Path in the container.
    pub mount_path: String,
    /// Read-only mount.
    #[serde(default)]
    pub read_only: bool,
    /// `Directory`, `DirectoryOrCreate`, `File`, ...
    pub path_type: String,
}
