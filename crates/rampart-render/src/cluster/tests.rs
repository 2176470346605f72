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
    let policy: AuditPolicy = rampart_yaml::reference::typed(
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

/// The environment with `networkPolicy: {cni: CNI}`.
fn with_cni(cni: &str) -> Environment {
    env(&format!("networkPolicy:\n  cni: {cni}\n"))
}

const ALERTS: &str = "runtime/network-policy-alerts.yaml";
const HUBBLE_VALUES: &str = "runtime/cilium-hubble-values.yaml";

fn kustomized(files: &ClusterFiles) -> Vec<String> {
    let k = &parse_documents(&text(files, "runtime/kustomization.yaml")).unwrap()[0];
    serde_json::from_value(k["resources"].clone()).unwrap()
}

fn alert_rules(files: &ClusterFiles) -> Vec<super::runtime_types::AlertRule> {
    let r: super::runtime_types::PrometheusRule =
        rampart_yaml::reference::typed(&text(files, ALERTS)).unwrap();
    r.spec.groups.into_iter().flat_map(|g| g.rules).collect()
}

#[test]
fn network_policy_alerts_follow_the_cni() {
    let none = render_cluster(&with_cni("none")).unwrap();
    assert_eq!(
        render_cluster(&env("")).unwrap(),
        none,
        "none is the default"
    );
    assert!(!none.contains_key(ALERTS) && !none.contains_key(HUBBLE_VALUES));
    assert!(!kustomized(&none).iter().any(|r| r.contains("network")));
    assert!(
        text(&none, "control-plane/README.md").contains("no alert watches the packets"),
        "the README says what is not watched"
    );

    let cilium = render_cluster(&with_cni("cilium")).unwrap();
    let calico = render_cluster(&with_cni("calico")).unwrap();
    for (files, group, values) in [
        (&cilium, "rampart-network-policy-cilium", true),
        (&calico, "rampart-network-policy-calico", false),
    ] {
        let r: super::runtime_types::PrometheusRule =
            rampart_yaml::reference::typed(&text(files, ALERTS)).unwrap();
        assert_eq!(r.metadata.namespace.as_deref(), Some("monitoring"));
        assert_eq!(r.spec.groups.len(), 1);
        assert_eq!(r.spec.groups[0].name, group);
        let names: Vec<&str> = r.spec.groups[0]
            .rules
            .iter()
            .map(|r| r.alert.as_str())
            .collect();
        for shared in ["NetworkPolicyDropsPersistent", "NetworkPolicyDropSpike"] {
            assert!(names.contains(&shared), "{group}: {names:?}");
        }
        assert!(kustomized(files).contains(&"network-policy-alerts.yaml".to_string()));
        assert_eq!(files.contains_key(HUBBLE_VALUES), values, "{group}");
        // Everything else is what `none` renders.
        for (path, bytes) in none.iter() {
            if !["control-plane/README.md", "runtime/kustomization.yaml"].contains(&path.as_str()) {
                assert_eq!(files.get(path), Some(bytes), "{group}: {path}");
            }
        }
        let extra: Vec<&String> = files.keys().filter(|p| !none.contains_key(*p)).collect();
        let want: Vec<&str> = if values {
            vec![HUBBLE_VALUES, ALERTS]
        } else {
            vec![ALERTS]
        };
        assert_eq!(extra, want, "{group}");
    }
    let exprs = |files: &ClusterFiles| -> String {
        alert_rules(files).iter().map(|r| r.expr.clone()).collect()
    };
    assert!(exprs(&cilium).contains("hubble_drop_total{reason=~\"POLICY_DENIED|POLICY_DENY\""));
    assert!(
        exprs(&cilium).contains(
            "cilium_drop_count_total{reason=~\"Policy denied|Policy denied by denylist\"}"
        )
    );
    assert!(!exprs(&cilium).contains("calico_"));
    assert!(exprs(&calico).contains("calico_denied_packets"));
    assert!(!exprs(&calico).contains("hubble_"));
    // Prometheus' own templates survive Handlebars.
    let persistent = alert_rules(&cilium)
        .into_iter()
        .find(|r| r.alert == "NetworkPolicyDropsPersistent")
        .unwrap();
    assert!(
        persistent.annotations["summary"]
            .starts_with("NetworkPolicies of {{ $labels.namespace }} keep dropping"),
        "{:?}",
        persistent.annotations
    );
    let spike = alert_rules(&calico)
        .into_iter()
        .find(|r| r.alert == "NetworkPolicyDropSpike")
        .unwrap();
    assert!(
        spike.annotations["description"]
            .contains("clusters/dev/namespaces/{{ $labels.namespace }}/")
    );
    assert_eq!(spike.labels["severity"], "critical");
}

/// Every label list of an expression as the PromQL parser reads it, and whether every
/// selector sits inside an aggregation (so only the listed labels reach the alert).
fn parsed_label_lists(
    expr: &promql_parser::parser::Expr,
    aggregated: bool,
    lists: &mut Vec<(String, Vec<String>)>,
    selectors: &mut Vec<(String, bool, Vec<String>)>,
    enclosing_by: &[String],
) {
    use promql_parser::parser::{Expr, LabelModifier, VectorMatchCardinality};
    match expr {
        Expr::Aggregate(a) => {
            let by: Vec<String> = match &a.modifier {
                Some(LabelModifier::Include(l)) => {
                    lists.push(("by".into(), l.labels.clone()));
                    l.labels.clone()
                }
                Some(LabelModifier::Exclude(l)) => {
                    lists.push(("without".into(), l.labels.clone()));
                    l.labels.clone()
                }
                None => Vec::new(),
            };
            parsed_label_lists(&a.expr, true, lists, selectors, &by);
            if let Some(p) = &a.param {
                parsed_label_lists(p, aggregated, lists, selectors, enclosing_by);
            }
        }
        Expr::Binary(b) => {
            if let Some(m) = &b.modifier {
                match &m.matching {
                    Some(LabelModifier::Include(l)) => lists.push(("on".into(), l.labels.clone())),
                    Some(LabelModifier::Exclude(l)) => {
                        lists.push(("ignoring".into(), l.labels.clone()))
                    }
                    None => {}
                }
                match &m.card {
                    VectorMatchCardinality::ManyToOne(l) if !l.labels.is_empty() => {
                        lists.push(("group_left".into(), l.labels.clone()))
                    }
                    VectorMatchCardinality::OneToMany(l) if !l.labels.is_empty() => {
                        lists.push(("group_right".into(), l.labels.clone()))
                    }
                    _ => {}
                }
            }
            parsed_label_lists(&b.lhs, aggregated, lists, selectors, enclosing_by);
            parsed_label_lists(&b.rhs, aggregated, lists, selectors, enclosing_by);
        }
        Expr::Paren(p) => parsed_label_lists(&p.expr, aggregated, lists, selectors, enclosing_by),
        Expr::Unary(u) => parsed_label_lists(&u.expr, aggregated, lists, selectors, enclosing_by),
        Expr::Subquery(s) => {
            parsed_label_lists(&s.expr, aggregated, lists, selectors, enclosing_by)
        }
        Expr::Call(c) => {
            for arg in &c.args.args {
                parsed_label_lists(arg, aggregated, lists, selectors, enclosing_by);
            }
        }
        Expr::VectorSelector(v) => selectors.push((
            v.name.clone().unwrap_or_default(),
            aggregated,
            enclosing_by.to_vec(),
        )),
        Expr::MatrixSelector(m) => selectors.push((
            m.vs.name.clone().unwrap_or_default(),
            aggregated,
            enclosing_by.to_vec(),
        )),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

#[test]
fn every_alert_expression_is_promql_with_bounded_labels_only() {
    use super::checks::{BOUNDED_ALERT_LABELS, hubble_metric_labels, label_lists};
    use super::context::HUBBLE_DROP_METRIC;
    let (_, hubble_labels) = hubble_metric_labels(HUBBLE_DROP_METRIC).unwrap();
    let mut checked = 0;
    for cni in ["cilium", "calico"] {
        for rule in alert_rules(&render_cluster(&with_cni(cni)).unwrap()) {
            let name = &rule.alert;
            let ast = promql_parser::parser::parse(&rule.expr)
                .unwrap_or_else(|e| panic!("{cni} {name}: {e}\n{}", rule.expr));
            let (mut lists, mut selectors) = (Vec::new(), Vec::new());
            parsed_label_lists(&ast, false, &mut lists, &mut selectors, &[]);
            // The render check reads the same label lists as Prometheus' grammar.
            let mut read: Vec<(String, Vec<String>)> = label_lists(&rule.expr)
                .unwrap()
                .into_iter()
                .map(|l| (l.keyword, l.labels))
                .collect();
            read.sort();
            lists.sort();
            assert_eq!(read, lists, "{cni} {name}");
            for (keyword, labels) in &lists {
                assert_ne!(keyword, "without", "{cni} {name}");
                for label in labels {
                    assert!(
                        BOUNDED_ALERT_LABELS.contains(&label.as_str()),
                        "{cni} {name}: {label}"
                    );
                    for unbounded in [
                        "srcIP",
                        "pod",
                        "source_ip",
                        "destination_ip",
                        "source_pod",
                        "destination_pod",
                    ] {
                        assert_ne!(label, unbounded, "{cni} {name}");
                    }
                }
            }
            assert!(!selectors.is_empty(), "{cni} {name}");
            for (metric, aggregated, by) in &selectors {
                assert!(
                    aggregated,
                    "{cni} {name}: {metric} reaches the alert unaggregated"
                );
                if metric == "hubble_drop_total" {
                    // Grouped only by labels the Hubble option gives the metric.
                    for label in by {
                        assert!(
                            hubble_labels.contains(label),
                            "{name}: {label} {hubble_labels:?}"
                        );
                    }
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "four Cilium and two Calico alerts");
}

#[test]
fn the_hubble_values_record_every_dropped_flow() {
    use super::context::{HUBBLE_DROP_METRIC, HUBBLE_DROPPED_FLOWS_FILE};
    let files = render_cluster(&with_cni("cilium")).unwrap();
    let v: super::runtime_types::CiliumHubbleValues =
        rampart_yaml::reference::typed(&text(&files, HUBBLE_VALUES)).unwrap();
    assert!(v.hubble.enabled && v.hubble.metrics.service_monitor.enabled);
    assert_eq!(v.hubble.metrics.enabled, [HUBBLE_DROP_METRIC]);
    let export = &v.hubble.export.static_;
    assert!(export.enabled);
    assert_eq!(export.file_path, HUBBLE_DROPPED_FLOWS_FILE);
    assert_eq!(export.allow_list, [r#"{"verdict":["DROPPED"]}"#]);
    for field in [
        "drop_reason_desc",
        "source.namespace",
        "destination.pod_name",
        "l4",
    ] {
        assert!(export.field_mask.iter().any(|f| f == field), "{field}");
    }
    // Helm values, not an object: never in the kustomization.
    assert!(!text(&files, "runtime/kustomization.yaml").contains("cilium-hubble-values"));
    let readme = text(&files, "control-plane/README.md");
    assert!(
        readme.contains("helm upgrade cilium cilium/cilium -n kube-system --version \"$CILIUM_VERSION\" --reuse-values \\\n  -f clusters/dev/cluster/runtime/cilium-hubble-values.yaml"),
        "{readme}"
    );
    assert!(readme.contains(&format!("tail -n 5 {HUBBLE_DROPPED_FLOWS_FILE}")));
    let calico = text(
        &render_cluster(&with_cni("calico")).unwrap(),
        "control-plane/README.md",
    );
    assert!(
        calico.contains("Open-source Calico has no\nper-policy drop metric"),
        "{calico}"
    );
    assert!(!calico.contains("helm upgrade"));
}

#[test]
fn the_render_refuses_unbounded_alert_labels_and_hubble_contexts() {
    let env = with_cni("cilium");
    let files = render_cluster(&env).unwrap();
    let docs = parse_documents(&text(&files, ALERTS)).unwrap();
    check_file(ALERTS, &docs, &env).unwrap();
    let edit = |expr: &str| {
        let mut doc = docs[0].clone();
        doc["spec"]["groups"][0]["rules"][0]["expr"] = expr.into();
        check_file(ALERTS, &[doc], &env).unwrap_err()
    };
    let err = edit("sum by (srcIP, policy) (rate(calico_denied_packets[5m])) > 0");
    assert!(err.contains("keeps the label `srcIP`"), "{err}");
    let err = edit("sum without (reason) (rate(hubble_drop_total[5m])) > 0");
    assert!(err.contains("`without`"), "{err}");
    // A `by` inside a string is no label list; one after it still is.
    let err = edit(r#"sum by (pod) (rate(x{a="by (namespace)"}[5m])) > 0"#);
    assert!(err.contains("`pod`"), "{err}");
    let mut doc = docs[0].clone();
    doc["spec"]["groups"][0]["rules"][0]["labels"] = serde_json::json!({});
    let err = check_file(ALERTS, &[doc], &env).unwrap_err();
    assert!(err.contains("severity"), "{err}");
    // The Calico group in a Cilium environment.
    let calico = render_cluster(&with_cni("calico")).unwrap();
    let err = check_file(
        ALERTS,
        &parse_documents(&text(&calico, ALERTS)).unwrap(),
        &env,
    )
    .unwrap_err();
    assert!(err.contains("rampart-network-policy-cilium"), "{err}");

    let values = parse_documents(&text(&files, HUBBLE_VALUES)).unwrap();
    check_file(HUBBLE_VALUES, &values, &env).unwrap();
    let mut doc = values[0].clone();
    doc["hubble"]["metrics"]["enabled"][0] =
        "drop:sourceContext=pod;destinationContext=namespace".into();
    let err = check_file(HUBBLE_VALUES, &[doc], &env).unwrap_err();
    assert!(err.contains("sourceContext=pod"), "{err}");
    let mut doc = values[0].clone();
    doc["hubble"]["metrics"]["enabled"][0] =
        "drop:labelsContext=source_ip,traffic_direction".into();
    let err = check_file(HUBBLE_VALUES, &[doc], &env).unwrap_err();
    assert!(err.contains("source_ip"), "{err}");
    let mut doc = values[0].clone();
    doc["hubble"]["export"]["static"]["allowList"] =
        serde_json::json!([r#"{"verdict":["FORWARDED"]}"#]);
    let err = check_file(HUBBLE_VALUES, &[doc], &env).unwrap_err();
    assert!(err.contains("DROPPED"), "{err}");
    let mut doc = values[0].clone();
    doc["hubble"]["export"]["static"]["fileMaxSizeMB"] = 10.into();
    let err = check_file(HUBBLE_VALUES, &[doc], &env).unwrap_err();
    assert!(err.contains("unknown field `fileMaxSizeMB`"), "{err}");
}

#[test]
fn an_unknown_cni_is_refused_at_its_line() {
    let text = format!("{BASE}networkPolicy:\n  cni: weave\n");
    let err = rampart_model::parse_environment("environments/dev.yaml", &text, "dev").unwrap_err();
    let line = text.lines().position(|l| l == "  cni: weave").unwrap() + 1;
    let shown = err.to_string();
    assert!(
        shown.contains(&format!(
            "environments/dev.yaml:{line}:8: error: networkPolicy.cni: unknown variant `weave`, expected one of `cilium`, `calico`, `none`"
        )),
        "{shown}"
    );
    assert!(
        shown.contains("help: use one of the values listed above"),
        "{shown}"
    );
}
