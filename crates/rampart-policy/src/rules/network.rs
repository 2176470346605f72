//! Section 2 (Network Policies): default deny per namespace, egress to anywhere.

use serde_json::Value;

use super::{NAMESPACE_DEFAULT_DENY, NETPOL_EGRESS_ANYWHERE};
use crate::finding::Finding;
use crate::object::{Object, items, strings};

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
fn denies_all(policy: &Value, direction: &str) -> bool {
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
/// denies all egress (one policy may do both), among `objects`.
pub(crate) fn check_default_deny(ns: &Object<'_>, objects: &[Object<'_>], out: &mut Vec<Finding>) {
    if ns.kind != "Namespace" {
        return;
    }
    let policies: Vec<&Value> = objects
        .iter()
        .filter(|o| o.kind == "NetworkPolicy" && o.namespace == Some(ns.name))
        .map(|o| o.value())
        .collect();
    let missing: Vec<&str> = ["Ingress", "Egress"]
        .into_iter()
        .filter(|d| !policies.iter().any(|p| denies_all(p, d)))
        .collect();
    if !missing.is_empty() {
        out.push(ns.finding(
            &NAMESPACE_DEFAULT_DENY,
            "metadata.name",
            &format!(
                "no NetworkPolicy in namespace `{}` with `podSelector: {{}}` denies all {}",
                ns.name,
                missing.join(" and ")
            ),
            "add a NetworkPolicy `default-deny-all` with `podSelector: {}` and `policyTypes: [Ingress, Egress]`, then allow what is needed",
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
}
