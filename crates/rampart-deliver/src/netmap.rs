//! `rampart netmap` and the pull request's network section: connectivity maps computed by
//! the NetworkPolicy evaluator from what the requests render (a map), or from two versions
//! of a committed `network-policies.yaml` (what a change opens and closes).

use crate::error::{Context, Error, Result, bail};
use crate::inputs::{self, Inputs};
use rampart_git::FileSet;
use rampart_network::{Flow, Party};
use rampart_policy::parse_documents;
use rampart_render::network_proof::{namespace_flows, namespace_network, policy_network, touches};
use rampart_render::service::{render_service, service_request};
use rampart_render::{Blueprint, render_namespace};
use serde_json::{Value, json};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The flows of one namespace in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceMap {
    /// Environment name.
    pub environment: String,
    /// Namespace name.
    pub namespace: String,
    /// Every flow from or to a pod of the namespace (DNS included), canonical and sorted.
    pub flows: Vec<Flow>,
}

/// The maps of the work tree's requests (and the rotation service's namespace), rendered in
/// memory: every environment or `only_env`, every namespace or `only_namespace`.
pub fn network_maps(
    repo: &Path,
    blueprints: Option<&PathBuf>,
    only_env: Option<&str>,
    only_namespace: Option<&str>,
) -> Result<Vec<NamespaceMap>> {
    let inputs = Inputs::load(repo, &FileSet::new())?;
    let blueprint = inputs::blueprint(blueprints)?;
    let service = inputs.config.service();
    let known = |name: &str| {
        inputs.requests.iter().any(|r| r.request.name == name)
            || service.is_some_and(|s| s.namespace == name)
    };
    if let Some(name) = only_namespace.filter(|n| !known(n)) {
        bail!(
            "no request renders namespace `{name}`; the requests are in specs/ (`rampart new {name}` creates one)"
        );
    }
    let mut maps = Vec::new();
    for env in inputs.selected(only_env)? {
        for file in &inputs.requests {
            let req = &file.request;
            if only_namespace.is_some_and(|n| n != req.name) {
                continue;
            }
            let files = render_namespace(&blueprint, req, &env, &file.path)?;
            guard(&env.name, &req.name, &files)?;
            maps.push(map_of(req, &env, &files)?);
        }
        if let Some(svc) = service.filter(|s| only_namespace.is_none_or(|n| n == s.namespace)) {
            let files = render_service(&Blueprint::embedded()?, svc, &env)?;
            maps.push(map_of(&service_request(svc, &env), &env, &files)?);
        }
    }
    Ok(maps)
}

/// Refuses, as `render`'s commit would, a namespace whose rendered files hold a secret:
/// its map prints values of those files (names, labels).
fn guard(env: &str, namespace: &str, files: &rampart_render::NamespaceFiles) -> Result<()> {
    let named: Vec<(String, &[u8])> = files
        .iter()
        .map(|(file, text)| {
            (
                format!("clusters/{env}/namespaces/{namespace}/{file}"),
                text.as_bytes(),
            )
        })
        .collect();
    let scanned: Vec<(&str, &[u8])> = named.iter().map(|(p, b)| (p.as_str(), *b)).collect();
    Ok(rampart_git::guard::refuse_secrets(&scanned)?)
}

fn map_of(
    req: &rampart_model::NamespaceRequest,
    env: &rampart_model::Environment,
    files: &rampart_render::NamespaceFiles,
) -> Result<NamespaceMap> {
    let policies = network_policies(files.iter().map(|(f, t)| (f.as_str(), t.as_bytes())))?;
    let net = namespace_network(req, env, &policies)
        .map_err(Error::Failed)
        .with_context(|| format!("namespace {} in environment {}", req.name, env.name))?;
    Ok(NamespaceMap {
        environment: env.name.clone(),
        namespace: req.name.clone(),
        flows: namespace_flows(&net, &req.name),
    })
}

/// The NetworkPolicy documents of YAML files (path, content), parsed as `rampart check`
/// parses them.
fn network_policies<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<Value>> {
    let mut policies = Vec::new();
    for (path, bytes) in files {
        let (docs, errors) = parse_documents(path, bytes);
        if let Some(error) = errors.first() {
            bail!("{error}");
        }
        policies.extend(
            docs.into_iter()
                .filter(|d| d.value["kind"] == "NetworkPolicy")
                .map(|d| d.value),
        );
    }
    Ok(policies)
}

