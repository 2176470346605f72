//! From the requests to the engine's jobs: every secret with a `rotation` policy, in every
//! selected environment, with the version Git pins there.

use crate::job::{DueRule, Generate, Job, Policy, PostgresStrategy, PostgresTarget, SecretId};
use crate::planned::Planned;
use chrono::{DateTime, Utc};
use rampart_model::rotation::{self, Rotation};
use rampart_model::{Environment, NamespaceRequest};

/// The jobs for `requests` (path and request) in `environments` (or only `only_env`),
/// limited to `only_secrets` (`NAMESPACE/NAME`) when any are given; each job knows the
/// other pins of its key on its backend in `requests` (see [`crate::keep_other_pins`]).
/// An unknown environment or a selector that names no rotated secret is an error saying
/// so.
pub fn plan<'a>(
    requests: impl IntoIterator<Item = (&'a str, &'a NamespaceRequest)>,
    environments: &[Environment],
    only_env: Option<&str>,
    only_secrets: &[String],
    force: bool,
) -> Result<Vec<Planned>, String> {
    if let Some(env) = only_env
        && !environments.iter().any(|e| e.name == env)
    {
        return Err(format!(
            "--env {env}: not an environment of rampart.yaml ({})",
            names(environments)
        ));
    }
    let requests: Vec<(&str, &NamespaceRequest)> = requests.into_iter().collect();
    let mut out = Vec::new();
    let mut matched = vec![false; only_secrets.len()];
    for &(path, request) in &requests {
        for app in &request.apps {
            for secret in &app.secrets {
                let Some(rotation) = &secret.rotation else {
                    continue;
                };
                let selector = format!("{}/{}", request.name, secret.name);
                if !only_secrets.is_empty() {
                    let Some(i) = only_secrets.iter().position(|s| *s == selector) else {
                        continue;
                    };
                    matched[i] = true;
                }
                for env in environments {
                    if only_env.is_some_and(|only| only != env.name) {
                        continue;
                    }
                    let Some(pinned) = secret.version.for_environment(&env.name) else {
                        continue;
                    };
                    out.push(Planned {
                        request_path: path.to_owned(),
                        backend: secret.backend,
                        job: Job {
                            id: SecretId {
                                namespace: request.name.clone(),
                                app: app.name.clone(),
                                secret: secret.name.clone(),
                                environment: env.name.clone(),
                            },
                            remote_key: secret.remote_key.clone(),
                            pinned: pinned.as_str().to_owned(),
                            policy: policy(rotation),
                            force,
                            due: due_rule(rotation.clone()),
                            keep_versions: env.secret_stores.keep_versions(),
                            also_pinned: Vec::new(),
                        },
                        rotation: rotation.clone(),
                    });
                }
            }
        }
    }
    if let Some((i, _)) = matched.iter().enumerate().find(|(_, m)| !**m) {
        return Err(format!(
            "--secret {}: no secret of that NAMESPACE/NAME has a `rotation` policy",
            only_secrets[i]
        ));
    }
    crate::keep_other_pins(&mut out, environments, requests, environments, None);
    Ok(out)
}

fn names(environments: &[Environment]) -> String {
    environments
        .iter()
        .map(|e| e.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn policy(rotation: &Rotation) -> Policy {
    if rotation.follow {
        return Policy::Follow;
    }
    Policy::Generate {
        generate: rotation
            .generate
            .iter()
            .map(|(property, g)| Generate {
                property: property.clone(),
                length: g.length as usize,
                alphabet: g.alphabet().into_iter().collect(),
            })
            .collect(),
        postgres: rotation.postgres.as_ref().map(|pg| PostgresTarget {
            strategy: match pg.strategy {
                rotation::PostgresStrategy::AlternatingUsers => PostgresStrategy::AlternatingUsers,
                rotation::PostgresStrategy::SingleUser => PostgresStrategy::SingleUser,
            },
            admin_key: pg.admin_secret.clone(),
            username_property: pg.username_property.clone(),
            password_property: pg.password_property.clone(),
            host_property: pg.host_property.clone(),
            port_property: pg.port_property.clone(),
            database_property: pg.database_property.clone(),
            retire_previous: pg.retire_previous,
        }),
    }
}

/// The schedule against the current version's creation time, at the moment of asking.
fn due_rule(rotation: Rotation) -> DueRule {
    DueRule::new(move |written| {
        let last = written
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        rotation.is_due(last, Utc::now())
    })
}
