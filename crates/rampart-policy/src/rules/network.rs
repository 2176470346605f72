//! Section 2 (Network Policies): default deny per namespace, pods no allow policy selects, egress to anywhere.

use serde_json::Value;

use super::{NAMESPACE_DEFAULT_DENY, NETPOL_EGRESS_ANYWHERE, POD_NOT_SELECTED_BY_ALLOW};
use crate::facts::{Index, Workload};
use crate::finding::{Finding, NewFile};
use crate::object::{Object, Subject, items, strings};

const ANYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];

/// Checks one NetworkPolicy for egress to any address.
pub(crate) fn check(obj: &Object<'_>, out: &mut Vec<Finding>) {
    if obj.kind != "NetworkPolicy" {
        return;
    }
    let spec = obj.value().get("spec");
    for (i, rule) in items(spec.and_then(|s| s.get("egress"))).iter().enumerate() {
        let to = items(rule.get("to"));
        if to.is_empty() {
            out.push(obj.finding(
                &NETPOL_EGRESS_ANYWHERE,
                &format!("spec.egress[{i}].to"),
                "is empty, which allows egress to every address",
                "list the destinations (pods, namespaces or specific ipBlocks) the pods need",
            ));
            continue;
        }
        for (j, peer) in to.iter().enumerate() {
            let cidr = peer.pointer("/ipBlock/cidr").and_then(Value::as_str);
            if let Some(cidr) = cidr.filter(|c| ANYWHERE.contains(c)) {
                out.push(obj.finding(
                    &NETPOL_EGRESS_ANYWHERE,
                    &format!("spec.egress[{i}].to[{j}].ipBlock.cidr"),
                    &format!("`{cidr}` allows egress to every address"),
                    "restrict egress to the specific external CIDRs and ports the pods need",
                ));
            }
        }
    }
}

/// Whether `policy` denies `direction` (`Ingress` or `Egress`) for every pod of its namespace:
/// it selects all pods, has the policy type, and allows nothing in that direction.
pub(crate) fn denies_all(policy: &Value, direction: &str) -> bool {
    let Some(spec) = policy.get("spec") else {
        return false;
    };
    let selects_all = spec.get("podSelector").is_some_and(|s| {
        s.as_object().is_none_or(|m| {
            m.values().all(|v| match v {
                Value::Object(o) => o.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Null => true,
                _ => false,
            })
        })
    });
    let rules_field = if direction == "Ingress" {
        "ingress"
    } else {
        "egress"
    };
    let types = strings(spec.get("policyTypes"));
    let has_type = if spec.get("policyTypes").is_some() {
        types.contains(&direction)
    } else {
        direction == "Ingress" || spec.get("egress").is_some()
    };
    selects_all && has_type && items(spec.get(rules_field)).is_empty()
}

/// For a Namespace object: a NetworkPolicy in it that denies all ingress and one that
/// denies all egress (one policy may do both), among the policies in `index`.
pub(crate) fn check_default_deny(ns: &Subject, index: &Index, out: &mut Vec<Finding>) {
    let policies = index.namespaces.get(&ns.name);
    let denies = [
        ("Ingress", policies.is_some_and(|p| p.denies_ingress)),
        ("Egress", policies.is_some_and(|p| p.denies_egress)),
    ];
    let missing: Vec<&str> = denies
        .into_iter()
        .filter(|(_, denied)| !denied)
        .map(|(direction, _)| direction)
        .collect();
    if !missing.is_empty() {
        let finding = ns.finding(
            &NAMESPACE_DEFAULT_DENY,
            "metadata.name",
            &format!(
                "no NetworkPolicy in namespace `{}` with `podSelector: {{}}` denies all {}",
                ns.name,
                missing.join(" and ")
            ),
            "add a NetworkPolicy `default-deny-all` with `podSelector: {}` and `policyTypes: [Ingress, Egress]`, then allow what is needed",
        );
        out.push(match default_deny_file(&ns.name) {
            Some(file) => finding.with_new_file(file),
            None => finding,
        });
    }
}

/// The file `--fix` adds beside the Namespace's: `<namespace>-default-deny-all.yaml` with a
/// NetworkPolicy denying all ingress and egress of the namespace (`None` for a name that is
/// no DNS label, which no file should be named after).
fn default_deny_file(namespace: &str) -> Option<NewFile> {
    let label = !namespace.is_empty()
        && namespace.len() <= 63
        && namespace
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !namespace.starts_with('-');
    label.then(|| NewFile {
        name: format!("{namespace}-default-deny-all.yaml"),
        content: format!(
            "# Added by `rampart check --fix`: no traffic in or out of namespace `{namespace}`\n\
             # unless another NetworkPolicy allows it.\n\
             apiVersion: networking.k8s.io/v1\n\
             kind: NetworkPolicy\n\
             metadata:\n  name: default-deny-all\n  namespace: {namespace}\n\
             spec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n"
        ),
    })
}

/// Whether a label selector matches `labels` (an absent or empty selector matches all);
/// an unknown operator matches nothing.
pub(crate) fn selector_matches(selector: Option<&Value>, labels: Option<&Value>) -> bool {
    let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
    let Some(selector) = selector else {
        return true;
    };
    let labels_match = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|m| m.iter().all(|(k, v)| label(k) == v.as_str()));
    labels_match
        && items(selector.get("matchExpressions")).iter().all(|e| {
            let value = label(e.get("key").and_then(Value::as_str).unwrap_or(""));
            let values = strings(e.get("values"));
            match e.get("operator").and_then(Value::as_str) {
                Some("In") => value.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                _ => false,
            }
        })
}

