//! What the cross-object rules need of the objects, kept instead of the documents: the
//! [`Index`] of every object (gathered batch by batch, merged in input order) and each
//! object's [`Deferred`] checks (judged against the index once every batch is in).

use std::collections::{BTreeSet, HashMap};

use rampart_network::{Labels, Namespace, Network, Pod, Policy};
use serde_json::Value;

use crate::object::Subject;

/// What the cross-object rules look up about all objects.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// For each ClusterRole name (the first object of that name): whether it grants only
    /// namespaced resources.
    pub cluster_roles: HashMap<String, bool>,
    /// The applications whose pods run as a ServiceAccount, by (namespace, ServiceAccount).
    pub service_accounts: HashMap<(Option<String>, String), BTreeSet<String>>,
    /// The NetworkPolicies of each namespace.
    pub namespaces: HashMap<String, NamespacePolicies>,
}

/// The NetworkPolicies of one namespace, as the rules read them.
#[derive(Debug)]
pub(crate) struct NamespacePolicies {
    /// How many there are.
    pub count: usize,
    /// Whether one denies all ingress for every pod.
    pub denies_ingress: bool,
    /// Whether one denies all egress for every pod.
    pub denies_egress: bool,
    /// The pod selector of each policy that allows some traffic (`None`: absent).
    pub allow_selectors: Vec<Option<Value>>,
    /// The valid ones, for the evaluator.
    pub network: Network,
}

impl NamespacePolicies {
    pub(crate) fn new(namespace: &str) -> Self {
        NamespacePolicies {
            count: 0,
            denies_ingress: false,
            denies_egress: false,
            allow_selectors: Vec::new(),
            network: network(namespace, Vec::new(), Vec::new()),
        }
    }

    fn merge(&mut self, other: NamespacePolicies) {
        self.count += other.count;
        self.denies_ingress |= other.denies_ingress;
        self.denies_egress |= other.denies_egress;
        self.allow_selectors.extend(other.allow_selectors);
        self.network.policies.extend(other.network.policies);
    }
}

impl Index {
    /// Adds what a later batch found: for a ClusterRole name defined in both, this one's
    /// (the earlier) stays. The smaller index is merged into the larger.
    pub fn merge(&mut self, later: Index) {
        if later.len() > self.len() {
            let earlier = std::mem::replace(self, later);
            self.absorb(earlier, true);
        } else {
            self.absorb(later, false);
        }
    }

    fn len(&self) -> usize {
        self.cluster_roles.len() + self.service_accounts.len() + self.namespaces.len()
    }

    /// Adds `other`'s entries; `other_is_earlier` decides whose ClusterRole of a name stays.
    /// (The rest does not depend on the order: sets, counts and any-of lists.)
    fn absorb(&mut self, other: Index, other_is_earlier: bool) {
        for (name, only_namespaced) in other.cluster_roles {
            if other_is_earlier {
                self.cluster_roles.insert(name, only_namespaced);
            } else {
                self.cluster_roles.entry(name).or_insert(only_namespaced);
            }
        }
        for (key, applications) in other.service_accounts {
            self.service_accounts
                .entry(key)
                .or_default()
                .extend(applications);
        }
        for (name, policies) in other.namespaces {
            match self.namespaces.get_mut(&name) {
                Some(entry) => entry.merge(policies),
                None => {
                    self.namespaces.insert(name, policies);
                }
            }
        }
    }
}

/// A ServiceAccount other than `default` that a workload's pods run as, and the
/// workload's application.
#[derive(Debug)]
pub(crate) struct AccountUse {
    pub service_account: String,
    pub application: String,
    /// Path of the pod spec, e.g. `spec.template.spec`.
    pub spec_path: &'static str,
}

/// The pods of a workload in a namespace, as the NetworkPolicy rules see them.
#[derive(Debug)]
pub(crate) struct Workload {
    pub namespace: String,
    /// The pod template's `metadata.labels`, if any.
    pub labels: Option<Value>,
    /// Path of the pod's metadata, e.g. `spec.template.metadata`.
    pub meta_path: &'static str,
}

/// The cross-object checks one object awaits, with what they need of it.
#[derive(Debug)]
pub(crate) struct Deferred {
    pub subject: Subject,
    /// For a ClusterRoleBinding of a ClusterRole: the role's name.
    pub cluster_role: Option<String>,
    /// For a workload with its own ServiceAccount.
    pub account: Option<AccountUse>,
    /// Whether the object is a Namespace.
    pub namespace: bool,
    /// For a workload in a namespace.
    pub workload: Option<Workload>,
}

/// The evaluator's network of the one namespace `namespace`, with `policies` and `pods`.
pub(crate) fn network(namespace: &str, policies: Vec<Policy>, pods: Vec<Pod>) -> Network {
    Network {
        namespaces: vec![Namespace {
            name: namespace.to_owned(),
            labels: Labels::new(),
        }],
        pods,
        policies,
    }
}