/// What a change of one namespace's NetworkPolicies opens and closes: the flows the new
/// version allows that the old did not, and the reverse. `None` stands for no file; `path`
/// names it in errors.
pub fn flow_changes(
    path: &str,
    namespace: &str,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
) -> Result<(Vec<Flow>, Vec<Flow>)> {
    let flows = |bytes: Option<&[u8]>| -> Result<rampart_network::FlowSet> {
        let policies = network_policies(bytes.map(|b| (path, b)))?;
        let net = policy_network(namespace, &policies).map_err(Error::Failed)?;
        Ok(net.flows())
    };
    let (old, new) = (flows(old)?, flows(new)?);
    let own = |flow: &Flow| touches(flow, namespace);
    let opened = new.minus(&old).into_iter().filter(own).collect();
    let closed = old.minus(&new).into_iter().filter(own).collect();
    Ok((opened, closed))
}

/// The rows a reader sees: a flow every pod of the namespace has (DNS) once, from
/// `<namespace>/*`, instead of once per pod.
fn shown_rows(map: &NamespaceMap) -> Vec<&Flow> {
    let every = Party::Pod {
        namespace: map.namespace.clone(),
        name: "*".to_owned(),
    };
    let shared: Vec<(&Party, &rampart_network::PortSet)> = map
        .flows
        .iter()
        .filter(|f| f.from == every)
        .map(|f| (&f.to, &f.ports))
        .collect();
    map.flows
        .iter()
        .filter(|f| f.from == every || !shared.contains(&(&f.to, &f.ports)))
        .collect()
}

/// `text`: a heading per namespace and a line per flow; `<namespace>/*` stands for every
/// pod of the namespace (a flow all of them have is listed once).
pub fn format_text(maps: &[NamespaceMap]) -> String {
    let mut out = String::new();
    for (i, map) in maps.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{} ({}):", map.namespace, map.environment);
        if map.flows.is_empty() {
            let _ = writeln!(out, "  no flows: every pod is isolated");
        }
        for flow in shown_rows(map) {
            let _ = writeln!(out, "  {} → {}  {}", flow.from, flow.to, flow.ports);
        }
    }
    out
}

/// `json`: `[{environment, namespace, flows: [{from, to, ports}]}]`.
pub fn format_json(maps: &[NamespaceMap]) -> String {
    let maps: Vec<Value> = maps
        .iter()
        .map(|m| {
            json!({
                "environment": m.environment,
                "namespace": m.namespace,
                "flows": m.flows.iter().map(|f| json!({
                    "from": f.from.to_string(),
                    "to": f.to.to_string(),
                    "ports": f.ports.to_string(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&maps).unwrap_or_default();
    text.push('\n');
    text
}

/// `mermaid`: a flowchart, a subgraph per namespace and environment, an arrow per flow
/// labelled with its ports (GitHub and GitLab draw it in Markdown).
pub fn format_mermaid(maps: &[NamespaceMap]) -> String {
    let mut out = String::from("flowchart LR\n");
    for (m, map) in maps.iter().enumerate() {
        let mut nodes: Vec<String> = Vec::new();
        let mut id = |party: &Party, out: &mut String| -> String {
            let label = party.to_string();
            let index = match nodes.iter().position(|n| *n == label) {
                Some(index) => index,
                None => {
                    nodes.push(label.clone());
                    let _ = writeln!(
                        out,
                        "    m{m}n{}[\"{}\"]",
                        nodes.len() - 1,
                        mermaid_text(&label)
                    );
                    nodes.len() - 1
                }
            };
            format!("m{m}n{index}")
        };
        let _ = writeln!(
            out,
            "  subgraph m{m}[\"{} ({})\"]",
            mermaid_text(&map.namespace),
            mermaid_text(&map.environment)
        );
        for flow in shown_rows(map) {
            let from = id(&flow.from, &mut out);
            let to = id(&flow.to, &mut out);
            let _ = writeln!(
                out,
                "    {from} -->|\"{}\"| {to}",
                mermaid_text(&flow.ports.to_string())
            );
        }
        out.push_str("  end\n");
    }
    out
}

/// Text safe inside a quoted mermaid label.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}
