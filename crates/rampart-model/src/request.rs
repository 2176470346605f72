//! The namespace request (`apiVersion: rampart.dev/v1alpha1`, `kind: NamespaceRequest`):
//! what a team asks for. Unknown fields are refused so a typo never silently drops a setting.

use crate::secret::AppSecret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The verbs of the Kubernetes resource API (RBAC rules and audit rules use the same set).
pub const API_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// The API version every Rampart input file carries.
pub const API_VERSION: &str = "rampart.dev/v1alpha1";

/// A team's request for one hardened namespace.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceRequest {
    /// Must be [`API_VERSION`].
    pub api_version: String,
    /// Must be `NamespaceRequest`.
    pub kind: String,
    /// Namespace name: an RFC 1123 label, equal to the file name.
    pub name: String,
    /// Owning team: an RFC 1123 label, used as the `rampart.dev/team` label.
    pub team: String,
    /// Free text; written to the `rampart.dev/description` annotation.
    #[serde(default)]
    pub description: Option<String>,
    /// Governance labels set on the Namespace and every workload (e.g. cost-center).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Groups (from the cluster's authenticator) per access role.
    #[serde(default)]
    pub owners: Owners,
    /// The applications that run in the namespace.
    #[serde(default)]
    pub apps: Vec<App>,
    /// ResourceQuota `hard` entries that override the environment's defaults.
    #[serde(default)]
    pub quota: BTreeMap<String, String>,
    /// Container defaults that override the environment's (requests = limits).
    #[serde(default)]
    pub limits: Option<ContainerResources>,
    /// What the team's own GitOps deployments may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitops: Option<crate::gitops::RequestGitOps>,
}

/// Groups bound to the namespace's admin, developer and viewer Roles.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Owners {
    /// Manage workloads (with exec for debugging); like every team role, no Secret reads.
    #[serde(default)]
    pub admins: Vec<String>,
    /// Deploy and debug workloads; no Secret access.
    #[serde(default)]
    pub developers: Vec<String>,
    /// Read-only; no Secret access.
    #[serde(default)]
    pub viewers: Vec<String>,
}

/// One application: its identity, ports, allowed traffic and API permissions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct App {
    /// RFC 1123 label, unique in the request; the `app.kubernetes.io/name` label.
    pub name: String,
    /// Ports the app listens on.
    #[serde(default)]
    pub ports: Vec<Port>,
    /// Who may connect to the app.
    #[serde(default)]
    pub ingress: Vec<IngressRule>,
    /// Where the app may connect to (DNS is always allowed).
    #[serde(default)]
    pub egress: Vec<EgressRule>,
    /// Kubernetes API permissions of the app's ServiceAccount, within the namespace.
    #[serde(default)]
    pub rules: Vec<RoleRule>,
    /// Secrets the app reads, as references into a secrets manager (never values).
    #[serde(default)]
    pub secrets: Vec<AppSecret>,
    /// An optional sample workload (Deployment, Service, PodDisruptionBudget).
    #[serde(default)]
    pub workload: Option<Workload>,
}

/// A declared container port.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Port {
    /// IANA_SVC_NAME: lowercase, at most 15 characters; referenced by rules and probes.
    pub name: String,
    /// 1–65535.
    pub port: u16,
    /// TCP (default), UDP or SCTP.
    #[serde(default)]
    pub protocol: Protocol,
}

/// Transport protocol of a port.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize, Serialize,
)]
pub enum Protocol {
    /// TCP.
    #[default]
    TCP,
    /// UDP.
    UDP,
    /// SCTP.
    SCTP,
}

impl Protocol {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::TCP => "TCP",
            Protocol::UDP => "UDP",
            Protocol::SCTP => "SCTP",
        }
    }
}

/// A port selector in a traffic rule: a declared port name (for app peers) or a number
/// with an optional range end (for namespace and CIDR peers).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortSelector {
    /// A port number, or the name of a port declared by the app on the receiving side.
    pub port: PortValue,
    /// Last port of a range (numeric ports only).
    #[serde(default)]
    pub end_port: Option<u16>,
    /// Defaults to the declared port's protocol, or TCP.
    #[serde(default)]
    pub protocol: Option<Protocol>,
}

/// A port number or a port name.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum PortValue {
    /// A number.
    Number(u16),
    /// A declared port's name.
    Name(String),
}

/// An allowed source of traffic into an app.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressRule {
    /// Another app of this request.
    #[serde(default)]
    pub from_app: Option<String>,
    /// Another namespace (combined with `podLabels` in one peer).
    #[serde(default)]
    pub from_namespace: Option<String>,
    /// Pod labels in `fromNamespace`; empty means every pod there.
    #[serde(default)]
    pub pod_labels: BTreeMap<String, String>,
    /// This app's ports; empty means all of its declared ports.
    #[serde(default)]
    pub ports: Vec<PortSelector>,
}

/// An allowed destination of traffic from an app.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressRule {
    /// Another app of this request.
    #[serde(default)]
    pub to_app: Option<String>,
    /// Another namespace (combined with `podLabels` in one peer).
    #[serde(default)]
    pub to_namespace: Option<String>,
    /// Pod labels in `toNamespace`; empty means every pod there.
    #[serde(default)]
    pub pod_labels: BTreeMap<String, String>,
    /// An IP range outside the cluster, e.g. `10.20.0.0/16`.
    #[serde(default)]
    pub to_cidr: Option<String>,
    /// Sub-ranges of `toCidr` that stay denied.
    #[serde(default)]
    pub except: Vec<String>,
    /// Destination ports; required for namespaces and CIDRs, defaults to the target app's ports.
    #[serde(default)]
    pub ports: Vec<PortSelector>,
    /// Required, with the reason, to allow egress to the whole internet (`0.0.0.0/0`, `::/0`).
    #[serde(default)]
    pub acknowledge_internet_egress: Option<String>,
}

/// One explicit RBAC rule for an app's ServiceAccount.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleRule {
    /// API groups; `""` is the core group.
    pub api_groups: Vec<String>,
    /// Resources (and subresources such as `pods/log`).
    pub resources: Vec<String>,
    /// Verbs.
    pub verbs: Vec<String>,
    /// Restrict the rule to these object names.
    #[serde(default)]
    pub resource_names: Vec<String>,
}

/// The sample workload of an app.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// Image pinned by digest: `registry/repo@sha256:<64 hex>`.
    pub image: String,
    /// At least 2; defaults to the environment's default.
    #[serde(default)]
    pub replicas: Option<u32>,
    /// Requests = limits; defaults to the namespace's container defaults.
    #[serde(default)]
    pub resources: Option<ContainerResources>,
    /// Liveness and readiness probes; default to `/livez` and `/readyz` on the first port.
    #[serde(default)]
    pub probes: Option<Probes>,
}

/// CPU, memory and ephemeral storage for a container (used as both request and limit).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerResources {
    /// e.g. `250m`.
    pub cpu: String,
    /// e.g. `256Mi`.
    pub memory: String,
    /// e.g. `256Mi`.
    pub ephemeral_storage: String,
}

/// Liveness and readiness probes; they must differ.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probes {
    /// Restarts the container when failing.
    pub liveness: Probe,
    /// Removes the pod from Service endpoints when failing.
    pub readiness: Probe,
}

/// An HTTP GET probe on a declared port.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    /// Absolute HTTP path.
    pub path: String,
    /// Name of a declared TCP port.
    pub port: String,
}
