//! The rotation service's own namespace (`service:` in rampart.yaml): rendered into every
//! environment as hardened as a team's, nothing open but what the service needs, alerts on
//! metrics the service really exports, bad settings refused with file:line, and the
//! rendered Deployment's command line run as a real `rampart serve` against OpenBao and a
//! Lease API.

use crate::delivery::Setup;
use crate::rotate::{seed_versions, use_vault};
use crate::secrets::validate_crds;
use crate::serve::{Service, wait_until};
use crate::support::{Repo, named, rampart_bin};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

const NS: &str = "rampart-system";

fn dir(env: &str) -> String {
    format!("clusters/{env}/namespaces/{NS}")
}

fn objects(repo: &Repo, env: &str) -> Vec<Value> {
    repo.objects_under(&dir(env))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The value after `flag` in the container's args.
fn arg<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args.iter().position(|a| a == flag).expect(flag);
    &args[i + 1]
}

#[test]
fn every_environment_gets_a_hardened_namespace_for_the_service() {
    let repo = Repo::init();
    let vault_cidr = [
        ("dev", "10.30.0.10/32"),
        ("staging", "10.31.0.10/32"),
        ("prod", "10.32.0.10/32"),
    ];
    for (env, vault) in vault_cidr {
        let objs = objects(&repo, env);
        let ns = named(&objs, "Namespace", NS);
        assert_eq!(
            ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
            "restricted"
        );
        assert_eq!(
            ns["metadata"]["labels"]["cost-center"], "platform",
            "governance labels"
        );
        for o in &objs {
            assert_eq!(
                o["metadata"]["labels"]["app.kubernetes.io/part-of"], NS,
                "{o:?}"
            );
        }
        for kind in ["ResourceQuota", "LimitRange"] {
            assert!(objs.iter().any(|o| o["kind"] == kind), "{env}: {kind}");
        }

        // The Deployment: the team workload's hardening, the service's probes and flags.
        let d = named(&objs, "Deployment", "rampart-serve");
        assert_eq!(d["spec"]["replicas"], 2, "one active, one on standby");
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["automountServiceAccountToken"], false);
        assert_eq!(pod["serviceAccountName"], "rampart-serve");
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        let c = &pod["containers"][0];
        assert!(c["image"].as_str().unwrap().contains("@sha256:"));
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true);
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["capabilities"]["drop"][0], "ALL");
        assert_eq!(sc["runAsUser"], 10001);
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
        assert_eq!(c["livenessProbe"]["httpGet"]["port"], "metrics");
        assert_eq!(c["ports"][0]["containerPort"], 9464);
        assert_eq!(c["resources"]["requests"], c["resources"]["limits"]);
        let args = strings(&c["args"]);
        assert_eq!(args[0], "serve");
        assert_eq!(
            arg(&args, "--env"),
            env,
            "each cluster rotates its own environment"
        );
        assert_eq!(arg(&args, "--lease"), "rampart-system/rampart-serve");
        assert_eq!(
            arg(&args, "--clone"),
            "https://git.example.com/platform/gitops.git"
        );
        assert_eq!(
            arg(&args, "--git-token-file"),
            "/run/secrets/rampart/git/token"
        );
        assert_eq!(arg(&args, "--log-format"), "json");
        assert!(
            c["env"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e.get("valueFrom").is_none()),
            "no secret in an environment variable (checklist 4.4)"
        );
        // Writes go only to emptyDirs; the token is a read-only projected file of this pod.
        let mounts = c["volumeMounts"].as_array().unwrap();
        let volumes = pod["volumes"].as_array().unwrap();
        for m in mounts {
            let v = volumes.iter().find(|v| v["name"] == m["name"]).unwrap();
            assert!(
                v.get("emptyDir").is_some() || m["readOnly"] == true,
                "{env}: writable mount {m:?}"
            );
        }
        let api = volumes
            .iter()
            .find(|v| v["name"] == "kube-api-access")
            .unwrap();
        let token = &api["projected"]["sources"][0]["serviceAccountToken"];
        assert_eq!(token["expirationSeconds"], 3600);
        let git = volumes.iter().find(|v| v["name"] == "git-token").unwrap();
        assert_eq!(git["secret"]["secretName"], "git-token");

        // The Git token comes from the secrets manager, pinned like every secret.
        let es = named(&objs, "ExternalSecret", "git-token");
        assert_eq!(
            es["spec"]["data"][0]["remoteRef"]["key"],
            "rampart/git-token"
        );
        assert_eq!(es["spec"]["data"][0]["remoteRef"]["version"], "1");
        assert_eq!(es["spec"]["refreshPolicy"], "OnChange");

        // RBAC: its own Lease and nothing else.
        let role = named(&objs, "Role", "app-rampart-serve");
        let rules = role["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2);
        for r in rules {
            assert_eq!(strings(&r["apiGroups"]), ["coordination.k8s.io"]);
            assert_eq!(strings(&r["resources"]), ["leases"]);
        }
        assert_eq!(
            strings(&rules[0]["verbs"]),
            ["create"],
            "create cannot be limited by name"
        );
        assert_eq!(strings(&rules[1]["resourceNames"]), ["rampart-serve"]);
        assert!(!strings(&rules[1]["verbs"]).contains(&"list".to_owned()));
        let binding = named(&objs, "RoleBinding", "app-rampart-serve");
        assert_eq!(binding["subjects"].as_array().unwrap().len(), 1);
        assert_eq!(binding["subjects"][0]["name"], "rampart-serve");

        // Network: default deny; in only from Prometheus to the metrics port; out only to
        // the Git remote and forge, this cluster's Vault and API server (and DNS).
        assert!(
            objs.iter().any(
                |o| o["kind"] == "NetworkPolicy" && o["metadata"]["name"] == "default-deny-all"
            )
        );
        let np = &named(&objs, "NetworkPolicy", "app-rampart-serve")["spec"];
        let ingress = np["ingress"].as_array().unwrap();
        assert_eq!(ingress.len(), 1);
        assert_eq!(
            ingress[0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "monitoring"
        );
        assert_eq!(ingress[0]["ports"][0]["port"], 9464);
        let egress: BTreeSet<String> = np["egress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}:{}",
                    e["to"][0]["ipBlock"]["cidr"]
                        .as_str()
                        .expect("egress to addresses only"),
                    e["ports"][0]["port"].as_u64().unwrap()
                )
            })
            .collect();
        let api_server = vault.replace(".0.10/32", ".1.0/28");
        let expected: BTreeSet<String> = [
            "192.0.2.10/32:443".to_owned(),
            format!("{vault}:8200"),
            format!("{api_server}:6443"),
        ]
        .into();
        assert_eq!(egress, expected, "{env}");

        let svc = named(&objs, "Service", "rampart-serve");
        assert_eq!(svc["spec"]["type"], "ClusterIP");
        assert_eq!(svc["spec"]["ports"][0]["port"], 9464);
        assert!(objs.iter().any(|o| o["kind"] == "PodDisruptionBudget"));
    }
    // Listed in each environment's kustomization, beside the teams' namespaces.
    assert!(
        repo.read("clusters/dev/kustomization.yaml")
            .contains("- namespaces/rampart-system\n")
    );
}

