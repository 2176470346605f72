//! `rampart import`: the request that reproduces existing namespaces, its report, and the
//! refusals of bad input.

use crate::support::{Repo, Run, rampart};
use std::path::{Path, PathBuf};
use std::process::Command;

const ENVS: [&str; 3] = ["dev", "staging", "prod"];

/// Every file of `namespace` in every environment, with its bytes.
fn rendered(repo: &Repo, namespace: &str) -> Vec<(String, String)> {
    rendered_in(repo, namespace, &ENVS)
}

/// Every file of `namespace` in `envs`, with its bytes.
fn rendered_in(repo: &Repo, namespace: &str, envs: &[&str]) -> Vec<(String, String)> {
    envs.iter()
        .flat_map(|env| repo.files_under(&format!("clusters/{env}/namespaces/{namespace}")))
        .map(|f| (f.clone(), repo.read(&f)))
        .collect()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/import")
        .join(name)
}

#[test]
fn importing_the_rendered_example_renders_it_byte_identical_and_imports_stably() {
    let repo = Repo::init();
    let before = rendered(&repo, "shop");
    assert!(before.len() > 20, "{before:?}");
    let out = repo.rampart(&[
        "import",
        "shop",
        "--from",
        "clusters/dev/namespaces/shop",
        "--force",
    ]);
    assert!(out.ok().contains("wrote specs/shop.yaml"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("connectivity: 17 kept, 0 removed, 0 added"),
        "{}",
        out.stdout
    );
    assert_eq!(
        rendered(&repo, "shop"),
        before,
        "the imported request renders every environment's files byte for byte"
    );
    assert_eq!(repo.status(), "");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "rampart: import namespace shop"
    );
    let spec = repo.read("specs/shop.yaml");
    assert!(
        spec.starts_with("# Namespace request imported by `rampart import`"),
        "{spec}"
    );
    // Importing what the import rendered gives the same request again.
    let again = repo.rampart(&[
        "import",
        "shop",
        "--from",
        "clusters/dev/namespaces/shop",
        "--dry-run",
    ]);
    assert!(again.ok().contains(&spec), "{}", again.stdout);
    // From another environment's files, with that environment's defaults: the same render
    // there (values equal to prod's defaults, such as 3 replicas, are left to the defaults).
    let prod = rendered_in(&repo, "shop", &["prod"]);
    repo.rampart(&[
        "import",
        "shop",
        "--from",
        "clusters/prod/namespaces/shop",
        "--env",
        "prod",
        "--force",
    ])
    .ok();
    assert_eq!(rendered_in(&repo, "shop", &["prod"]), prod);
    assert_eq!(repo.status(), "", "--dry-run writes nothing");
}

#[test]
fn importing_generated_requests_renders_them_byte_identical() {
    let repo = Repo::init();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/gen_requests.py");
    assert!(
        Command::new("python3")
            .arg(script)
            .arg(&repo.dir)
            .arg("3")
            .status()
            .unwrap()
            .success()
    );
    repo.rampart(&["render"]).ok();
    let names = ["ns-00000", "ns-00001", "ns-00002"];
    // Staging renders network probe Jobs too (`networkTests: true`).
    let before: Vec<_> = names
        .iter()
        .map(|n| rendered_in(&repo, n, &["staging"]))
        .collect();
    let mut args = vec!["import"];
    args.extend(names);
    args.extend([
        "--from",
        "clusters/staging/namespaces",
        "--env",
        "staging",
        "--force",
    ]);
    let out = repo.rampart(&args);
    out.ok();
    assert_eq!(
        out.stdout.matches("0 removed, 0 added").count(),
        3,
        "{}",
        out.stdout
    );
    let after: Vec<_> = names
        .iter()
        .map(|n| rendered_in(&repo, n, &["staging"]))
        .collect();
    assert_eq!(after, before);
    assert!(repo.rampart(&["render", "--check"]).ok().starts_with("ok:"));
}

/// Flows of one section (`kept`, `removed`, `added`) of the JSON report as `from → to ports`.
fn flows(report: &serde_json::Value, section: &str) -> Vec<String> {
    report[0]["connectivity"][section]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} → {} {}",
                f["from"].as_str().unwrap(),
                f["to"].as_str().unwrap(),
                f["ports"].as_str().unwrap()
            )
        })
        .collect()
}

