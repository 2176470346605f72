//! The rotation of one secret, from whatever state the backend is in, and a pass over many.
//!
//! Every step can be interrupted and run again: a version Rampart wrote carries its
//! marker (and on AWS a request token derived from the version it replaces), so a rerun
//! finds it and finishes it — setting and testing the database password, moving the
//! labels — instead of rotating again. A version someone else wrote is never overwritten.

use crate::backend::{Backend, Remote};
use crate::error::{BackendErrorKind, RotateError};
use crate::job::{Job, Outcome, Policy, PostgresStrategy, PostgresTarget, SecretId};
use crate::postgres::{Endpoint, Login, alternate_role};
use crate::value::{MARKER_PROPERTY, Marker, SecretData, random_string};
use futures_util::StreamExt;
use std::time::Duration;

/// How often a check-and-set conflict (someone else wrote meanwhile) is planned again.
const CONFLICT_RETRIES: usize = 3;
/// Waits before retrying a secret whose backend did not answer.
const BACKOFF: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(5),
];
/// PostgreSQL role names are cut at 63 bytes by the server; longer would alias.
const PG_NAME_MAX: usize = 63;

/// Rotates (or follows, or resumes) one secret. With `dry_run`, only reads.
pub async fn rotate<B: Backend>(
    backend: &B,
    job: &Job,
    dry_run: bool,
) -> Result<Outcome, RotateError> {
    for _ in 0..CONFLICT_RETRIES {
        let remote = backend.inspect(&job.remote_key).await?;
        let result = match &job.policy {
            Policy::Follow => follow(backend, job, &remote, dry_run).await,
            Policy::Generate { generate, postgres } => {
                generate_version(backend, job, &remote, generate, postgres.as_ref(), dry_run).await
            }
        };
        match result {
            Err(RotateError::Backend(e)) if e.kind == BackendErrorKind::Conflict => {
                tracing::info!(secret = %job.id, "someone else wrote a version meanwhile; planning again");
            }
            other => return other,
        }
    }
    Err(RotateError::ForeignRotation {
        key: job.remote_key.clone(),
        what: format!("others kept writing new versions ({CONFLICT_RETRIES} conflicts in a row)"),
    })
}

async fn follow<B: Backend>(
    backend: &B,
    job: &Job,
    remote: &Remote,
    dry_run: bool,
) -> Result<Outcome, RotateError> {
    if remote.current == job.pinned {
        return Ok(Outcome::UpToDate);
    }
    // Pin only what can be read.
    read_current(backend, &job.remote_key, remote).await?;
    if dry_run {
        return Ok(Outcome::WouldRotate {
            old: job.pinned.clone(),
            action: "would follow",
        });
    }
    Ok(Outcome::Followed {
        old: job.pinned.clone(),
        new: remote.current.clone(),
    })
}