#[test]
fn it_passes_check_and_its_custom_kinds_validate_against_their_crds() {
    let repo = Repo::init();
    for env in ["dev", "staging", "prod"] {
        let out = repo.rampart(&["check", &dir(env)]);
        assert_eq!(out.code, 0, "{env}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("no findings"), "{}", out.stdout);
        let files: Vec<String> = repo
            .files_under(&dir(env))
            .into_iter()
            .filter(|f| !f.ends_with("kustomization.yaml"))
            .collect();
        let out = validate_crds(&repo.dir, &files);
        assert_eq!(out.code, 0, "{env}:\n{}{}", out.stdout, out.stderr);
        for object in [
            "PrometheusRule/rampart-serve",
            "ExternalSecret/git-token",
            "SecretStore/vault",
        ] {
            assert!(
                out.stdout
                    .lines()
                    .any(|l| l.starts_with("VALID ") && l.ends_with(object)),
                "{object}:\n{}",
                out.stdout
            );
        }
    }
}

#[test]
fn the_alerts_use_only_metrics_the_service_exports() {
    let repo = Repo::init();
    let rule = named(&objects(&repo, "prod"), "PrometheusRule", "rampart-serve").clone();
    let exported = every_series();
    let mut alerts = Vec::new();
    for r in rule["spec"]["groups"][0]["rules"].as_array().unwrap() {
        alerts.push(r["alert"].as_str().unwrap().to_owned());
        let expr = r["expr"].as_str().unwrap();
        let used: Vec<&str> = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("rampart_"))
            .collect();
        assert!(!used.is_empty(), "{expr}");
        for metric in used {
            assert!(
                exported.contains(&format!("# TYPE {metric} ")),
                "{metric} is not exported by rampart serve:\n{exported}"
            );
        }
    }
    assert_eq!(
        alerts,
        [
            "RampartRotationsFailing",
            "RampartPinBehind",
            "RampartPinNotLive",
            "RampartNoLeader"
        ]
    );
    let behind = &rule["spec"]["groups"][0]["rules"][1];
    assert_eq!(behind["for"], "1h", "a pin behind for longer than an hour");
    let not_live = &rule["spec"]["groups"][0]["rules"][2];
    assert!(
        not_live["expr"]
            .as_str()
            .is_some_and(|e| e.ends_with("(rampart_pin_not_live_seconds) > 1800")),
        "pinNotLiveAlertAfter defaults to 30m: {not_live:?}"
    );

    // The setting changes the threshold.
    let config = repo.read("rampart.yaml");
    repo.write(
        "rampart.yaml",
        &config.replacen(
            "  metricsFrom:",
            "  pinNotLiveAlertAfter: 2h\n  metricsFrom:",
            1,
        ),
    );
    assert_eq!(repo.rampart(&["render"]).code, 0);
    let rule = named(&objects(&repo, "prod"), "PrometheusRule", "rampart-serve").clone();
    let expr = rule["spec"]["groups"][0]["rules"][2]["expr"].as_str();
    assert!(expr.is_some_and(|e| e.ends_with(" > 7200")), "{expr:?}");
}

