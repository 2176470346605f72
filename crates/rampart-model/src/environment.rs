//! Per-environment values (`environments/<env>.yaml`, `kind: Environment`).

pub mod secret_stores;

use crate::cluster::ClusterSettings;
use crate::request::ContainerResources;
use secret_stores::SecretStores;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Values that differ between dev, staging and prod.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Environment {
    /// Must be `rampart.dev/v1alpha1`.
    pub api_version: String,
    /// Must be `Environment`.
    pub kind: String,
    /// Equal to the file name.
    pub name: String,
    /// The cluster's Kubernetes minor version, e.g. `"1.34"`; output is validated against it.
    pub kubernetes_version: String,
    /// Pod Security Admission labels of every namespace.
    pub pod_security: PodSecurity,
    /// Defaults a request may override.
    pub defaults: Defaults,
    /// Image prefixes workloads may use; each ends with `/`.
    pub allowed_registries: Vec<String>,
    /// Secrets managers that requests' `secrets` read from (none by default).
    #[serde(default)]
    pub secret_stores: SecretStores,
    /// Where cluster DNS runs, for the DNS egress exception.
    pub dns: Dns,
    /// Control-plane and runtime-detection settings for `clusters/<env>/cluster/`.
    #[serde(default)]
    pub cluster: ClusterSettings,
    /// The rotation service's namespace in this cluster (with `service:` in rampart.yaml).
    #[serde(default)]
    pub service: crate::service::EnvironmentService,
    /// The cluster's CNI, for the NetworkPolicy drop alerts (checklist 2.5).
    #[serde(default)]
    pub network_policy: NetworkPolicySettings,
    /// Render a probe Job per app that tests the NetworkPolicies in the cluster
    /// (checklist 2.6: test network policies in staging before production).
    #[serde(default)]
    pub network_tests: bool,
    /// Where `secretStores.vault.rotator.auth` is written (`environments/prod.yaml:31`), for
    /// messages about the rotator's login: set when the file is parsed, not a field of it.
    #[serde(skip)]
    pub rotator_auth_at: Option<String>,
    /// `offboarding.deleteNamespace` of rampart.yaml, set when the environment is loaded:
    /// false (the default) renders every Namespace protected from the controller's pruning.
    #[serde(skip)]
    pub namespace_deletable: bool,
    /// The rotation service's namespace when `service:` of rampart.yaml is enabled, set
    /// when the environment is loaded: every namespace then lets the service's
    /// ServiceAccount read its ExternalSecrets and workloads (to follow its pins until live).
    #[serde(skip)]
    pub status_reader: Option<String>,
}

/// `networkPolicy:` of an environment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicySettings {
    /// The CNI that enforces NetworkPolicies; `none` (the default) renders no drop alerts.
    #[serde(default)]
    pub cni: Cni,
}

/// A CNI whose policy-drop metrics Rampart knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cni {
    /// Cilium (Hubble's drop metrics and flow export).
    Cilium,
    /// Calico (Felix's denied-packet metrics).
    Calico,
    /// Unknown or not monitored: no alerts are rendered.
    #[default]
    None,
}

/// Pod Security Admission levels; `enforce` is pinned to a version, audit and warn track `latest`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSecurity {
    /// `baseline` or `restricted` (`privileged` is refused).
    pub enforce: String,
    /// `vX.Y`, normally the cluster's minor version.
    pub enforce_version: String,
    /// Level reported in the audit log.
    pub audit: String,
    /// Level reported to the client as a warning.
    pub warn: String,
}

/// Environment-wide defaults.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// ResourceQuota `hard` entries.
    pub quota: BTreeMap<String, String>,
    /// LimitRange container default (request = limit).
    pub limits: ContainerResources,
    /// Replicas of a sample workload (at least 2).
    pub replicas: u32,
}

/// Cluster DNS location.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dns {
    /// Namespace of the DNS pods, matched by `kubernetes.io/metadata.name`.
    pub namespace: String,
    /// Labels of the DNS pods (CoreDNS keeps `k8s-app: kube-dns`).
    pub pod_labels: BTreeMap<String, String>,
    /// NodeLocal DNSCache link-local address (hostNetwork: selectors cannot match it).
    #[serde(default)]
    pub node_local_dns_cache: Option<String>,
}
