//! The imported request as text: the layout `rampart new` writes, every value quoted, with
//! comments where something needs a person.

use crate::secrets::Unpinned;
use rampart_model::NamespaceRequest;
use rampart_model::request::{
    App, ContainerResources, EgressRule, IngressRule, PortSelector, PortValue, Protocol,
};
use rampart_model::secret::AppSecret;
use rampart_render::yaml_quote as q;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Value of a required label the input does not set (as `rampart new` writes it).
pub const PLACEHOLDER: &str = "unassigned";

/// The request file. `placeholders` are required labels set to [`PLACEHOLDER`];
/// `unpinned` secrets are written commented out under their app.
pub fn request_text(
    req: &NamespaceRequest,
    sources: &str,
    placeholders: &[String],
    unpinned: &[Unpinned],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Namespace request imported by `rampart import` from {}.",
        sources.replace('\n', " ")
    );
    out.push_str("# Review it (and the import report), then run `rampart render`.\n# Reference: \"The namespace request\" and \"Adopting existing namespaces\" in Rampart's README.\n");
    let _ = writeln!(
        out,
        "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: {}\nteam: {}",
        q(&req.name),
        q(&req.team)
    );
    match &req.description {
        Some(d) => {
            let _ = writeln!(out, "description: {}", q(d));
        }
        None => out.push_str("# description: What runs here, for people who read the cluster.\n"),
    }
    out.push_str(
        "labels:                  # governance labels; rampart.yaml names the required ones\n",
    );
    if req.labels.is_empty() {
        out.push_str("  {}\n");
    }
    for (k, v) in &req.labels {
        let note = if placeholders.contains(k) {
            "   # required by rampart.yaml: replace with the real value"
        } else {
            ""
        };
        let _ = writeln!(out, "  {}: {}{note}", q(k), q(v));
    }
    let _ = writeln!(
        out,
        "owners:                  # groups from your identity provider\n  admins: {}\n  developers: {}\n  viewers: {}",
        list(&req.owners.admins),
        list(&req.owners.developers),
        list(&req.owners.viewers)
    );
    if req.apps.is_empty() {
        out.push_str("apps: []\n");
    } else {
        out.push_str("apps:\n");
    }
    for app in &req.apps {
        write_app(&mut out, app, unpinned.iter().filter(|u| u.app == app.name));
    }
    if req.quota.is_empty() {
        out.push_str("# quota:                 # overrides of the environment's ResourceQuota\n#   pods: \"20\"\n");
    } else {
        out.push_str("quota:                   # overrides of the environment's ResourceQuota\n");
        for (k, v) in &req.quota {
            let _ = writeln!(out, "  {}: {}", q(k), q(v));
        }
    }
    match &req.limits {
        Some(l) => { let _ = writeln!(out, "limits:                  # container defaults (requests = limits)\n  {}", resources(l)); }
        None => out.push_str("# limits:                # container defaults (requests = limits)\n#   {cpu: 500m, memory: 512Mi, ephemeralStorage: 1Gi}\n"),
    }
    out
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

