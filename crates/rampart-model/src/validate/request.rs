//! Semantic checks of a [`NamespaceRequest`], each tied to the checklist item it protects.

use super::context::RequestContext;
use super::syntax::{Cidr, is_dns_label, is_label_key, is_label_value, is_port_name, is_quantity};
use crate::limits::{KUBERNETES_MAX_ANNOTATIONS_BYTES, MAX_DESCRIPTION_BYTES};
use crate::load::Report;
use crate::request::{
    API_VERBS, API_VERSION, App, ContainerResources, EgressRule, IngressRule, NamespaceRequest,
    PortSelector, PortValue, RoleRule, Workload,
};
use rampart_yaml::limits::human_bytes;
use std::collections::{BTreeMap, BTreeSet};

/// Namespaces that belong to the platform, never to a team.
const RESERVED_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];
/// `default` and `kube-*`: namespaces that belong to the platform, never to a team.
pub(super) fn is_system_namespace(name: &str) -> bool {
    RESERVED_NAMESPACES.contains(&name) || name.starts_with("kube-")
}

/// Label prefixes Rampart sets itself.
const RESERVED_LABEL_PREFIXES: &[&str] = &[
    "app.kubernetes.io/",
    "pod-security.kubernetes.io/",
    "kubernetes.io/",
    "k8s.io/",
    "rampart.dev/",
];
const ESCALATING_VERBS: &[&str] = &["escalate", "bind", "impersonate"];
const WILDCARD_HELP: &str = "checklist 1.2 (\"Avoid wildcards (*) in role permissions - be explicit about resources and verbs\"): list each value the app needs";

pub(crate) fn check_request(req: &NamespaceRequest, ctx: &RequestContext, r: &mut Report) {
    if req.api_version != API_VERSION {
        r.error(
            "apiVersion",
            format!("unsupported apiVersion `{}`", req.api_version),
            format!("write `apiVersion: {API_VERSION}`"),
        );
    }
    if req.kind != "NamespaceRequest" {
        r.error(
            "kind",
            format!("expected kind NamespaceRequest, found `{}`", req.kind),
            "write `kind: NamespaceRequest`",
        );
    }
    check_namespace_name(req, ctx, r);
    if let Some(g) = &req.gitops {
        super::gitops::check_request_gitops(g, r);
    }
    if !is_dns_label(&req.team) {
        r.error(
            "team",
            format!("`{}` is not an RFC 1123 label", req.team),
            "use lowercase letters, digits and `-` (at most 63), e.g. `payments`",
        );
    }
    check_governance_labels(req, ctx, r);
    check_description(req, r);
    check_owners(req, r);
    let apps = check_app_names(req, r);
    for (i, app) in req.apps.iter().enumerate() {
        check_app(&format!("apps[{i}]"), app, &apps, ctx, r);
    }
    for (key, value) in &req.quota {
        check_quota_entry(&format!("quota.{key}"), key, value, r);
    }
    if let Some(limits) = &req.limits {
        check_resources("limits", limits, r);
    }
    super::secrets::check_secrets(req, ctx, r);
}

fn check_namespace_name(req: &NamespaceRequest, ctx: &RequestContext, r: &mut Report) {
    if !is_dns_label(&req.name) {
        r.error(
            "name",
            format!("`{}` is not an RFC 1123 label", req.name),
            "use lowercase letters, digits and `-`, starting and ending with a letter or digit (at most 63); no `/` or `.`",
        );
    } else if is_system_namespace(&req.name) {
        r.error(
            "name",
            format!("`{}` is a system namespace", req.name),
            "choose a team namespace name; `default` and `kube-*` belong to the platform",
        );
    } else if req.name != ctx.file_stem {
        r.error(
            "name",
            format!(
                "name `{}` differs from the file name `{}.yaml`",
                req.name, ctx.file_stem
            ),
            format!(
                "rename the file to `{}.yaml` or set `name: {}`",
                req.name, ctx.file_stem
            ),
        );
    }
}

