//! Which database each job's pin names, and every version that names a role of its pair.
//! Every PostgreSQL job counts (single-user ones too: a role they name is in use), grouped
//! by the endpoint and role pair (`app`/`app_alt`) its pinned version names.

use super::Naming;
use crate::backend::Backend;
use crate::engine::{endpoint, property};
use crate::error::RotateError;
use crate::job::{Job, Policy, PostgresTarget};
use crate::postgres::{Endpoint, alternate_role};

/// A job's database as its pin names it.
pub(super) struct Database<'j, B> {
    pub(super) endpoint: Endpoint,
    pub(super) pair: [String; 2],
    pub(super) jobs: Vec<(&'j Job, &'j B, &'j PostgresTarget)>,
    pub(super) named: Vec<Naming>,
}

/// The jobs' databases, and the pins whose database could not be read (with their job).
pub(super) async fn group<'j, B: Backend>(
    jobs: &'j [(Job, Result<&'j B, String>)],
) -> (Vec<Database<'j, B>>, Vec<(Naming, &'j Job)>) {
    let mut databases: Vec<Database<'_, B>> = Vec::new();
    let mut unknown: Vec<(Naming, &Job)> = Vec::new();
    for (job, backend) in jobs {
        let Policy::Generate {
            postgres: Some(pg), ..
        } = &job.policy
        else {
            continue;
        };
        let backend = match backend {
            Ok(backend) => *backend,
            Err(why) => {
                unknown.push((unreadable(job, why), job));
                continue;
            }
        };
        let (endpoint, role) = match pinned_database(backend, job, pg).await {
            Ok(found) => found,
            Err(e) => {
                unknown.push((unreadable(job, &e.to_string()), job));
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
    (databases, unknown)
}

fn pin_by(job: &Job) -> String {
    format!("the pin of {}", job.id)
}

/// The job's pin, whose role could not be read.
fn unreadable(job: &Job, why: &str) -> Naming {
    Naming {
        by: pin_by(job),
        version: job.pinned.clone(),
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