/// What `/metrics` shows once every family has a series (`prometheus-client` leaves out
/// a family with none): one call of each of the service's recording methods.
fn every_series() -> String {
    let metrics = rampart_serve::Metrics::default();
    metrics.record("vault", "failed", Duration::from_secs(1));
    metrics.delivery("delivered");
    metrics.set_leader(true);
    let id = rampart_rotate::SecretId {
        namespace: "shop".into(),
        app: "api".into(),
        secret: "api-db".into(),
        environment: "prod".into(),
    };
    let gauges = rampart_serve::SecretGauges {
        backend: "vault",
        last_success: Some(chrono::Utc::now()),
        next_due: Some(chrono::Utc::now()),
        behind: true,
    };
    metrics.set_secrets(&std::collections::BTreeMap::from([(id, gauges)]));
    let mut pins = rampart_serve::LivePins::default();
    let status = rampart_kube::status::SecretStatus {
        name: "api-db".into(),
        pinned: Some("3".into()),
        live: Some("2".into()),
        ready: Some("True".into()),
        reason: None,
        synced: true,
        refreshed: None,
        workloads: Vec::new(),
    };
    pins.observe(
        "prod",
        &[("shop".to_owned(), vec![status])],
        chrono::Utc::now(),
    );
    metrics.set_pins(&pins, chrono::Utc::now());
    metrics.rotation_live("prod", Duration::from_secs(300));
    metrics.render()
}

/// `rampart render` in `repo` must fail, naming `file:line` and saying `what`.
fn refused(repo: &Repo, at: &str, what: &str) {
    let before = repo.state();
    let out = repo.rampart(&["render"]);
    assert_ne!(out.code, 0, "{what}: accepted");
    assert!(
        out.stderr.contains(at),
        "{what}: no {at} in\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(what),
        "{what}: not said in\n{}",
        out.stderr
    );
    assert_eq!(repo.state(), before, "nothing written");
}

