//! Retiring the previous credential of alternating users: once the pin is live in every
//! environment that uses the database, the role no version names gets a fresh random
//! password that is never stored, logged or returned — a leaked previous credential stops
//! working within minutes of the rollout instead of at the next rotation.
//!
//! Two steps, each safe to stop and repeat: [`decide`] (pure) from every version that
//! names a role of the pair — each environment's pin, every other pin Git holds for the
//! key ([`crate::Job::also_pinned`]: other environments, other requests, the remote base
//! branch), the backend's current and pending versions — and from [`PinLiveness`]; then
//! one `ALTER ROLE … PASSWORD` with a SCRAM verifier. Nothing is recorded: a second run
//! draws another random password for the same role (harmless, nobody knew either).
//! Nothing in Git or the backend changes.

mod decide;
mod gather;

pub use decide::{Deployment, Naming, Refusal, decide};

use gather::{Database, group};

use crate::backend::Backend;
use crate::engine::admin_login;
use crate::error::RotateError;
use crate::job::{Job, Policy, PostgresTarget, SecretId};
use crate::postgres::Login;
use crate::value::random_string;
use std::collections::BTreeMap;

/// Length of the password a retired role gets (drawn from the default alphabet).
const RETIRED_LENGTH: usize = 64;

/// What the clusters run: the service's watch implements it, `rampart retire` reads the
/// clusters once.
pub trait PinLiveness {
    /// The version of `id`'s secret that is live in `id.environment` — in the live
    /// ExternalSecret's spec, synced and `Ready`, every workload that mounts it rolled — as
    /// the ExternalSecret spells it (`4`, `uuid/<VersionId>`); `None` when it is not live
    /// or nothing is known (which counts as not live).
    fn live_version(&self, id: &SecretId) -> Option<String>;
}

impl PinLiveness for BTreeMap<SecretId, String> {
    fn live_version(&self, id: &SecretId) -> Option<String> {
        self.get(id).cloned()
    }
}

/// One database role pair and what came of retiring its previous role.
#[derive(Debug)]
pub struct Retirement {
    /// `app/app_alt on HOST:PORT/DATABASE`.
    pub database: String,
    /// The secrets (per environment) that use it.
    pub secrets: Vec<SecretId>,
    /// Retired, or why not.
    pub outcome: Result<Retired, RetireError>,
}

/// A retirement that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retired {
    /// The role got a random password nobody stores.
    Retired {
        /// The role.
        role: String,
    },
    /// The role does not exist (never created): nothing to retire.
    Absent {
        /// The role.
        role: String,
    },
}

/// Why a role pair was left alone.
#[derive(Debug, thiserror::Error)]
pub enum RetireError {
    /// Retiring would break, or might break, a pinned credential.
    #[error("{0}")]
    Refused(Box<Refusal>),
    /// The backend or the database failed.
    #[error(transparent)]
    Failed(#[from] RotateError),
}

/// Retires the previous role of every database that a job with `retire_previous` uses
/// (grouping every alternating-users job by the endpoint and role pair its pin names).
/// `jobs`: each job with its backend, or why that could not be connected. In the order of
/// first appearance.
pub async fn retire_jobs<B: Backend>(
    jobs: &[(Job, Result<&B, String>)],
    liveness: &(impl PinLiveness + ?Sized),
) -> Vec<Retirement> {
    let (databases, unknown) = group(jobs).await;
    let mut out = Vec::new();
    for database in &databases {
        let Some(actor) = database
            .jobs
            .iter()
            .find(|(_, _, pg)| pg.retires_previous())
        else {
            continue;
        };
        let mut named = database.named.clone();
        named.extend(unknown.iter().map(|(n, _)| n.clone()));
        let deployed: Vec<Deployment> = database
            .jobs
            .iter()
            .map(|(job, _, _)| Deployment {
                id: job.id.clone(),
                pinned: job.pinned.clone(),
                live: liveness.live_version(&job.id),
            })
            .collect();
        let outcome = match decide(&named, &deployed) {
            Err(refusal) => Err(RetireError::Refused(refusal)),
            Ok(role) => act(database, *actor, &role)
                .await
                .map_err(RetireError::Failed),
        };
        let name = format!(
            "{} on {}:{}/{}",
            database.pair.join("/"),
            database.endpoint.host,
            database.endpoint.port,
            database.endpoint.database
        );
        match &outcome {
            Ok(Retired::Retired { role }) => {
                tracing::info!(database = %name, role, "previous credential retired")
            }
            Ok(Retired::Absent { role }) => {
                tracing::info!(database = %name, role, "no such role: nothing to retire")
            }
            Err(e) => tracing::info!(database = %name, reason = %e, "nothing retired"),
        }
        out.push(Retirement {
            database: name,
            secrets: database.jobs.iter().map(|(j, _, _)| j.id.clone()).collect(),
            outcome,
        });
    }
    // Every group already carries an unknown version's refusal; without any group, each
    // job that asked to retire says why.
    if out.is_empty() {
        for (naming, job) in unknown {
            let asked = matches!(&job.policy, Policy::Generate { postgres: Some(pg), .. } if pg.retires_previous());
            if asked {
                out.push(Retirement {
                    database: format!("the database of {}", job.id),
                    secrets: vec![job.id.clone()],
                    outcome: Err(RetireError::Refused(Box::new(Refusal::Unknown {
                        by: naming.by,
                        version: naming.version,
                        why: naming.role.err().unwrap_or_default(),
                    }))),
                });
            }
        }
    }
    out
}

/// Gives `role` a random password nobody stores, as the admin of the first job that asked.
async fn act<B: Backend>(
    database: &Database<'_, B>,
    (job, backend, pg): (&Job, &B, &PostgresTarget),
    role: &str,
) -> Result<Retired, RotateError> {
    let admin = admin_login(backend, &pg.admin_key).await?;
    let admin_role = admin.get("username").unwrap_or_default();
    if admin_role == role {
        return Err(RotateError::Postgres {
            operation: "retire",
            role: role.to_owned(),
            host: database.endpoint.host.clone(),
            port: database.endpoint.port,
            message: format!("it is the admin login of {}; not retired", pg.admin_key),
        });
    }
    let password = random_string(RETIRED_LENGTH, rampart_model::rotation::DEFAULT_ALPHABET)
        .map_err(|e| RotateError::Random(e.to_string()))?;
    let login = Login {
        role: admin_role,
        password: admin.get("password").unwrap_or_default(),
    };
    tracing::debug!(secret = %job.id, role, "retiring the previous credential");
    let existed = database
        .endpoint
        .retire_role(&login, role, &password)
        .await?;
    drop(password);
    Ok(if existed {
        Retired::Retired {
            role: role.to_owned(),
        }
    } else {
        Retired::Absent {
            role: role.to_owned(),
        }
    })
}
