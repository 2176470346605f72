//! The invariant is about every pin, not only the one being rotated: environments that
//! share a backend (the same Vault/OpenBao server and KV mount, or the same AWS region of
//! the rotator's account) share its keys, and a remote base branch pins versions of its own
//! until a local commit reaches it. Each job learns every other version Git pins for its
//! key on its backend, and the backend keeps them all.

use crate::job::OtherPin;
use crate::planned::Planned;
use rampart_model::secret::SecretBackend;
use rampart_model::{Environment, NamespaceRequest};

/// Which backend `backend` of `env` is: two environments with the same answer share keys.
fn backend_of(env: &Environment, backend: SecretBackend) -> Option<String> {
    let stores = &env.secret_stores;
    match backend {
        SecretBackend::Vault => stores.vault.as_ref().map(|v| {
            format!(
                "vault {} {}",
                v.server.trim_end_matches('/'),
                v.kv_mount.trim_matches('/')
            )
        }),
        SecretBackend::Aws => stores.aws.as_ref().map(|a| format!("aws {}", a.region)),
    }
}

/// Adds to each of `planned` (planned with `environments`) every version that `requests`
/// pin for the same key on the same backend in `their_environments`, except the job's own
/// pin. `on`: the branch those requests were read from (e.g. `origin/main`), or `None` for
/// the Git the jobs were planned from — whose pins also get their environment's AWS label.
pub fn keep_other_pins<'a>(
    planned: &mut [Planned],
    environments: &[Environment],
    requests: impl IntoIterator<Item = (&'a str, &'a NamespaceRequest)>,
    their_environments: &[Environment],
    on: Option<&str>,
) {
    let ours: Vec<Option<String>> = planned
        .iter()
        .map(|p| {
            let env = environments.iter().find(|e| e.name == p.id.environment)?;
            backend_of(env, p.backend)
        })
        .collect();
    for (path, request) in requests {
        for app in &request.apps {
            for secret in &app.secrets {
                for env in their_environments {
                    let Some(version) = secret.version.for_environment(&env.name) else {
                        continue;
                    };
                    let Some(backend) = backend_of(env, secret.backend) else {
                        continue;
                    };
                    let version = version.as_str();
                    for (p, at) in planned.iter_mut().zip(&ours) {
                        let same_key = at.as_deref() == Some(backend.as_str())
                            && p.job.remote_key == secret.remote_key;
                        let itself = on.is_none()
                            && p.request_path == path
                            && p.id.app == app.name
                            && p.id.secret == secret.name
                            && p.id.environment == env.name;
                        if !same_key || itself || p.job.pinned == version {
                            continue;
                        }
                        let by = match on {
                            None => format!("environment {} in {path}", env.name),
                            Some(branch) => {
                                format!("environment {} in {path} on {branch}", env.name)
                            }
                        };
                        let other = OtherPin {
                            version: version.to_owned(),
                            by,
                            label_env: on.is_none().then(|| env.name.clone()),
                        };
                        if !p.job.also_pinned.contains(&other) {
                            p.job.also_pinned.push(other);
                        }
                    }
                }
            }
        }
    }
}
