//! Renders every request for every environment into repository paths.

use crate::blueprint::Blueprint;
use crate::error::RenderError;
use crate::namespace::{NamespaceFiles, kustomization, render_namespace_as, source_header};
use crate::netprobe::add_probes;
use crate::service::{render_service_as, service_request};
use rampart_model::service::ServiceConfig;
use rampart_model::{Environment, NamespaceRequest};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// A validated request and the repository path it was read from.
pub struct RequestFile {
    /// Repository-relative path, e.g. `specs/shop.yaml`.
    pub path: String,
    /// The request.
    pub request: NamespaceRequest,
}

/// Files of namespaces rendered before, keyed by (environment, namespace), that are still
/// valid for the current inputs; they are reused as they are. `T` is how a file is held
/// (see [`render_repository`]).
pub type Prior<T = String> = BTreeMap<(String, String), BTreeMap<String, T>>;

/// Renders `requests` × `environments` into `clusters/<env>/namespaces/<ns>/<file>` plus a
/// `clusters/<env>/kustomization.yaml` per environment, and with `service` the rotation
/// service's namespace in every environment. In environments with `networkTests`, every
/// namespace also gets its probe Jobs ([`crate::netprobe`]), run with `probe_image` (the
/// Rampart image, `service.image` of rampart.yaml, whether the service is enabled or not).
/// Namespaces found in `prior` are not rendered again. Runs namespaces in parallel; the result is ordered and identical on
/// every run. Each file is handed to `keep` (with its repository path) as soon as its
/// namespace is rendered (and validated), and the result holds what `keep` makes of it:
/// the caller decides how rendered text is kept (as bytes, compressed, scanned) while the
/// rest is rendered.
pub fn render_repository<T: Clone + Send + Sync>(
    blueprint: &Blueprint,
    requests: &[RequestFile],
    environments: &[Environment],
    mut prior: Prior<T>,
    service: Option<&ServiceConfig>,
    probe_image: Option<&str>,
    keep: &(dyn Fn(&str, String) -> T + Sync),
) -> Result<BTreeMap<String, T>, RenderError> {
    // The probe blueprint, compiled once for every namespace that needs it.
    let probes = environments
        .iter()
        .any(|env| env.network_tests)
        .then(Blueprint::network_tests)
        .transpose()?;
    let probes = probes.as_ref().map(|bp| (bp, probe_image));
    // Each namespace with the files `prior` has of it, taken (not copied) from there.
    let jobs: Vec<(&Environment, &RequestFile, Option<_>)> = environments
        .iter()
        .flat_map(|env| requests.iter().map(move |r| (env, r)))
        .map(|(env, r)| {
            let reused = prior.remove(&(env.name.clone(), r.request.name.clone()));
            (env, r, reused)
        })
        .collect();
    let rendered: Vec<_> = jobs
        .into_par_iter()
        .map(|(env, file, reused)| {
            let files = match reused {
                Some(files) => files,
                None => {
                    let header = source_header(&file.path, &env.name);
                    let (mut files, policies) =
                        render_namespace_as(blueprint, &file.request, env, &header)?;
                    if let Some(probes) = probes.filter(|_| env.network_tests) {
                        add_probes(
                            &mut files,
                            &policies,
                            &file.request,
                            env,
                            probes,
                            &file.path,
                        )?;
                    }
                    kept(&namespace_dir(&env.name, &file.request.name), files, keep)
                }
            };
            Ok((env.name.as_str(), file.request.name.as_str(), files))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut rendered = rendered;
    if let Some(svc) = service {
        for env in environments {
            let dir = namespace_dir(&env.name, &svc.namespace);
            let (mut files, policies) = render_service_as(blueprint, svc, env)?;
            if let Some(probes) = probes.filter(|_| env.network_tests) {
                let req = service_request(svc, env);
                let source = "rampart.yaml (service)";
                add_probes(&mut files, &policies, &req, env, probes, source)?;
            }
            let files = kept(&dir, files, keep);
            rendered.push((env.name.as_str(), svc.namespace.as_str(), files));
        }
    }
    // Collected, then built into the map at once: a map filled in key order one insert at
    // a time keeps its nodes half empty (240,000 files: 20 MB more).
    let count = rendered
        .iter()
        .map(|(_, _, files)| files.len())
        .sum::<usize>();
    let mut out = Vec::with_capacity(count + environments.len());
    let mut namespaces: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (env, ns, files) in rendered {
        namespaces
            .entry(env)
            .or_default()
            .push(format!("namespaces/{ns}"));
        let dir = namespace_dir(env, ns);
        for (name, file) in files {
            out.push((format!("{dir}{name}"), file));
        }
    }
    for env in environments {
        let mut list = namespaces.remove(env.name.as_str()).unwrap_or_default();
        list.sort();
        let path = format!("clusters/{}/kustomization.yaml", env.name);
        let file = keep(&path, kustomization(list.iter()));
        out.push((path, file));
    }
    Ok(out.into_iter().collect())
}

/// `clusters/<env>/namespaces/<ns>/`, where a namespace's files go.
fn namespace_dir(env: &str, ns: &str) -> String {
    format!("clusters/{env}/namespaces/{ns}/")
}

/// `files` (of the directory `dir`) as `keep` holds them.
fn kept<T>(
    dir: &str,
    files: NamespaceFiles,
    keep: &(dyn Fn(&str, String) -> T + Sync),
) -> BTreeMap<String, T> {
    files
        .into_iter()
        .map(|(name, text)| {
            let file = keep(&format!("{dir}{name}"), text);
            (name, file)
        })
        .collect()
}