async fn generate_version<B: Backend>(
    backend: &B,
    job: &Job,
    remote: &Remote,
    generate: &[crate::job::Generate],
    postgres: Option<&PostgresTarget>,
    dry_run: bool,
) -> Result<Outcome, RotateError> {
    let key = &job.remote_key;
    // 1. A version staged but not finished (AWS): ours is finished, anyone else's is theirs.
    if let Some(pending) = &remote.pending {
        let data = backend.read(key, pending).await?;
        if data.marker().is_none() {
            return Err(RotateError::ForeignRotation {
                key: key.clone(),
                what: format!("AWSPENDING is on version {pending}, which rampart did not write"),
            });
        }
        if dry_run {
            return Ok(would(job, "would resume"));
        }
        complete(backend, job, remote, pending, &data, postgres).await?;
        return Ok(Outcome::Resumed {
            old: job.pinned.clone(),
            new: pending.clone(),
        });
    }
    // 2. Ahead of Git: ours (a run stopped before Git was updated) is completed and pinned.
    let ahead = remote.current != job.pinned;
    if ahead {
        let data = read_current(backend, key, remote).await?;
        if data.marker().is_some() {
            if dry_run {
                return Ok(would(job, "would resume"));
            }
            complete(backend, job, remote, &remote.current, &data, postgres).await?;
            return Ok(Outcome::Resumed {
                old: job.pinned.clone(),
                new: remote.current.clone(),
            });
        }
    }
    // 2b. Pinned already, but a stopped run left AWSPENDING on it: end as a clean run does.
    if !ahead && remote.pending_on_current && !dry_run {
        finish_left_over(backend, job, remote).await?;
    }
    // 3. Due? A version someone else wrote counts as a rotation: pin it until due.
    if !job.force && !job.due.is_due(remote.current_written.as_deref()) {
        tracing::debug!(secret = %job.id, written = remote.current_written.as_deref().unwrap_or("unknown"), "not due");
        if ahead {
            if dry_run {
                return Ok(would(job, "would follow"));
            }
            return Ok(Outcome::Followed {
                old: job.pinned.clone(),
                new: remote.current.clone(),
            });
        }
        return Ok(Outcome::UpToDate);
    }
    if dry_run {
        read_current(backend, key, remote).await?;
        return Ok(would(job, "would rotate"));
    }
    // 4. Rotate: protect the pin, stage, read back, set and test the target, finish.
    backend.protect(remote, job).await?;
    let base = read_current(backend, key, remote).await?;
    let mut next = base.clone();
    for g in generate {
        let value =
            random_string(g.length, &g.alphabet).map_err(|e| RotateError::Random(e.to_string()))?;
        next.set(&g.property, value);
    }
    if let Some(pg) = postgres
        && pg.strategy == PostgresStrategy::AlternatingUsers
    {
        // The role the pinned version does not use: its credential keeps working.
        let pinned = backend.read(key, &job.pinned).await?;
        let in_use = property(&pinned, key, &job.pinned, &pg.username_property)?;
        let other = alternate_role(in_use);
        if other.len() > PG_NAME_MAX {
            return Err(RotateError::Postgres {
                operation: "name the alternate role",
                role: other,
                host: String::new(),
                port: 0,
                message: format!("longer than {PG_NAME_MAX} bytes"),
            });
        }
        next.set(&pg.username_property, other);
    }
    next.set(
        MARKER_PROPERTY,
        Marker {
            from: remote.current.clone(),
            at: now_rfc3339(),
        }
        .render(),
    );
    let version = backend.stage(key, remote, &next).await?;
    let read_back = backend.read(key, &version).await?;
    if read_back.digest() != next.digest() {
        return Err(RotateError::ReadBack {
            key: key.clone(),
            version,
        });
    }
    complete(backend, job, remote, &version, &next, postgres).await?;
    Ok(Outcome::Rotated {
        old: job.pinned.clone(),
        new: version,
    })
}

/// Sets and tests the target for a version Rampart wrote, then makes it current.
/// Idempotent: a password already set is only tested.
async fn complete<B: Backend>(
    backend: &B,
    job: &Job,
    remote: &Remote,
    version: &str,
    data: &SecretData,
    postgres: Option<&PostgresTarget>,
) -> Result<(), RotateError> {
    if let Some(pg) = postgres {
        let key = &job.remote_key;
        let endpoint = endpoint(data, key, version, pg)?;
        let role = property(data, key, version, &pg.username_property)?;
        let password = property(data, key, version, &pg.password_property)?;
        let login = Login { role, password };
        if endpoint.check_login(&login).await.is_err() {
            let admin = admin_login(backend, &pg.admin_key).await?;
            let like = match pg.strategy {
                PostgresStrategy::AlternatingUsers => Some(alternate_role(role)),
                PostgresStrategy::SingleUser => None,
            };
            endpoint
                .set_password(
                    &Login {
                        role: admin.get("username").unwrap_or_default(),
                        password: admin.get("password").unwrap_or_default(),
                    },
                    role,
                    password,
                    like.as_deref(),
                )
                .await?;
            endpoint.check_login(&login).await?;
        }
        tracing::info!(secret = %job.id, role, "database login with the new credential works");
    }
    backend.finish(&job.remote_key, remote, version).await?;
    Ok(())
}

