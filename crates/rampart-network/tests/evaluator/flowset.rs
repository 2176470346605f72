//! FlowSet canonicality: the same connectivity written differently gives equal sets and
//! equal flows; differences between sets.

use rampart_network::{FlowSet, IpSet, Network, Party, PortSet, Protocol};

use crate::common::{flow_lines, policy, world};

fn ports(spec: &[(Protocol, u16, u16)]) -> PortSet {
    let mut set = PortSet::new();
    for &(protocol, first, last) in spec {
        set.add_range(protocol, first, last);
    }
    set
}

fn ips(cidr: &str) -> IpSet {
    IpSet::parse_cidr(cidr).unwrap()
}

/// Both ways of writing the policies give the same flows, and they are not trivial.
fn same_connectivity(a: &[&str], b: &[&str]) -> Network {
    let net_a = world(a.iter().map(|p| policy(p)).collect());
    let net_b = world(b.iter().map(|p| policy(p)).collect());
    assert_eq!(net_a.flows(), net_b.flows());
    assert_eq!(flow_lines(&net_a), flow_lines(&net_b));
    net_a
}

#[test]
fn port_list_and_end_port_range_are_one_thing() {
    let list = "
metadata: {name: list, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 8002}, {port: 8000}, {port: 8001}, {port: 5432}]}]";
    let range = "
metadata: {name: range, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 8000, endPort: 8002}]
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: postgres}]";
    let net = same_connectivity(&[list], &[range]);
    let to_db: Vec<String> = flow_lines(&net)
        .into_iter()
        .filter(|l| l.contains("→ shop/db"))
        .collect();
    // Only the api reaches the db (not even outside addresses), on the same ports.
    assert_eq!(to_db, ["shop/api → shop/db 5432/TCP, 8000-8002/TCP"]);
}

#[test]
fn except_and_several_cidrs_are_one_thing() {
    let except = "
metadata: {name: except, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: 443}]}]";
    let split = "
metadata: {name: split, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/16}}, {ipBlock: {cidr: 10.2.0.0/15}}, {ipBlock: {cidr: 10.4.0.0/14}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 10.8.0.0/13}}, {ipBlock: {cidr: 10.16.0.0/12}}, {ipBlock: {cidr: 10.32.0.0/11}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 10.64.0.0/10}}, {ipBlock: {cidr: 10.128.0.0/9, except: [10.200.0.0/16]}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 10.200.0.0/16}}]
    ports: [{port: 443}]";
    let net = same_connectivity(&[except], &[split]);
    let from_api: Vec<String> = flow_lines(&net)
        .into_iter()
        .filter(|l| l.starts_with("shop/api →"))
        .collect();
    assert_eq!(
        from_api,
        [
            "shop/api → 10.0.0.0/16 443/TCP",
            "shop/api → 10.2.0.0/15 443/TCP",
            "shop/api → 10.4.0.0/14 443/TCP",
            "shop/api → 10.8.0.0/13 443/TCP",
            "shop/api → 10.16.0.0/12 443/TCP",
            "shop/api → 10.32.0.0/11 443/TCP",
            "shop/api → 10.64.0.0/10 443/TCP",
            "shop/api → 10.128.0.0/9 443/TCP",
        ]
    );
}

#[test]
fn merged_and_split_rules_and_policies_are_one_thing() {
    let merged = "
metadata: {name: merged, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}, {namespaceSelector: {matchLabels: {team: billing}}}]
    ports: [{port: 5432}, {port: 9187}]";
    let split_a = "
metadata: {name: a, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 5432}]
  - from: [{namespaceSelector: {matchLabels: {team: billing}}}]
    ports: [{port: 5432}]";
    let split_b = "
metadata: {name: b, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In, values: [db]}]}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api, tier: backend}}}, {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: billing}}}]
    ports: [{port: metrics}]";
    let net = same_connectivity(&[merged], &[split_a, split_b]);
    let to_db: Vec<String> = flow_lines(&net)
        .into_iter()
        .filter(|l| l.ends_with("→ shop/db 5432/TCP, 9187/TCP"))
        .collect();
    assert_eq!(
        to_db,
        [
            "billing/api → shop/db 5432/TCP, 9187/TCP",
            "billing/worker → shop/db 5432/TCP, 9187/TCP",
            "shop/api → shop/db 5432/TCP, 9187/TCP",
        ]
    );
    // Nothing else reaches the db, from a pod or from outside.
    assert!(
        flow_lines(&net)
            .iter()
            .filter(|l| l.contains("→ shop/db"))
            .count()
            == 3
    );
}

#[test]
fn different_connectivity_is_unequal() {
    let a = world(vec![policy(
        "
metadata: {name: a, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 8000, endPort: 8080}]}]}",
    )]);
    let b = world(vec![policy(
        "
metadata: {name: b, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 8000, endPort: 8079}]}]}",
    )]);
    assert_ne!(a.flows(), b.flows());
    let lost: Vec<String> = a
        .flows()
        .minus(&b.flows())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lost,
        [
            "billing/api → shop/db 8080/TCP",
            "billing/worker → shop/db 8080/TCP",
            "monitoring/prom → shop/db 8080/TCP",
            "shop/api → shop/db 8080/TCP",
            "shop/job → shop/db 8080/TCP",
            "shop/web → shop/db 8080/TCP",
            "0.0.0.0/0 → shop/db 8080/TCP",
            "::/0 → shop/db 8080/TCP",
        ]
    );
    assert!(b.flows().minus(&a.flows()).is_empty());
}

