//! `rampart cluster-config` and the `clusters/<env>/cluster/` files `render` commits: every
//! file parsed back into its type and checked for what it is for (checklist 4.1, 4.6, 5.1,
//! 6.1–6.6), strict schema validation of the built-in kinds, bad settings refused.

use crate::support::{Repo, tool};
use rampart_render::cluster::parse_flags;
use rampart_render::cluster::runtime_types::{PrometheusRule, TracingPolicy};
use rampart_render::cluster::upstream::{
    AdmissionConfiguration, AuditPolicy, EncryptionConfiguration, EventRateLimitConfiguration,
    KubeadmClusterConfiguration, Kubeconfig, Level, PodSecurityConfiguration, RequestAttributes,
    Stage,
};
use serde_json::Value;
use std::process::Command;

fn parse<T: serde::de::DeserializeOwned>(repo: &Repo, path: &str) -> T {
    rampart_yaml::reference::typed(&repo.read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cp(env: &str, file: &str) -> String {
    format!("clusters/{env}/cluster/control-plane/{file}")
}

fn rt(env: &str, file: &str) -> String {
    format!("clusters/{env}/cluster/runtime/{file}")
}

const EXPECTED_FILES: &[&str] = &[
    "admission/gatekeeper/constraint-templates.yaml",
    "admission/gatekeeper/constraints.yaml",
    "admission/gatekeeper/kustomization.yaml",
    "admission/kustomization.yaml",
    "admission/validating-admission-policies.yaml",
    "admission/validating-admission-policy-bindings.yaml",
    "control-plane/README.md",
    "control-plane/admission-config.yaml",
    "control-plane/audit-policy.yaml",
    "control-plane/encryption-config.yaml",
    "control-plane/eventratelimit-config.yaml",
    "control-plane/kube-apiserver.flags",
    "control-plane/kubeadm-patch.yaml",
    "runtime/falco-k8s-audit-rules.yaml",
    "runtime/falco-syscall-rules.yaml",
    "runtime/kustomization.yaml",
    "runtime/network-policy-alerts.yaml",
    "runtime/prometheus-rules.yaml",
    "runtime/tetragon-sensitive-files.yaml",
];

#[test]
fn cluster_config_writes_what_render_commits() {
    let repo = Repo::init();
    let out = tempfile::TempDir::new().unwrap();
    let dir = out.path().join("prod-cluster");
    let run = repo.rampart(&[
        "cluster-config",
        "--env",
        "prod",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let backend = repo.files_under("clusters/prod/cluster/secrets-backend");
    assert_eq!(backend.len(), 8, "{backend:?}");
    assert!(
        run.ok().contains(&format!(
            "{} files for environment prod",
            21 + backend.len()
        )),
        "{}",
        run.stdout
    );
    // Every committed file, the secrets backend's included, is what cluster-config wrote.
    for file in &backend {
        let rel = file.strip_prefix("clusters/prod/cluster/").unwrap();
        assert_eq!(
            std::fs::read(dir.join(rel)).unwrap(),
            repo.read(file).into_bytes(),
            "{rel}"
        );
    }
    let not_backend = |f: &String| !f.contains("/secrets-backend/");
    let committed: Vec<String> = repo
        .files_under("clusters/prod/cluster")
        .into_iter()
        .filter(not_backend)
        .collect();
    let mut expected: Vec<String> = EXPECTED_FILES
        .iter()
        .map(|f| format!("clusters/prod/cluster/{f}"))
        .collect();
    expected.push("clusters/prod/cluster/control-plane/audit-webhook-kubeconfig.yaml".into());
    // prod runs Cilium: the Helm values that turn on Hubble's drop metric and flow export.
    expected.push("clusters/prod/cluster/runtime/cilium-hubble-values.yaml".into());
    expected.sort();
    assert_eq!(committed, expected);
    for file in &committed {
        let rel = file.strip_prefix("clusters/prod/cluster/").unwrap();
        let written = std::fs::read(dir.join(rel)).unwrap();
        assert_eq!(written, repo.read(file).into_bytes(), "{rel}");
    }
    // dev sets no webhook (no kubeconfig) and runs Calico (no Hubble values).
    let dev: Vec<String> = repo
        .files_under("clusters/dev/cluster")
        .into_iter()
        .filter(not_backend)
        .collect();
    assert_eq!(dev.len(), EXPECTED_FILES.len(), "{dev:?}");
    assert!(
        repo.git(&["ls-files", "clusters/dev/cluster"])
            .lines()
            .filter(|f| !f.contains("/secrets-backend/"))
            .count()
            == EXPECTED_FILES.len()
    );
    let unknown = repo.rampart(&["cluster-config", "--env", "qa", "--out", "x"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("unknown environment `qa`"),
        "{}",
        unknown.stderr
    );
}

fn level(policy: &AuditPolicy, user: &str, verb: &str, group: &str, res: &str, sub: &str) -> Level {
    let groups: &[&str] = if user.starts_with("system:node:") {
        &["system:nodes", "system:authenticated"]
    } else {
        &["system:authenticated"]
    };
    policy.level_for(&RequestAttributes {
        user,
        groups,
        verb,
        group: Some(group),
        resource: res,
        subresource: sub,
        namespace: "shop",
        name: "x",
        path: "",
    })
}

#[test]
fn audit_policy_levels_in_rule_order() {
    let repo = Repo::init();
    for (env, ordinary) in [("dev", Level::Metadata), ("prod", Level::Request)] {
        let p: AuditPolicy = parse(&repo, &cp(env, "audit-policy.yaml"));
        assert_eq!(p.api_version, "audit.k8s.io/v1");
        assert_eq!(
            p.omit_stages,
            [Stage::RequestReceived],
            "only RequestReceived omitted"
        );
        assert!(
            p.rules.iter().all(|r| r.omit_stages.is_empty()),
            "ResponseStarted kept for exec alerts"
        );
        let last = p.rules.last().unwrap();
        assert_eq!(last.level, Level::Metadata);
        assert!(last.resources.is_empty() && last.verbs.is_empty() && last.users.is_empty());
        for user in [
            "alice",
            "system:serviceaccount:shop:api",
            "system:node:n1",
            "system:kube-controller-manager",
        ] {
            for verb in [
                "get", "list", "watch", "create", "update", "patch", "delete",
            ] {
                for (g, r, s) in [
                    ("", "secrets", ""),
                    ("", "configmaps", ""),
                    ("", "serviceaccounts", "token"),
                    ("authentication.k8s.io", "tokenreviews", ""),
                ] {
                    assert_eq!(
                        level(&p, user, verb, g, r, s),
                        Level::Metadata,
                        "{env}: {user} {verb} {r}"
                    );
                }
            }
        }
        for sub in ["exec", "attach", "portforward"] {
            for verb in ["create", "get"] {
                assert_eq!(
                    level(&p, "alice", verb, "", "pods", sub),
                    Level::Request,
                    "{env} pods/{sub}"
                );
            }
        }
        assert_eq!(
            level(&p, "alice", "get", "", "nodes", "proxy"),
            Level::Request,
            "{env}: the kubelet API"
        );
        for (g, r) in [
            ("", "pods"),
            ("apps", "deployments"),
            ("apps", "statefulsets"),
            ("batch", "cronjobs"),
        ] {
            assert_eq!(
                level(&p, "alice", "patch", g, r, ""),
                Level::Request,
                "{env}: image changes on {r}"
            );
        }
        for r in [
            "clusterrolebindings",
            "rolebindings",
            "clusterroles",
            "roles",
        ] {
            assert_eq!(
                level(&p, "alice", "create", "rbac.authorization.k8s.io", r, ""),
                Level::RequestResponse
            );
        }
        assert_eq!(
            level(
                &p,
                "alice",
                "delete",
                "admissionregistration.k8s.io",
                "validatingadmissionpolicies",
                ""
            ),
            Level::RequestResponse
        );
        assert_eq!(
            level(&p, "alice", "get", "", "services", ""),
            ordinary,
            "{env}: ordinary level"
        );
        assert_eq!(
            level(&p, "alice", "get", "example.com", "widgets", ""),
            Level::Metadata,
            "catch-all"
        );
        assert_eq!(
            level(&p, "system:node:n1", "get", "", "nodes", ""),
            Level::None,
            "node noise"
        );
        let health = RequestAttributes {
            user: "alice",
            verb: "get",
            path: "/readyz",
            ..Default::default()
        };
        assert_eq!(p.level_for(&health), Level::None);
        // Every None rule is read-only traffic or events.
        for rule in p.rules.iter().filter(|r| r.level == Level::None) {
            let read_only = !rule.verbs.is_empty()
                && rule
                    .verbs
                    .iter()
                    .all(|v| ["get", "list", "watch"].contains(&v.as_str()));
            let events = !rule.resources.is_empty()
                && rule.resources.iter().all(|g| g.resources == ["events"]);
            assert!(read_only || events, "{env}: {rule:?}");
        }
    }
}

#[test]
fn encryption_kms_v2_first_and_keys_only_by_reference() {
    let repo = Repo::init();
    let c: EncryptionConfiguration = parse(&repo, &cp("prod", "encryption-config.yaml"));
    let providers = &c.resources[0].providers;
    assert_eq!(c.resources[0].resources, ["secrets"]);
    let kms = providers[0].kms.as_ref().expect("KMS first");
    assert_eq!(kms.api_version.as_deref(), Some("v2"));
    assert!(kms.endpoint.starts_with("unix:///"));
    assert!(
        providers.iter().all(|p| p.identity.is_none()),
        "no identity unless migrating"
    );

    // secretbox while migrating: keys as placeholders, identity last.
    let prod = repo.read("environments/prod.yaml");
    let (head, _) = prod.split_once("  encryption:").unwrap();
    repo.write(
        "environments/prod.yaml",
        &format!("{head}  encryption:\n    provider: secretbox\n    keys:\n    - {{name: key-2026-02, env: ENC_KEY_NEW}}\n    - {{name: key-2026-01, env: ENC_KEY_OLD}}\n    migrating: true\n"),
    );
    repo.rampart(&["render"]).ok();
    let c: EncryptionConfiguration = parse(&repo, &cp("prod", "encryption-config.yaml"));
    let providers = &c.resources[0].providers;
    let keys = &providers[0]
        .secretbox
        .as_ref()
        .expect("secretbox first")
        .keys;
    assert_eq!(
        keys.iter().map(|k| k.secret.as_str()).collect::<Vec<_>>(),
        ["${ENC_KEY_NEW}", "${ENC_KEY_OLD}"]
    );
    assert!(
        providers.last().unwrap().identity.is_some(),
        "identity last while migrating"
    );
    assert_eq!(providers.len(), 2);
    insta::assert_snapshot!(
        "secretbox_migrating_encryption_config",
        repo.read(&cp("prod", "encryption-config.yaml"))
    );
    let readme = repo.read(&cp("prod", "README.md"));
    assert!(readme.contains("kubectl get secrets --all-namespaces -o json | kubectl replace -f -"));
    assert!(readme.contains("Add the new key **second**"), "{readme}");
    // No key material in any generated file: no base64 run mixing cases and digits as keys
    // do, and the secret guard every commit passes finds nothing either.
    let base64 = regex::Regex::new(r"[A-Za-z0-9+/]{22,}={0,2}").unwrap();
    // Gatekeeper's CamelCase kind names (K8sRampartAllowedRepos) look like base64 runs.
    let camel_case = regex::Regex::new(r"^(?:[A-Z][a-z0-9]+)+$").unwrap();
    for file in repo.files_under("clusters") {
        let text = repo.read(&file);
        for m in base64.find_iter(&text).map(|m| m.as_str()) {
            let mixed = m.bytes().any(|b| b.is_ascii_digit())
                && m.bytes().any(|b| b.is_ascii_uppercase())
                && m.bytes().any(|b| b.is_ascii_lowercase());
            // An EKS OIDC provider id (`…amazonaws.com/id/<hex>`) names the cluster's issuer.
            let oidc_id = m.starts_with("com/id/");
            assert!(!mixed || camel_case.is_match(m) || oidc_id, "{file}: {m}");
        }
    }
    repo.rampart(&["scan", "clusters"]).ok();
    // The check above finds a real key.
    let key = "dGhpcyBpcyBhIDMyIGJ5dGUga2V5IGZvciB0ZXN0cyE=";
    assert!(
        base64
            .find(key)
            .is_some_and(|m| m.as_str().bytes().any(|b| b.is_ascii_digit()))
    );
}

#[test]
fn apiserver_flags_file_matches_the_kubeadm_patch() {
    let repo = Repo::init();
    let flags = parse_flags(&repo.read(&cp("prod", "kube-apiserver.flags"))).unwrap();
    let get = |name: &str| {
        flags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        get("enable-admission-plugins"),
        Some(
            "NodeRestriction,EventRateLimit,AlwaysPullImages,PodSecurity,ValidatingAdmissionPolicy"
        )
    );
    assert_eq!(get("audit-log-maxage"), Some("30"));
    assert_eq!(get("audit-log-maxbackup"), Some("10"));
    assert_eq!(get("audit-log-maxsize"), Some("100"));
    assert_eq!(get("audit-webhook-mode"), Some("batch"));
    assert_eq!(get("audit-webhook-batch-max-wait"), Some("30s"));
    assert_eq!(
        get("encryption-provider-config"),
        Some("/etc/kubernetes/rampart/encryption-config.yaml")
    );
    assert!(get("audit-webhook-config-file").is_some());
    let dev = parse_flags(&repo.read(&cp("dev", "kube-apiserver.flags"))).unwrap();
    assert!(
        !dev.iter().any(|(n, _)| n.starts_with("audit-webhook")),
        "dev forwards nowhere"
    );
    let patch: KubeadmClusterConfiguration = parse(&repo, &cp("prod", "kubeadm-patch.yaml"));
    let args: Vec<(String, String)> = patch
        .api_server
        .extra_args
        .into_iter()
        .map(|a| (a.name, a.value))
        .collect();
    assert_eq!(args, flags);
    let mounts: Vec<&str> = patch
        .api_server
        .extra_volumes
        .iter()
        .map(|v| v.host_path.as_str())
        .collect();
    assert_eq!(
        mounts,
        [
            "/etc/kubernetes/rampart",
            "/var/log/kubernetes/audit",
            "/var/run/kmsplugin",
            // The audit webhook's tokenFile (its caFile is under kubeadm's own pki).
            "/etc/kubernetes/audit"
        ]
    );
    // Every flag naming a file names one that is generated and mounted read-only.
    for (name, value) in &flags {
        if name.ends_with("-file") || name.ends_with("-config") {
            let file = value
                .strip_prefix("/etc/kubernetes/rampart/")
                .unwrap_or_else(|| panic!("{name}={value}"));
            assert!(
                repo.files_under("clusters/prod/cluster/control-plane")
                    .contains(&cp("prod", file)),
                "{file}"
            );
        }
    }
}

#[test]
fn admission_and_webhook_configuration() {
    let repo = Repo::init();
    let a: AdmissionConfiguration = parse(&repo, &cp("prod", "admission-config.yaml"));
    let ps = a.plugins.iter().find(|p| p.name == "PodSecurity").unwrap();
    let ps: PodSecurityConfiguration =
        serde_json::from_value(ps.configuration.clone().unwrap()).unwrap();
    assert_eq!(
        (
            ps.defaults.enforce.as_str(),
            ps.defaults.enforce_version.as_str()
        ),
        ("restricted", "v1.34")
    );
    // Falco and node-exporter DaemonSets need host access `restricted` refuses.
    assert_eq!(
        ps.exemptions.namespaces,
        ["kube-system", "falco", "monitoring"]
    );
    let erl = a
        .plugins
        .iter()
        .find(|p| p.name == "EventRateLimit")
        .unwrap();
    assert_eq!(
        erl.path.as_deref(),
        Some("/etc/kubernetes/rampart/eventratelimit-config.yaml")
    );
    let limits: EventRateLimitConfiguration =
        parse(&repo, &cp("prod", "eventratelimit-config.yaml"));
    assert_eq!(
        limits
            .limits
            .iter()
            .map(|l| l.kind.as_str())
            .collect::<Vec<_>>(),
        ["Server", "Namespace", "User"]
    );
    let k: Kubeconfig = parse(&repo, &cp("prod", "audit-webhook-kubeconfig.yaml"));
    assert_eq!(
        k.clusters[0].cluster.server,
        "https://siem.example.com/k8s-audit"
    );
    assert_eq!(
        k.users[0].user.token_file.as_deref(),
        Some("/etc/kubernetes/audit/siem-token")
    );
    assert_eq!(k.current_context, k.contexts[0].name);
}

fn falco_items(repo: &Repo, path: &str) -> Vec<Value> {
    let items: Vec<Value> = parse(repo, path);
    // Each macro or list used is defined before its use; every rule is complete.
    let mut defined: Vec<String> = Vec::new();
    for item in &items {
        let text = [&item["condition"], &item["items"]]
            .iter()
            .map(|v| rampart_yaml::to_string(v).unwrap())
            .collect::<String>();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("rampart_") {
                assert!(
                    defined.iter().any(|d| d == word),
                    "{path}: {word} used before definition"
                );
            }
        }
        if let Some(name) = item["macro"].as_str().or(item["list"].as_str()) {
            defined.push(name.to_string());
        }
        if item["rule"].is_string() {
            for field in ["desc", "condition", "output", "priority", "source"] {
                assert!(
                    item[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{path}: {field} of {:?}",
                    item["rule"]
                );
            }
        }
    }
    items
}

/// Falco fields the rules may use: those of the k8saudit plugin (falcosecurity/plugins
/// `plugins/k8saudit/pkg/k8saudit/extract.go`) and of libsinsp, so a misspelt field fails here
/// rather than when Falco loads the file.
const FALCO_FIELDS: &[&str] = &[
    "ka.stage",
    "ka.verb",
    "ka.user.name",
    "ka.user.groups",
    "ka.target.resource",
    "ka.target.subresource",
    "ka.target.name",
    "ka.target.namespace",
    "ka.response.code",
    "ka.req.binding.role",
    "ka.req.binding.subjects",
    "ka.req.pod.containers.image",
    "ka.uri.param",
    "ka.useragent",
    "jevt.value",
    "evt.type",
    "container.id",
    "container.name",
    "container.image.repository",
    "proc.name",
    "proc.pname",
    "proc.tty",
    "proc.cmdline",
    "user.name",
    "user.uid",
    "k8s.pod.name",
    "k8s.ns.name",
];

fn check_fields(items: &[Value]) -> usize {
    let mut seen = 0;
    let field =
        regex::Regex::new(r"\b(?:ka|jevt|evt|container|proc|user|k8s)\.[a-z_.]*[a-z_]").unwrap();
    for item in items {
        for key in ["condition", "output"] {
            for m in field.find_iter(item[key].as_str().unwrap_or_default()) {
                assert!(
                    FALCO_FIELDS.contains(&m.as_str()),
                    "unknown Falco field {} in {:?}",
                    m.as_str(),
                    item["rule"]
                );
                seen += 1;
            }
        }
    }
    seen
}

fn rule<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["rule"] == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

#[test]
fn falco_rules_cover_exec_secrets_rbac_images_and_shells() {
    let repo = Repo::init();
    let audit = falco_items(&repo, &rt("prod", "falco-k8s-audit-rules.yaml"));
    let cond = |name: &str| {
        rule(&audit, name)["condition"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        cond("Rampart Exec or Attach into Pod").contains("ka.target.subresource in (exec, attach)")
    );
    assert!(
        rule(&audit, "Rampart Exec or Attach into Pod")["condition"]
            .as_str()
            .unwrap()
            .starts_with("rampart_response_started")
    );
    let started = audit
        .iter()
        .find(|i| i["macro"] == "rampart_response_started")
        .unwrap();
    assert_eq!(started["condition"], "ka.stage=ResponseStarted");
    assert!(
        cond("Rampart Secret Read by Unexpected Identity")
            .contains("not ka.user.name in (rampart_secret_readers)")
    );
    assert!(cond("Rampart RBAC Changed").contains("rampart_rbac_resources"));
    assert!(cond("Rampart ClusterRoleBinding Created").contains("clusterrolebindings"));
    assert_eq!(
        rule(&audit, "Rampart Binding to cluster-admin")["priority"],
        "CRITICAL",
        "cluster-admin above all"
    );
    assert!(
        cond("Rampart Image Change in Production Namespace")
            .contains("rampart_production_namespace")
    );
    for r in audit.iter().filter(|i| i["rule"].is_string()) {
        assert_eq!(r["source"], "k8s_audit");
    }
    assert!(check_fields(&audit) > 40);
    let syscall = falco_items(&repo, &rt("prod", "falco-syscall-rules.yaml"));
    assert!(check_fields(&syscall) > 10);
    let shell = rule(&syscall, "Rampart Terminal Shell in Container");
    assert_eq!(shell["source"], "syscall");
    assert!(
        shell["condition"]
            .as_str()
            .unwrap()
            .contains("proc.tty != 0")
    );

    // Production namespaces named explicitly replace "everything but the system".
    let prod = repo.read("environments/prod.yaml");
    repo.write(
        "environments/prod.yaml",
        &format!("{prod}  runtime:\n    productionNamespaces: [shop, payments]\n"),
    );
    repo.rampart(&["render"]).ok();
    let audit = falco_items(&repo, &rt("prod", "falco-k8s-audit-rules.yaml"));
    let list = audit
        .iter()
        .find(|i| i["list"] == "rampart_production_namespaces")
        .unwrap();
    assert_eq!(
        list["items"],
        rampart_yaml::reference::typed::<Value>("[shop, payments]").unwrap()
    );
    let m = audit
        .iter()
        .find(|i| i["macro"] == "rampart_production_namespace")
        .unwrap();
    assert_eq!(
        m["condition"],
        "ka.target.namespace in (rampart_production_namespaces)"
    );
}

#[test]
fn tetragon_policy_and_audit_pipeline_alerts() {
    let repo = Repo::init();
    let t: TracingPolicy = parse(&repo, &rt("prod", "tetragon-sensitive-files.yaml"));
    let calls: Vec<&str> = t.spec.kprobes.iter().map(|k| k.call.as_str()).collect();
    assert_eq!(
        calls,
        [
            "security_file_permission",
            "security_mmap_file",
            "security_path_truncate"
        ]
    );
    let reads = &t.spec.kprobes[0].selectors[0].match_args;
    assert!(reads[0].values.iter().any(|v| v == "/etc/shadow"));
    assert_eq!(
        (reads[1].operator.as_str(), reads[1].values.as_slice()),
        ("Equal", &["4".to_string()][..]),
        "MAY_READ"
    );
    let r: PrometheusRule = parse(&repo, &rt("prod", "prometheus-rules.yaml"));
    assert_eq!(r.metadata.namespace.as_deref(), Some("monitoring"));
    let rules: Vec<_> = r.spec.groups.iter().flat_map(|g| &g.rules).collect();
    assert!(
        rules
            .iter()
            .all(|r| !r.expr.trim().is_empty() && r.expr.contains("apiserver_audit_"))
    );
    for metric in [
        "apiserver_audit_error_total",
        "apiserver_audit_event_total",
        "apiserver_audit_requests_rejected_total",
    ] {
        assert!(rules.iter().any(|r| r.expr.contains(metric)), "{metric}");
    }
    assert!(
        rules.iter().any(|r| r.alert == "KubeAuditWebhookDropping"),
        "prod forwards to a SIEM"
    );
    let dev: PrometheusRule = parse(&repo, &rt("dev", "prometheus-rules.yaml"));
    assert!(
        dev.spec.groups[0]
            .rules
            .iter()
            .all(|r| r.alert != "KubeAuditWebhookDropping")
    );
}

#[test]
fn runtime_kustomization_builds_and_its_configmap_passes_strict_validation() {
    let validator = tool("kubernetes-validate");
    let kubectl = tool("kubectl");
    let repo = Repo::init();
    let out = Command::new(&kubectl)
        .args(["kustomize", "clusters/prod/cluster/runtime"])
        .current_dir(&repo.dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let built = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<Value> = rampart_yaml::reference::documents(&built).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    // The audit-pipeline and the NetworkPolicy drop alerts; the Helm values are no object.
    assert_eq!(
        kinds.iter().filter(|k| **k == "PrometheusRule").count(),
        2,
        "{kinds:?}"
    );
    assert!(!built.contains("hubble:"), "{built}");
    let cm = docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap();
    assert_eq!(cm["metadata"]["name"], "rampart-falco-rules");
    assert_eq!(cm["metadata"]["namespace"], "falco");
    let rules = cm["data"]["falco-k8s-audit-rules.yaml"].as_str().unwrap();
    assert_eq!(rules, repo.read(&rt("prod", "falco-k8s-audit-rules.yaml")));
    let file = repo.dir.join("configmap.yaml");
    std::fs::write(&file, rampart_yaml::to_string(cm).unwrap()).unwrap();
    let out = Command::new(&validator)
        .args(["--strict", "-k", "1.34.0"])
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("against version 1.34"), "{text}");
}

#[test]
fn settings_that_would_log_secret_bodies_are_refused_and_nothing_is_written() {
    let repo = Repo::init();
    let prod = repo.read("environments/prod.yaml");
    let bad = prod
        .replace("    level: Request ", "    level: RequestResponse ")
        .replace(
            "  encryption:\n",
            "    overrides:\n    - group: \"\"\n      resources: [\"*\"]\n      level: Request\n  encryption:\n",
        );
    assert_ne!(bad, prod);
    repo.write("environments/prod.yaml", &bad);
    let level_line = bad
        .lines()
        .position(|l| l.contains("level: RequestResponse"))
        .unwrap()
        + 1;
    let override_line = bad
        .lines()
        .position(|l| l == "      level: Request")
        .unwrap()
        + 1;
    let before = repo.state();

    let out_dir = repo.dir.join("out");
    let run = repo.rampart(&[
        "cluster-config",
        "--env",
        "prod",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("environments/prod.yaml:{level_line}:")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("cluster.audit.level: `RequestResponse`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("environments/prod.yaml:{override_line}:")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("covers `secrets`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("help: narrow `group`/`resources`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert!(!out_dir.exists(), "nothing written");

    let render = repo.rampart(&["render"]);
    assert_eq!(render.code, 2, "{}", render.stderr);
    assert!(
        render
            .stderr
            .contains(&format!("environments/prod.yaml:{level_line}:"))
    );
    assert_eq!(repo.state(), before, "render changed nothing");
}

#[test]
fn render_owns_the_cluster_directory() {
    let repo = Repo::init();
    let policy = cp("dev", "audit-policy.yaml");
    let original = repo.read(&policy);
    repo.write(
        &policy,
        &original.replace("- level: Metadata\n", "- level: None\n"),
    );
    repo.write(
        "clusters/dev/cluster/control-plane/stale.yaml",
        "kind: Leftover\n",
    );
    let check = repo.rampart(&["render", "--check"]);
    assert_eq!(check.code, 1);
    assert!(
        check
            .stdout
            .contains("control-plane/audit-policy.yaml: stale or hand-edited"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("control-plane/stale.yaml: left over"),
        "{}",
        check.stdout
    );
    repo.rampart(&["render"]).ok();
    assert_eq!(repo.read(&policy), original, "hand edit undone");
    assert!(
        !repo
            .dir
            .join("clusters/dev/cluster/control-plane/stale.yaml")
            .exists()
    );

    // A settings change re-renders the cluster files even when every namespace is cached.
    let dev = repo.read("environments/dev.yaml");
    repo.write(
        "environments/dev.yaml",
        &format!("{dev}cluster:\n  audit:\n    level: Request\n"),
    );
    let out = repo.rampart(&["render"]);
    assert!(out.ok().contains("clusters/dev/cluster/"), "{}", out.stdout);
    let p: AuditPolicy = parse(&repo, &policy);
    assert_eq!(
        level(&p, "alice", "get", "", "services", ""),
        Level::Request
    );
    assert_eq!(repo.status(), "");
}

#[test]
fn secretbox_control_plane_readme_snapshot() {
    let repo = Repo::init();
    let dev = repo.read("environments/dev.yaml");
    repo.write(
        "environments/dev.yaml",
        &format!("{dev}cluster:\n  encryption:\n    provider: secretbox\n    keys: [{{name: key-1, env: RAMPART_ENCRYPTION_KEY_1}}]\n"),
    );
    repo.rampart(&["render"]).ok();
    insta::assert_snapshot!(
        "secretbox_control_plane_readme",
        repo.read(&cp("dev", "README.md"))
    );
}

#[test]
fn network_policy_cni_decides_the_drop_alerts() {
    let repo = Repo::init();
    let alerts = |env: &str| rt(env, "network-policy-alerts.yaml");
    let values = |env: &str| rt(env, "cilium-hubble-values.yaml");
    let groups = |env: &str| -> Vec<String> {
        let r: PrometheusRule = parse(&repo, &alerts(env));
        r.spec.groups.into_iter().map(|g| g.name).collect()
    };
    // The example environments: prod runs Cilium, dev Calico.
    assert_eq!(groups("prod"), ["rampart-network-policy-cilium"]);
    assert_eq!(groups("dev"), ["rampart-network-policy-calico"]);
    let hubble: Value = parse(&repo, &values("prod"));
    assert_eq!(
        hubble["hubble"]["export"]["static"]["filePath"],
        "/var/run/cilium/hubble/dropped-flows.log"
    );
    assert!(!repo.dir.join(values("dev")).exists());

    // `none`: the alert file and the Helm values go, the kustomization and the README say so,
    // and nothing else under the cluster directory changes.
    let before: Vec<(String, String)> = repo
        .files_under("clusters/prod/cluster")
        .into_iter()
        .map(|f| {
            let text = repo.read(&f);
            (f, text)
        })
        .collect();
    let prod = repo.read("environments/prod.yaml");
    repo.write(
        "environments/prod.yaml",
        &prod.replace("  cni: cilium\n", "  cni: none\n"),
    );
    let out = repo.rampart(&["render"]);
    assert!(
        out.ok().contains("clusters/prod/cluster/"),
        "{}",
        out.stdout
    );
    assert!(!repo.dir.join(alerts("prod")).exists());
    assert!(!repo.dir.join(values("prod")).exists());
    assert!(
        !repo
            .read(&rt("prod", "kustomization.yaml"))
            .contains("network-policy-alerts")
    );
    assert!(
        repo.read(&cp("prod", "README.md"))
            .contains("no alert watches the packets the\nNetworkPolicies drop")
    );
    let changed: Vec<&str> = before
        .iter()
        .filter(|(f, text)| !repo.dir.join(f).exists() || repo.read(f) != *text)
        .map(|(f, _)| f.as_str())
        .collect();
    assert_eq!(
        changed,
        [
            "clusters/prod/cluster/control-plane/README.md",
            "clusters/prod/cluster/runtime/cilium-hubble-values.yaml",
            "clusters/prod/cluster/runtime/kustomization.yaml",
            "clusters/prod/cluster/runtime/network-policy-alerts.yaml",
        ]
    );
    assert_eq!(repo.status(), "");

    // An unknown CNI is refused at its line, and nothing is written.
    let before = repo.state();
    let weave = prod.replace("  cni: cilium\n", "  cni: weave\n");
    repo.write("environments/prod.yaml", &weave);
    let line = weave.lines().position(|l| l == "  cni: weave").unwrap() + 1;
    let run = repo.rampart(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "environments/prod.yaml:{line}:8: error: networkPolicy.cni: unknown variant `weave`, expected one of `cilium`, `calico`, `none`"
        )),
        "{}",
        run.stderr
    );
    repo.write(
        "environments/prod.yaml",
        &prod.replace("  cni: cilium\n", "  cni: none\n"),
    );
    assert_eq!(repo.state(), before, "render changed nothing");
}
