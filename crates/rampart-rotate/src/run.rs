//! One pass over planned secrets: connect each environment's backends once, rotate (or only
//! inspect) with bounded concurrency, report each result as it comes.

use crate::any::AnyBackend;
use crate::backend::{Backend, Remote};
use crate::connect::connect;
use crate::engine::rotate_all;
use crate::error::RotateError;
use crate::job::{Outcome, SecretId};
use crate::planned::Planned;
use futures_util::StreamExt;
use rampart_model::Environment;
use rampart_model::secret::SecretBackend;
use std::collections::BTreeMap;
use std::time::Duration;

/// The backends of the planned secrets, connected once per environment and kind; a
/// backend that cannot be connected is kept as its error.
struct Backends(BTreeMap<(String, SecretBackend), Result<AnyBackend, String>>);

impl Backends {
    async fn connect(environments: &[Environment], planned: &[Planned]) -> Backends {
        let mut backends = BTreeMap::new();
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
        Backends(backends)
    }

    fn of(&self, p: &Planned) -> Result<&AnyBackend, RotateError> {
        match &self.0[&(p.job.id.environment.clone(), p.backend)] {
            Ok(backend) => Ok(backend),
            Err(message) => Err(RotateError::Connect(message.clone())),
        }
    }
}

/// Rotates every planned secret (see [`crate::rotate`]); results in the order of
/// `planned`. A backend that cannot be connected fails its secrets, not the others.
pub async fn run(
    environments: &[Environment],
    planned: &[Planned],
    concurrency: usize,
    dry_run: bool,
    on_done: impl Fn(&SecretId, &Result<Outcome, RotateError>, Duration),
) -> Vec<Result<Outcome, RotateError>> {
    let backends = Backends::connect(environments, planned).await;
    let mut results: Vec<Option<Result<Outcome, RotateError>>> = planned
        .iter()
        .map(|p| match backends.of(p) {
            Ok(_) => None,
            Err(e) => {
                let failed = Err(e);
                on_done(&p.job.id, &failed, Duration::ZERO);
                Some(failed)
            }
        })
        .collect();
    let runnable: Vec<(usize, (crate::job::Job, &AnyBackend))> = planned
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, (p.job.clone(), backends.of(p).ok()?))))
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

/// Where each planned secret stands in its backend (read only), at most `concurrency` at
/// once; results in the order of `planned`. The rotation service schedules from these.
pub async fn inspect_all(
    environments: &[Environment],
    planned: &[Planned],
    concurrency: usize,
) -> Vec<Result<Remote, RotateError>> {
    let backends = Backends::connect(environments, planned).await;
    let backends = &backends;
    futures_util::stream::iter(planned)
        .map(|p| async move {
            let backend = backends.of(p)?;
            Ok(backend.inspect(&p.job.remote_key).await?)
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// Retires the previous role of every database a planned secret with `retirePrevious`
/// uses, once `liveness` says every pin of it is live (see [`crate::retire_jobs`]). Only
/// reads the backends; writes nothing but the retired role's password.
pub async fn retire_all(
    environments: &[Environment],
    planned: &[Planned],
    liveness: &(impl crate::PinLiveness + ?Sized),
) -> Vec<crate::Retirement> {
    let backends = Backends::connect(environments, planned).await;
    let jobs: Vec<(crate::job::Job, Result<&AnyBackend, String>)> = planned
        .iter()
        .map(|p| (p.job.clone(), backends.of(p).map_err(|e| e.to_string())))
        .collect();
    crate::retire_jobs(&jobs, liveness).await
}