fn check_governance_labels(req: &NamespaceRequest, ctx: &RequestContext, r: &mut Report) {
    check_labels("labels", &req.labels, ctx.required_labels, r);
}

/// The description becomes an annotation: it must fit Kubernetes' limit on annotations.
fn check_description(req: &NamespaceRequest, r: &mut Report) {
    let Some(description) = &req.description else {
        return;
    };
    if description.len() > MAX_DESCRIPTION_BYTES {
        r.error(
            "description",
            format!(
                "the description is {} bytes, over the limit of {} (it becomes the namespace's `rampart.dev/description` annotation, and Kubernetes refuses annotations over {} in total)",
                description.len(),
                human_bytes(MAX_DESCRIPTION_BYTES),
                human_bytes(KUBERNETES_MAX_ANNOTATIONS_BYTES)
            ),
            "shorten it to a summary and link to longer documentation",
        );
    }
}

/// The governance labels at `path`: valid, not Rampart's own, the required ones present.
pub(super) fn check_labels(
    path: &str,
    labels: &BTreeMap<String, String>,
    required: &[String],
    r: &mut Report,
) {
    for (key, value) in labels {
        let entry = format!("{path}.{key}");
        if !is_label_key(key) {
            r.error(
                &entry,
                format!("`{key}` is not a valid label key"),
                "use `[prefix/]name` with letters, digits, `-`, `_`, `.` (name at most 63)",
            );
        } else if RESERVED_LABEL_PREFIXES.iter().any(|p| key.starts_with(p)) {
            r.error(&entry, format!("`{key}` is set by Rampart itself"), "remove it; Rampart sets app.kubernetes.io/*, pod-security.kubernetes.io/* and rampart.dev/* labels");
        }
        if !is_label_value(value) {
            r.error(
                &entry,
                format!("{value:?} is not a valid label value"),
                "use at most 63 letters, digits, `-`, `_` or `.`, starting and ending alphanumeric",
            );
        }
    }
    for key in required {
        if !labels.contains_key(key) {
            r.error(
                path,
                format!("required governance label `{key}` is missing"),
                format!("add `{key}: <value>` under `{path}` (checklist 5.6: validate labels for governance; required by rampart.yaml)"),
            );
        }
    }
}

fn check_owners(req: &NamespaceRequest, r: &mut Report) {
    let roles = [
        ("admins", &req.owners.admins),
        ("developers", &req.owners.developers),
        ("viewers", &req.owners.viewers),
    ];
    for (role, groups) in roles {
        for (i, group) in groups.iter().enumerate() {
            let path = format!("owners.{role}[{i}]");
            if group.trim().is_empty() || group.chars().any(char::is_control) {
                r.error(&path, "group name is empty or contains control characters", "write the group name exactly as your identity provider sends it, e.g. `oidc:payments-devs`");
            } else if group.starts_with("system:") {
                r.error(&path, format!("`{group}` is a built-in Kubernetes group that spans far more than this team"), "bind a team group from your identity provider (checklist 1.5: group-based access)");
            }
        }
    }
}

/// Checks app names for format and uniqueness; returns the apps by name.
fn check_app_names<'a>(req: &'a NamespaceRequest, r: &mut Report) -> BTreeMap<&'a str, &'a App> {
    let mut apps = BTreeMap::new();
    for (i, app) in req.apps.iter().enumerate() {
        let path = format!("apps[{i}].name");
        if !is_dns_label(&app.name) {
            r.error(
                &path,
                format!("`{}` is not an RFC 1123 label", app.name),
                "use lowercase letters, digits and `-` (at most 63)",
            );
        } else if apps.insert(app.name.as_str(), app).is_some() {
            r.error(
                &path,
                format!("duplicate app `{}`", app.name),
                "give every app a unique name, or merge the two entries",
            );
        }
    }
    apps
}

