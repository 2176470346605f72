//! Section 2 judged by the NetworkPolicy evaluator (`rampart-network`, the one every render
//! proves its policies with): pods no policy isolates, and policies that let every
//! namespace in, however the selectors are written.

use rampart_network::{Labels, Namespace, Party, Pod, Policy};
use serde_json::Value;

use super::{NETPOL_EVERY_NAMESPACE, POD_NOT_ISOLATED};
use crate::facts::{Index, Workload, network};
use crate::finding::Finding;
use crate::object::{Object, Subject};

/// Stands for a namespace no selector names (not a valid namespace name, so never a real one).
const STRANGER: &str = "*";

fn labels_of(value: Option<&Value>) -> Labels {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The evaluator's policy; a document without `apiVersion` (as `check` accepts fragments) is
/// read as `networking.k8s.io/v1`. `None` for what the API server would refuse.
pub(crate) fn parse_policy(doc: &Value) -> Option<Policy> {
    if doc.get("apiVersion").is_some() {
        return Policy::from_value(doc).ok();
    }
    let mut doc = doc.clone();
    doc["apiVersion"] = Value::from("networking.k8s.io/v1");
    Policy::from_value(&doc).ok()
}

/// For a Pod or workload in a namespace with NetworkPolicies in `index`: some policy
/// isolates its pods for ingress and some for egress (else they are open in that direction).
pub(crate) fn check_isolated(
    obj: &Subject,
    pods: &Workload,
    index: &Index,
    out: &mut Vec<Finding>,
) {
    let ns = pods.namespace.as_str();
    let Some(net) = index
        .namespaces
        .get(ns)
        .map(|p| &p.network)
        .filter(|net| !net.policies.is_empty())
    else {
        return;
    };
    let pod = Pod {
        namespace: ns.to_owned(),
        name: obj.name.clone(),
        labels: labels_of(pods.labels.as_ref()),
        ports: Vec::new(),
    };
    let (ingress, egress) = net.isolation(&pod);
    let open: Vec<&str> = [(ingress, "ingress"), (egress, "egress")]
        .into_iter()
        .filter(|(isolated, _)| !isolated)
        .map(|(_, direction)| direction)
        .collect();
    if open.is_empty() {
        return;
    }
    out.push(obj.finding(
        &POD_NOT_ISOLATED,
        &format!("{}.labels", pods.meta_path),
        &format!(
            "no NetworkPolicy in namespace `{ns}` selects these pods for {}, so all {} traffic is allowed",
            open.join(" and "),
            open.join(" and ")
        ),
        "add a default-deny NetworkPolicy (`podSelector: {}`, `policyTypes: [Ingress, Egress]`) or make a policy's podSelector match these pods",
    ));
}

/// For a NetworkPolicy (`policy`: the evaluator's reading of it, `None` when the API server
/// would refuse it): whether a pod of a namespace none of its selectors names can reach the
/// pods it selects.
pub(crate) fn check_every_namespace(
    obj: &Object<'_>,
    policy: Option<&Policy>,
    out: &mut Vec<Finding>,
) {
    if obj.kind != "NetworkPolicy" {
        return;
    }
    let Some(policy) = policy else {
        return; // not a valid NetworkPolicy: the API server would refuse it
    };
    if !policy.affects_ingress() {
        return; // the pods stay open or closed to ingress whatever this policy says
    }
    let Some(labels) = policy.example_pod_labels() else {
        return; // its pod selector admits no pod
    };
    let ns = policy.namespace().to_owned();
    let selected = Pod {
        namespace: ns.clone(),
        name: "selected".to_owned(),
        labels,
        ports: Vec::new(),
    };
    let stranger = Pod {
        namespace: STRANGER.to_owned(),
        name: STRANGER.to_owned(),
        labels: Labels::new(),
        ports: Vec::new(),
    };
    let mut net = network(&ns, vec![policy.clone()], vec![selected, stranger]);
    net.namespaces.push(Namespace {
        name: STRANGER.to_owned(),
        labels: Labels::new(),
    });
    let from = Party::Pod {
        namespace: STRANGER.to_owned(),
        name: STRANGER.to_owned(),
    };
    let flows = net.flows().flows();
    let Some(flow) = flows.iter().find(|f| {
        f.from == from && matches!(&f.to, Party::Pod { namespace, .. } if *namespace == ns)
    }) else {
        return;
    };
    out.push(obj.finding(
        &NETPOL_EVERY_NAMESPACE,
        "spec.ingress",
        &format!(
            "lets pods of every namespace reach the pods it selects ({})",
            flow.ports
        ),
        "name the source namespaces (namespaceSelector on kubernetes.io/metadata.name) and their pods (podSelector in the same peer)",
    ));
}

#[cfg(test)]
mod tests {
    use crate::tests::{ids, run};

    const POLICY: &str = "kind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress, Egress]\n";

    #[test]
    fn ingress_from_every_namespace_however_written() {
        for rule in [
            "  ingress: [{from: [{namespaceSelector: {}}]}]\n",
            "  ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: team, operator: DoesNotExist}]}}]}]\n",
            "  ingress: [{ports: [{port: 8080}]}]\n",
        ] {
            let f = run(&format!("{POLICY}{rule}"));
            assert_eq!(ids(&f), ["netpol-ingress-every-namespace"], "{rule}");
            assert!(f[0].message.contains("every namespace"), "{}", f[0].message);
        }
        let by_expression = "kind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec:\n  podSelector: {matchExpressions: [{key: app, operator: In, values: [api]}]}\n  ingress: [{from: [{namespaceSelector: {}}]}]\n";
        assert_eq!(ids(&run(by_expression)), ["netpol-ingress-every-namespace"]);
        let by_expression_one_namespace = by_expression.replace(
            "namespaceSelector: {}",
            "namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}",
        );
        assert!(run(&by_expression_one_namespace).is_empty());
        let one_namespace = "  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]}]\n";
        assert!(run(&format!("{POLICY}{one_namespace}")).is_empty());
        let own_pods = "  ingress: [{from: [{podSelector: {}}]}]\n";
        assert!(run(&format!("{POLICY}{own_pods}")).is_empty());
        // Egress only (as `allow-dns`): ingress is not this policy's business.
        let egress_only = "kind: NetworkPolicy\nmetadata: {name: dns, namespace: n}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: 53, protocol: UDP}]}]\n";
        assert!(!ids(&run(egress_only)).contains(&"netpol-ingress-every-namespace"));
    }

    #[test]
    fn a_pod_no_policy_isolates_for_egress() {
        let deploy = "---\nkind: Deployment\nmetadata: {name: api, namespace: n}\nspec:\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: []}\n";
        let ingress_only = "kind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec:\n  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]\n";
        let f = run(&format!("{ingress_only}{deploy}"));
        let isolation: Vec<_> = f.iter().filter(|f| f.rule == "pod-not-isolated").collect();
        assert_eq!(isolation.len(), 1, "{f:?}");
        assert!(
            isolation[0].message.contains("for egress"),
            "{}",
            isolation[0].message
        );
        let both = "kind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n";
        let f = run(&format!("{both}{deploy}"));
        assert!(!ids(&f).contains(&"pod-not-isolated"), "{f:?}");
    }
}
