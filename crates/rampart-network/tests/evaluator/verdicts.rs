//! The subtle cases of NetworkPolicy semantics, one row each, with the exact verdict.
//!
//! Semantics from <https://kubernetes.io/docs/concepts/services-networking/network-policies/>
//! and the NetworkPolicy API reference.

use std::net::IpAddr;

use rampart_network::{Endpoint, Protocol, Side};

use crate::common::{find, policy, world};

const DENY_INGRESS: &str = "
metadata: {name: deny-ingress, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}";

const DENY_EGRESS: &str = "
metadata: {name: deny-egress, namespace: shop}
spec: {podSelector: {}, policyTypes: [Egress]}";

/// `ingress: []` and no policyTypes: isolated for ingress, nothing allowed.
const EMPTY_INGRESS: &str = "
metadata: {name: empty-ingress, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, ingress: []}";

/// `egress: []` and no policyTypes: defaulted to Ingress only (no egress *rules*), so the
/// pod is isolated for ingress (no ingress rules) and not for egress.
const EMPTY_EGRESS_NO_TYPES: &str = "
metadata: {name: empty-egress, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, egress: []}";

/// Egress rules and no policyTypes: Ingress and Egress.
const EGRESS_RULES_NO_TYPES: &str = "
metadata: {name: api-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]";

/// Ingress rules present but policyTypes only Egress: the ingress rules are ignored.
const EGRESS_TYPE_ONLY: &str = "
metadata: {name: egress-only, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]";

const DB_FROM_API: &str = "
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 5432}]}]";

const DB_FROM_WEB: &str = "
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]";

const DB_FROM_BACKEND: &str = "
metadata: {name: db-from-backend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {tier: backend}}}]}]";

const DB_FROM_BILLING_NS: &str = "
metadata: {name: db-from-billing, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: billing}}}]}]";

/// One peer with both selectors: an AND.
const DB_FROM_BILLING_API: &str = "
metadata: {name: db-from-billing-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: billing}}
      podSelector: {matchLabels: {app: api}}";

/// Two peers: an OR.
const DB_FROM_BILLING_OR_API: &str = "
metadata: {name: db-from-billing-or-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: billing}}
    - podSelector: {matchLabels: {app: api}}";

const DB_FROM_NAMED_NS: &str = "
metadata: {name: db-from-monitoring, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]";

const DB_FROM_ALL_NS: &str = "
metadata: {name: db-from-all-namespaces, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{namespaceSelector: {}}]}]";

const DB_FROM_NOT_WEB: &str = "
metadata: {name: db-from-not-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector:
        matchExpressions: [{key: app, operator: NotIn, values: [web]}]";

const DB_FROM_UNLABELLED: &str = "
metadata: {name: db-from-unlabelled, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchExpressions: [{key: app, operator: DoesNotExist}]}}]";

const DB_FROM_TIERED_PROD: &str = "
metadata: {name: db-from-tiered-or-prod, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: app, operator: In, values: [db, cache]}]
  ingress:
  - from:
    - podSelector: {matchExpressions: [{key: tier, operator: Exists}]}
    - namespaceSelector: {matchExpressions: [{key: env, operator: In, values: [prod]}]}";

/// No `from`: every source, outside addresses included; only port 5432.
const DB_ANY_SOURCE_5432: &str = "
metadata: {name: db-any-source, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{ports: [{port: 5432}]}]";

/// `from: []` is the same as no `from`.
const DB_EMPTY_FROM: &str = "
metadata: {name: db-empty-from, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [], ports: [{port: 5432}]}]";

const DB_ANY_UDP: &str = "
metadata: {name: db-any-udp, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{ports: [{protocol: UDP}]}]";

/// Port without protocol: TCP.
const DB_PORT_53: &str = "
metadata: {name: db-port-53, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{ports: [{port: 53}]}]";

/// Named ingress port: resolved against the selected (destination) pod.
const DB_NAMED_INGRESS: &str = "
metadata: {name: db-named, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{ports: [{port: postgres}]}]";

/// Named egress port: resolved against the peer (destination) pod.
const API_NAMED_EGRESS: &str = "
metadata: {name: api-named-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress: [{ports: [{port: postgres}]}]";

const API_RANGE_EGRESS: &str = "
metadata: {name: api-range, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress: [{ports: [{port: 8000, endPort: 8080}]}]";

const API_TO_PRIVATE: &str = "
metadata: {name: api-to-private, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]";

const API_TO_INTERNET: &str = "
metadata: {name: api-to-internet, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]";

const API_TO_V6: &str = "
metadata: {name: api-to-v6, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: '::/0', except: ['2001:db8::/32']}}], ports: [{port: 443}]}]";

