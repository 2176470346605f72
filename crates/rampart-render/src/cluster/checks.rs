//! What every rendered cluster file must be: its typed mirror parses (no unknown fields),
//! and it has the properties it exists for. A template change that breaks one fails the
//! render, never the cluster.

use super::context::{NodePaths, apiserver_flags};
use super::runtime_types::{
    CiliumHubbleValues, FALCO_PRIORITIES, FalcoItem, FalcoItemKind, PrometheusRule, TracingPolicy,
};
use super::upstream::{
    AdmissionConfiguration, AuditPolicy, EncryptionConfiguration, EventRateLimitConfiguration,
    KubeadmClusterConfiguration, Kubeconfig, Level, PodSecurityConfiguration, RequestAttributes,
    Stage,
};
use rampart_model::Environment;
use rampart_model::cluster::EncryptionProvider;
use rampart_model::environment::Cni;
use rampart_model::request::API_VERBS;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeSet;

/// Checks one rendered YAML file, by its path under `clusters/<env>/cluster/`.
pub fn check_file(path: &str, docs: &[Value], env: &Environment) -> Result<(), String> {
    if path.starts_with("runtime/falco-") {
        let [doc] = docs else {
            return Err("a Falco rules file is one YAML list".into());
        };
        let items: Vec<FalcoItem> = typed(doc)?;
        return check_falco(&items);
    }
    let [doc] = docs else {
        return Err(format!("expected one document, found {}", docs.len()));
    };
    match path {
        "control-plane/audit-policy.yaml" => check_audit_policy(&typed(doc)?, env),
        "control-plane/encryption-config.yaml" => check_encryption(&typed(doc)?, env),
        "control-plane/admission-config.yaml" => check_admission(&typed(doc)?),
        "control-plane/eventratelimit-config.yaml" => {
            let c: EventRateLimitConfiguration = typed(doc)?;
            header(
                &c.api_version,
                &c.kind,
                "eventratelimit.admission.k8s.io/v1alpha1",
                "Configuration",
            )
        }
        "control-plane/audit-webhook-kubeconfig.yaml" => {
            let k: Kubeconfig = typed(doc)?;
            header(&k.api_version, &k.kind, "v1", "Config")?;
            if k.clusters
                .iter()
                .any(|c| !c.cluster.server.starts_with("https://"))
            {
                return Err("the audit webhook endpoint must use https".into());
            }
            Ok(())
        }
        "control-plane/kubeadm-patch.yaml" => {
            let k: KubeadmClusterConfiguration = typed(doc)?;
            header(
                &k.api_version,
                &k.kind,
                "kubeadm.k8s.io/v1beta4",
                "ClusterConfiguration",
            )?;
            let args: Vec<(String, String)> = k
                .api_server
                .extra_args
                .into_iter()
                .map(|a| (a.name, a.value))
                .collect();
            check_flags(&args, env)
        }
        "runtime/tetragon-sensitive-files.yaml" => {
            let p: TracingPolicy = typed(doc)?;
            header(
                &p.api_version,
                &p.kind,
                "cilium.io/v1alpha1",
                "TracingPolicy",
            )?;
            if p.spec.kprobes.iter().any(|k| k.selectors.is_empty()) {
                return Err("a kprobe without selectors would report every call".into());
            }
            Ok(())
        }
        "runtime/prometheus-rules.yaml" => {
            let r = prometheus_rule(doc)?;
            let exprs: Vec<&str> = r
                .spec
                .groups
                .iter()
                .flat_map(|g| g.rules.iter().map(|r| r.expr.as_str()))
                .collect();
            if exprs.is_empty() || exprs.iter().any(|e| e.trim().is_empty()) {
                return Err("every alert needs an expression".into());
            }
            Ok(())
        }
        "runtime/network-policy-alerts.yaml" => check_network_alerts(&prometheus_rule(doc)?, env),
        "runtime/cilium-hubble-values.yaml" => check_hubble_values(&typed(doc)?),
        "runtime/kustomization.yaml" => Ok(()),
        other => Err(format!("no check is defined for {other}")),
    }
}

/// The flags file and the kubeadm patch hold exactly the flags the settings call for.
pub fn check_flags(flags: &[(String, String)], env: &Environment) -> Result<(), String> {
    let expected: Vec<(String, String)> = apiserver_flags(&env.cluster, &NodePaths::new())
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    if flags != expected.as_slice() {
        return Err(format!(
            "the flags differ from what the settings call for: {flags:?} != {expected:?}"
        ));
    }
    Ok(())
}

