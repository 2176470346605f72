use super::checks::check_file;
use super::upstream::{AuditPolicy, Level, RequestAttributes};
use super::*;
use crate::canonical::parse_documents;

const BASE: &str = "apiVersion: rampart.dev/v1alpha1\nkind: Environment\nname: dev\nkubernetesVersion: \"1.35\"\n\
    podSecurity: {enforce: restricted, enforceVersion: v1.35, audit: restricted, warn: restricted}\n\
    defaults: {quota: {}, limits: {cpu: 500m, memory: 512Mi, ephemeralStorage: 1Gi}, replicas: 2}\n\
    allowedRegistries: [registry.example.com/]\ndns: {namespace: kube-system, podLabels: {k8s-app: kube-dns}}\n";

fn env(cluster: &str) -> Environment {
    rampart_model::parse_environment("environments/dev.yaml", &format!("{BASE}{cluster}"), "dev")
        .unwrap()
}

fn text(files: &ClusterFiles, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

#[test]
fn policy_matching_follows_the_apiserver_rules() {
    let policy: AuditPolicy = serde_yaml::from_str(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n\
         - {level: None, nonResourceURLs: [\"/healthz*\"]}\n\
         - {level: Request, resources: [{group: \"\", resources: [\"pods/*\"]}]}\n\
         - {level: RequestResponse, resources: [{group: \"\", resources: [\"*/status\"]}]}\n\
         - {level: Metadata, users: [bob], resources: [{group: apps}]}\n\
         - {level: None, namespaces: [kube-system]}\n",
    )
    .unwrap();
    let req = |group: Option<&'static str>, resource, sub, path| RequestAttributes {
        user: "alice",
        verb: "get",
        group,
        resource,
        subresource: sub,
        namespace: "shop",
        path,
        ..Default::default()
    };
    assert_eq!(
        policy.level_for(&req(None, "", "", "/healthz/etcd")),
        Level::None
    );
    assert_eq!(
        policy.level_for(&req(None, "", "", "/metrics")),
        Level::None,
        "no rule"
    );
    assert_eq!(
        policy.level_for(&req(Some(""), "pods", "", "")),
        Level::Request,
        "res/* matches res"
    );
    assert_eq!(
        policy.level_for(&req(Some(""), "pods", "exec", "")),
        Level::Request
    );
    assert_eq!(
        policy.level_for(&req(Some(""), "nodes", "status", "")),
        Level::RequestResponse
    );
    assert_eq!(
        policy.level_for(&req(Some(""), "nodes", "", "")),
        Level::None
    );
    assert_eq!(
        policy.level_for(&req(Some("apps"), "deployments", "", "")),
        Level::None,
        "bob only"
    );
}

#[test]
fn variants_render_and_pass_their_checks() {
    let plain = render_cluster(&env("")).unwrap();
    assert!(!plain.contains_key("control-plane/audit-webhook-kubeconfig.yaml"));
    let webhook = render_cluster(&env(
        "cluster:\n  audit:\n    webhook:\n      server: https://siem.example.com/audit\n      clientCertificate: /etc/k/c.crt\n      clientKey: /etc/k/c.key\n",
    ))
    .unwrap();
    let kubeconfig = text(&webhook, "control-plane/audit-webhook-kubeconfig.yaml");
    assert!(
        kubeconfig.contains("client-key: /etc/k/c.key"),
        "{kubeconfig}"
    );
    assert!(text(&webhook, "runtime/prometheus-rules.yaml").contains("KubeAuditWebhookDropping"));
    let secretbox = render_cluster(&env(
        "cluster:\n  encryption:\n    provider: secretbox\n    keys: [{name: new, env: KEY_NEW}, {name: old, env: KEY_OLD}]\n    migrating: true\n",
    ))
    .unwrap();
    let enc = text(&secretbox, "control-plane/encryption-config.yaml");
    assert!(enc.contains("secret: \"${KEY_NEW}\""), "{enc}");
    assert!(!enc.contains("kms"), "{enc}");
    let readme = text(&secretbox, "control-plane/README.md");
    assert!(readme.contains("envsubst '$KEY_NEW$KEY_OLD'"), "{readme}");
    assert!(readme.contains("Move the new key **first**"), "{readme}");
}

#[test]
fn the_render_refuses_a_policy_that_would_log_secret_bodies() {
    let env = env("");
    let files = render_cluster(&env).unwrap();
    let good = text(&files, "control-plane/audit-policy.yaml");
    let docs = parse_documents(&good).unwrap();
    check_file("control-plane/audit-policy.yaml", &docs, &env).unwrap();
    // Secrets moved below the ordinary rule: they would be recorded at Request.
    let mut doc = docs[0].clone();
    let rules = doc["rules"].as_array_mut().unwrap();
    let at = rules
        .iter()
        .position(|r| r["resources"][0]["resources"][0] == "secrets")
        .unwrap();
    let secrets = rules.remove(at);
    let last = rules.len() - 1;
    rules.insert(last, secrets);
    rules[last - 1]["level"] = "Request".into();
    let err = check_file("control-plane/audit-policy.yaml", &[doc], &env).unwrap_err();
    assert!(err.contains("not Metadata"), "{err}");
    // An unknown field is refused by the typed mirror.
    let mut doc = docs[0].clone();
    doc["rules"][0]["omitStage"] = serde_json::json!(["ResponseStarted"]);
    let err = check_file("control-plane/audit-policy.yaml", &[doc], &env).unwrap_err();
    assert!(err.contains("unknown field `omitStage`"), "{err}");
}

#[test]
fn rendering_is_deterministic() {
    let env = env("");
    assert_eq!(render_cluster(&env).unwrap(), render_cluster(&env).unwrap());
}

#[test]
fn the_audit_webhook_credentials_are_mounted_into_kube_apiserver() {
    let volumes = |files: &ClusterFiles| -> Vec<serde_json::Value> {
        let patch = parse_documents(&text(files, "control-plane/kubeadm-patch.yaml")).unwrap();
        patch[0]["apiServer"]["extraVolumes"]
            .as_array()
            .unwrap()
            .clone()
    };
    // The prod shape: a token under /etc/kubernetes/audit, the CA under kubeadm's pki.
    let prod = render_cluster(&env(
        "cluster:\n  audit:\n    webhook:\n      server: https://siem.example.com/audit\n      caFile: /etc/kubernetes/pki/siem-ca.crt\n      tokenFile: /etc/kubernetes/audit/siem-token\n",
    ))
    .unwrap();
    let mounted = volumes(&prod);
    let token_dir: Vec<_> = mounted
        .iter()
        .filter(|v| v["hostPath"] == "/etc/kubernetes/audit")
        .collect();
    assert_eq!(token_dir.len(), 1, "{mounted:?}");
    assert_eq!(token_dir[0]["mountPath"], "/etc/kubernetes/audit");
    assert_eq!(token_dir[0]["readOnly"], true);
    assert!(
        !mounted
            .iter()
            .any(|v| v["hostPath"] == "/etc/kubernetes/pki"),
        "kubeadm mounts its pki itself: {mounted:?}"
    );
    let names: std::collections::BTreeSet<_> = mounted
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), mounted.len(), "volume names are unique");
    let readme = text(&prod, "control-plane/README.md");
    assert!(
        readme.contains("credential\ndirectory `/etc/kubernetes/audit` read-only"),
        "{readme}"
    );
    assert!(
        readme.contains("`/etc/kubernetes/audit/siem-token`"),
        "{readme}"
    );

    // A client certificate and key in nested directories: one mount; the CA elsewhere.
    let cert = render_cluster(&env(
        "cluster:\n  audit:\n    webhook:\n      server: https://siem.example.com/audit\n      clientCertificate: /etc/siem/c.crt\n      clientKey: /etc/siem/keys/c.key\n      caFile: /var/lib/siem-ca/ca.crt\n",
    ))
    .unwrap();
    let dirs: Vec<_> = volumes(&cert)
        .iter()
        .filter(|v| {
            v["name"]
                .as_str()
                .unwrap()
                .starts_with("rampart-audit-webhook")
        })
        .map(|v| v["hostPath"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(dirs, ["/etc/siem", "/var/lib/siem-ca"]);
    // Without a webhook nothing extra is mounted.
    let plain = render_cluster(&env("")).unwrap();
    assert!(!volumes(&plain).iter().any(|v| {
        v["name"]
            .as_str()
            .unwrap()
            .starts_with("rampart-audit-webhook")
    }));
}

#[test]
fn pod_security_defaults_exempt_the_falco_and_monitoring_namespaces() {
    let exemptions = |files: &ClusterFiles| -> Vec<String> {
        let config = parse_documents(&text(files, "control-plane/admission-config.yaml")).unwrap();
        let psa = config[0]["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "PodSecurity")
            .unwrap()
            .clone();
        serde_json::from_value(psa["configuration"]["exemptions"]["namespaces"].clone()).unwrap()
    };
    // Defaults: Falco and node-exporter DaemonSets would otherwise meet `restricted`.
    assert_eq!(
        exemptions(&render_cluster(&env("")).unwrap()),
        ["kube-system", "falco", "monitoring"]
    );
    // Moved namespaces move with them; a namespace listed twice appears once.
    let custom = render_cluster(&env(
        "cluster:\n  admission:\n    podSecurityExemptions: [kube-system, observability]\n  runtime:\n    falcoNamespace: security\n    monitoringNamespace: observability\n",
    ))
    .unwrap();
    assert_eq!(
        exemptions(&custom),
        ["kube-system", "observability", "security"]
    );
}

#[test]
fn event_rate_limits_without_a_cache_size_leave_the_field_out() {
    let files = render_cluster(&env("")).unwrap();
    let config = text(&files, "control-plane/eventratelimit-config.yaml");
    assert!(!config.contains("null"), "{config}");
    let doc = &parse_documents(&config).unwrap()[0];
    let limits = doc["limits"].as_array().unwrap();
    let server = limits.iter().find(|l| l["type"] == "Server").unwrap();
    assert!(server.get("cacheSize").is_none(), "{server}");
    let user = limits.iter().find(|l| l["type"] == "User").unwrap();
    assert_eq!(user["cacheSize"], 2000);
}
