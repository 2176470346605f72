//! Representative namespaces and pods for the peers that policies name.

use rampart_network::{Labels, Namespace, Network};

use crate::common::{flow_lines, labels, pod, policy};

const SHOP: &str = "
metadata: {name: shop-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
      podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
    - namespaceSelector: {matchLabels: {team: data}}
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring, tier: ops}}
  egress:
  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}, {port: dns-tcp}]";

fn network() -> Network {
    Network {
        namespaces: vec![Namespace {
            name: "shop".into(),
            labels: Labels::new(),
        }],
        pods: vec![pod("shop", "api", "app=api", &["http:8080/TCP"])],
        policies: vec![policy(SHOP)],
    }
}

fn ids(net: &Network) -> Vec<String> {
    let mut ids: Vec<String> = net
        .pods
        .iter()
        .map(|p| format!("{}/{}", p.namespace, p.name))
        .collect();
    ids.sort();
    ids
}

#[test]
fn peers_become_representative_pods() {
    let mut net = network();
    net.add_policy_peers();
    assert_eq!(
        ids(&net),
        [
            "*/*",
            "*/{k8s-app=kube-dns}",
            "ingress-nginx/*",
            "ingress-nginx/{app.kubernetes.io/name=ingress-nginx}",
            "monitoring/*",
            "shop/*",
            "shop/api",
            "shop/{app=web}",
            "{team=data}/*",
        ]
    );
    let namespace = |name: &str| {
        net.namespaces
            .iter()
            .find(|ns| ns.name == name)
            .unwrap()
            .labels
            .clone()
    };
    assert_eq!(namespace("monitoring"), labels("tier=ops"));
    assert_eq!(namespace("{team=data}"), labels("team=data"));
    assert_eq!(namespace("*"), Labels::new());

    // Idempotent.
    let once = net.clone();
    net.add_policy_peers();
    assert_eq!(net, once);

    let lines = flow_lines(&net);
    let to_api: Vec<&String> = lines.iter().filter(|l| l.contains("→ shop/api")).collect();
    assert_eq!(
        to_api,
        [
            "ingress-nginx/{app.kubernetes.io/name=ingress-nginx} → shop/api all ports",
            "monitoring/* → shop/api all ports",
            "shop/{app=web} → shop/api all ports",
            "{team=data}/* → shop/api all ports",
        ]
    );
    let from_api: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("shop/api →"))
        .collect();
    // The DNS pod declares no ports: the named port stays named.
    assert_eq!(
        from_api,
        ["shop/api → */{k8s-app=kube-dns} 53/UDP, dns-tcp/TCP"]
    );
}

#[test]
fn a_rule_for_every_namespace_shows_up_through_the_star_namespace() {
    let mut net = Network {
        namespaces: vec![],
        pods: vec![pod("shop", "db", "app=db", &["postgres:5432/TCP"])],
        policies: vec![policy(
            "
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: postgres}]}]",
        )],
    };
    net.add_policy_peers();
    assert_eq!(ids(&net), ["*/*", "shop/*", "shop/db"]);
    let lines = flow_lines(&net);
    let to_db: Vec<&String> = lines.iter().filter(|l| l.contains("→ shop/db")).collect();
    assert_eq!(
        to_db,
        ["*/* → shop/db 5432/TCP", "shop/* → shop/db 5432/TCP"]
    );
}
