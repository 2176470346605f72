//! The NetworkPolicy evaluator (`rampart-network`, through `rampart netmap`) against an
//! analyzer nobody here wrote: network-config-analyzer (`nca`, IBM, pinned in
//! tests/requirements.txt) on the rendered `shop` namespace of every environment of the
//! example repository. Both must allow the same connections between pods, and between pods
//! and outside addresses, port by port.
//!
//! nca reads the rendered files plus tests/fixtures/nca/example-peers.yaml: one pod per peer
//! the policies name (kube-dns, ingress-nginx, prometheus), the app without a workload
//! (`worker`) and a shop pod no app policy selects (`other`, netmap's `shop/*`). The same
//! comparison, for any directory: scripts/compare-nca.sh.

use crate::support::{Repo, tool};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
const FULL: (u16, u16) = (1, u16::MAX);

/// nca's pod names (`ns/name`, kind dropped) as netmap names the same pods; `probes` maps
/// the probe Jobs of `networkTests: true` (staging), which carry their app's labels, to it.
fn party(nca_pod: &str, probes: &BTreeMap<String, String>) -> String {
    let pod = nca_pod.split('[').next().unwrap();
    if let Some(app) = probes.get(pod) {
        return app.clone();
    }
    match pod {
        "shop/other" => "shop/*".to_owned(),
        "kube-system/kube-dns" => "kube-system/{k8s-app=kube-dns}".to_owned(),
        "ingress-nginx/ingress-nginx" => {
            "ingress-nginx/{app.kubernetes.io/name=ingress-nginx}".to_owned()
        }
        "monitoring/prometheus" => "monitoring/{app.kubernetes.io/name=prometheus}".to_owned(),
        _ => pod.to_owned(),
    }
}

/// `namespace/job` → `namespace/app` of the rendered probe Jobs (label `rampart.dev/netprobe`).
fn probe_jobs(dir: &Path) -> BTreeMap<String, String> {
    let mut probes = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for doc in rampart_yaml::reference::documents(&text).unwrap() {
            let meta = &doc["metadata"];
            if let (Some(ns), Some(name), Some(app)) = (
                meta["namespace"].as_str(),
                meta["name"].as_str(),
                meta["labels"]["rampart.dev/netprobe"].as_str(),
            ) {
                probes.insert(format!("{ns}/{name}"), format!("{ns}/{app}"));
            }
        }
    }
    probes
}

/// Ports per protocol.
type Ports = BTreeMap<&'static str, Vec<(u16, u16)>>;

fn protocol(name: &str) -> Option<&'static str> {
    PROTOCOLS.into_iter().find(|p| *p == name)
}

fn merge(ranges: &[(u16, u16)]) -> Vec<(u16, u16)> {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::new();
    for (first, last) in sorted {
        match out.last_mut() {
            Some(prev) if u32::from(first) <= u32::from(prev.1) + 1 => prev.1 = prev.1.max(last),
            _ => out.push((first, last)),
        }
    }
    out
}

/// `TCP 53,8000-8080; UDP 53`, or `all` for every port of TCP, UDP and SCTP; empty: none.
fn text(ports: &Ports) -> String {
    let merged: BTreeMap<&str, Vec<(u16, u16)>> = ports
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(p, r)| (*p, merge(r)))
        .collect();
    if PROTOCOLS
        .iter()
        .all(|p| merged.get(p).is_some_and(|r| r == &[FULL]))
    {
        return "all".to_owned();
    }
    let mut parts = Vec::new();
    for p in PROTOCOLS {
        if let Some(ranges) = merged.get(p) {
            let items: Vec<String> = ranges
                .iter()
                .map(|&(a, b)| match (a, b) {
                    FULL => "all".to_owned(),
                    (a, b) if a == b => a.to_string(),
                    (a, b) => format!("{a}-{b}"),
                })
                .collect();
            parts.push(format!("{p} {}", items.join(",")));
        }
    }
    parts.join("; ")
}

