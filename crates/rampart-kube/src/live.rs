//! Reading the live copy of each object Rampart renders: one GET per object, by the API
//! path its `apiVersion`, `kind`, namespace and name give. Secrets are never asked for.

use crate::ClusterError;
use crate::status::{RenderedNamespace, SecretStatus, namespace_status, secrets_and_workloads};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::GroupVersionKind;
use serde_json::Value;

/// The live copy of each of `rendered` (same order): `None` when the cluster does not have
/// it. A rendered `Secret` (Rampart renders none) is never read and counts as missing.
pub async fn read_live_objects(
    client: &Client,
    rendered: &[Value],
) -> Result<Vec<Option<Value>>, ClusterError> {
    let mut out = Vec::with_capacity(rendered.len());
    for object in rendered {
        out.push(read_live(client, object).await?);
    }
    Ok(out)
}

/// Each ExternalSecret `rendered` holds, from its pinned version to the pods: reads only the
/// ExternalSecrets and the workloads that mount their Secrets
/// ([`secrets_and_workloads`]), one GET each.
pub async fn read_secret_statuses(
    client: &Client,
    rendered: &RenderedNamespace,
) -> Result<Vec<SecretStatus>, ClusterError> {
    let followed = secrets_and_workloads(rendered);
    let live = read_live_objects(client, &followed.objects).await?;
    Ok(namespace_status(&followed, &live).secrets)
}

async fn read_live(client: &Client, object: &Value) -> Result<Option<Value>, ClusterError> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let (Some(api_version), Some(kind), Some(name)) =
        (text("/apiVersion"), text("/kind"), text("/metadata/name"))
    else {
        return Ok(None);
    };
    if kind == "Secret" {
        return Ok(None);
    }
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, &plural(kind));
    let (api, object): (Api<DynamicObject>, String) = match text("/metadata/namespace") {
        Some(namespace) => (
            Api::namespaced_with(client.clone(), namespace, &resource),
            format!("{kind}/{namespace}/{name}"),
        ),
        None => (
            Api::all_with(client.clone(), &resource),
            format!("{kind}/{name}"),
        ),
    };
    let live = api
        .get_opt(name)
        .await
        .map_err(|source| ClusterError::Get {
            object,
            source: Box::new(source),
        })?;
    live.map(|found| {
        let mut value = serde_json::to_value(found).map_err(|source| ClusterError::Convert {
            resource: "objects",
            source,
        })?;
        if let Some(Value::Object(metadata)) = value.get_mut("metadata") {
            metadata.remove("managedFields");
        }
        Ok(value)
    })
    .transpose()
}

/// The resource name of `kind` as the API server spells it (`NetworkPolicy` →
/// `networkpolicies`): the rule every kind Rampart renders follows.
pub fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else if lower.ends_with('s') {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}
