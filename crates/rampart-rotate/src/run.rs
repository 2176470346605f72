//! One pass over planned secrets: connect each environment's backends once, rotate with
//! bounded concurrency, report each result as it comes.

use crate::any::AnyBackend;
use crate::connect::connect;
use crate::engine::rotate_all;
use crate::error::RotateError;
use crate::job::{Outcome, SecretId};
use crate::plan::Planned;
use rampart_model::Environment;
use rampart_model::secret::SecretBackend;
use std::collections::BTreeMap;

/// Rotates every planned secret (see [`crate::rotate`]); results in the order of
/// `planned`. A backend that cannot be connected fails its secrets, not the others.
pub async fn run(
    environments: &[Environment],
    planned: &[Planned],
    concurrency: usize,
    dry_run: bool,
    on_done: impl Fn(&SecretId, &Result<Outcome, RotateError>),
) -> Vec<Result<Outcome, RotateError>> {
    let mut backends: BTreeMap<(String, SecretBackend), Result<AnyBackend, String>> =
        BTreeMap::new();
    for p in planned {
        let key = (p.job.id.environment.clone(), p.backend);
        if backends.contains_key(&key) {
            continue;
        }
        let connected = match environments.iter().find(|e| e.name == key.0) {
            Some(env) => connect(env, p.backend).await,
            None => Err(format!("no environment {}", key.0)),
        };
        backends.insert(key, connected);
    }
    let mut results: Vec<Option<Result<Outcome, RotateError>>> = planned
        .iter()
        .map(
            |p| match &backends[&(p.job.id.environment.clone(), p.backend)] {
                Ok(_) => None,
                Err(message) => {
                    let failed = Err(RotateError::Connect(message.clone()));
                    on_done(&p.job.id, &failed);
                    Some(failed)
                }
            },
        )
        .collect();
    let runnable: Vec<(usize, (crate::job::Job, &AnyBackend))> = planned
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let backend = backends[&(p.job.id.environment.clone(), p.backend)]
                .as_ref()
                .ok()?;
            Some((i, (p.job.clone(), backend)))
        })
        .collect();
    let (indices, jobs): (Vec<usize>, Vec<_>) = runnable.into_iter().unzip();
    let done = rotate_all(&jobs, concurrency, dry_run, on_done).await;
    for (i, result) in indices.into_iter().zip(done) {
        results[i] = Some(result);
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(RotateError::Stopped)))
        .collect()
}