/// nca's `All connections` or `{protocols:TCP, UDP,dst_ports:53,80-90},{...}`.
fn nca_ports(conn: &str) -> Ports {
    let mut ports = Ports::new();
    if conn == "All connections" {
        for p in PROTOCOLS {
            ports.entry(p).or_default().push(FULL);
        }
        return ports;
    }
    for group in conn.split('{').skip(1) {
        let group = group.split('}').next().unwrap();
        let (mut protocols, mut numbers, mut key) = (Vec::new(), Vec::new(), "");
        for token in group.split(',').map(str::trim) {
            let value = match token.split_once(':') {
                Some((k, v)) => {
                    key = k;
                    v
                }
                None => token,
            };
            match key {
                "protocols" => protocols.push(value),
                "dst_ports" => {
                    let (a, b) = value.split_once('-').unwrap_or((value, value));
                    numbers.push((a.parse().unwrap(), b.parse().unwrap()));
                }
                _ => panic!("unexpected nca connection attribute `{key}` in `{conn}`"),
            }
        }
        if numbers.is_empty() {
            numbers.push(FULL);
        }
        // Protocols other than TCP, UDP and SCTP are no NetworkPolicy protocols.
        for p in protocols.into_iter().filter_map(protocol) {
            ports.entry(p).or_default().extend(&numbers);
        }
    }
    ports
}

/// netmap's `53/UDP, 8000-8080/TCP` or `all ports`.
fn netmap_ports(conn: &str) -> Ports {
    let mut ports = Ports::new();
    if conn == "all ports" {
        return nca_ports("All connections");
    }
    for item in conn.split(", ") {
        let (range, p) = item.rsplit_once('/').unwrap();
        let (a, b) = range.split_once('-').unwrap_or((range, range));
        let (Ok(a), Ok(b)) = (a.parse(), b.parse()) else {
            panic!("unresolved named port `{item}` in a rendered namespace");
        };
        let p = protocol(p).unwrap_or_else(|| panic!("protocol of `{item}`"));
        ports.entry(p).or_default().push((a, b));
    }
    ports
}