/// Whether a NetworkPolicy allows some traffic: it has an ingress or an egress rule.
pub(crate) fn allows_something(policy: &Value) -> bool {
    let spec = policy.get("spec");
    ["ingress", "egress"]
        .iter()
        .any(|f| !items(spec.and_then(|s| s.get(*f))).is_empty())
}

/// For a Pod or workload in a namespace with NetworkPolicies in `index`: some policy
/// that allows traffic selects its pods; otherwise only a default deny (or nothing) applies.
pub(crate) fn check_allow_policy(
    obj: &Subject,
    pods: &Workload,
    index: &Index,
    out: &mut Vec<Finding>,
) {
    let ns = pods.namespace.as_str();
    let Some(policies) = index.namespaces.get(ns).filter(|p| p.count > 0) else {
        return;
    };
    let labels = pods.labels.as_ref();
    let allowed = policies
        .allow_selectors
        .iter()
        .any(|selector| selector_matches(selector.as_ref(), labels));
    if !allowed {
        out.push(obj.finding(
            &POD_NOT_SELECTED_BY_ALLOW,
            &format!("{}.labels", pods.meta_path),
            &format!(
                "no NetworkPolicy in namespace `{ns}` that allows traffic selects these pods, so only default deny applies and they can neither receive nor send anything"
            ),
            "add a NetworkPolicy whose podSelector matches the pod labels and allows the ingress and egress the application needs",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{ids, run};

    const NS: &str = "kind: Namespace\nmetadata:\n  name: n\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n";

    #[test]
    fn a_namespace_needs_default_deny_in_both_directions() {
        assert_eq!(ids(&run(NS)), ["namespace-default-deny"]);
        let ingress_only = format!(
            "{NS}---\nkind: NetworkPolicy\nmetadata: {{name: d, namespace: n}}\nspec: {{podSelector: {{}}}}\n"
        );
        let f = run(&ingress_only);
        assert_eq!(ids(&f), ["namespace-default-deny"]);
        assert!(
            f[0].message.ends_with("denies all Egress"),
            "{}",
            f[0].message
        );
        let both = format!(
            "{NS}---\nkind: NetworkPolicy\nmetadata: {{name: d, namespace: n}}\nspec: {{podSelector: {{}}, policyTypes: [Ingress, Egress]}}\n"
        );
        assert!(run(&both).is_empty(), "{:?}", run(&both));
    }

    #[test]
    fn egress_to_anywhere() {
        let f = run(
            "kind: NetworkPolicy\nmetadata: {name: e, namespace: n}\nspec:\n  podSelector: {}\n  egress:\n  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n  - ports: [{port: 53}]\n  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n",
        );
        assert_eq!(
            ids(&f),
            ["netpol-egress-anywhere", "netpol-egress-anywhere"]
        );
        assert!(f[0].message.contains("spec.egress[0].to[0].ipBlock.cidr"));
        assert!(f[1].message.contains("spec.egress[1].to"));
    }

    const POD: &str = "kind: Pod\nmetadata: {name: p, namespace: n, labels: {app.kubernetes.io/name: p, tier: web}}\nspec: {}\n---\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: n}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";

    fn allow_rules(f: &[crate::Finding]) -> usize {
        f.iter()
            .filter(|f| f.rule == "pod-not-selected-by-allow-policy")
            .count()
    }

    #[test]
    fn pods_that_only_default_deny_selects() {
        let f = run(POD);
        assert_eq!(allow_rules(&f), 1, "{f:?}");
        let finding = f
            .iter()
            .find(|f| f.rule == "pod-not-selected-by-allow-policy")
            .map(|f| f.message.clone())
            .unwrap_or_default();
        assert!(
            finding.starts_with("Pod/n/p metadata.labels: no NetworkPolicy in namespace `n`"),
            "{finding}"
        );
        let policy = |selector: &str| {
            format!(
                "{POD}---\nkind: NetworkPolicy\nmetadata: {{name: a, namespace: n}}\nspec:\n  podSelector: {selector}\n  ingress: [{{from: [{{podSelector: {{}}}}]}}]\n"
            )
        };
        for (selector, findings) in [
            ("{matchLabels: {app.kubernetes.io/name: p}}", 0),
            ("{matchLabels: {app.kubernetes.io/name: q}}", 1),
            (
                "{matchExpressions: [{key: tier, operator: In, values: [web, db]}]}",
                0,
            ),
            (
                "{matchExpressions: [{key: tier, operator: NotIn, values: [web]}]}",
                1,
            ),
            (
                "{matchExpressions: [{key: x, operator: DoesNotExist}, {key: tier, operator: Exists}]}",
                0,
            ),
            ("{}", 0),
        ] {
            let f = run(&policy(selector));
            assert_eq!(allow_rules(&f), findings, "{selector}: {f:?}");
        }
        // Other namespaces, and namespaces without NetworkPolicies, are not judged.
        let elsewhere = POD.replace("name: deny, namespace: n", "name: deny, namespace: m");
        assert_eq!(allow_rules(&run(&elsewhere)), 0);
    }
}