fn import_fixture(
    repo: &Repo,
    namespace: &str,
    fixture_dir: &str,
    from: &Path,
) -> serde_json::Value {
    let from = from.to_str().unwrap();
    let labels = [
        "--label",
        "cost-center=cc-1",
        "--label",
        "data-classification=internal",
    ];
    let mut args = vec!["import", namespace, "--team", "platform", "--from", from];
    args.extend(labels);
    let dry = repo.rampart(&[args.as_slice(), &["--dry-run", "--format", "json"]].concat());
    let report: serde_json::Value =
        serde_json::from_str(dry.ok()).unwrap_or_else(|e| panic!("{e}: {}", dry.stdout));
    repo.rampart(&args).ok();
    assert!(repo.rampart(&["render", "--check"]).ok().starts_with("ok:"));
    for env in ENVS {
        let dir = format!("clusters/{env}/namespaces/{namespace}");
        let check = repo.rampart(&["check", &dir]);
        assert_eq!(
            check.code, 0,
            "{fixture_dir}: rampart check {dir}:\n{}{}",
            check.stdout, check.stderr
        );
    }
    report
}

#[test]
fn argo_cd_imports_validates_and_keeps_exactly_the_flows_between_its_apps() {
    let repo = Repo::init();
    let report = import_fixture(
        &repo,
        "argocd",
        "argo-cd",
        &fixture("argo-cd/namespace-install.yaml"),
    );
    let kept = flows(&report, "kept");
    // argocd-redis-network-policy: redis accepts 6379 from the controller, repo-server and
    // server only.
    let to_redis: Vec<&String> = kept
        .iter()
        .filter(|f| f.contains("→ argocd/argocd-redis "))
        .collect();
    assert_eq!(
        to_redis,
        [
            "argocd/argocd-application-controller → argocd/argocd-redis 6379/TCP",
            "argocd/argocd-repo-server → argocd/argocd-redis 6379/TCP",
            "argocd/argocd-server → argocd/argocd-redis 6379/TCP",
        ]
    );
    // argocd-dex-server-network-policy: 5556-5557 from the server, metrics 5558 from anyone.
    assert!(
        kept.contains(&"argocd/argocd-server → argocd/argocd-dex-server 5556-5558/TCP".to_owned()),
        "{kept:#?}"
    );
    assert!(
        kept.contains(&"argocd/argocd-repo-server → argocd/argocd-dex-server 5558/TCP".to_owned()),
        "{kept:#?}"
    );
    assert!(
        flows(&report, "added").is_empty(),
        "the render opens nothing new"
    );
    let removed = flows(&report, "removed");
    assert!(
        removed.contains(&"0.0.0.0/0 → argocd/argocd-server all ports".to_owned()),
        "{removed:#?}"
    );
    let spec = repo.read("specs/argocd.yaml");
    // Secrets read by listing are refused in requests: reported, not imported.
    assert!(!spec.contains("\"secrets\""), "{spec}");
    let changes = report[0]["changes"].to_string();
    assert!(
        changes.contains("lists or watches Secrets, which reads all their values"),
        "{changes}"
    );
    assert!(changes.contains("is not pinned by digest"), "{changes}");
    assert!(
        changes.contains("allows ingress to `argocd-server` from everywhere"),
        "{changes}"
    );
}

#[test]
fn kube_prometheus_imports_validates_and_reports_its_cluster_role_bindings() {
    let repo = Repo::init();
    let report = import_fixture(
        &repo,
        "monitoring",
        "kube-prometheus",
        &fixture("kube-prometheus"),
    );
    let kept = flows(&report, "kept");
    // prometheus-adapter's policy accepts every source; the other apps' egress is open.
    for app in [
        "blackbox-exporter",
        "grafana",
        "kube-state-metrics",
        "node-exporter",
        "prometheus-operator",
    ] {
        let flow = format!("monitoring/{app} → monitoring/prometheus-adapter 6443/TCP");
        assert!(kept.contains(&flow), "{flow} in {kept:#?}");
    }
    assert!(flows(&report, "added").is_empty());
    let changes = report[0]["changes"].as_array().unwrap();
    let bindings: Vec<&str> = changes
        .iter()
        .filter(|c| c["checklist"] == "1.4")
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(bindings.len(), 6, "{bindings:?}");
    assert!(bindings.contains(&"ClusterRoleBinding/prometheus-operator"));
}