fn number(ip: IpAddr) -> (u8, u128) {
    match ip {
        IpAddr::V4(v4) => (4, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (6, u128::from(v6)),
    }
}

/// An outside address range (`a-b`, one address, or a CIDR) as (family, first, last), or
/// `None` for a pod.
fn addresses(text: &str) -> Option<(u8, u128, u128)> {
    if let Some((net, len)) = text.split_once('/')
        && let (Ok(ip), Ok(len)) = (net.parse::<IpAddr>(), len.parse::<u32>())
    {
        let (family, first) = number(ip);
        let bits = if family == 4 { 32 } else { 128 };
        let host = if len == bits {
            0
        } else {
            (1u128 << (bits - len)) - 1
        };
        return Some((family, first, first | host));
    }
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (a, b) = (a.parse::<IpAddr>().ok()?, b.parse::<IpAddr>().ok()?);
    let ((family, first), (_, last)) = (number(a), number(b));
    Some((family, first, last))
}

/// Canonical lines: one per pod pair, then per (pod, direction, family) the outside address
/// ranges with equal ports merged. Only flows from or to a pod of `namespace` count.
fn canonical(
    flows: impl IntoIterator<Item = (String, String, Ports)>,
    namespace: &str,
) -> Vec<String> {
    let mut pairs: BTreeMap<(String, String), Ports> = BTreeMap::new();
    type Segment = (u128, u128, Ports);
    let mut outside: BTreeMap<(String, &'static str, u8), Vec<Segment>> = BTreeMap::new();
    let own = |p: &str| p.starts_with(&format!("{namespace}/"));
    for (from, to, ports) in flows {
        match (addresses(&from), addresses(&to)) {
            (None, None) if own(&from) || own(&to) => {
                let entry = pairs.entry((from, to)).or_default();
                for (p, r) in ports {
                    entry.entry(p).or_default().extend(r);
                }
            }
            (None, Some((family, a, b))) if own(&from) => {
                outside
                    .entry((from, "=>", family))
                    .or_default()
                    .push((a, b, ports));
            }
            (Some((family, a, b)), None) if own(&to) => {
                outside
                    .entry((to, "<=", family))
                    .or_default()
                    .push((a, b, ports));
            }
            _ => {}
        }
    }
    let mut lines: Vec<String> = pairs
        .iter()
        .map(|((from, to), ports)| (from, to, text(ports)))
        .filter(|(_, _, conn)| !conn.is_empty())
        .map(|(from, to, conn)| format!("{from} => {to} : {conn}"))
        .collect();
    for ((pod, way, family), segments) in outside {
        // Elementary address segments, each with the ports of every range covering it.
        let mut bounds: Vec<u128> = segments
            .iter()
            .flat_map(|&(a, b, _)| [a, b.saturating_add(1)])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut merged: Vec<(u128, u128, String)> = Vec::new();
        for window in bounds.windows(2) {
            let (lo, hi) = (window[0], window[1] - 1);
            let mut ports = Ports::new();
            for (a, b, theirs) in &segments {
                if *a <= lo && hi <= *b {
                    for (p, r) in theirs {
                        ports.entry(p).or_default().extend(r);
                    }
                }
            }
            let conn = text(&ports);
            match merged.last_mut() {
                _ if conn.is_empty() => {}
                Some(prev) if prev.1 + 1 == lo && prev.2 == conn => prev.1 = hi,
                _ => merged.push((lo, hi, conn)),
            }
        }
        for (a, b, conn) in merged {
            lines.push(format!("{pod} {way} v{family} {a:#x}-{b:#x} : {conn}"));
        }
    }
    lines
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn nca_allows_what_the_evaluator_allows_in_every_rendered_shop_namespace() {
    let nca = tool("nca");
    let repo = Repo::init();
    let peers =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/nca/example-peers.yaml");
    for env in ["dev", "staging", "prod"] {
        let input = tempfile::TempDir::new().unwrap();
        let rendered = repo.dir.join(format!("clusters/{env}/namespaces/shop"));
        copy_dir(&rendered, &input.path().join("shop"));
        let probes = probe_jobs(&rendered);
        std::fs::create_dir(input.path().join("with")).unwrap();
        std::fs::copy(&peers, input.path().join("with/example-peers.yaml")).unwrap();

        let out = Command::new(&nca)
            .arg("--connectivity")
            .arg(input.path())
            .arg("--resource_list")
            .arg(input.path())
            .args(["-o", "txt_no_fw_rules", "--print_ipv6", "--return_0"])
            .output()
            .expect("run nca");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "nca failed on {env}/shop:\n{stdout}\n{stderr}"
        );
        assert!(
            !stdout
                .lines()
                .chain(stderr.lines())
                .any(|l| l.starts_with("Error")),
            "nca rejected {env}/shop:\n{stdout}\n{stderr}"
        );
        let nca_flows = stdout.lines().filter_map(|line| {
            let (parties, conn) = line.split_once(" : ")?;
            let (from, to) = parties.split_once(" => ")?;
            let name = |p: &str| addresses(p).map_or_else(|| party(p, &probes), |_| p.to_owned());
            Some((name(from), name(to), nca_ports(conn.trim())))
        });
        let nca_lines = canonical(nca_flows.collect::<Vec<_>>(), "shop");

        let maps: Value = serde_json::from_str(
            repo.rampart(&["netmap", "--env", env, "--format", "json", "shop"])
                .ok(),
        )
        .unwrap();
        let flows = maps[0]["flows"].as_array().expect("netmap flows");
        let rampart_lines = canonical(
            flows.iter().map(|f| {
                (
                    f["from"].as_str().unwrap().to_owned(),
                    f["to"].as_str().unwrap().to_owned(),
                    netmap_ports(f["ports"].as_str().unwrap()),
                )
            }),
            "shop",
        );
        assert!(
            rampart_lines.iter().any(|l| l.contains("shop/worker")),
            "{env}: no worker flows: {rampart_lines:#?}"
        );
        assert_eq!(
            nca_lines, rampart_lines,
            "{env}/shop: nca (left) and rampart netmap (right) disagree"
        );
    }
}