const API_TO_ANY_HTTPS: &str = "
metadata: {name: api-to-any-https, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress: [{ports: [{port: https}]}]";

const BILLING_DENY_ALL: &str = "
metadata: {name: deny-all, namespace: billing}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}";

/// One row: policies, a connection, and the exact verdict.
struct Case {
    name: &'static str,
    policies: &'static [&'static str],
    /// `namespace/pod` or an IP address.
    from: &'static str,
    to: &'static str,
    port: u16,
    protocol: Protocol,
    allowed: bool,
    /// `unrestricted`, `allowed: id, id` or `denied: id, id`.
    egress: &'static str,
    ingress: &'static str,
}

use Protocol::{TCP, UDP};

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { name: "no policy: everything allowed", policies: &[],
        from: "shop/web", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "unrestricted" },
    Case { name: "podSelector {} with policyTypes [Ingress] isolates every pod of the namespace", policies: &[DENY_INGRESS],
        from: "shop/web", to: "shop/api", port: 8080, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/deny-ingress" },
    Case { name: "a deny-all in shop does not touch billing's pods", policies: &[DENY_INGRESS],
        from: "shop/web", to: "billing/api", port: 9090, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "unrestricted" },
    Case { name: "deny egress: egress denied although ingress is open", policies: &[DENY_EGRESS],
        from: "shop/web", to: "billing/api", port: 9090, protocol: TCP, allowed: false,
        egress: "denied: shop/deny-egress", ingress: "unrestricted" },
    Case { name: "ingress: [] without policyTypes isolates ingress", policies: &[EMPTY_INGRESS],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/empty-ingress" },
    Case { name: "egress: [] without policyTypes defaults to Ingress only: ingress isolated", policies: &[EMPTY_EGRESS_NO_TYPES],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/empty-egress" },
    Case { name: "egress: [] without policyTypes defaults to Ingress only: egress open", policies: &[EMPTY_EGRESS_NO_TYPES],
        from: "shop/db", to: "203.0.113.9", port: 443, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "unrestricted" },
    Case { name: "egress rules without policyTypes: Egress too, other destinations denied", policies: &[EGRESS_RULES_NO_TYPES],
        from: "shop/api", to: "shop/web", port: 80, protocol: TCP, allowed: false,
        egress: "denied: shop/api-egress", ingress: "unrestricted" },
    Case { name: "egress rules without policyTypes: Ingress too, nothing may reach the pod", policies: &[EGRESS_RULES_NO_TYPES],
        from: "shop/web", to: "shop/api", port: 8080, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/api-egress" },
    Case { name: "egress rules without policyTypes: the allowed destination", policies: &[EGRESS_RULES_NO_TYPES],
        from: "shop/api", to: "shop/db", port: 1, protocol: UDP, allowed: true,
        egress: "allowed: shop/api-egress", ingress: "unrestricted" },
    Case { name: "policyTypes [Egress]: ingress rules are ignored, ingress not isolated", policies: &[EGRESS_TYPE_ONLY],
        from: "shop/web", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "unrestricted" },
    Case { name: "podSelector-only peer: the policy's own namespace", policies: &[DB_FROM_API],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-api" },
    Case { name: "podSelector-only peer: a matching pod of another namespace is not a peer", policies: &[DB_FROM_API],
        from: "billing/api", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-api" },
    Case { name: "namespaceSelector-only peer: every pod of matching namespaces", policies: &[DB_FROM_BILLING_NS],
        from: "billing/worker", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-billing" },
    Case { name: "namespaceSelector-only peer: not the policy's own namespace", policies: &[DB_FROM_BILLING_NS],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-billing" },
    Case { name: "namespaceSelector AND podSelector in one peer: both match", policies: &[DB_FROM_BILLING_API],
        from: "billing/api", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-billing-api" },
    Case { name: "namespaceSelector AND podSelector: right namespace, wrong pod", policies: &[DB_FROM_BILLING_API],
        from: "billing/worker", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-billing-api" },
    Case { name: "namespaceSelector AND podSelector: right pod, wrong namespace", policies: &[DB_FROM_BILLING_API],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-billing-api" },
    Case { name: "two peers are an OR: the namespace one", policies: &[DB_FROM_BILLING_OR_API],
        from: "billing/worker", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-billing-or-api" },
    Case { name: "two peers are an OR: the pod one", policies: &[DB_FROM_BILLING_OR_API],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-billing-or-api" },
    Case { name: "two peers are an OR: neither", policies: &[DB_FROM_BILLING_OR_API],
        from: "monitoring/prom", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-billing-or-api" },
    Case { name: "kubernetes.io/metadata.name is a label of every namespace", policies: &[DB_FROM_NAMED_NS],
        from: "monitoring/prom", to: "shop/db", port: 9187, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-monitoring" },
    Case { name: "namespaceSelector {}: every namespace", policies: &[DB_FROM_ALL_NS],
        from: "billing/worker", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-all-namespaces" },
    Case { name: "namespaceSelector {}: no outside address", policies: &[DB_FROM_ALL_NS],
        from: "203.0.113.9", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-all-namespaces" },
    Case { name: "NotIn matches a pod without the key", policies: &[DB_FROM_NOT_WEB],
        from: "shop/job", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-not-web" },
    Case { name: "NotIn excludes the listed value", policies: &[DB_FROM_NOT_WEB],
        from: "shop/web", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-not-web" },
    Case { name: "DoesNotExist: the unlabelled pod only", policies: &[DB_FROM_UNLABELLED],
        from: "shop/job", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-unlabelled" },
    Case { name: "DoesNotExist: a labelled pod is not matched", policies: &[DB_FROM_UNLABELLED],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-unlabelled" },
    Case { name: "Exists on pods, In on namespaces, In in the policy's podSelector", policies: &[DB_FROM_TIERED_PROD],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-tiered-or-prod" },
    Case { name: "In on namespace labels", policies: &[DB_FROM_TIERED_PROD],
        from: "billing/worker", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-tiered-or-prod" },
    Case { name: "Exists: a pod without the key is not matched", policies: &[DB_FROM_TIERED_PROD],
        from: "shop/web", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-tiered-or-prod" },
    Case { name: "no from: outside addresses too", policies: &[DB_ANY_SOURCE_5432],
        from: "203.0.113.9", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-any-source" },
    Case { name: "no from: but only the listed port", policies: &[DB_ANY_SOURCE_5432],
        from: "billing/worker", to: "shop/db", port: 5433, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-any-source" },
    Case { name: "from: [] is the same as no from", policies: &[DB_EMPTY_FROM],
        from: "2001:db8::1", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-empty-from" },
    Case { name: "no ports: every port and protocol", policies: &[DB_FROM_WEB],
        from: "shop/web", to: "shop/db", port: 60000, protocol: UDP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-web" },
    Case { name: "a port entry with only a protocol: every port of it", policies: &[DB_ANY_UDP],
        from: "shop/web", to: "shop/db", port: 5353, protocol: UDP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-any-udp" },
    Case { name: "a port entry with only a protocol: no other protocol", policies: &[DB_ANY_UDP],
        from: "shop/web", to: "shop/db", port: 5353, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-any-udp" },
    Case { name: "protocol defaults to TCP", policies: &[DB_PORT_53],
        from: "shop/web", to: "shop/db", port: 53, protocol: UDP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-port-53" },
    Case { name: "named ingress port resolves against the selected pod", policies: &[DB_NAMED_INGRESS],
        from: "shop/web", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-named" },
    Case { name: "named ingress port: another number is not it", policies: &[DB_NAMED_INGRESS],
        from: "shop/web", to: "shop/db", port: 9187, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-named" },
    Case { name: "named egress port resolves against the destination pod", policies: &[API_NAMED_EGRESS],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "allowed: shop/api-named-egress", ingress: "unrestricted" },
    Case { name: "named egress port: a destination without that name", policies: &[API_NAMED_EGRESS],
        from: "shop/api", to: "shop/web", port: 5432, protocol: TCP, allowed: false,
        egress: "denied: shop/api-named-egress", ingress: "unrestricted" },
    Case { name: "a named port never matches an outside address", policies: &[API_TO_ANY_HTTPS],
        from: "shop/api", to: "203.0.113.9", port: 443, protocol: TCP, allowed: false,
        egress: "denied: shop/api-to-any-https", ingress: "unrestricted" },
    Case { name: "endPort: the last port of the range", policies: &[API_RANGE_EGRESS],
        from: "shop/api", to: "shop/web", port: 8080, protocol: TCP, allowed: true,
        egress: "allowed: shop/api-range", ingress: "unrestricted" },
    Case { name: "endPort: one past the range", policies: &[API_RANGE_EGRESS],
        from: "shop/api", to: "shop/web", port: 8081, protocol: TCP, allowed: false,
        egress: "denied: shop/api-range", ingress: "unrestricted" },
    Case { name: "endPort: one before the range", policies: &[API_RANGE_EGRESS],
        from: "shop/api", to: "203.0.113.9", port: 7999, protocol: TCP, allowed: false,
        egress: "denied: shop/api-range", ingress: "unrestricted" },
    Case { name: "ipBlock: an address in the cidr", policies: &[API_TO_PRIVATE],
        from: "shop/api", to: "10.2.3.4", port: 443, protocol: TCP, allowed: true,
        egress: "allowed: shop/api-to-private", ingress: "unrestricted" },
    Case { name: "ipBlock: an address in except", policies: &[API_TO_PRIVATE],
        from: "shop/api", to: "10.1.2.3", port: 443, protocol: TCP, allowed: false,
        egress: "denied: shop/api-to-private", ingress: "unrestricted" },
    Case { name: "ipBlock 0.0.0.0/0 does not match pods", policies: &[API_TO_INTERNET],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "denied: shop/api-to-internet", ingress: "unrestricted" },
    Case { name: "ipBlock 0.0.0.0/0 does not match IPv6", policies: &[API_TO_INTERNET],
        from: "shop/api", to: "2001:db9::1", port: 443, protocol: TCP, allowed: false,
        egress: "denied: shop/api-to-internet", ingress: "unrestricted" },
    Case { name: "IPv6 ipBlock: outside the except", policies: &[API_TO_V6],
        from: "shop/api", to: "2001:db9::1", port: 443, protocol: TCP, allowed: true,
        egress: "allowed: shop/api-to-v6", ingress: "unrestricted" },
    Case { name: "IPv6 ipBlock: inside the except", policies: &[API_TO_V6],
        from: "shop/api", to: "2001:db8:ffff::1", port: 443, protocol: TCP, allowed: false,
        egress: "denied: shop/api-to-v6", ingress: "unrestricted" },
    Case { name: "several policies add up; only the one whose rule matches is named", policies: &[DB_FROM_API, DB_FROM_WEB],
        from: "shop/web", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-web" },
    Case { name: "several policies: every allowing one is named", policies: &[DB_FROM_API, DB_FROM_BACKEND, DB_FROM_WEB],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-api, shop/db-from-backend" },
    Case { name: "several policies: denied names every isolating one", policies: &[DB_FROM_API, DB_FROM_WEB, DENY_INGRESS],
        from: "billing/api", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "unrestricted", ingress: "denied: shop/db-from-api, shop/db-from-web, shop/deny-ingress" },
    Case { name: "a deny-all does not take away what another policy allows", policies: &[DENY_INGRESS, DB_FROM_API],
        from: "shop/api", to: "shop/db", port: 5432, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "allowed: shop/db-from-api" },
    Case { name: "ingress allowed but the source's egress denied", policies: &[DB_FROM_ALL_NS, BILLING_DENY_ALL],
        from: "billing/worker", to: "shop/db", port: 5432, protocol: TCP, allowed: false,
        egress: "denied: billing/deny-all", ingress: "allowed: shop/db-from-all-namespaces" },
    Case { name: "from an outside address to a pod no policy selects", policies: &[BILLING_DENY_ALL],
        from: "198.51.100.7", to: "shop/web", port: 80, protocol: TCP, allowed: true,
        egress: "unrestricted", ingress: "unrestricted" },
];

fn side(text: &str) -> Side {
    let ids = |list: &str| list.split(", ").map(str::to_owned).collect();
    match text.split_once(": ") {
        None if text == "unrestricted" => Side::Unrestricted,
        Some(("allowed", list)) => Side::Allowed(ids(list)),
        Some(("denied", list)) => Side::Denied(ids(list)),
        _ => panic!("bad side {text}"),
    }
}

#[test]
fn verdict_table() {
    let mut failures = Vec::new();
    for case in CASES {
        let net = world(case.policies.iter().map(|p| policy(p)).collect());
        let endpoint = |text: &str| match text.parse::<IpAddr>() {
            Ok(ip) => Endpoint::Ip(ip),
            Err(_) => Endpoint::Pod(find(&net, text)),
        };
        let got = net.verdict(
            &endpoint(case.from),
            &endpoint(case.to),
            case.port,
            case.protocol,
        );
        let want = (case.allowed, side(case.egress), side(case.ingress));
        if (got.allowed, got.egress.clone(), got.ingress.clone()) != want {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn isolation_per_direction() {
    let net = world(vec![
        policy(EMPTY_EGRESS_NO_TYPES),
        policy(API_RANGE_EGRESS),
        policy(EGRESS_TYPE_ONLY),
    ]);
    assert_eq!(net.isolation(find(&net, "shop/db")), (true, true));
    assert_eq!(net.isolation(find(&net, "shop/api")), (false, true));
    assert_eq!(net.isolation(find(&net, "shop/web")), (false, false));
    assert_eq!(net.isolation(find(&net, "billing/api")), (false, false));
}
