//! An environment's cluster-wide files: the control-plane and runtime-detection files that
//! `render` commits into `clusters/<env>/cluster/` and `cluster-config` writes out.

use crate::error::Result;
use rampart_model::{Environment, RepoConfig};
use rampart_render::RequestFile;
use std::collections::BTreeMap;

/// Where an environment's cluster files go in the repository.
pub fn cluster_dir(env: &str) -> String {
    format!("clusters/{env}/cluster/")
}

/// Every generated file under `clusters/<env>/cluster/`, keyed by its path below it. Each
/// source of cluster-wide files adds its output here, under its own sub-directory.
pub fn cluster_files(
    env: &Environment,
    config: &RepoConfig,
    requests: &[RequestFile],
) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    files.extend(rampart_render::cluster::render_cluster(env)?);
    let admission = rampart_render::admission::render_admission(env, config)?;
    files.extend(
        admission
            .into_iter()
            .map(|(path, text)| (format!("admission/{path}"), text.into_bytes())),
    );
    let backend = rampart_render::backend::render_backend(env, requests, config.service())?;
    files.extend(
        backend
            .into_iter()
            .map(|(path, bytes)| (format!("secrets-backend/{path}"), bytes)),
    );
    Ok(files)
}
