//! Malformed policies: each row names the field and says what is wrong.

use rampart_network::Policy;
use serde_json::json;

use crate::common::try_policy;

const META: &str = "metadata: {name: p, namespace: shop}\n";

#[rustfmt::skip]
const ERRORS: &[(&str, &str, &str)] = &[
    ("prefix too long",
     "spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}, {to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}",
     "spec.egress[1].to[0].ipBlock.cidr: `10.0.0.0/33` is not a CIDR"),
    ("no prefix",
     "spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.1}}]}]}",
     "spec.egress[0].to[0].ipBlock.cidr: `10.0.0.1` is not a CIDR"),
    ("except outside the cidr",
     "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}}]}]}",
     "spec.ingress[0].from[0].ipBlock.except[0]: `10.1.0.0/24` must be a strict subset of `10.0.0.0/16`"),
    ("except equal to the cidr",
     "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}}]}]}",
     "spec.ingress[0].from[0].ipBlock.except[0]: `10.0.0.0/16` must be a strict subset of `10.0.0.0/16`"),
    ("except of the other family",
     "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: ['::/1']}}]}]}",
     "spec.ingress[0].from[0].ipBlock.except[0]: `::/1` must be a strict subset of `10.0.0.0/8`"),
    ("endPort below port",
     "spec: {podSelector: {}, ingress: [{ports: [{port: 8080, endPort: 8000}]}]}",
     "spec.ingress[0].ports[0].endPort: 8000 is below port 8080"),
    ("endPort with a named port",
     "spec: {podSelector: {}, ingress: [{ports: [{port: http, endPort: 8000}]}]}",
     "spec.ingress[0].ports[0].endPort: needs a numeric port, not the named port `http`"),
    ("endPort without port",
     "spec: {podSelector: {}, ingress: [{ports: [{endPort: 8000}]}]}",
     "spec.ingress[0].ports[0].endPort: needs a numeric port"),
    ("port 0",
     "spec: {podSelector: {}, ingress: [{ports: [{port: 0}]}]}",
     "spec.ingress[0].ports[0].port: `0` is not a port (1-65535)"),
    ("port above 65535",
     "spec: {podSelector: {}, ingress: [{ports: [{port: 70000}]}]}",
     "spec.ingress[0].ports[0].port: `70000` is not a port (1-65535)"),
    ("a number as a string is not a port name",
     "spec: {podSelector: {}, ingress: [{ports: [{port: '80'}]}]}",
     "spec.ingress[0].ports[0].port: `80` is not a port name (1-15 lowercase letters, digits and single hyphens, with a letter)"),
    ("upper-case port name",
     "spec: {podSelector: {}, ingress: [{ports: [{port: HTTP}]}]}",
     "spec.ingress[0].ports[0].port: `HTTP` is not a port name (1-15 lowercase letters, digits and single hyphens, with a letter)"),
    ("lower-case protocol",
     "spec: {podSelector: {}, ingress: [{ports: [{protocol: tcp, port: 80}]}]}",
     "spec.ingress[0].ports[0].protocol: `tcp` is not a protocol (TCP, UDP, SCTP)"),
    ("misspelt field",
     "spec: {podSelector: {}, ingress: [{form: [{podSelector: {}}]}]}",
     "spec.ingress[0].form: unknown field"),
    ("ipBlock with a selector",
     "spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}",
     "spec.egress[0].to[0]: ipBlock cannot be combined with podSelector or namespaceSelector"),
    ("empty peer",
     "spec: {podSelector: {}, egress: [{to: [{}]}]}",
     "spec.egress[0].to[0]: needs podSelector, namespaceSelector or ipBlock"),
    ("In without values",
     "spec: {podSelector: {matchExpressions: [{key: app, operator: In}]}}",
     "spec.podSelector.matchExpressions[0].values: must be non-empty for In and NotIn"),
    ("Exists with values",
     "spec: {podSelector: {matchExpressions: [{key: app, operator: Exists, values: [x]}]}}",
     "spec.podSelector.matchExpressions[0].values: must be empty for Exists and DoesNotExist"),
    ("unknown operator",
     "spec: {podSelector: {matchExpressions: [{key: app, operator: Equals, values: [x]}]}}",
     "spec.podSelector.matchExpressions[0].operator: `Equals` is not an operator (In, NotIn, Exists, DoesNotExist)"),
    ("label value not a string",
     "spec: {podSelector: {matchLabels: {replicas: 3}}}",
     "spec.podSelector.matchLabels.replicas: expected a string, found a number"),
    ("unknown policy type",
     "spec: {podSelector: {}, policyTypes: [Ingres]}",
     "spec.policyTypes[0]: `Ingres` is not a policy type (Ingress, Egress)"),
    ("rules not a list",
     "spec: {podSelector: {}, ingress: {from: []}}",
     "spec.ingress: expected a list, found an object"),
];

#[test]
fn malformed_policies_name_the_field() {
    let mut failures = Vec::new();
    for (case, spec, want) in ERRORS {
        match try_policy(&format!("{META}{spec}")) {
            Ok(_) => failures.push(format!("{case}: accepted")),
            Err(got) if got != *want => {
                failures.push(format!("{case}:\n  want {want}\n  got  {got}"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn document_errors() {
    let doc = json!({"apiVersion": "networking.k8s.io/v1beta1", "kind": "NetworkPolicy"});
    assert_eq!(
        Policy::from_value(&doc).unwrap_err(),
        "apiVersion: expected `networking.k8s.io/v1`, found `networking.k8s.io/v1beta1`"
    );
    let doc = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Deployment"});
    assert_eq!(
        Policy::from_value(&doc).unwrap_err(),
        "kind: expected `NetworkPolicy`, found `Deployment`"
    );
    let doc = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {}, "spec": {}});
    assert_eq!(
        Policy::from_value(&doc).unwrap_err(),
        "metadata.name: required"
    );
    assert_eq!(
        Policy::from_value(&json!([])).unwrap_err(),
        "document: expected an object, found a list"
    );
}

#[test]
fn accepted_shapes() {
    // Host bits are masked as the API server accepts them; metadata may carry anything;
    // no namespace is `default`; no podSelector selects every pod.
    let p = try_policy(
        "metadata: {name: p, labels: {a: b}, annotations: {x: y}}
spec: {egress: [{to: [{ipBlock: {cidr: 10.1.2.3/8, except: [10.1.0.0/16]}}]}]}",
    )
    .unwrap();
    assert_eq!(
        (p.id(), p.namespace(), p.name()),
        ("default/p".to_owned(), "default", "p")
    );
    assert!(p.affects_ingress() && p.affects_egress());
}