#[test]
fn an_import_without_network_policies_says_all_traffic_is_allowed_today() {
    let repo = Repo::init();
    let dir = tempfile::TempDir::new().unwrap();
    let manifest = dir.path().join("app.yaml");
    // A Secret with a value, read by the workload through an environment variable: the
    // value must reach neither the request nor the report.
    std::fs::write(&manifest, "apiVersion: v1\nkind: Secret\nmetadata: {name: web-db}\nstringData: {password: hunter2-import-canary}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          ports: [{name: http, containerPort: 8080}]\n          env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: web-db, key: password}}}]\n").unwrap();
    let out = repo.rampart(&[
        "import",
        "legacy",
        "--team",
        "t",
        "--from",
        manifest.to_str().unwrap(),
        "--dry-run",
    ]);
    let text = out.ok();
    assert!(
        text.contains("(no NetworkPolicy today: all traffic allowed today)"),
        "{text}"
    );
    assert!(text.contains("- */* → legacy/web all ports"), "{text}");
    assert!(
        text.contains("\"cost-center\": \"unassigned\"   # required by rampart.yaml"),
        "{text}"
    );
    assert!(
        text.contains("image `nginx:1.27` is not pinned by digest"),
        "{text}"
    );
    assert!(
        text.contains("Secret/web-db"),
        "listed by name as not managed: {text}"
    );
    assert!(
        !text.contains("hunter2-import-canary") && !out.stderr.contains("hunter2-import-canary"),
        "{text}"
    );
    let json = repo.rampart(&[
        "import",
        "legacy",
        "--team",
        "t",
        "--from",
        manifest.to_str().unwrap(),
        "--dry-run",
        "--format",
        "json",
    ]);
    assert!(!json.ok().contains("hunter2-import-canary"));
}

#[test]
fn bad_input_is_refused_with_where_and_how_and_nothing_is_written() {
    let repo = Repo::init();
    let dir = tempfile::TempDir::new().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    let argo = fixture("argo-cd/namespace-install.yaml");
    let argo = argo.to_str().unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "several namespaces, none named",
            &["import", "--from", "clusters/dev/namespaces"],
            "the input holds objects of several namespaces",
        ),
        (
            "a namespace not in the input",
            &["import", "nope", "--from", "clusters/dev/namespaces/shop"],
            "namespace `nope` is not in the input",
        ),
        (
            "unparsable YAML",
            &["import", "x", "--from", bad],
            "bad.yaml:",
        ),
        (
            "an invalid namespace name",
            &["import", "Bad_Name", "--from", argo],
            "a namespace name is an RFC 1123 label",
        ),
        (
            "a request that exists",
            &["import", "shop", "--from", "clusters/dev/namespaces/shop"],
            "specs/shop.yaml:1:1: error: the request of namespace `shop` already exists",
        ),
        (
            "no team",
            &["import", "argocd", "--from", argo],
            "names no owning team",
        ),
        (
            "a missing input",
            &["import", "x", "--from", "no-such-dir"],
            "no-such-dir: error:",
        ),
    ];
    for (case, args, expected) in cases {
        let state = repo.state();
        let out: Run = repo.rampart(args);
        assert_eq!(out.code, 2, "{case}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains(expected),
            "{case}: expected `{expected}` in\n{}",
            out.stderr
        );
        assert_eq!(repo.state(), state, "{case}: nothing written");
    }
    // The YAML error names the line.
    let out = repo.rampart(&["import", "x", "--from", bad]);
    assert!(
        out.stderr
            .contains("bad.yaml:5: error: did not find expected ',' or ']'"),
        "{}",
        out.stderr
    );
    let _ = rampart;
}

