use super::*;
use rampart_model::RequestContext;

fn probes() -> Blueprint {
    Blueprint::network_tests().unwrap()
}

fn staging() -> Environment {
    rampart_model::parse_environment(
        "environments/staging.yaml",
        include_str!("../../../../environments/staging.yaml"),
        "staging",
    )
    .unwrap()
}

fn request(file: &str, text: &str) -> NamespaceRequest {
    let env = staging();
    let ctx = RequestContext {
        file_stem: file,
        required_labels: &[],
        environments: std::slice::from_ref(&env),
        delivery_mode: Default::default(),
    };
    rampart_model::parse_request(&format!("specs/{file}.yaml"), text, &ctx).unwrap()
}

fn shop() -> NamespaceRequest {
    request("shop", include_str!("../../../../examples/shop.yaml"))
}

/// A plan as `(kind, subject)` pairs and the unprobed notes.
fn shown(plan: &ProbePlan) -> (Vec<String>, Vec<String>) {
    let checks = plan
        .checks
        .iter()
        .map(|c| format!("{} {}", c.kind(), c.subject()))
        .collect();
    (checks, plan.unprobed.clone())
}

#[test]
fn the_example_requests_probes() {
    let plans = probe_plans(&shop());
    let apps: Vec<&str> = plans.iter().map(|p| p.app.as_str()).collect();
    assert_eq!(apps, ["web", "api", "worker"]);
    // web -> api on http is declared; web may not reach itself, api's metrics port or the
    // API server.
    assert_eq!(
        shown(&plans[0]),
        (
            vec![
                "resolve kubernetes.default.svc".into(),
                "open api.shop.svc:8080".into(),
                "closed web.shop.svc:8080".into(),
                "closed api.shop.svc:9090".into(),
                "closed kubernetes.default.svc:443".into(),
            ],
            vec![],
        )
    );
    // api reaches only the database range, which names no host that answers.
    assert_eq!(
        shown(&plans[1]),
        (
            vec![
                "resolve kubernetes.default.svc".into(),
                "closed web.shop.svc:8080".into(),
                "closed api.shop.svc:8080".into(),
                "closed api.shop.svc:9090".into(),
                "closed kubernetes.default.svc:443".into(),
            ],
            vec!["10.40.0.0/16 port 5432/TCP: a range, not one host; no address in it is known to answer (declare the host as a /32 to probe it)".into()],
        )
    );
    // worker's 203.0.113.0/24 on 443 might hold the API server's address: not probed closed.
    assert_eq!(
        shown(&plans[2]),
        (
            vec![
                "resolve kubernetes.default.svc".into(),
                "open api.shop.svc:8080".into(),
                "closed web.shop.svc:8080".into(),
                "closed api.shop.svc:9090".into(),
            ],
            vec!["203.0.113.0/24 port 443/TCP: a range, not one host; no address in it is known to answer (declare the host as a /32 to probe it)".into()],
        )
    );
    assert_eq!(
        plans[0].args(),
        [
            "--from",
            "web",
            "--timeout",
            "3s",
            "--wait",
            "120s",
            "--delay",
            "10s",
            "--resolve",
            "kubernetes.default.svc",
            "--open",
            "api.shop.svc:8080",
            "--closed",
            "web.shop.svc:8080",
            "--closed",
            "api.shop.svc:9090",
            "--closed",
            "kubernetes.default.svc:443",
        ]
    );
}

const EDGE: &str = r#"apiVersion: rampart.dev/v1alpha1
kind: NamespaceRequest
name: edge
team: net
apps:
  - name: gw
    ports: [{name: dns, port: 5353, protocol: UDP}, {name: http, port: 8080}]
    egress:
      - toApp: cache
      - toApp: backend
      - toCidr: 10.30.0.10/32
        ports: [{port: 8200}, {port: 514, protocol: UDP}]
      - toCidr: fd00::5/128
        ports: [{port: 443}]
      - toCidr: 10.50.0.0/16
        ports: [{port: 6000, endPort: 6100}]
      - toNamespace: logging
        podLabels: {app: fluentd}
        ports: [{port: 24224}]
      - toNamespace: edge
        ports: [{port: 9000}]
    workload: {image: "registry.example.com/edge/gw@sha256:0000000000000000000000000000000000000000000000000000000000000000"}
  - name: cache
    ports: [{name: redis, port: 6379}, {name: stats, port: 9000}, {name: gossip, port: 7946, protocol: UDP}]
    workload: {image: "registry.example.com/edge/cache@sha256:0000000000000000000000000000000000000000000000000000000000000000"}
  - name: backend
    ports: [{name: grpc, port: 9090}]
"#;