fn map(m: &BTreeMap<String, String>) -> String {
    format!(
        "{{{}}}",
        m.iter()
            .map(|(k, v)| format!("{}: {}", q(k), q(v)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn resources(r: &ContainerResources) -> String {
    format!(
        "{{cpu: {}, memory: {}, ephemeralStorage: {}}}",
        q(&r.cpu),
        q(&r.memory),
        q(&r.ephemeral_storage)
    )
}

fn ports(sels: &[PortSelector]) -> String {
    let one = |s: &PortSelector| {
        let mut t = match &s.port {
            PortValue::Number(n) => format!("{{port: {n}"),
            PortValue::Name(n) => format!("{{port: {}", q(n)),
        };
        if let Some(e) = s.end_port {
            let _ = write!(t, ", endPort: {e}");
        }
        if let Some(p) = s.protocol {
            let _ = write!(t, ", protocol: {}", p.as_str());
        }
        t.push('}');
        t
    };
    format!("[{}]", sels.iter().map(one).collect::<Vec<_>>().join(", "))
}

fn write_app<'a>(out: &mut String, app: &App, unpinned: impl Iterator<Item = &'a Unpinned>) {
    let _ = writeln!(out, "  - name: {}", q(&app.name));
    if !app.ports.is_empty() {
        out.push_str("    ports:\n");
        for p in &app.ports {
            let proto = if p.protocol == Protocol::TCP {
                String::new()
            } else {
                format!(", protocol: {}", p.protocol.as_str())
            };
            let _ = writeln!(
                out,
                "      - {{name: {}, port: {}{proto}}}",
                q(&p.name),
                p.port
            );
        }
    }
    if !app.ingress.is_empty() {
        out.push_str("    ingress:\n");
        app.ingress.iter().for_each(|r| ingress(out, r));
    }
    if !app.egress.is_empty() {
        out.push_str("    egress:\n");
        app.egress.iter().for_each(|r| egress(out, r));
    }
    if !app.rules.is_empty() {
        out.push_str("    rules:\n");
        for r in &app.rules {
            let _ = writeln!(
                out,
                "      - apiGroups: {}\n        resources: {}\n        verbs: {}",
                list(&r.api_groups),
                list(&r.resources),
                list(&r.verbs)
            );
            if !r.resource_names.is_empty() {
                let _ = writeln!(out, "        resourceNames: {}", list(&r.resource_names));
            }
        }
    }
    let unpinned: Vec<&Unpinned> = unpinned.collect();
    if !app.secrets.is_empty() || !unpinned.is_empty() {
        out.push_str("    secrets:\n");
        app.secrets.iter().for_each(|s| secret(out, s, ""));
        for u in unpinned {
            out.push_str("      # TODO: pin `version` (the ExternalSecret pins none; a request refuses it unpinned), then uncomment\n");
            secret(out, &u.secret, "# ");
        }
    }
    if let Some(w) = &app.workload {
        let _ = writeln!(out, "    workload:\n      image: {}", q(&w.image));
        if let Some(n) = w.replicas {
            let _ = writeln!(out, "      replicas: {n}");
        }
        if let Some(r) = &w.resources {
            let _ = writeln!(out, "      resources: {}", resources(r));
        }
        if let Some(p) = &w.probes {
            let _ = writeln!(
                out,
                "      probes:\n        liveness: {{path: {}, port: {}}}\n        readiness: {{path: {}, port: {}}}",
                q(&p.liveness.path),
                q(&p.liveness.port),
                q(&p.readiness.path),
                q(&p.readiness.port)
            );
        }
    }
}

fn ingress(out: &mut String, r: &IngressRule) {
    let mut first = true;
    let mut field = |out: &mut String, text: String| {
        let _ = writeln!(out, "      {} {text}", if first { "-" } else { " " });
        first = false;
    };
    if let Some(app) = &r.from_app {
        field(out, format!("fromApp: {}", q(app)));
    }
    if let Some(ns) = &r.from_namespace {
        field(out, format!("fromNamespace: {}", q(ns)));
    }
    if !r.pod_labels.is_empty() {
        field(out, format!("podLabels: {}", map(&r.pod_labels)));
    }
    if !r.ports.is_empty() {
        field(out, format!("ports: {}", ports(&r.ports)));
    }
}

fn egress(out: &mut String, r: &EgressRule) {
    let mut first = true;
    let mut field = |out: &mut String, text: String| {
        let _ = writeln!(out, "      {} {text}", if first { "-" } else { " " });
        first = false;
    };
    if let Some(app) = &r.to_app {
        field(out, format!("toApp: {}", q(app)));
    }
    if let Some(ns) = &r.to_namespace {
        field(out, format!("toNamespace: {}", q(ns)));
    }
    if !r.pod_labels.is_empty() {
        field(out, format!("podLabels: {}", map(&r.pod_labels)));
    }
    if let Some(cidr) = &r.to_cidr {
        field(out, format!("toCidr: {}", q(cidr)));
    }
    if !r.except.is_empty() {
        field(out, format!("except: {}", list(&r.except)));
    }
    if !r.ports.is_empty() {
        field(out, format!("ports: {}", ports(&r.ports)));
    }
    if let Some(reason) = &r.acknowledge_internet_egress {
        field(
            out,
            format!(
                "acknowledgeInternetEgress: {}   # imported: give the real reason",
                q(reason)
            ),
        );
    }
}

fn secret(out: &mut String, s: &AppSecret, comment: &str) {
    let _ = writeln!(
        out,
        "      {comment}- name: {}\n      {comment}  backend: {}\n      {comment}  remoteKey: {}\n      {comment}  properties: {}",
        q(&s.name),
        s.backend.as_str(),
        q(&s.remote_key),
        list(&s.properties)
    );
    let version = s
        .version
        .for_environment("")
        .map(|v| v.0.clone())
        .unwrap_or_default();
    if version.is_empty() {
        let _ = writeln!(out, "      {comment}  version: PIN-ME");
    } else {
        let _ = writeln!(out, "      {comment}  version: {}", q(&version));
    }
    if let Some(path) = &s.mount_path {
        let _ = writeln!(out, "      {comment}  mountPath: {}", q(path));
    }
}