fn check_app(
    path: &str,
    app: &App,
    apps: &BTreeMap<&str, &App>,
    ctx: &RequestContext,
    r: &mut Report,
) {
    let mut names = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for (i, port) in app.ports.iter().enumerate() {
        let p = format!("{path}.ports[{i}]");
        if !is_port_name(&port.name) {
            r.error(&format!("{p}.name"), format!("`{}` is not a valid port name", port.name), "use at most 15 lowercase letters, digits and `-`, with at least one letter, e.g. `http`");
        } else if !names.insert(port.name.as_str()) {
            r.error(
                &format!("{p}.name"),
                format!("duplicate port name `{}`", port.name),
                "give every port of an app a unique name",
            );
        }
        if port.port == 0 {
            r.error(
                &format!("{p}.port"),
                "port 0 is not a valid port",
                "use a port between 1 and 65535",
            );
        } else if !numbers.insert((port.port, port.protocol)) {
            r.error(
                &format!("{p}.port"),
                format!(
                    "port {}/{} is declared twice",
                    port.port,
                    port.protocol.as_str()
                ),
                "declare each port once",
            );
        }
    }
    for (i, rule) in app.ingress.iter().enumerate() {
        check_ingress(&format!("{path}.ingress[{i}]"), app, rule, apps, r);
    }
    for (i, rule) in app.egress.iter().enumerate() {
        check_egress(&format!("{path}.egress[{i}]"), rule, apps, r);
    }
    for (i, rule) in app.rules.iter().enumerate() {
        check_role_rule(&format!("{path}.rules[{i}]"), rule, r);
    }
    if let Some(workload) = &app.workload {
        check_workload(&format!("{path}.workload"), app, workload, ctx, r);
    }
}

fn check_ingress(
    path: &str,
    app: &App,
    rule: &IngressRule,
    apps: &BTreeMap<&str, &App>,
    r: &mut Report,
) {
    match (&rule.from_app, &rule.from_namespace) {
        (Some(from), None) => {
            if !apps.contains_key(from.as_str()) {
                r.error(
                    &format!("{path}.fromApp"),
                    format!("unknown app `{from}`"),
                    format!("name an app declared under `apps` ({})", known(apps)),
                );
            }
            if !rule.pod_labels.is_empty() {
                r.error(
                    &format!("{path}.podLabels"),
                    "podLabels only applies with fromNamespace",
                    "remove podLabels; an app is selected by its name",
                );
            }
        }
        (None, Some(ns)) => check_namespace_peer(path, ns, &rule.pod_labels, r),
        _ => r.error(
            path,
            "an ingress rule needs exactly one of fromApp or fromNamespace",
            "split the rule in two, or add the missing peer",
        ),
    }
    if app.ports.is_empty() {
        r.error(
            path,
            format!("app `{}` accepts ingress but declares no ports", app.name),
            "declare the ports it listens on under `ports`",
        );
    }
    for (i, sel) in rule.ports.iter().enumerate() {
        let p = format!("{path}.ports[{i}]");
        if sel.end_port.is_some() {
            r.error(
                &format!("{p}.endPort"),
                "ingress ports refer to declared ports; ranges are not allowed",
                "remove endPort and list the declared ports",
            );
        }
        if !declares(app, sel) {
            r.error(
                &format!("{p}.port"),
                format!("app `{}` declares no port {}", app.name, show(&sel.port)),
                format!("use one of the app's declared ports ({})", port_list(app)),
            );
        }
    }
}