/// Files that reference each other exist.
pub fn check_set(files: &super::ClusterFiles) -> Result<(), String> {
    let Some(text) = files.get("runtime/kustomization.yaml") else {
        return Ok(());
    };
    let k: Value = rampart_yaml::from_slice(text).map_err(|e| e.to_string())?;
    let mut referenced: Vec<&str> = Vec::new();
    for r in k["resources"].as_array().into_iter().flatten() {
        referenced.extend(r.as_str());
    }
    for g in k["configMapGenerator"].as_array().into_iter().flatten() {
        for f in g["files"].as_array().into_iter().flatten() {
            referenced.extend(f.as_str());
        }
    }
    for r in referenced {
        if !files.contains_key(&format!("runtime/{r}")) {
            return Err(format!("references runtime/{r}, which is not rendered"));
        }
    }
    Ok(())
}

fn typed<T: DeserializeOwned>(doc: &Value) -> Result<T, String> {
    serde_json::from_value(doc.clone()).map_err(|e| e.to_string())
}

/// A `monitoring.coreos.com/v1` PrometheusRule.
fn prometheus_rule(doc: &Value) -> Result<PrometheusRule, String> {
    let r: PrometheusRule = typed(doc)?;
    header(
        &r.api_version,
        &r.kind,
        "monitoring.coreos.com/v1",
        "PrometheusRule",
    )?;
    Ok(r)
}

fn header(
    api_version: &str,
    kind: &str,
    want_version: &str,
    want_kind: &str,
) -> Result<(), String> {
    if api_version != want_version || kind != want_kind {
        return Err(format!(
            "expected {want_version} {want_kind}, found {api_version} {kind}"
        ));
    }
    Ok(())
}

/// Users the audit probes act as: people, workloads and system components.
const PROBE_USERS: &[(&str, &[&str])] = &[
    ("alice@example.com", &["system:authenticated"]),
    (
        "system:serviceaccount:shop:api",
        &["system:serviceaccounts", "system:authenticated"],
    ),
    (
        "system:node:node-1",
        &["system:nodes", "system:authenticated"],
    ),
    ("system:kube-proxy", &["system:authenticated"]),
    ("system:kube-controller-manager", &["system:authenticated"]),
    ("system:kube-scheduler", &["system:authenticated"]),
    ("system:apiserver", &["system:masters"]),
];

fn check_audit_policy(p: &AuditPolicy, env: &Environment) -> Result<(), String> {
    header(&p.api_version, &p.kind, "audit.k8s.io/v1", "Policy")?;
    if p.omit_stages != [Stage::RequestReceived] {
        return Err("the policy must omit exactly the RequestReceived stage".into());
    }
    if p.rules
        .iter()
        .any(|r| r.omit_stages.iter().any(|s| *s != Stage::RequestReceived))
    {
        return Err("no rule may omit ResponseStarted or ResponseComplete (exec alerts)".into());
    }
    let last = p.rules.last().ok_or("the policy has no rules")?;
    let catch_all = last.level == Level::Metadata
        && last.users.is_empty()
        && last.user_groups.is_empty()
        && last.verbs.is_empty()
        && last.resources.is_empty()
        && last.namespaces.is_empty()
        && last.non_resource_urls.is_empty();
    if !catch_all {
        return Err("the last rule must be a Metadata catch-all".into());
    }
    let ordinary: Level = serde_json::from_value(Value::String(env.cluster.audit.level.clone()))
        .map_err(|e| e.to_string())?;
    for (user, groups) in PROBE_USERS {
        for verb in API_VERBS {
            for ns in ["shop", "kube-system"] {
                let req = |group: &'static str, resource: &'static str, sub: &'static str| {
                    RequestAttributes {
                        user,
                        groups,
                        verb,
                        group: Some(group),
                        resource,
                        subresource: sub,
                        namespace: ns,
                        name: "x",
                        path: "",
                    }
                };
                for (g, r, s) in [
                    ("", "secrets", ""),
                    ("", "configmaps", ""),
                    ("", "serviceaccounts", "token"),
                    ("authentication.k8s.io", "tokenreviews", ""),
                ] {
                    let level = p.level_for(&req(g, r, s));
                    if level != Level::Metadata {
                        return Err(format!(
                            "{user} {verb} {r} in {ns} is audited at {level:?}, not Metadata"
                        ));
                    }
                }
                for s in ["exec", "attach", "portforward"] {
                    let level = p.level_for(&req("", "pods", s));
                    if level < Level::Request {
                        return Err(format!("{user} {verb} pods/{s} is audited at {level:?}"));
                    }
                }
                if ["create", "update", "patch"].contains(verb) {
                    for (g, r) in [("", "pods"), ("apps", "deployments"), ("batch", "cronjobs")] {
                        let level = p.level_for(&req(g, r, ""));
                        if level < Level::Request {
                            return Err(format!("{user} {verb} {r} is audited at {level:?}"));
                        }
                    }
                    for r in ["clusterrolebindings", "roles"] {
                        let level = p.level_for(&req("rbac.authorization.k8s.io", r, ""));
                        if level != Level::RequestResponse {
                            return Err(format!("{user} {verb} {r} is audited at {level:?}"));
                        }
                    }
                }
            }
        }
    }
    let service_read = RequestAttributes {
        user: "alice@example.com",
        groups: &["system:authenticated"],
        verb: "get",
        group: Some(""),
        resource: "services",
        namespace: "shop",
        ..Default::default()
    };
    if p.level_for(&service_read) != ordinary {
        return Err("ordinary resources are not audited at the environment's level".into());
    }
    Ok(())
}

