//! Secrets from ExternalSecrets (backend from the store's provider, remote key, properties,
//! pinned version), and the Secrets workloads read that no ExternalSecret manages (by name
//! only: a Secret's values are never read).

use crate::apps::Found;
use crate::k8s::{APP_LABEL, items, kind, name, pod_template, subject};
use crate::report::Notes;
use rampart_model::secret::{
    AppSecret, DEFAULT_MOUNT_ROOT, PinnedVersion, PinnedVersions, SecretBackend,
};
use rampart_policy::Document;
use serde_json::Value;

/// A secret whose ExternalSecret pins no version: written commented out, to be pinned.
#[derive(Debug, Clone)]
pub struct Unpinned {
    /// The app it belongs to.
    pub app: String,
    /// The secret, with `version` empty.
    pub secret: AppSecret,
}

/// Attaches every ExternalSecret to the app that reads it; returns the unpinned ones.
pub fn import_secrets(
    apps: &mut [Found],
    objects: &[&Document],
    notes: &mut Notes,
) -> Vec<Unpinned> {
    let mut unpinned = Vec::new();
    let mut managed: Vec<String> = Vec::new();
    for v in objects
        .iter()
        .map(|d| &d.value)
        .filter(|v| kind(v) == "ExternalSecret")
    {
        let target = v["spec"]["target"]["name"]
            .as_str()
            .unwrap_or(name(v))
            .to_owned();
        managed.push(target.clone());
        let Some(secret) = external_secret(v, &target, objects, notes) else {
            continue;
        };
        let label = v["metadata"]["labels"][APP_LABEL].as_str();
        let owner = apps
            .iter()
            .position(|a| Some(a.app.name.as_str()) == label)
            .or_else(|| {
                apps.iter()
                    .position(|a| a.workload.is_some_and(|w| reads(w, &target)))
            });
        let Some(i) = owner else {
            notes.skipped(
                subject(v),
                "no app reads this secret: not imported (a request's secret belongs to an app)",
            );
            continue;
        };
        let mut secret = secret;
        if let Some(w) = apps[i].workload {
            secret.mount_path = mount_path(w, &target, notes);
        }
        if secret
            .version
            .for_environment("")
            .is_some_and(|p| p.0.is_empty())
        {
            notes.todo(subject(v), format!("pins no remote version: imported commented out under app `{}`; a request refuses it until `version` is pinned (a KV v2 version number or an AWS VersionId)", apps[i].app.name));
            unpinned.push(Unpinned {
                app: apps[i].app.name.clone(),
                secret,
            });
        } else {
            apps[i].app.secrets.push(secret);
        }
    }
    for app in apps.iter() {
        let Some(w) = app.workload else { continue };
        for secret in referenced(w) {
            if !managed.contains(&secret) {
                notes.skipped(format!("Secret/{secret}"), format!("read by `{}`, not managed by an ExternalSecret: not imported; move its values to the backend and declare it under `apps[].secrets`", app.app.name));
                managed.push(secret);
            }
        }
    }
    unpinned
}

