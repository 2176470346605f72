//! `rampart import`: reads the existing manifests of namespaces (files, kustomize output, a
//! live cluster's objects) and writes the namespace request that reproduces them, with the
//! rows of a report: what the request cannot carry, and what hardening changes.
//!
//! Pure: documents in, requests and notes out. The apps' flows are asked of
//! `rampart-network`, so the imported request declares what the existing NetworkPolicies
//! allow between the apps ([`traffic`]).

#![warn(missing_docs)]

pub mod apps;
pub mod diff;
pub mod k8s;
pub mod namespace;
pub mod rbac;
pub mod report;
pub mod secrets;
pub mod select;
pub mod summary;
pub mod traffic;
pub mod write;

use rampart_model::{Diagnostics, Environment, NamespaceRequest};
use rampart_network::Network;
use rampart_policy::Document;
pub use report::{Note, Topic};

/// What the caller knows besides the manifests.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// `--team`: overrides the `rampart.dev/team` label.
    pub team: Option<&'a str>,
    /// `--label KEY=VALUE`: governance labels, over the namespace's own.
    pub labels: &'a [(String, String)],
    /// Label keys every request must set (rampart.yaml).
    pub required_labels: &'a [String],
    /// The environment whose defaults (quota, container limits, replicas, DNS) the input
    /// is compared with: values equal to them are left out of the request.
    pub env: &'a Environment,
    /// How the input is named in the request's header comment.
    pub sources: &'a str,
}

/// One imported namespace.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The request.
    pub request: NamespaceRequest,
    /// The request file's text (commented, valid).
    pub text: String,
    /// Report rows.
    pub notes: Vec<Note>,
    /// The network the existing objects form (apps as pods, their NetworkPolicies).
    pub existing: Network,
}

/// Imports `namespaces` (or the input's only one) from `docs`.
pub fn import(
    docs: &[Document],
    namespaces: &[String],
    options: &Options,
) -> Result<Vec<Imported>, Diagnostics> {
    select::select(docs, namespaces)?
        .iter()
        .map(|ns| import_one(ns, options))
        .collect()
}

fn import_one(ns: &select::Namespaced, options: &Options) -> Result<Imported, Diagnostics> {
    let mut notes = report::Notes::default();
    let meta = namespace::metadata(ns, options, &mut notes)?;
    let limits = meta
        .limits
        .clone()
        .unwrap_or_else(|| options.env.defaults.limits.clone());
    let mut found = apps::find_apps(&ns.objects, options.env, &limits, &mut notes);
    let unpinned = secrets::import_secrets(&mut found, &ns.objects, &mut notes);
    for app in &mut found {
        app.app.rules = rbac::app_rules(&ns.name, app, &ns.objects, &ns.cluster, &mut notes);
    }
    let existing =
        traffic::existing_network(&ns.name, &meta.namespace_labels, &found, &ns.objects)?;
    traffic::import_traffic(
        &ns.name,
        &mut found,
        &existing,
        &ns.objects,
        options.env,
        &mut notes,
    );
    namespace::hardening(ns, &found, options.env, &mut notes);
    let request = NamespaceRequest {
        api_version: rampart_model::request::API_VERSION.to_owned(),
        kind: "NamespaceRequest".to_owned(),
        name: ns.name.clone(),
        team: meta.team,
        description: meta.description,
        labels: meta.labels,
        owners: rbac::owners(&ns.objects, &mut notes),
        apps: found.into_iter().map(|f| f.app).collect(),
        quota: meta.quota,
        limits: meta.limits,
        // Which repositories a team deploys from is not in its namespace's objects.
        gitops: None,
    };
    let text = write::request_text(&request, options.sources, &meta.placeholders, &unpinned);
    Ok(Imported {
        request,
        text,
        notes: notes.0,
        existing,
    })
}
