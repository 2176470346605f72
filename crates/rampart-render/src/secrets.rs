//! The secrets part of the view model: per app, the ExternalSecrets to render and the
//! annotation that rolls its pods; per namespace, the SecretStores its apps use.

use rampart_model::environment::secret_stores::for_namespace;
use rampart_model::request::App;
use rampart_model::secret::SecretBackend;
use rampart_model::{Environment, NamespaceRequest};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The secrets of `app` in `environment` as the templates use them.
pub fn app_secrets(app: &App, environment: &str) -> Vec<Value> {
    app.secrets
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "store": s.backend.as_str(),
                "remoteKey": s.remote_key,
                "properties": s.properties,
                "remoteVersion": s.remote_version(environment),
                "mountPath": s.mount_path(),
            })
        })
        .collect()
}

/// The `rampart.dev/pinned-versions` pod-template annotation: SHA-256 (hex) over everything that decides the content of the app's Secrets: name,
/// backend, remote key, properties and pinned version of each, in declaration order.
/// Changing a pinned version changes the pod template, so the Deployment rolls through
/// Git alone. `None` when the app has no secrets.
pub fn pinned_versions(app: &App, environment: &str) -> Option<String> {
    if app.secrets.is_empty() {
        return None;
    }
    let mut hasher = Sha256::new();
    for s in &app.secrets {
        // JSON strings are self-delimiting, so no two inputs share an encoding.
        let record = json!([
            s.name,
            s.backend.as_str(),
            s.remote_key,
            s.properties,
            s.remote_version(environment)
        ]);
        hasher.update(record.to_string().as_bytes());
        hasher.update(b"\n");
    }
    Some(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// One SecretStore (with its ServiceAccount) per backend the namespace's apps use, in a
/// fixed order. Request validation guarantees the environment configures each of them.
pub fn secret_stores(req: &NamespaceRequest, env: &Environment) -> Vec<Value> {
    let used: BTreeSet<SecretBackend> = req
        .apps
        .iter()
        .flat_map(|a| a.secrets.iter().map(|s| s.backend))
        .collect();
    used.into_iter()
        .filter_map(|backend| {
            let (vault, aws) = match backend {
                SecretBackend::Vault => {
                    let v = env.secret_stores.vault.as_ref()?;
                    let vault = json!({
                        "server": v.server,
                        "kvMount": v.kv_mount,
                        "authMount": v.auth.mount_path,
                        "role": for_namespace(&v.auth.role, &req.name),
                        "caBundle": v.ca_bundle.as_ref().map(|ca| json!({"configMap": ca.config_map, "key": ca.key})),
                    });
                    (vault, Value::Null)
                }
                SecretBackend::Aws => {
                    let a = env.secret_stores.aws.as_ref()?;
                    let aws = json!({
                        "region": a.region,
                        "roleArn": for_namespace(&a.role_arn, &req.name),
                    });
                    (Value::Null, aws)
                }
            };
            Some(json!({
                "name": backend.as_str(),
                "serviceAccount": backend.service_account(),
                "vault": vault,
                "aws": aws,
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(yaml: &str) -> App {
        rampart_yaml::reference::typed(yaml).unwrap()
    }

    fn pinned_versions_in(app: &App) -> Option<String> {
        pinned_versions(app, "prod")
    }

    #[test]
    fn the_annotation_follows_every_pinned_version() {
        let base = "{name: api, secrets: [{name: db, backend: vault, remoteKey: a/db, properties: [p], version: 3}]}";
        let hash = pinned_versions_in(&app(base)).unwrap();
        assert_eq!(hash.len(), 64);
        assert_eq!(pinned_versions_in(&app(base)).unwrap(), hash, "stable");
        let bumped = base.replace("version: 3", "version: 4");
        assert_ne!(pinned_versions_in(&app(&bumped)).unwrap(), hash);
        let other_key = base.replace("a/db", "a/db2");
        assert_ne!(pinned_versions_in(&app(&other_key)).unwrap(), hash);
        let mount_only = base.replace("version: 3", "version: 3, mountPath: /x");
        assert_eq!(
            pinned_versions_in(&app(&mount_only)).unwrap(),
            hash,
            "the mount path is in the pod template already"
        );
        assert_eq!(pinned_versions_in(&app("{name: web}")), None);
        // Per environment: only this environment's version counts.
        let per_env = base.replace("version: 3", "version: {prod: 3, dev: 9}");
        let dev_bumped = base.replace("version: 3", "version: {prod: 3, dev: 10}");
        assert_eq!(
            pinned_versions(&app(&per_env), "prod"),
            pinned_versions(&app(&dev_bumped), "prod")
        );
        assert_ne!(
            pinned_versions(&app(&per_env), "dev"),
            pinned_versions(&app(&dev_bumped), "dev")
        );
    }
}