fn check_encryption(c: &EncryptionConfiguration, env: &Environment) -> Result<(), String> {
    header(
        &c.api_version,
        &c.kind,
        "apiserver.config.k8s.io/v1",
        "EncryptionConfiguration",
    )?;
    let settings = &env.cluster.encryption;
    let [res] = c.resources.as_slice() else {
        return Err("expected one resource configuration".into());
    };
    let first = res.providers.first().ok_or("no provider")?;
    let first_ok = match settings.provider {
        EncryptionProvider::Kms => first
            .kms
            .as_ref()
            .is_some_and(|k| k.api_version.as_deref() == Some("v2") && k.cache_size.is_none()),
        EncryptionProvider::Secretbox => first.secretbox.is_some(),
        EncryptionProvider::Aescbc => first.aescbc.is_some(),
    };
    if !first_ok {
        return Err(format!(
            "the first provider must be {} (it encrypts)",
            settings.provider.as_str()
        ));
    }
    for (i, p) in res.providers.iter().enumerate() {
        let set = [
            p.aesgcm.is_some(),
            p.aescbc.is_some(),
            p.secretbox.is_some(),
            p.identity.is_some(),
            p.kms.is_some(),
        ];
        if set.iter().filter(|s| **s).count() != 1 {
            return Err(format!("provider {i} must set exactly one provider type"));
        }
        if p.identity.is_some() && (i + 1 != res.providers.len() || !settings.migrating) {
            return Err("identity may only be the last provider, and only while migrating".into());
        }
        for keys in [&p.aescbc, &p.secretbox, &p.aesgcm].into_iter().flatten() {
            for key in &keys.keys {
                if !(key.secret.starts_with("${") && key.secret.ends_with('}')) {
                    return Err(format!(
                        "key `{}` is not a ${{VARIABLE}} placeholder",
                        key.name
                    ));
                }
            }
        }
    }
    if settings.migrating && res.providers.last().is_none_or(|p| p.identity.is_none()) {
        return Err("while migrating, identity must be the last provider".into());
    }
    Ok(())
}

fn check_admission(c: &AdmissionConfiguration) -> Result<(), String> {
    header(
        &c.api_version,
        &c.kind,
        "apiserver.config.k8s.io/v1",
        "AdmissionConfiguration",
    )?;
    let pod_security = c
        .plugins
        .iter()
        .find(|p| p.name == "PodSecurity")
        .and_then(|p| p.configuration.as_ref())
        .ok_or("PodSecurity is not configured")?;
    let ps: PodSecurityConfiguration = typed(pod_security)?;
    header(
        &ps.api_version,
        &ps.kind,
        "pod-security.admission.config.k8s.io/v1",
        "PodSecurityConfiguration",
    )?;
    if !c
        .plugins
        .iter()
        .any(|p| p.name == "EventRateLimit" && p.path.is_some())
    {
        return Err("EventRateLimit has no configuration".into());
    }
    Ok(())
}

