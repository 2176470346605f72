//! Network tests (checklist 2.6: test network policies in staging before production): for
//! an environment with `networkTests: true`, a probe Job per app that runs `rampart probe`
//! in the cluster, wearing the app's pod labels so that the app's NetworkPolicies apply.
//!
//! What each app's probe checks ([`probe_plans`]), from the request alone:
//! - DNS: `kubernetes.default.svc` resolves (the `allow-dns` policy, UDP 53).
//! - Open, every declared TCP flow that has an address that answers: to another app of the
//!   namespace through its Service (`<app>.<namespace>.svc:<port>`, when that app has a
//!   workload, hence a Service), and to a `toCidr` that names one host (`/32`, `/128`).
//! - Closed, undeclared flows to targets that answer when the flow is let through (a check
//!   of silence proves nothing against an address where nobody would answer): every TCP
//!   port of the namespace's Services the app may not reach, and the Kubernetes API server
//!   (`kubernetes.default.svc:443`). A port that a `toCidr` rule of the app allows is left
//!   out (the range may hold cluster addresses).
//! - Not probed, listed in the log and the Job's `rampart.dev/unprobed` annotation: UDP and
//!   SCTP ports, `toCidr` ranges wider than one host (no address in them is known to
//!   answer), `toNamespace` peers (pods selected by labels have no address known here), apps
//!   without a workload.
//!
//! Names are written without the cluster domain (`api.shop.svc`): the pod's DNS search
//! list completes them, whatever the cluster's domain is.

use crate::blueprint::{Blueprint, app_output};
use crate::context::common_labels;
use crate::error::RenderError;
use crate::namespace::{NamespaceFiles, Policies, kustomization, render_jobs};
use crate::network::{APP_LABEL, PortSet, app_edges};
use rampart_model::request::{App, EgressRule, PortSelector, PortValue, Protocol};
use rampart_model::{Environment, NamespaceRequest};
use rampart_probe::{Check, Target};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The label that marks a probe's Job and pod, with the app's name as its value.
pub const PROBE_LABEL: &str = "rampart.dev/netprobe";
/// The name every probe resolves, and a closed target that always answers when let through.
pub const API_SERVER: &str = "kubernetes.default.svc";
/// How long a connection attempt waits for an answer before it counts as dropped.
pub const TIMEOUT: &str = "3s";
/// How long checks that fail are tried again: servers starting, policies being programmed.
pub const WAIT: &str = "120s";
/// How long the probe waits before its first attempt: the NetworkPolicies applied with it
/// take a moment to be programmed by the CNI.
pub const DELAY: &str = "10s";
/// A Job name has at most 63 characters (it becomes a label value of its pods).
const MAX_JOB_NAME: usize = 63;

/// What one app's probe checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbePlan {
    /// The app whose labels the probe wears.
    pub app: String,
    /// DNS first, then the open checks, then the closed ones.
    pub checks: Vec<Check>,
    /// Declared flows that are not probed, each with the reason.
    pub unprobed: Vec<String>,
}

impl ProbePlan {
    /// The arguments of `rampart probe` (after the subcommand).
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "--from",
            &self.app,
            "--timeout",
            TIMEOUT,
            "--wait",
            WAIT,
            "--delay",
            DELAY,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for check in &self.checks {
            args.extend(check.args());
        }
        for note in &self.unprobed {
            args.push("--unprobed".to_owned());
            args.push(note.clone());
        }
        args
    }
}