/// The current version, pinned already, still holds `AWSPENDING` (left by a run stopped
/// between moving `AWSCURRENT` and removing `AWSPENDING`, before that was finished in
/// the same step): removes it when the version is Rampart's, as a clean run would have.
async fn finish_left_over<B: Backend>(
    backend: &B,
    job: &Job,
    remote: &Remote,
) -> Result<(), RotateError> {
    let data = read_current(backend, &job.remote_key, remote).await?;
    if data.marker().is_some() {
        tracing::info!(secret = %job.id, version = %remote.current, "removing the AWSPENDING a stopped rotation left on the current version");
        backend
            .finish(&job.remote_key, remote, &remote.current)
            .await?;
    }
    Ok(())
}

/// The current version's properties: as `inspect` read them, else read now by its id.
async fn read_current<B: Backend>(
    backend: &B,
    key: &str,
    remote: &Remote,
) -> Result<SecretData, RotateError> {
    match &remote.current_data {
        Some(data) => Ok(data.clone()),
        None => Ok(backend.read(key, &remote.current).await?),
    }
}

/// The admin credential: the current version of `admin_key`, read by its id.
pub(crate) async fn admin_login<B: Backend>(
    backend: &B,
    admin_key: &str,
) -> Result<SecretData, RotateError> {
    let remote = backend.inspect(admin_key).await?;
    let data = read_current(backend, admin_key, &remote).await?;
    for p in ["username", "password"] {
        property(&data, admin_key, &remote.current, p)?;
    }
    Ok(data)
}

pub(crate) fn endpoint(
    data: &SecretData,
    key: &str,
    version: &str,
    pg: &PostgresTarget,
) -> Result<Endpoint, RotateError> {
    let port = property(data, key, version, &pg.port_property)?;
    Ok(Endpoint {
        host: property(data, key, version, &pg.host_property)?.to_owned(),
        port: port.parse().map_err(|_| RotateError::MissingProperty {
            key: key.to_owned(),
            version: version.to_owned(),
            property: format!("{} (a port number)", pg.port_property),
        })?,
        database: property(data, key, version, &pg.database_property)?.to_owned(),
    })
}

pub(crate) fn property<'d>(
    data: &'d SecretData,
    key: &str,
    version: &str,
    name: &str,
) -> Result<&'d str, RotateError> {
    data.get(name).ok_or_else(|| RotateError::MissingProperty {
        key: key.to_owned(),
        version: version.to_owned(),
        property: name.to_owned(),
    })
}

fn would(job: &Job, action: &'static str) -> Outcome {
    Outcome::WouldRotate {
        old: job.pinned.clone(),
        action,
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Rotates every job, at most `concurrency` at once, retrying a job whose backend did not
/// answer with back-off. `on_done` sees each result as it comes (for progress lines and
/// metrics), with how long the secret took, retries included. Results are in the order of
/// `jobs`.
pub async fn rotate_all<B: Backend>(
    jobs: &[(Job, &B)],
    concurrency: usize,
    dry_run: bool,
    on_done: impl Fn(&SecretId, &Result<Outcome, RotateError>, Duration),
) -> Vec<Result<Outcome, RotateError>> {
    let mut results: Vec<Option<Result<Outcome, RotateError>>> =
        std::iter::repeat_with(|| None).take(jobs.len()).collect();
    let mut stream = futures_util::stream::iter(jobs.iter().enumerate())
        .map(|(i, (job, backend))| async move {
            let started = std::time::Instant::now();
            let mut outcome = rotate(*backend, job, dry_run).await;
            for wait in BACKOFF {
                match &outcome {
                    Err(e) if e.is_transient() => {
                        tracing::warn!(secret = %job.id, wait_ms = wait.as_millis() as u64, error = %e, "backend unavailable; retrying");
                        tokio::time::sleep(wait).await;
                        outcome = rotate(*backend, job, dry_run).await;
                    }
                    _ => break,
                }
            }
            (i, outcome, started.elapsed())
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((i, outcome, took)) = stream.next().await {
        on_done(&jobs[i].0.id, &outcome, took);
        results[i] = Some(outcome);
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(RotateError::Stopped)))
        .collect()
}