/// Structure of a Falco rules file: each item one thing, rules complete, every `rampart_`
/// macro or list defined before use and defined once, conditions with balanced parentheses.
pub fn check_falco(items: &[FalcoItem]) -> Result<(), String> {
    let mut defined: BTreeSet<&str> = BTreeSet::new();
    let mut rules = 0;
    for item in items {
        let kind = item.kind()?;
        let mut texts: Vec<&str> = Vec::new();
        match kind {
            FalcoItemKind::Requirement => continue,
            FalcoItemKind::List(name) => {
                let items = item
                    .items
                    .as_ref()
                    .ok_or(format!("list {name} has no items"))?;
                texts.extend(items.iter().map(String::as_str));
            }
            FalcoItemKind::Macro(name) => {
                texts.push(
                    item.condition
                        .as_deref()
                        .ok_or(format!("macro {name} has no condition"))?,
                );
            }
            FalcoItemKind::Rule(name) => {
                rules += 1;
                let (Some(_), Some(condition), Some(output), Some(priority)) =
                    (&item.desc, &item.condition, &item.output, &item.priority)
                else {
                    return Err(format!(
                        "rule {name} needs desc, condition, output and priority"
                    ));
                };
                if !FALCO_PRIORITIES.contains(&priority.to_ascii_uppercase().as_str()) {
                    return Err(format!("rule {name} has unknown priority {priority}"));
                }
                if !matches!(item.source.as_deref(), Some("syscall" | "k8s_audit")) {
                    return Err(format!("rule {name} must name its source"));
                }
                if output.trim().is_empty() {
                    return Err(format!("rule {name} has an empty output"));
                }
                texts.push(condition);
            }
        }
        for text in &texts {
            if !balanced(text) {
                return Err(format!("unbalanced parentheses in `{text}`"));
            }
            for word in rampart_identifiers(text) {
                if !defined.contains(word) {
                    return Err(format!("`{word}` is used before it is defined"));
                }
            }
        }
        let name = match kind {
            FalcoItemKind::Rule(n) | FalcoItemKind::Macro(n) | FalcoItemKind::List(n) => n,
            FalcoItemKind::Requirement => continue,
        };
        if !defined.insert(name) {
            return Err(format!("`{name}` is defined twice"));
        }
    }
    if rules == 0 {
        return Err("the file defines no rule".into());
    }
    Ok(())
}

/// `rampart_*` identifiers in a Falco condition or list item.
pub fn rampart_identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("rampart_"))
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// Labels an alert may keep: each has a bounded set of values (namespaces, policies,
/// directions, nodes, Hubble's event sources). Never a source IP or a pod.
pub const BOUNDED_ALERT_LABELS: &[&str] = &[
    "namespace",
    "policy",
    "source",
    "destination",
    "traffic_direction",
    "direction",
    "instance",
];

/// The NetworkPolicy drop alerts: one rule group for the environment's CNI, every alert
/// complete (expression, `for`, severity, summary and description) and aggregated to
/// [`BOUNDED_ALERT_LABELS`] only.
fn check_network_alerts(r: &PrometheusRule, env: &Environment) -> Result<(), String> {
    let want = match env.network_policy.cni {
        Cni::Cilium => "rampart-network-policy-cilium",
        Cni::Calico => "rampart-network-policy-calico",
        Cni::None => return Err("no drop alerts are rendered for `cni: none`".into()),
    };
    let groups: Vec<&str> = r.spec.groups.iter().map(|g| g.name.as_str()).collect();
    if groups != [want] {
        return Err(format!("expected the one group {want}, found {groups:?}"));
    }
    let rules = &r.spec.groups[0].rules;
    if rules.is_empty() {
        return Err(format!("{want} has no alerts"));
    }
    for rule in rules {
        let name = &rule.alert;
        if name.is_empty() || rule.expr.trim().is_empty() || rule.for_.is_none() {
            return Err(format!(
                "alert `{name}` needs a name, an expression and `for`"
            ));
        }
        if !matches!(
            rule.labels.get("severity").map(String::as_str),
            Some("warning" | "critical")
        ) {
            return Err(format!("alert {name} needs severity warning or critical"));
        }
        for key in ["summary", "description"] {
            if rule
                .annotations
                .get(key)
                .is_none_or(|a| a.trim().is_empty())
            {
                return Err(format!("alert {name} has no {key}"));
            }
        }
        for list in label_lists(&rule.expr)? {
            if list.keyword == "without" {
                return Err(format!(
                    "alert {name} aggregates `without`, which keeps every other label"
                ));
            }
            if let Some(label) = list
                .labels
                .iter()
                .find(|l| !BOUNDED_ALERT_LABELS.contains(&l.as_str()))
            {
                return Err(format!(
                    "alert {name} keeps the label `{label}`, whose values are not bounded"
                ));
            }
        }
    }
    Ok(())
}

