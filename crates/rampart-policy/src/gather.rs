//! What each object contributes to the [`Index`] and which [`Deferred`] checks it awaits,
//! read with the rules' own readers (pod templates, ServiceAccounts, NetworkPolicies, RBAC).

use rampart_network::Policy;
use serde_json::Value;

use crate::facts::{Deferred, Index, NamespacePolicies, Workload};
use crate::object::Object;
use crate::rules::{network, pods, rbac};

impl Index {
    /// Notes what the cross-object rules need of `obj`; `policy` is its evaluator policy
    /// when it is a valid NetworkPolicy.
    pub fn add(&mut self, obj: &Object<'_>, policy: Option<&Policy>) {
        match obj.kind {
            "ClusterRole" => {
                self.cluster_roles
                    .entry(obj.name.to_owned())
                    .or_insert_with(|| rbac::only_namespaced(obj.value()));
            }
            "NetworkPolicy" => {
                if let Some(ns) = obj.namespace {
                    self.add_policy(ns, obj.value(), policy);
                }
            }
            _ => {
                if let Some(account) = pods::account_use(obj) {
                    self.service_accounts
                        .entry((obj.namespace.map(str::to_owned), account.service_account))
                        .or_default()
                        .insert(account.application);
                }
            }
        }
    }

    fn add_policy(&mut self, namespace: &str, value: &Value, policy: Option<&Policy>) {
        let entry = self
            .namespaces
            .entry(namespace.to_owned())
            .or_insert_with(|| NamespacePolicies::new(namespace));
        entry.count += 1;
        entry.denies_ingress |= network::denies_all(value, "Ingress");
        entry.denies_egress |= network::denies_all(value, "Egress");
        if network::allows_something(value) {
            entry
                .allow_selectors
                .push(value.pointer("/spec/podSelector").cloned());
        }
        entry.network.policies.extend(policy.cloned());
    }
}

impl Deferred {
    /// The cross-object checks `obj` awaits; `None` when there are none.
    pub fn of(obj: &Object<'_>) -> Option<Box<Deferred>> {
        let cluster_role = rbac::bound_cluster_role(obj).map(str::to_owned);
        let account = pods::account_use(obj);
        let namespace = obj.kind == "Namespace";
        let workload = pods::pod_template(obj).and_then(|pod| {
            Some(Workload {
                namespace: obj.namespace?.to_owned(),
                labels: pod.meta.and_then(|m| m.get("labels")).cloned(),
                meta_path: pod.meta_path,
            })
        });
        if cluster_role.is_none() && account.is_none() && !namespace && workload.is_none() {
            return None;
        }
        Some(Box::new(Deferred {
            subject: obj.subject(),
            cluster_role,
            account,
            namespace,
            workload,
        }))
    }
}