/// The probe of every app of `req`, in the request's order.
pub fn probe_plans(req: &NamespaceRequest) -> Vec<ProbePlan> {
    let edges = app_edges(req);
    let service = |app: &App| format!("{}.{}.svc", app.name, req.name);
    req.apps
        .iter()
        .map(|client| {
            let mut checks = vec![Check::Resolve(API_SERVER.to_owned())];
            let mut closed = Vec::new();
            let mut unprobed = Vec::new();
            let reached = |server: &str| -> PortSet {
                edges
                    .iter()
                    .filter(|((c, s), _)| c == &client.name && s == server)
                    .flat_map(|(_, ports)| ports.iter().copied())
                    .collect()
            };
            for ((c, s), ports) in &edges {
                if c != &client.name {
                    continue;
                }
                let Some(server) = req.apps.iter().find(|a| &a.name == s) else {
                    continue;
                };
                for &(port, protocol) in ports {
                    let flow = format!("{}:{port}/{}", service(server), protocol.as_str());
                    if server.workload.is_none() {
                        unprobed.push(format!(
                            "app {s} port {port}/{}: {s} has no workload, so no Service to connect to",
                            protocol.as_str()
                        ));
                    } else if protocol != Protocol::TCP {
                        unprobed.push(format!("{flow}: {}", not_tcp(protocol)));
                    } else {
                        checks.push(Check::Open(Target::new(service(server), port)));
                    }
                }
            }
            for rule in client.egress.iter().filter(|r| r.to_app.is_none()) {
                external_flow(rule, &mut checks, &mut unprobed);
            }
            for server in req.apps.iter().filter(|a| a.workload.is_some()) {
                let allowed = reached(&server.name);
                for port in &server.ports {
                    let tcp = (port.port, Protocol::TCP);
                    if port.protocol != Protocol::TCP
                        || allowed.contains(&tcp)
                        || may_allow(client, port.port, Some(&req.name))
                    {
                        continue;
                    }
                    closed.push(Check::Closed(Target::new(service(server), port.port)));
                }
            }
            if !may_allow(client, 443, None) && !may_allow(client, 6443, None) {
                closed.push(Check::Closed(Target::new(API_SERVER, 443)));
            }
            checks.extend(closed);
            ProbePlan {
                app: client.name.clone(),
                checks,
                unprobed,
            }
        })
        .collect()
}

/// The check (or the reason there is none) of a `toCidr` or `toNamespace` rule.
fn external_flow(rule: &EgressRule, checks: &mut Vec<Check>, unprobed: &mut Vec<String>) {
    let ports = if rule.ports.is_empty() {
        vec!["*".to_owned()]
    } else {
        rule.ports.iter().map(show_port).collect()
    };
    if let Some(namespace) = &rule.to_namespace {
        let pods = if rule.pod_labels.is_empty() {
            "every pod".to_owned()
        } else {
            let labels: Vec<String> = rule
                .pod_labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("pods {}", labels.join(","))
        };
        for port in ports {
            unprobed.push(format!(
                "{pods} in namespace {namespace} port {port}: pods selected by namespace and labels have no address known to the request"
            ));
        }
        return;
    }
    let Some(cidr) = &rule.to_cidr else {
        return;
    };
    let Some(host) = single_host(cidr) else {
        for port in ports {
            unprobed.push(format!(
                "{cidr} port {port}: a range, not one host; no address in it is known to answer (declare the host as a /32 to probe it)"
            ));
        }
        return;
    };
    for (sel, shown) in rule.ports.iter().zip(ports) {
        let protocol = sel.protocol.unwrap_or_default();
        match &sel.port {
            PortValue::Number(port) if protocol == Protocol::TCP => {
                checks.push(Check::Open(Target::new(host, *port)));
            }
            PortValue::Number(_) => {
                unprobed.push(format!("{cidr} port {shown}: {}", not_tcp(protocol)))
            }
            PortValue::Name(_) => unprobed.push(format!(
                "{cidr} port {shown}: a port name, whose number only the destination knows"
            )),
        }
    }
}

fn not_tcp(protocol: Protocol) -> String {
    format!(
        "{} is not probed (no handshake tells a delivered packet from a dropped one)",
        protocol.as_str()
    )
}

/// `5432/TCP`, `30000-32767/TCP`, `http/TCP`.
fn show_port(sel: &PortSelector) -> String {
    let protocol = sel.protocol.unwrap_or_default().as_str();
    match (&sel.port, sel.end_port) {
        (PortValue::Number(p), Some(end)) => format!("{p}-{end}/{protocol}"),
        (PortValue::Number(p), None) => format!("{p}/{protocol}"),
        (PortValue::Name(n), _) => format!("{n}/{protocol}"),
    }
}

/// The address of a CIDR that holds exactly one (`/32`, `/128`).
fn single_host(cidr: &str) -> Option<&str> {
    let (address, bits) = cidr.split_once('/')?;
    match (address.contains(':'), bits) {
        (false, "32") | (true, "128") => Some(address),
        _ => None,
    }
}

/// Whether an egress rule of `app` other than `toApp` may let TCP `port` through to cluster
/// addresses: a `toCidr` rule (a range may hold them), or, with `namespace`, a
/// `toNamespace` rule for that namespace. A port name counts as any port.
fn may_allow(app: &App, port: u16, namespace: Option<&str>) -> bool {
    app.egress.iter().any(|rule| {
        let peer = rule.to_cidr.is_some()
            || (namespace.is_some() && rule.to_namespace.as_deref() == namespace);
        let port_matches = rule.ports.is_empty()
            || rule.ports.iter().any(|sel| {
                sel.protocol.unwrap_or_default() == Protocol::TCP
                    && match &sel.port {
                        PortValue::Number(p) => (*p..=sel.end_port.unwrap_or(*p)).contains(&port),
                        PortValue::Name(_) => true,
                    }
            });
        rule.to_app.is_none() && peer && port_matches
    })
}