/// A label list in a PromQL expression: `by (a, b)`, `without (…)`, `on (…)`, …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelList {
    /// `by`, `without`, `on`, `ignoring`, `group_left` or `group_right`.
    pub keyword: String,
    /// The labels, in order.
    pub labels: Vec<String>,
}

/// Every label list of `expr`, read token by token outside string literals.
pub fn label_lists(expr: &str) -> Result<Vec<LabelList>, String> {
    const KEYWORDS: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let mut lists = Vec::new();
    let mut chars = expr.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '"' || c == '\'' || c == '`' {
            // A string literal: skip to its closing quote (backslash escapes, not in `…`).
            let mut escaped = false;
            let closed = chars.by_ref().any(|(_, d)| {
                let end = !escaped && d == c;
                escaped = !escaped && d == '\\' && c != '`';
                end
            });
            if !closed {
                return Err(format!("unterminated string in `{expr}`"));
            }
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == '_') {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, d)) = chars.peek() {
            if d.is_ascii_alphanumeric() || d == '_' || d == ':' {
                end = i + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let word = &expr[start..end];
        if !KEYWORDS.contains(&word) {
            continue;
        }
        let rest = expr[end..].trim_start();
        let Some(inner) = rest.strip_prefix('(') else {
            continue; // `group_left` without labels
        };
        let close = inner
            .find(')')
            .ok_or(format!("unclosed label list after `{word}` in `{expr}`"))?;
        let labels = inner[..close]
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        lists.push(LabelList {
            keyword: word.to_string(),
            labels,
        });
    }
    Ok(lists)
}

/// The labels a Hubble metric option (`drop:sourceContext=…;labelsContext=…`) gives the
/// metric, refusing any context whose values are not bounded (pods, IPs, DNS names).
pub fn hubble_metric_labels(option: &str) -> Result<(String, Vec<String>), String> {
    const CONTEXTS: &[&str] = &["namespace", "reserved-identity"];
    const LABELS: &[&str] = &[
        "source_namespace",
        "destination_namespace",
        "traffic_direction",
    ];
    let (name, options) = option.split_once(':').unwrap_or((option, ""));
    let mut labels = vec!["reason".to_string(), "protocol".to_string()];
    for pair in options.split(';').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or(format!("`{pair}` in `{option}` is not key=value"))?;
        match key {
            "sourceContext" | "destinationContext" => {
                if let Some(bad) = value.split('|').find(|c| !CONTEXTS.contains(c)) {
                    return Err(format!("{key}={bad} in `{option}` is not bounded"));
                }
                labels.push(key.trim_end_matches("Context").to_string());
            }
            "labelsContext" => {
                for label in value.split(',') {
                    if !LABELS.contains(&label) {
                        return Err(format!(
                            "labelsContext {label} in `{option}` is not bounded"
                        ));
                    }
                    labels.push(label.to_string());
                }
            }
            other => return Err(format!("unknown option `{other}` in `{option}`")),
        }
    }
    Ok((name.to_string(), labels))
}

/// The cilium chart values: Hubble on, its drop metric bounded and scraped, and every
/// dropped flow exported to an absolute path.
fn check_hubble_values(v: &CiliumHubbleValues) -> Result<(), String> {
    let h = &v.hubble;
    if !h.enabled || !h.metrics.service_monitor.enabled {
        return Err("Hubble and its ServiceMonitor must be enabled".into());
    }
    let mut drop = false;
    for option in &h.metrics.enabled {
        let (name, labels) = hubble_metric_labels(option)?;
        if name == "drop" {
            drop =
                labels.iter().any(|l| l == "source") && labels.iter().any(|l| l == "destination");
        }
    }
    if !drop {
        return Err("the drop metric must be enabled with source and destination contexts".into());
    }
    let export = &h.export.static_;
    if !export.enabled || !export.file_path.starts_with('/') {
        return Err("the static exporter must be enabled with an absolute filePath".into());
    }
    let mut dropped = false;
    for filter in &export.allow_list {
        let f: Value = serde_json::from_str(filter)
            .map_err(|e| format!("allowList entry `{filter}` is not JSON: {e}"))?;
        if !f.is_object() {
            return Err(format!(
                "allowList entry `{filter}` is not a FlowFilter object"
            ));
        }
        dropped |= f["verdict"] == serde_json::json!(["DROPPED"]);
    }
    if !dropped {
        return Err("the exporter must allow the flows with verdict DROPPED".into());
    }
    if export.field_mask.is_empty() {
        return Err("the field mask must name the fields kept".into());
    }
    Ok(())
}