#[test]
fn bad_service_settings_are_refused_with_file_and_line() {
    let repo = Repo::init();
    let config = repo.read("rampart.yaml");
    let line_of = |needle: &str| {
        config
            .lines()
            .position(|l| l.contains(needle))
            .expect(needle)
            + 1
    };
    let cases = [
        (
            "registry.example.com/platform/rampart@sha256:",
            "registry.example.com/platform/rampart:latest # ",
            "image:",
            "is not pinned by digest",
        ),
        (
            "registry.example.com/platform/rampart@",
            "ghcr.io/evil/rampart@",
            "image:",
            "is not from a registry allowed in environment `dev`",
        ),
        (
            "https://git.example.com/platform/gitops.git",
            "https://bot:hunter2@git.example.com/platform/gitops.git",
            "repository:",
            "the URL carries user information",
        ),
        (
            "  namespace: rampart-system\n",
            "  namespace: shop\n",
            "namespace: rampart-system",
            "`shop` is also requested by specs/shop.yaml",
        ),
        (
            "    - toCidr: 192.0.2.10/32\n",
            "    - toCidr: 0.0.0.0/0\n",
            "toCidr: 192.0.2.10/32",
            "opens the whole internet",
        ),
        (
            "  labels: {cost-center: platform, data-classification: confidential}\n",
            "  labels: {cost-center: platform}\n",
            "labels: {cost-center",
            "required governance label `data-classification` is missing",
        ),
        (
            "    version: 1\n",
            "    version: {dev: 1}\n",
            "version: 1",
            "no version pinned for environment `staging`",
        ),
        (
            "  metricsFrom:",
            "  pinNotLiveAlertAfter: 90s\n  metricsFrom:",
            "metricsFrom:",
            "service.pinNotLiveAlertAfter: `90s` is not a number of minutes or hours",
        ),
        (
            "  metricsFrom:",
            "  pinNotLiveAlertAfter: 1m\n  metricsFrom:",
            "metricsFrom:",
            "`1m` is outside 5m to 168h",
        ),
    ];
    for (from, to, line_text, what) in cases {
        assert!(config.contains(from), "{from}");
        repo.write("rampart.yaml", &config.replacen(from, to, 1));
        refused(&repo, &format!("rampart.yaml:{}", line_of(line_text)), what);
    }
    repo.write("rampart.yaml", &config);
    let secret = "hunter2";
    assert!(!repo.git(&["log", "-p", "--all"]).contains(secret));

    // An environment's addresses and role are checked where they are written.
    let dev = repo.read("environments/dev.yaml");
    let line = dev
        .lines()
        .position(|l| l.contains("toCidr: 10.30.0.10/32"))
        .unwrap()
        + 1;
    repo.write(
        "environments/dev.yaml",
        &dev.replacen("10.30.0.10/32", "10.30.0.300/32", 1),
    );
    refused(
        &repo,
        &format!("environments/dev.yaml:{line}"),
        "service.egress[0].toCidr",
    );
    repo.write(
        "environments/dev.yaml",
        &dev.replacen(
            "service:\n",
            "service:\n  awsRoleArn: arn:aws:iam::1234:role/x\n",
            1,
        ),
    );
    refused(&repo, "environments/dev.yaml:", "is not an IAM role ARN");
    repo.write("environments/dev.yaml", &dev);
    repo.rampart(&["render"]).ok();
}