pub(super) fn check_egress(
    path: &str,
    rule: &EgressRule,
    apps: &BTreeMap<&str, &App>,
    r: &mut Report,
) {
    let peers = [
        rule.to_app.is_some(),
        rule.to_namespace.is_some(),
        rule.to_cidr.is_some(),
    ];
    if peers.iter().filter(|p| **p).count() != 1 {
        r.error(
            path,
            "an egress rule needs exactly one of toApp, toNamespace or toCidr",
            "split the rule, one peer each",
        );
        return;
    }
    if !rule.pod_labels.is_empty() && rule.to_namespace.is_none() {
        r.error(
            &format!("{path}.podLabels"),
            "podLabels only applies with toNamespace",
            "remove podLabels",
        );
    }
    if !rule.except.is_empty() && rule.to_cidr.is_none() {
        r.error(
            &format!("{path}.except"),
            "except only applies with toCidr",
            "remove except",
        );
    }
    if let Some(target) = &rule.to_app {
        match apps.get(target.as_str()) {
            None => r.error(
                &format!("{path}.toApp"),
                format!("unknown app `{target}`"),
                format!("name an app declared under `apps` ({})", known(apps)),
            ),
            Some(app) => {
                if app.ports.is_empty() {
                    r.error(
                        &format!("{path}.toApp"),
                        format!("app `{target}` declares no ports to connect to"),
                        format!("declare ports on `{target}`"),
                    );
                }
                for (i, sel) in rule.ports.iter().enumerate() {
                    if !declares(app, sel) || sel.end_port.is_some() {
                        r.error(
                            &format!("{path}.ports[{i}].port"),
                            format!("app `{target}` declares no port {}", show(&sel.port)),
                            format!(
                                "use one of `{target}`'s declared ports ({})",
                                port_list(app)
                            ),
                        );
                    }
                }
            }
        }
        return;
    }
    if let Some(ns) = &rule.to_namespace {
        check_namespace_peer(path, ns, &rule.pod_labels, r);
    }
    if let Some(cidr) = &rule.to_cidr {
        check_cidr_peer(path, cidr, rule, r);
    }
    if rule.ports.is_empty() {
        r.error(path, "egress outside the namespace's apps must list its ports", "add `ports: [{port: 443}]` (checklist 2.4: restrict egress to specific endpoints and ports)");
    }
    for (i, sel) in rule.ports.iter().enumerate() {
        check_numeric_port(&format!("{path}.ports[{i}]"), sel, r);
    }
}

fn check_cidr_peer(path: &str, cidr: &str, rule: &EgressRule, r: &mut Report) {
    let p = format!("{path}.toCidr");
    match Cidr::parse(cidr) {
        Err(e) => r.error(
            &p,
            e,
            "write an IPv4 or IPv6 network in CIDR notation, e.g. 10.20.0.0/16",
        ),
        Ok(net) => {
            let acknowledged = rule
                .acknowledge_internet_egress
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty());
            if net.is_everything() && !acknowledged {
                r.error(&p, format!("egress to `{cidr}` opens the whole internet"), "narrow the CIDR to the endpoints the app needs (checklist 2.4), or add `acknowledgeInternetEgress: <reason>` to this rule");
            }
            if !net.is_everything() && rule.acknowledge_internet_egress.is_some() {
                r.error(
                    &format!("{path}.acknowledgeInternetEgress"),
                    "only applies to 0.0.0.0/0 or ::/0",
                    "remove it",
                );
            }
            for (i, ex) in rule.except.iter().enumerate() {
                match Cidr::parse(ex) {
                    Err(e) => r.error(
                        &format!("{path}.except[{i}]"),
                        e,
                        "write a CIDR inside toCidr",
                    ),
                    Ok(inner) if !net.strictly_contains(&inner) => r.error(
                        &format!("{path}.except[{i}]"),
                        format!("`{ex}` is not inside `{cidr}`"),
                        "list only sub-ranges of toCidr",
                    ),
                    Ok(_) => {}
                }
            }
        }
    }
}

fn check_namespace_peer(path: &str, ns: &str, labels: &BTreeMap<String, String>, r: &mut Report) {
    if !is_dns_label(ns) {
        r.error(
            path,
            format!("`{ns}` is not a valid namespace name"),
            "use the target namespace's exact name (an RFC 1123 label)",
        );
    }
    for (key, value) in labels {
        if !is_label_key(key) || !is_label_value(value) {
            r.error(
                &format!("{path}.podLabels.{key}"),
                format!("`{key}: {value}` is not a valid label selector entry"),
                "use valid label keys and values",
            );
        }
    }
}