#[test]
fn ip_flows_merge_adjacent_ranges_with_equal_ports() {
    let worker = Party::pod("shop", "worker");
    let https = ports(&[(Protocol::TCP, 443, 443)]);
    let web = ports(&[(Protocol::TCP, 80, 80), (Protocol::TCP, 443, 443)]);
    let mut set = FlowSet::new();
    set.allow_ips(worker.clone(), &ips("203.0.113.0/25"), &https, false);
    set.allow_ips(worker.clone(), &ips("203.0.113.128/25"), &https, false);
    set.allow_ips(worker.clone(), &ips("198.51.100.0/24"), &https, false);
    set.allow_ips(
        worker.clone(),
        &ips("198.51.100.0/25"),
        &ports(&[(Protocol::TCP, 80, 80)]),
        false,
    );
    set.allow_ips(worker.clone(), &ips("2001:db8::/33"), &https, true);
    set.allow_ips(worker.clone(), &ips("2001:db8:8000::/33"), &https, true);
    let lines: Vec<String> = set.flows().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "shop/worker → 198.51.100.0/25 80/TCP, 443/TCP",
            "shop/worker → 198.51.100.128/25 443/TCP",
            "shop/worker → 203.0.113.0/24 443/TCP",
            "2001:db8::/32 → shop/worker 443/TCP",
        ]
    );
    // The same connectivity built the other way round is the same set.
    let mut other = FlowSet::new();
    other.allow(Party::Cidr("2001:db8::/32".into()), worker.clone(), &https);
    other.allow(worker.clone(), Party::Cidr("198.51.100.0/25".into()), &web);
    other.allow(
        worker.clone(),
        Party::Cidr("198.51.100.128/25".into()),
        &https,
    );
    other.allow(worker.clone(), Party::Cidr("203.0.113.0/24".into()), &https);
    assert_eq!(set, other);
}

#[test]
fn minus_splits_ranges_and_ports() {
    let api = Party::pod("shop", "api");
    let db = Party::pod("shop", "db");
    let mut wide = FlowSet::new();
    wide.allow(
        api.clone(),
        db.clone(),
        &ports(&[(Protocol::TCP, 8000, 8080), (Protocol::UDP, 53, 53)]),
    );
    wide.allow_ips(
        api.clone(),
        &ips("10.0.0.0/8"),
        &ports(&[(Protocol::TCP, 443, 443), (Protocol::TCP, 80, 80)]),
        false,
    );
    let mut narrow = FlowSet::new();
    narrow.allow(
        api.clone(),
        db.clone(),
        &ports(&[(Protocol::TCP, 8000, 8079)]),
    );
    narrow.allow_ips(
        api.clone(),
        &ips("10.0.0.0/9"),
        &ports(&[(Protocol::TCP, 443, 443)]),
        false,
    );
    narrow.allow_ips(
        api.clone(),
        &ips("10.128.0.0/9"),
        &ports(&[(Protocol::TCP, 1, 65535)]),
        false,
    );
    let lines: Vec<String> = wide
        .minus(&narrow)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "shop/api → shop/db 53/UDP, 8080/TCP",
            "shop/api → 10.0.0.0/9 80/TCP"
        ]
    );
    let back: Vec<String> = narrow
        .minus(&wide)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        back,
        ["shop/api → 10.128.0.0/9 1-79/TCP, 81-442/TCP, 444-65535/TCP"]
    );
    assert!(wide.minus(&wide).is_empty());
}

#[test]
fn port_set_display_and_algebra() {
    let mut dns = ports(&[
        (Protocol::TCP, 53, 53),
        (Protocol::UDP, 53, 53),
        (Protocol::TCP, 8000, 8080),
    ]);
    assert_eq!(dns.to_string(), "53/UDP, 53/TCP, 8000-8080/TCP");
    assert_eq!(
        serde_json::to_value(&dns).unwrap(),
        serde_json::json!(["53/UDP", "53/TCP", "8000-8080/TCP"])
    );
    assert_eq!(PortSet::all().to_string(), "all ports");
    assert_eq!(
        serde_json::to_value(Protocol::SCTP).unwrap(),
        serde_json::json!("SCTP")
    );
    assert_eq!(
        (Protocol::parse("UDP"), Protocol::parse("udp")),
        (Some(Protocol::UDP), None)
    );
    assert_eq!(Protocol::TCP.as_str(), "TCP");
    assert_eq!(PortSet::new().to_string(), "no ports");
    dns.add_named(Protocol::TCP, "grpc");
    assert_eq!(dns.to_string(), "53/UDP, 53/TCP, 8000-8080/TCP, grpc/TCP");
    // A named port survives an intersection with every port of its protocol, not a range.
    let tcp = ports(&[(Protocol::TCP, 1, 65535)]);
    assert_eq!(
        dns.intersect(&tcp).to_string(),
        "53/TCP, 8000-8080/TCP, grpc/TCP"
    );
    assert_eq!(
        dns.intersect(&ports(&[(Protocol::TCP, 8080, 9000)]))
            .to_string(),
        "8080/TCP"
    );
    assert_eq!(dns.minus(&tcp).to_string(), "53/UDP");
    let mut all = dns.clone();
    all.union(&PortSet::all());
    assert_eq!(all, PortSet::all());
    assert!(
        dns.contains(Protocol::UDP, 53)
            && !dns.contains(Protocol::UDP, 54)
            && !dns.contains(Protocol::SCTP, 53)
    );
    // Port lists and ranges are one set.
    let mut list = PortSet::new();
    for port in [8002, 8000, 8001] {
        list.add_range(Protocol::TCP, port, port);
    }
    assert_eq!(list, ports(&[(Protocol::TCP, 8000, 8002)]));
}