/// Ports of a flow as the report or nca prints them, expanded to the numbers in `declared`.
fn ports_within(text: &str, declared: &[u16]) -> Vec<u16> {
    if text.contains("All connections") || text == "all ports" {
        return declared.to_vec();
    }
    let mut out = Vec::new();
    for token in text
        .split([',', ' ', '{', '}', ':'])
        .filter(|t| !t.is_empty())
    {
        let number = token.trim_end_matches("/TCP");
        if token.contains('/') && !token.ends_with("/TCP") {
            continue; // UDP/SCTP: no TCP port of the apps
        }
        let (first, last) = match number.split_once('-') {
            Some((a, b)) => (a.parse().ok(), b.parse().ok()),
            None => (number.parse().ok(), number.parse().ok()),
        };
        if let (Some(a), Some(b)) = (first, last) {
            out.extend(declared.iter().copied().filter(|p| (a..=b).contains(p)));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn the_argo_cd_flows_between_apps_that_the_import_keeps_are_what_nca_finds_today() {
    let repo = Repo::init();
    let report = import_fixture(
        &repo,
        "argocd",
        "argo-cd",
        &fixture("argo-cd/namespace-install.yaml"),
    );
    let spec: serde_json::Value =
        rampart_yaml::reference::typed(&repo.read("specs/argocd.yaml")).unwrap();
    let declared: std::collections::BTreeMap<String, Vec<u16>> = spec["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let ports = a["ports"].as_array().map_or(Vec::new(), |ps| {
                ps.iter()
                    .map(|p| p["port"].as_u64().unwrap() as u16)
                    .collect()
            });
            (format!("argocd/{}", a["name"].as_str().unwrap()), ports)
        })
        .collect();
    // nca on the fixture as applied with `kubectl apply -n argocd`.
    let input = tempfile::TempDir::new().unwrap();
    let text = std::fs::read_to_string(fixture("argo-cd/namespace-install.yaml")).unwrap();
    std::fs::write(
        input.path().join("all.yaml"),
        text.replace("\nmetadata:\n", "\nmetadata:\n  namespace: argocd\n"),
    )
    .unwrap();
    let out = Command::new(crate::support::tool("nca"))
        .arg("--connectivity")
        .arg(input.path())
        .arg("--resource_list")
        .arg(input.path())
        .args(["-o", "txt_no_fw_rules"])
        .output()
        .expect("run nca");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut nca: Vec<(String, String, Vec<u16>)> = Vec::new();
    for line in stdout.lines().filter(|l| l.contains(" => ")) {
        let (pair, ports) = line.split_once(" : ").unwrap();
        let (from, to) = pair.split_once(" => ").unwrap();
        let strip = |p: &str| p.split('[').next().unwrap().to_owned();
        let (from, to) = (strip(from), strip(to));
        if let (true, Some(ports_of_to)) = (declared.contains_key(&from), declared.get(&to)) {
            let within = ports_within(ports, ports_of_to);
            if !within.is_empty() && from != to {
                nca.push((from, to, within));
            }
        }
    }
    assert!(
        nca.len() > 20,
        "nca found the apps' flows:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut kept: Vec<(String, String, Vec<u16>)> = report[0]["connectivity"]["kept"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let (from, to) = (f["from"].as_str()?.to_owned(), f["to"].as_str()?.to_owned());
            let ports = ports_within(f["ports"].as_str()?, declared.get(&to)?);
            (declared.contains_key(&from) && !ports.is_empty()).then_some((from, to, ports))
        })
        .collect();
    nca.sort();
    kept.sort();
    assert_eq!(
        kept, nca,
        "flows between the imported apps, on their declared ports"
    );
}

#[test]
fn a_cluster_that_cannot_be_reached_is_refused_with_exit_2_and_nothing_written() {
    let repo = Repo::init();
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("config");
    // A port nothing listens on: connection refused.
    let port = crate::support::free_port();
    std::fs::write(&config, format!("apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters: [{{name: gone, cluster: {{server: \"http://127.0.0.1:{port}\"}}}}]\nusers: [{{name: u, user: {{}}}}]\ncontexts: [{{name: gone, context: {{cluster: gone, user: u}}}}]\n")).unwrap();
    let state = repo.state();
    let out = repo.rampart(&[
        "import",
        "shop",
        "--cluster",
        "--kubeconfig",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("error: cannot list namespaces\n  caused by:"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Connection refused"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert_eq!(repo.state(), state);
    // --from and --cluster exclude each other (a usage error, exit 2).
    assert_eq!(
        repo.rampart(&["import", "shop", "--cluster", "--from", "x"])
            .code,
        2
    );
}