fn check_numeric_port(path: &str, sel: &PortSelector, r: &mut Report) {
    match sel.port {
        PortValue::Name(ref name) => r.error(
            &format!("{path}.port"),
            format!("port name `{name}` cannot be resolved outside this request"),
            "use a port number",
        ),
        PortValue::Number(0) => r.error(
            &format!("{path}.port"),
            "port 0 is not a valid port",
            "use a port between 1 and 65535",
        ),
        PortValue::Number(n) => {
            if let Some(end) = sel.end_port
                && end < n
            {
                r.error(
                    &format!("{path}.endPort"),
                    format!("endPort {end} is below port {n}"),
                    "set endPort to the last port of the range, at least `port`",
                );
            }
        }
    }
}

fn check_role_rule(path: &str, rule: &RoleRule, r: &mut Report) {
    let lists = [
        ("apiGroups", &rule.api_groups),
        ("resources", &rule.resources),
        ("verbs", &rule.verbs),
        ("resourceNames", &rule.resource_names),
    ];
    for (field, values) in lists {
        for (i, v) in values.iter().enumerate() {
            if v.contains('*') {
                r.error(
                    &format!("{path}.{field}[{i}]"),
                    format!("wildcard `{v}` in {field}"),
                    WILDCARD_HELP,
                );
            }
        }
    }
    for (field, values) in [("resources", &rule.resources), ("verbs", &rule.verbs)] {
        if values.is_empty() {
            r.error(
                &format!("{path}.{field}"),
                format!("{field} is empty"),
                format!("list the {field} the app needs"),
            );
        }
    }
    if rule.api_groups.is_empty() {
        r.error(
            &format!("{path}.apiGroups"),
            "apiGroups is empty",
            "use `[\"\"]` for the core group, or the group name such as `apps`",
        );
    }
    for (i, verb) in rule.verbs.iter().enumerate() {
        let p = format!("{path}.verbs[{i}]");
        if ESCALATING_VERBS.contains(&verb.as_str()) {
            r.error(
                &p,
                format!("verb `{verb}` lets the app grant itself more rights"),
                "remove it; RBAC is managed through this repository (checklist 1: least privilege)",
            );
        } else if !verb.contains('*') && !API_VERBS.contains(&verb.as_str()) {
            r.error(
                &p,
                format!("unknown verb `{verb}`"),
                format!("use one of {}", API_VERBS.join(", ")),
            );
        }
    }
    if rule.resources.iter().any(|res| res == "secrets") {
        if rule.resource_names.is_empty() {
            r.error(&format!("{path}.resources"), "access to all Secrets of the namespace", "name the Secrets under `resourceNames` (checklist 4.5: use RBAC to restrict secret access)");
        }
        if rule.verbs.iter().any(|v| v == "list" || v == "watch") {
            r.error(
                &format!("{path}.verbs"),
                "list/watch on Secrets reveals every Secret regardless of resourceNames",
                "use `get` on named Secrets (checklist 4.5)",
            );
        }
    }
}

fn check_workload(path: &str, app: &App, w: &Workload, ctx: &RequestContext, r: &mut Report) {
    check_image(&format!("{path}.image"), &w.image, ctx, r);
    if app.ports.is_empty() {
        r.error(
            path,
            format!("app `{}` has a workload but declares no ports", app.name),
            "declare the ports it listens on; probes and the Service use them",
        );
    }
    if let Some(replicas) = w.replicas
        && replicas < 2
    {
        r.error(
            &format!("{path}.replicas"),
            format!("{replicas} replica(s) cannot survive a node drain"),
            "use at least 2 replicas (a PodDisruptionBudget keeps one running)",
        );
    }
    if let Some(res) = &w.resources {
        check_resources(&format!("{path}.resources"), res, r);
    }
    let has_tcp_port = app
        .ports
        .iter()
        .any(|p| p.protocol == crate::request::Protocol::TCP);
    if w.probes.is_none() && !app.ports.is_empty() && !has_tcp_port {
        r.error(
            path,
            format!(
                "app `{}` has no TCP port for the default HTTP probes",
                app.name
            ),
            "declare a TCP port, or set `probes` explicitly",
        );
    }
    if let Some(probes) = &w.probes {
        for (kind, probe) in [
            ("liveness", &probes.liveness),
            ("readiness", &probes.readiness),
        ] {
            let p = format!("{path}.probes.{kind}");
            if !probe.path.starts_with('/')
                || probe.path.chars().any(|c| c.is_control() || c == ' ')
            {
                r.error(
                    &format!("{p}.path"),
                    format!("`{}` is not an absolute HTTP path", probe.path),
                    "write a path such as `/healthz`",
                );
            }
            if !app.ports.iter().any(|port| {
                port.name == probe.port && port.protocol == crate::request::Protocol::TCP
            }) {
                r.error(
                    &format!("{p}.port"),
                    format!("`{}` is not a declared TCP port", probe.port),
                    format!("use one of {}", port_list(app)),
                );
            }
        }
        if probes.liveness == probes.readiness {
            r.error(&format!("{path}.probes"), "liveness and readiness probes are identical", "point them at different endpoints: liveness answers \"restart me?\", readiness \"send me traffic?\"");
        }
    }
}