#[test]
fn what_is_probed_and_what_is_not() {
    let plans = probe_plans(&request("edge", EDGE));
    assert_eq!(
        shown(&plans[0]),
        (
            vec![
                "resolve kubernetes.default.svc".into(),
                // toApp without ports: every port of cache; only the TCP ones are probed.
                "open cache.edge.svc:6379".into(),
                "open cache.edge.svc:9000".into(),
                // One host: probed on its TCP ports.
                "open 10.30.0.10:8200".into(),
                "open [fd00::5]:443".into(),
                // gw's own Service; cache is fully reached (9000 twice over). No API server:
                // a toCidr rule allows 443.
                "closed gw.edge.svc:8080".into(),
            ],
            vec![
                "cache.edge.svc:7946/UDP: UDP is not probed (no handshake tells a delivered packet from a dropped one)".into(),
                "app backend port 9090/TCP: backend has no workload, so no Service to connect to".into(),
                "10.30.0.10/32 port 514/UDP: UDP is not probed (no handshake tells a delivered packet from a dropped one)".into(),
                "10.50.0.0/16 port 6000-6100/TCP: a range, not one host; no address in it is known to answer (declare the host as a /32 to probe it)".into(),
                "pods app=fluentd in namespace logging port 24224/TCP: pods selected by namespace and labels have no address known to the request".into(),
                "every pod in namespace edge port 9000/TCP: pods selected by namespace and labels have no address known to the request".into(),
            ],
        )
    );
    assert_eq!(
        plans[0].checks[4].args(),
        ["--open", "[fd00::5]:443"],
        "IPv6 in brackets"
    );
    // cache declares no egress: everything with a Service is closed to it.
    assert_eq!(
        shown(&plans[1]).0,
        [
            "resolve kubernetes.default.svc",
            "closed gw.edge.svc:8080",
            "closed cache.edge.svc:6379",
            "closed cache.edge.svc:9000",
            "closed kubernetes.default.svc:443",
        ]
    );
}

#[test]
fn a_to_namespace_rule_for_the_own_namespace_keeps_its_ports_out_of_the_closed_sample() {
    let text = EDGE.replace(
        "toNamespace: edge\n        ports: [{port: 9000}]",
        "toNamespace: edge\n        ports: [{port: 8080}]",
    );
    let plans = probe_plans(&request("edge", &text));
    assert!(
        !plans[0]
            .checks
            .contains(&Check::Closed(Target::new("gw.edge.svc", 8080))),
        "{:?}",
        plans[0].checks
    );
}

#[test]
fn probe_jobs_are_typed_named_by_what_they_test_and_labelled_as_the_app() {
    let req = shop();
    let env = staging();
    let image = "registry.example.com/platform/rampart@sha256:6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    let files = render_probes(&probes(), &req, &env, image, "policies v1", "# header\n").unwrap();
    let names: Vec<&String> = files.keys().collect();
    assert_eq!(
        names,
        [
            "netprobe-api.yaml",
            "netprobe-web.yaml",
            "netprobe-worker.yaml"
        ]
    );
    let job: serde_json::Value =
        rampart_yaml::reference::typed(files["netprobe-web.yaml"].trim_start_matches("# header\n"))
            .unwrap();
    let name = job["metadata"]["name"].as_str().unwrap();
    assert!(
        name.starts_with("netprobe-web-") && name.len() == "netprobe-web-".len() + 8,
        "{name}"
    );
    let pod = &job["spec"]["template"];
    assert_eq!(pod["metadata"]["labels"][APP_LABEL], "web");
    assert_eq!(pod["metadata"]["labels"][PROBE_LABEL], "web");
    assert_eq!(pod["metadata"]["labels"]["cost-center"], "cc-4711");
    assert_eq!(pod["spec"]["serviceAccountName"], "web");
    assert_eq!(pod["spec"]["automountServiceAccountToken"], false);
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["image"], image);
    assert_eq!(container["args"][0], "probe");
    assert_eq!(container["args"][2], "web");
    assert!(
        job["metadata"]["annotations"].is_null(),
        "web probes every flow it declares"
    );
    let api: serde_json::Value =
        rampart_yaml::reference::typed(files["netprobe-api.yaml"].trim_start_matches("# header\n"))
            .unwrap();
    assert!(
        api["metadata"]["annotations"]["rampart.dev/unprobed"]
            .as_str()
            .unwrap()
            .starts_with("10.40.0.0/16 port 5432/TCP")
    );

    // Another policy text, another Job; the same, the same Job.
    let again = render_probes(&probes(), &req, &env, image, "policies v1", "# header\n").unwrap();
    assert_eq!(again, files);
    let changed = render_probes(&probes(), &req, &env, image, "policies v2", "# header\n").unwrap();
    let renamed: serde_json::Value = rampart_yaml::reference::typed(
        changed["netprobe-web.yaml"].trim_start_matches("# header\n"),
    )
    .unwrap();
    assert_ne!(renamed["metadata"]["name"], job["metadata"]["name"]);
}

#[test]
fn long_app_names_still_make_valid_job_names() {
    let long = "a".repeat(63);
    let text = EDGE
        .replace("name: gw", &format!("name: {long}"))
        .replace("gw.edge", &format!("{long}.edge"));
    let req = request("edge", &text);
    let files = render_probes(
        &probes(),
        &req,
        &staging(),
        "registry.example.com/r@sha256:00",
        "",
        "",
    )
    .unwrap();
    let job: serde_json::Value =
        rampart_yaml::reference::typed(&files[&format!("netprobe-{long}.yaml")]).unwrap();
    let name = job["metadata"]["name"].as_str().unwrap();
    assert_eq!(name.len(), 63, "{name}");
}
