//! The namespace's own settings (team, description, governance labels, quota, container
//! defaults) and the Pod Security changes hardening makes.

use crate::Options;
use crate::apps::Found;
use crate::k8s::{items, kind, name, pod_template, string_map, subject};
use crate::report::Notes;
use crate::select::{Namespaced, at};
use crate::write::PLACEHOLDER;
use rampart_model::request::ContainerResources;
use rampart_model::syntax::is_dns_label;
use rampart_model::{Diagnostics, Environment};
use std::collections::BTreeMap;

/// The request's namespace-level fields.
#[derive(Debug)]
pub struct Metadata {
    /// Owning team.
    pub team: String,
    /// `rampart.dev/description`.
    pub description: Option<String>,
    /// Governance labels.
    pub labels: BTreeMap<String, String>,
    /// Required labels the input does not set (written as [`PLACEHOLDER`]).
    pub placeholders: Vec<String>,
    /// Quota entries that differ from the environment's.
    pub quota: BTreeMap<String, String>,
    /// Container defaults, when they differ from the environment's.
    pub limits: Option<ContainerResources>,
    /// The Namespace's labels today.
    pub namespace_labels: BTreeMap<String, String>,
}

/// Reads the Namespace, ResourceQuota and LimitRange objects.
pub fn metadata(
    ns: &Namespaced,
    options: &Options,
    notes: &mut Notes,
) -> Result<Metadata, Diagnostics> {
    let namespace = ns.namespace.map(|d| &d.value);
    let labels_now = namespace
        .map(|v| string_map(&v["metadata"]["labels"]))
        .unwrap_or_default();
    let annotations = namespace
        .map(|v| string_map(&v["metadata"]["annotations"]))
        .unwrap_or_default();
    let team = match options
        .team
        .map(str::to_owned)
        .or_else(|| labels_now.get("rampart.dev/team").cloned())
    {
        Some(team) if is_dns_label(&team) => team,
        Some(team) => {
            return Err(at(
                ns.namespace,
                &format!("team `{team}` is not an RFC 1123 label"),
                "pass --team TEAM with lowercase letters, digits and `-`",
            ));
        }
        None => {
            return Err(at(
                ns.namespace.or(ns.objects.first().copied()),
                &format!(
                    "namespace `{}` names no owning team (no `rampart.dev/team` label)",
                    ns.name
                ),
                "pass --team TEAM",
            ));
        }
    };
    // A namespace Rampart rendered lists its request's labels; elsewhere the required ones.
    let keys: Vec<String> = match annotations.get("rampart.dev/required-labels") {
        Some(listed) => listed
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect(),
        None => options.required_labels.to_vec(),
    };
    let mut labels = BTreeMap::new();
    let mut placeholders = Vec::new();
    for key in &keys {
        match labels_now.get(key) {
            Some(v) => {
                labels.insert(key.clone(), v.clone());
            }
            None => {
                labels.insert(key.clone(), PLACEHOLDER.to_owned());
                placeholders.push(key.clone());
            }
        }
    }
    for (k, v) in options.labels {
        labels.insert(k.clone(), v.clone());
        placeholders.retain(|p| p != k);
    }
    for key in labels_now
        .keys()
        .filter(|k| !labels.contains_key(*k) && !is_managed_label(k))
    {
        notes.skipped(format!("Namespace/{}", ns.name), format!("label `{key}` is not a governance label of rampart.yaml: not imported (pass --label {key}=VALUE to keep it)"));
    }
    let enforce_now = labels_now
        .get("pod-security.kubernetes.io/enforce")
        .map_or("privileged (none set)", String::as_str);
    if enforce_now != options.env.pod_security.enforce.as_str() {
        notes.hardening(
            format!("Namespace/{}", ns.name),
            format!(
                "Pod Security enforce level {enforce_now} becomes {}",
                options.env.pod_security.enforce
            ),
            "3.1",
        );
    }
    let (quota, limits) = quota_and_limits(ns, options.env, notes);
    Ok(Metadata {
        team,
        description: annotations.get("rampart.dev/description").cloned(),
        labels,
        placeholders,
        quota,
        limits,
        namespace_labels: labels_now,
    })
}