/// Adds the probe Jobs of `req` (rendered from `source`) to `files`, its namespace as
/// rendered for `env` with the NetworkPolicies `policies` (by file, as
/// [`crate::namespace::render_namespace_as`] returns them), and lists them in its
/// kustomization. `probes` is the `network-tests` blueprint; `image` the Rampart image
/// (`service.image` of rampart.yaml), without which the environment cannot be tested.
pub(crate) fn add_probes(
    files: &mut NamespaceFiles,
    policies: &Policies,
    req: &NamespaceRequest,
    env: &Environment,
    (probes, image): (&Blueprint, Option<&str>),
    source: &str,
) -> Result<(), RenderError> {
    let image = image.ok_or_else(|| RenderError::NetworkTestsWithoutImage {
        environment: env.name.clone(),
    })?;
    // In file order, each as one line of JSON: what the Job names hash.
    let mut policy_text = String::new();
    for policy in policies.values().flatten() {
        policy_text.push_str(&policy.to_string());
        policy_text.push('\n');
    }
    let header = format!(
        "# Generated by rampart from {source} and rampart.yaml (service.image) for environment {} (networkTests).\n# Do not edit: change them and run `rampart render`.\n",
        env.name
    );
    let probes = render_probes(probes, req, env, image, &policy_text, &header)?;
    if let Some(taken) = probes.keys().find(|name| files.contains_key(*name)) {
        return Err(RenderError::Invalid {
            template: "app-netprobe.yaml.hbs".to_owned(),
            namespace: req.name.clone(),
            kind: "file".to_owned(),
            name: taken.clone(),
            problem: "the blueprint already writes this file".to_owned(),
        });
    }
    files.extend(probes);
    files.insert("kustomization.yaml".to_owned(), kustomization(files.keys()));
    Ok(())
}

/// Resources of the probe container: it holds a few sockets and writes nothing.
fn resources() -> Value {
    json!({"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "64Mi"})
}

/// Renders the probe Jobs of `req` in `env` (`netprobe-<app>.yaml`) with `blueprint` (the
/// `network-tests` one), run with `image`. The Job names hash the checks, the image and
/// `policies` (the namespace's rendered NetworkPolicies), so any change to what is tested
/// makes a new Job.
pub(crate) fn render_probes(
    blueprint: &Blueprint,
    req: &NamespaceRequest,
    env: &Environment,
    image: &str,
    policies: &str,
    header: &str,
) -> Result<NamespaceFiles, RenderError> {
    let mut files = NamespaceFiles::new();
    for plan in probe_plans(req) {
        let mut args = vec!["probe".to_owned()];
        args.extend(plan.args());
        let mut hash = Sha256::new();
        for part in args.iter().map(String::as_str).chain([image, policies]) {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let digest: String = hash.finalize()[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let stem: String = plan
            .app
            .chars()
            .take(MAX_JOB_NAME - "netprobe--".len() - digest.len())
            .collect();
        let name = format!("netprobe-{}-{digest}", stem.trim_end_matches('-'));
        let mut labels = common_labels(req);
        labels.insert(APP_LABEL.to_owned(), plan.app.clone());
        labels.insert(PROBE_LABEL.to_owned(), plan.app.clone());
        let mut pod_labels = labels.clone();
        pod_labels.extend(req.labels.clone());
        let data = json!({
            "namespace": {"name": req.name},
            "netprobe": {
                "name": name,
                "labels": labels,
                "podLabels": pod_labels,
                "serviceAccount": plan.app,
                "image": image,
                "args": args,
                "resources": resources(),
                "unprobed": (!plan.unprobed.is_empty()).then(|| plan.unprobed.join("\n")),
            },
        });
        let data = handlebars::Context::from(data);
        let jobs = blueprint
            .app_templates
            .iter()
            .map(|t| (t.clone(), app_output(t, &plan.app), &data))
            .collect();
        // The built-in probe blueprint renders Jobs only: no policy to prove.
        let mut no_policies = Policies::new();
        files.extend(render_jobs(
            blueprint,
            jobs,
            req,
            env,
            header,
            &mut no_policies,
        )?);
    }
    Ok(files)
}

#[cfg(test)]
mod tests;