/// Whether `image` is `name@sha256:<64 lowercase hex digits>`.
pub(super) fn is_pinned(image: &str) -> bool {
    image.split_once("@sha256:").is_some_and(|(name, digest)| {
        !name.is_empty()
            && digest.len() == 64
            && digest
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

pub(super) fn check_image(path: &str, image: &str, ctx: &RequestContext, r: &mut Report) {
    if !is_pinned(image) {
        r.error(path, format!("image `{image}` is not pinned by digest"), "pin it: `crane digest IMAGE` or `docker buildx imagetools inspect IMAGE` prints the digest; write `registry/repo@sha256:<digest>`");
    }
    for env in ctx.environments {
        if !env
            .allowed_registries
            .iter()
            .any(|prefix| image.starts_with(prefix.as_str()))
        {
            r.error(
                path,
                format!(
                    "image `{image}` is not from a registry allowed in environment `{}`",
                    env.name
                ),
                format!(
                    "use an image under one of {} (environments/{}.yaml)",
                    env.allowed_registries.join(", "),
                    env.name
                ),
            );
        }
    }
}

pub(crate) fn check_resources(path: &str, res: &ContainerResources, r: &mut Report) {
    for (field, value) in [
        ("cpu", &res.cpu),
        ("memory", &res.memory),
        ("ephemeralStorage", &res.ephemeral_storage),
    ] {
        if !is_quantity(value) || value.starts_with('-') {
            r.error(
                &format!("{path}.{field}"),
                format!("`{value}` is not a resource quantity"),
                "write e.g. `250m` for cpu or `256Mi` for memory",
            );
        }
    }
}

pub(crate) fn check_quota_entry(path: &str, key: &str, value: &str, r: &mut Report) {
    if !is_label_key(key) {
        r.error(
            path,
            format!("`{key}` is not a quota resource name"),
            "use names such as `requests.cpu`, `limits.memory`, `pods`, `count/deployments.apps`",
        );
    }
    if !is_quantity(value) || value.starts_with('-') {
        r.error(
            path,
            format!("`{value}` is not a resource quantity"),
            "write e.g. `4`, `8Gi` or `20`",
        );
    }
}

fn declares(app: &App, sel: &PortSelector) -> bool {
    app.ports.iter().any(|p| match &sel.port {
        PortValue::Name(n) => &p.name == n,
        PortValue::Number(n) => {
            p.port == *n && sel.protocol.is_none_or(|proto| proto == p.protocol)
        }
    })
}

fn show(v: &PortValue) -> String {
    match v {
        PortValue::Name(n) => format!("`{n}`"),
        PortValue::Number(n) => n.to_string(),
    }
}

fn port_list(app: &App) -> String {
    if app.ports.is_empty() {
        return "none declared".into();
    }
    app.ports
        .iter()
        .map(|p| format!("{}={}", p.name, p.port))
        .collect::<Vec<_>>()
        .join(", ")
}

fn known(apps: &BTreeMap<&str, &App>) -> String {
    apps.keys().copied().collect::<Vec<_>>().join(", ")
}
