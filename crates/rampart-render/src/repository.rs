//! Renders every request for every environment into repository paths.

use crate::blueprint::Blueprint;
use crate::error::RenderError;
use crate::namespace::{NamespaceFiles, kustomization, render_namespace};
use crate::service::render_service;
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
/// valid for the current inputs; they are reused as they are.
pub type Prior = BTreeMap<(String, String), NamespaceFiles>;

/// Renders `requests` × `environments` into `clusters/<env>/namespaces/<ns>/<file>` plus a
/// `clusters/<env>/kustomization.yaml` per environment, and with `service` the rotation
/// service's namespace in every environment. Namespaces found in `prior` are not
/// rendered again. Runs namespaces in parallel; the result is ordered and identical on
/// every run.
pub fn render_repository(
    blueprint: &Blueprint,
    requests: &[RequestFile],
    environments: &[Environment],
    prior: &Prior,
    service: Option<&ServiceConfig>,
) -> Result<BTreeMap<String, Vec<u8>>, RenderError> {
    let jobs: Vec<(&Environment, &RequestFile)> = environments
        .iter()
        .flat_map(|env| requests.iter().map(move |r| (env, r)))
        .collect();
    let rendered: Vec<_> = jobs
        .par_iter()
        .map(|(env, file)| {
            let key = (env.name.clone(), file.request.name.clone());
            let files = match prior.get(&key) {
                Some(files) => files.clone(),
                None => render_namespace(blueprint, &file.request, env, &file.path)?,
            };
            Ok((env.name.as_str(), file.request.name.as_str(), files))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut rendered = rendered;
    if let Some(svc) = service {
        for env in environments {
            let files = render_service(blueprint, svc, env)?;
            rendered.push((env.name.as_str(), svc.namespace.as_str(), files));
        }
    }
    let mut out = BTreeMap::new();
    let mut namespaces: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (env, ns, files) in rendered {
        namespaces
            .entry(env)
            .or_default()
            .push(format!("namespaces/{ns}"));
        for (name, text) in files {
            out.insert(
                format!("clusters/{env}/namespaces/{ns}/{name}"),
                text.into_bytes(),
            );
        }
    }
    for env in environments {
        let mut list = namespaces.remove(env.name.as_str()).unwrap_or_default();
        list.sort();
        out.insert(
            format!("clusters/{}/kustomization.yaml", env.name),
            kustomization(list.iter()).into_bytes(),
        );
    }
    Ok(out)
}
