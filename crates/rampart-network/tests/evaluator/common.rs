//! A small world of namespaces and pods, and builders that keep each test a scenario.

use rampart_network::{ContainerPort, Labels, Namespace, Network, Pod, Policy, Protocol};

/// Labels from `"k=v,k2=v2"` (empty string: none).
pub fn labels(text: &str) -> Labels {
    text.split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("k=v");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// A pod `namespace/name` with labels and container ports `"name:port/PROTO"`.
pub fn pod(namespace: &str, name: &str, pod_labels: &str, ports: &[&str]) -> Pod {
    let ports = ports
        .iter()
        .map(|spec| {
            let (name, rest) = spec.split_once(':').expect("name:port/PROTO");
            let (port, protocol) = rest.split_once('/').expect("port/PROTO");
            ContainerPort {
                name: Some(name.to_owned()),
                port: port.parse().expect("port"),
                protocol: Protocol::parse(protocol).expect("protocol"),
            }
        })
        .collect();
    Pod {
        namespace: namespace.into(),
        name: name.into(),
        labels: labels(pod_labels),
        ports,
    }
}

/// A policy from YAML; `apiVersion` and `kind` are added.
pub fn policy(yaml: &str) -> Policy {
    try_policy(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// A policy from YAML, or the parse error.
pub fn try_policy(yaml: &str) -> Result<Policy, String> {
    let text = format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n{yaml}");
    let value: serde_json::Value = rampart_yaml::reference::typed(&text).expect("YAML");
    Policy::from_value(&value)
}

/// The shared world: shop (team=shop), billing (team=billing, env=prod), monitoring
/// (team=ops), and their pods.
pub fn world(policies: Vec<Policy>) -> Network {
    Network {
        namespaces: vec![
            Namespace {
                name: "shop".into(),
                labels: labels("team=shop"),
            },
            Namespace {
                name: "billing".into(),
                labels: labels("team=billing,env=prod"),
            },
            Namespace {
                name: "monitoring".into(),
                labels: labels("team=ops"),
            },
        ],
        pods: vec![
            pod("shop", "api", "app=api,tier=backend", &["http:8080/TCP"]),
            pod(
                "shop",
                "db",
                "app=db",
                &["postgres:5432/TCP", "metrics:9187/TCP"],
            ),
            pod("shop", "web", "app=web", &["http:80/TCP"]),
            pod("shop", "job", "", &[]),
            pod("billing", "api", "app=api", &["http:9090/TCP"]),
            pod("billing", "worker", "app=worker", &[]),
            pod("monitoring", "prom", "app=prometheus", &[]),
        ],
        policies,
    }
}

/// The pod `namespace/name` of `net`.
pub fn find<'a>(net: &'a Network, id: &str) -> &'a Pod {
    let (namespace, name) = id.split_once('/').expect("namespace/name");
    net.pods
        .iter()
        .find(|p| p.namespace == namespace && p.name == name)
        .unwrap_or_else(|| panic!("no pod {id}"))
}

/// The displayed flows of a network.
pub fn flow_lines(net: &Network) -> Vec<String> {
    net.flows()
        .flows()
        .iter()
        .map(ToString::to_string)
        .collect()
}