fn is_managed_label(key: &str) -> bool {
    key.starts_with("pod-security.kubernetes.io/")
        || key.starts_with("app.kubernetes.io/")
        || key.starts_with("kubernetes.io/")
        || key == "rampart.dev/team"
}

fn quota_and_limits(
    ns: &Namespaced,
    env: &Environment,
    notes: &mut Notes,
) -> (BTreeMap<String, String>, Option<ContainerResources>) {
    let mut quota = BTreeMap::new();
    let quotas: Vec<_> = ns
        .objects
        .iter()
        .map(|d| &d.value)
        .filter(|v| kind(v) == "ResourceQuota")
        .collect();
    match quotas.as_slice() {
        [] => notes.hardening(
            format!("Namespace/{}", ns.name),
            "gets a ResourceQuota (the environment's defaults)",
            "5.4",
        ),
        [first, rest @ ..] => {
            for (k, v) in string_map(&first["spec"]["hard"]) {
                if env.defaults.quota.get(&k) != Some(&v) {
                    quota.insert(k, v);
                }
            }
            for other in rest {
                notes.skipped(
                    subject(other),
                    "a second ResourceQuota: only the first is imported",
                );
            }
        }
    }
    let ranges: Vec<_> = ns
        .objects
        .iter()
        .map(|d| &d.value)
        .filter(|v| kind(v) == "LimitRange")
        .collect();
    let mut limits = None;
    let container = ranges
        .iter()
        .flat_map(|r| items(&r["spec"]["limits"]))
        .find(|l| l["type"] == "Container");
    match container {
        None => notes.hardening(
            format!("Namespace/{}", ns.name),
            "gets container default requests = limits (LimitRange)",
            "5.4",
        ),
        Some(l) => {
            let get = |k: &str| l["default"][k].as_str().map(str::to_owned);
            if let (Some(cpu), Some(memory), Some(ephemeral_storage)) =
                (get("cpu"), get("memory"), get("ephemeral-storage"))
            {
                let found = ContainerResources {
                    cpu,
                    memory,
                    ephemeral_storage,
                };
                if found != env.defaults.limits {
                    limits = Some(found);
                }
            } else {
                notes.skipped(format!("LimitRange/{}", ranges.first().map_or("", |r| name(r))), "container defaults without cpu, memory and ephemeral-storage: the environment's apply");
            }
        }
    }
    (quota, limits)
}

/// Pod Security changes of the apps' workloads (checklist section 3) and ServiceAccount
/// tokens no longer mounted.
pub fn hardening(_ns: &Namespaced, apps: &[Found], _env: &Environment, notes: &mut Notes) {
    for app in apps {
        let Some(w) = app.workload else { continue };
        let Some(t) = pod_template(w) else { continue };
        let spec = &t["spec"];
        let who = subject(w);
        if spec["automountServiceAccountToken"] != false {
            notes.hardening(&who, "ServiceAccount token no longer automounted", "1.3");
        }
        for c in items(&spec["containers"]) {
            let sc = &c["securityContext"];
            let pod = &spec["securityContext"];
            let cname = c["name"].as_str().unwrap_or_default();
            if sc["runAsNonRoot"] != true && pod["runAsNonRoot"] != true {
                notes.hardening(
                    &who,
                    format!("container `{cname}`: runAsNonRoot added (runs as UID 10001)"),
                    "3.3",
                );
            }
            if sc["readOnlyRootFilesystem"] != true {
                notes.hardening(
                    &who,
                    format!(
                        "container `{cname}`: readOnlyRootFilesystem added (writable /tmp only)"
                    ),
                    "3.4",
                );
            }
            let drops_all = items(&sc["capabilities"]["drop"]).any(|d| d == "ALL");
            if !drops_all || items(&sc["capabilities"]["add"]).next().is_some() {
                notes.hardening(
                    &who,
                    format!("container `{cname}`: all capabilities dropped"),
                    "3.5",
                );
            }
            if sc["allowPrivilegeEscalation"] != false {
                notes.hardening(
                    &who,
                    format!("container `{cname}`: allowPrivilegeEscalation: false added"),
                    "3.6",
                );
            }
            if sc["seccompProfile"]["type"].is_null() && pod["seccompProfile"]["type"].is_null() {
                notes.hardening(
                    &who,
                    format!("container `{cname}`: seccompProfile RuntimeDefault added"),
                    "3.7",
                );
            }
        }
    }
}