fn external_secret(
    v: &Value,
    target: &str,
    objects: &[&Document],
    notes: &mut Notes,
) -> Option<AppSecret> {
    let store = v["spec"]["secretStoreRef"]["name"]
        .as_str()
        .unwrap_or_default();
    let store_kind = v["spec"]["secretStoreRef"]["kind"]
        .as_str()
        .unwrap_or("SecretStore");
    let provider = objects
        .iter()
        .map(|d| &d.value)
        .find(|s| kind(s) == store_kind && name(s) == store)
        .map(|s| &s["spec"]["provider"]);
    let backend = match provider {
        Some(p) if p["vault"].is_object() => SecretBackend::Vault,
        Some(p)
            if p["aws"].is_object()
                && p["aws"]["service"]
                    .as_str()
                    .is_none_or(|s| s == "SecretsManager") =>
        {
            SecretBackend::Aws
        }
        None if store == "vault" => SecretBackend::Vault,
        None if store == "aws" => SecretBackend::Aws,
        _ => {
            notes.skipped(subject(v), format!("store `{store}` is not a Vault/OpenBao or AWS Secrets Manager store Rampart renders: not imported"));
            return None;
        }
    };
    let data: Vec<&Value> = items(&v["spec"]["data"]).collect();
    if data.is_empty() || v["spec"]["dataFrom"].is_array() {
        notes.skipped(
            subject(v),
            "only `data` entries with a remoteRef.property each are imported (not `dataFrom`)",
        );
        if data.is_empty() {
            return None;
        }
    }
    let key = data[0]["remoteRef"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let version = data[0]["remoteRef"]["version"].as_str().unwrap_or_default();
    let mut properties = Vec::new();
    for entry in &data {
        let r = &entry["remoteRef"];
        let property = r["property"].as_str().unwrap_or_default();
        if r["key"].as_str() != Some(key.as_str())
            || r["version"].as_str().unwrap_or_default() != version
            || property.is_empty()
        {
            notes.skipped(subject(v), "entries read different keys or versions, or a whole key: only the first key's properties are imported");
            continue;
        }
        if entry["secretKey"].as_str() != Some(property) {
            notes.skipped(subject(v), format!("secretKey `{}` becomes `{property}` (a request names each key after its property)", entry["secretKey"].as_str().unwrap_or_default()));
        }
        properties.push(property.to_owned());
    }
    let version = match backend {
        SecretBackend::Aws => version.strip_prefix("uuid/").unwrap_or(version),
        SecretBackend::Vault => version,
    };
    Some(AppSecret {
        name: target.to_owned(),
        backend,
        remote_key: key,
        properties,
        version: PinnedVersions::All(PinnedVersion(version.to_owned())),
        mount_path: None,
        rotation: None,
        shared_with: Vec::new(),
    })
}

/// Secret names the workload's pods mount or read into environment variables.
fn referenced(w: &Value) -> Vec<String> {
    let Some(t) = pod_template(w) else {
        return Vec::new();
    };
    let spec = &t["spec"];
    let mut out: Vec<String> = items(&spec["volumes"])
        .filter_map(|v| v["secret"]["secretName"].as_str().map(str::to_owned))
        .collect();
    for c in items(&spec["containers"]).chain(items(&spec["initContainers"])) {
        out.extend(items(&c["env"]).filter_map(|e| {
            e["valueFrom"]["secretKeyRef"]["name"]
                .as_str()
                .map(str::to_owned)
        }));
        out.extend(
            items(&c["envFrom"]).filter_map(|e| e["secretRef"]["name"].as_str().map(str::to_owned)),
        );
    }
    out.dedup();
    out
}

fn reads(w: &Value, secret: &str) -> bool {
    referenced(w).iter().any(|s| s == secret)
}

/// Where the workload mounts `secret` today (`None`: the default directory, or not mounted);
/// an environment variable that reads it is a hardening row.
fn mount_path(w: &Value, secret: &str, notes: &mut Notes) -> Option<String> {
    let spec = &pod_template(w)?["spec"];
    let default = format!("{DEFAULT_MOUNT_ROOT}/{secret}");
    for c in items(&spec["containers"]) {
        let by_env = items(&c["env"]).any(|e| e["valueFrom"]["secretKeyRef"]["name"] == secret)
            || items(&c["envFrom"]).any(|e| e["secretRef"]["name"] == secret);
        if by_env {
            notes.hardening(subject(w), format!("Secret `{secret}` is read by an environment variable today; it becomes a read-only file mount at {default}: read the files there"), "4.4");
        }
    }
    let volume = items(&spec["volumes"]).find(|v| v["secret"]["secretName"] == secret)?;
    let vname = volume["name"].as_str()?;
    let path = items(&spec["containers"])
        .flat_map(|c| items(&c["volumeMounts"]))
        .find(|m| m["name"] == vname)?["mountPath"]
        .as_str()?;
    (path != default && path.starts_with('/')).then(|| path.to_owned())
}