#[test]
fn existing_repositories_opt_in_and_the_section_can_be_switched_off() {
    let repo = Repo::init();
    let config = repo.read("rampart.yaml");
    let start = config.find("service:\n").unwrap();
    let end = start
        + config[start..]
            .find("\n# How `render`")
            .expect("next section");
    // Without the section (a repository from before it existed, so without networkTests,
    // whose probes run the image the section names) nothing is rendered, and the namespace
    // goes away with it.
    let staging = repo.read("environments/staging.yaml");
    repo.write(
        "environments/staging.yaml",
        &staging.replace("networkTests: true", "networkTests: false"),
    );
    repo.write(
        "rampart.yaml",
        &format!("{}{}", &config[..start], &config[end + 1..]),
    );
    repo.rampart(&["render"]).ok();
    assert!(!repo.dir.join(dir("dev")).exists());
    assert!(!repo.read("clusters/dev/kustomization.yaml").contains(NS));
    // Opting in renders it; `enabled: false` keeps the settings and renders nothing.
    repo.write("environments/staging.yaml", &staging);
    repo.write("rampart.yaml", &config);
    repo.rampart(&["render"]).ok();
    assert!(
        repo.dir
            .join(dir("prod"))
            .join("rotation-service.yaml")
            .exists()
    );
    repo.write(
        "rampart.yaml",
        &config.replacen("service:\n", "service:\n  enabled: false\n", 1),
    );
    repo.rampart(&["render"]).ok();
    assert!(!repo.dir.join(dir("prod")).exists());
    assert_eq!(repo.status(), "");
}

#[test]
fn the_rendered_deployment_runs_the_service_it_describes() {
    let bao = rampart_testkit::OpenBao::start();
    let api = rampart_testkit::LeaseApi::start();
    let s = Setup::new("  baseBranch: main\n", false);
    use_vault(&s.repo, &bao.addr());
    s.repo.git(&["add", "-A"]);
    s.repo.git(&["commit", "-q", "-m", "local OpenBao"]);
    s.repo.rampart(&["render"]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    seed_versions(&bao);

    // The dev Deployment's args, with what only a cluster has replaced by local stand-ins:
    // the clone URL (the bare remote), the work directory, the token file, the listen port.
    let objs = objects(&s.repo, "dev");
    let d = named(&objs, "Deployment", "rampart-serve");
    let mut args = strings(&d["spec"]["template"]["spec"]["containers"][0]["args"]);
    let pod = tempfile::TempDir::new().unwrap();
    let token_file = pod.path().join("token");
    std::fs::write(&token_file, "gitops-token-for-the-test\n").unwrap();
    let port = crate::support::free_port();
    for (flag, value) in [
        ("--clone", format!("file://{}", s.bare.display())),
        ("--workdir", pod.path().join("work").display().to_string()),
        ("--git-token-file", token_file.display().to_string()),
        ("--listen", format!("127.0.0.1:{port}")),
    ] {
        let i = args.iter().position(|a| a == flag).expect(flag);
        args[i + 1] = value;
    }
    let log = pod.path().join("serve.log");
    let child = Command::new(rampart_bin())
        .args(&args)
        .args(["--standby-retry", "1s", "--lease-duration", "3s"])
        .current_dir(pod.path())
        .env("KUBECONFIG", api.kubeconfig())
        .env("HOSTNAME", "rampart-serve-0")
        .env("VAULT_TOKEN", bao.root_token())
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("BAO_TOKEN")
        .env_remove("RAMPART_REPO")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start rampart serve");
    let mut service = Service { child, port, log };
    assert!(
        wait_until(Duration::from_secs(30), || service.leader()),
        "{}",
        service.log()
    );
    assert_eq!(
        api.holder(NS, "rampart-serve").as_deref(),
        Some("rampart-serve-0"),
        "the Lease the Role allows"
    );
    let mut series = Vec::new();
    assert!(
        wait_until(Duration::from_secs(30), || {
            series = service
                .get("/metrics")
                .map(|(_, body)| {
                    body.lines()
                        .filter(|l| l.starts_with("rampart_next_rotation_timestamp_seconds{"))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            !series.is_empty()
        }),
        "{}",
        service.log()
    );
    assert!(
        series.iter().all(|l| l.contains("environment=\"dev\"")),
        "--env dev schedules only dev's secrets: {series:?}"
    );
    assert!(
        wait_until(Duration::from_secs(30), || service
            .get("/readyz")
            .map(|r| r.0)
            == Some(200)),
        "{}",
        service.log()
    );
    let logged = service.log();
    assert!(
        logged.lines().all(|l| l.starts_with('{')),
        "JSON lines:\n{logged}"
    );
    assert!(!logged.contains("gitops-token-for-the-test"));
    assert!(service.stop().success(), "{}", service.log());
    assert_eq!(api.holder(NS, "rampart-serve"), None, "released on stop");
}
