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

pub use decide::{Deployment, Naming, Refusal, decide};

use crate::backend::Backend;
use crate::engine::{admin_login, endpoint, property};
use crate::error::RotateError;
use crate::job::{Job, Policy, PostgresStrategy, PostgresTarget, SecretId};
use crate::postgres::{Endpoint, Login, alternate_role};
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

/// A job's database as its pin names it.
struct Database<'j, B> {
    endpoint: Endpoint,
    pair: [String; 2],
    jobs: Vec<(&'j Job, &'j B, &'j PostgresTarget)>,
    named: Vec<Naming>,
}

/// Retires the previous role of every database that a job with `retire_previous` uses
/// (grouping every alternating-users job by the endpoint and role pair its pin names).
/// `jobs`: each job with its backend, or why that could not be connected. In the order of
/// first appearance.
pub async fn retire_jobs<B: Backend>(
    jobs: &[(Job, Result<&B, String>)],
    liveness: &(impl PinLiveness + ?Sized),
) -> Vec<Retirement> {
    let mut databases: Vec<Database<'_, B>> = Vec::new();
    let mut unknown: Vec<(Naming, &Job)> = Vec::new();
    for (job, backend) in jobs {
        let Policy::Generate {
            postgres: Some(pg), ..
        } = &job.policy
        else {
            continue;
        };
        if pg.strategy != PostgresStrategy::AlternatingUsers {
            continue;
        }
        let backend = match backend {
            Ok(backend) => *backend,
            Err(why) => {
                unknown.push((naming_failed(job, &job.pinned, pin_by(job), why), job));
                continue;
            }
        };
        let (endpoint, role) = match pinned_database(backend, job, pg).await {
            Ok(found) => found,
            Err(e) => {
                unknown.push((
                    naming_failed(job, &job.pinned, pin_by(job), &e.to_string()),
                    job,
                ));
                continue;
            }
        };
        let mut pair = [role.clone(), alternate_role(&role)];
        pair.sort();
        let at = match databases
            .iter()
            .position(|d| d.endpoint == endpoint && d.pair == pair)
        {
            Some(at) => at,
            None => {
                databases.push(Database {
                    endpoint,
                    pair,
                    jobs: Vec::new(),
                    named: Vec::new(),
                });
                databases.len() - 1
            }
        };
        let named = others_named(backend, job, pg).await;
        let database = &mut databases[at];
        database.jobs.push((job, backend, pg));
        database.named.push(Naming {
            by: pin_by(job),
            version: job.pinned.clone(),
            role: Ok(role),
        });
        database.named.extend(named);
    }
    let mut out = Vec::new();
    for database in &databases {
        let Some(actor) = database.jobs.iter().find(|(_, _, pg)| pg.retire_previous) else {
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
            let asked = matches!(&job.policy, Policy::Generate { postgres: Some(pg), .. } if pg.retire_previous);
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

fn pin_by(job: &Job) -> String {
    format!("the pin of {}", job.id)
}

fn naming_failed(_job: &Job, version: &str, by: String, why: &str) -> Naming {
    Naming {
        by,
        version: version.to_owned(),
        role: Err(why.to_owned()),
    }
}

/// The endpoint and role the job's pinned version names.
async fn pinned_database<B: Backend>(
    backend: &B,
    job: &Job,
    pg: &PostgresTarget,
) -> Result<(Endpoint, String), RotateError> {
    let data = backend.read(&job.remote_key, &job.pinned).await?;
    let endpoint = endpoint(&data, &job.remote_key, &job.pinned, pg)?;
    let role = property(&data, &job.remote_key, &job.pinned, &pg.username_property)?.to_owned();
    Ok((endpoint, role))
}

/// The roles every other version of the job's key names that must keep working: the other
/// pins Git holds and the backend's current and pending versions (a rotation waiting for
/// its pull request names the role it set).
async fn others_named<B: Backend>(backend: &B, job: &Job, pg: &PostgresTarget) -> Vec<Naming> {
    let key = &job.remote_key;
    let mut versions: Vec<(String, String)> = job
        .also_pinned
        .iter()
        .map(|o| (o.version.clone(), o.by.clone()))
        .collect();
    match backend.inspect(key).await {
        Ok(remote) => {
            for (version, what) in [
                (Some(remote.current), "current"),
                (remote.pending, "pending (AWSPENDING)"),
            ] {
                if let Some(version) = version {
                    let by = format!(
                        "version {version} of {key}, {what} in the backend (a rotation not pinned yet names it)"
                    );
                    versions.push((version, by));
                }
            }
        }
        Err(e) => {
            return vec![Naming {
                by: format!("the versions of {key} in the backend"),
                version: "current".to_owned(),
                role: Err(e.to_string()),
            }];
        }
    }
    let mut out = Vec::new();
    for (version, by) in versions {
        if version == job.pinned {
            continue;
        }
        let role = match backend.read(key, &version).await {
            Ok(data) => property(&data, key, &version, &pg.username_property)
                .map(str::to_owned)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        out.push(Naming { by, version, role });
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
