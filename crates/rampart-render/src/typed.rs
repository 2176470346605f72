//! Checks each rendered document against its Kubernetes type from k8s-openapi.
//!
//! k8s-openapi's deserialisers skip unknown fields, so the check is a round trip: parse
//! into the type, serialise back, and require the result to equal the input. A misspelt or
//! unknown field, a wrong type or a value the type cannot hold shows up as a difference.

use k8s_openapi::api::{apps, core, networking, policy, rbac};
use serde::Serialize;
use serde_json::Value;

/// The kinds a namespace blueprint may produce, with their scope.
pub fn is_namespaced_kind(api_version: &str, kind: &str) -> Option<bool> {
    Some(match (api_version, kind) {
        ("v1", "Namespace") => false,
        ("v1", "ServiceAccount" | "Service" | "ConfigMap" | "LimitRange" | "ResourceQuota")
        | ("rbac.authorization.k8s.io/v1", "Role" | "RoleBinding")
        | ("networking.k8s.io/v1", "NetworkPolicy")
        | ("apps/v1", "Deployment" | "StatefulSet")
        | ("policy/v1", "PodDisruptionBudget") => true,
        _ => return None,
    })
}

/// Parses `doc` as its Kubernetes type and returns the typed value re-serialised,
/// or what is wrong with it.
pub fn check_typed(doc: &Value) -> Result<Value, String> {
    let api_version = doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    let typed = match (api_version, kind) {
        ("v1", "Namespace") => roundtrip::<core::v1::Namespace>(doc),
        ("v1", "ServiceAccount") => roundtrip::<core::v1::ServiceAccount>(doc),
        ("v1", "Service") => roundtrip::<core::v1::Service>(doc),
        ("v1", "ConfigMap") => roundtrip::<core::v1::ConfigMap>(doc),
        ("v1", "LimitRange") => roundtrip::<core::v1::LimitRange>(doc),
        ("v1", "ResourceQuota") => roundtrip::<core::v1::ResourceQuota>(doc),
        ("rbac.authorization.k8s.io/v1", "Role") => roundtrip::<rbac::v1::Role>(doc),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => roundtrip::<rbac::v1::RoleBinding>(doc),
        ("networking.k8s.io/v1", "NetworkPolicy") => {
            roundtrip::<networking::v1::NetworkPolicy>(doc)
        }
        ("apps/v1", "Deployment") => roundtrip::<apps::v1::Deployment>(doc),
        ("apps/v1", "StatefulSet") => roundtrip::<apps::v1::StatefulSet>(doc),
        ("policy/v1", "PodDisruptionBudget") => roundtrip::<policy::v1::PodDisruptionBudget>(doc),
        _ => {
            return Err(format!(
                "unsupported kind `{kind}` (apiVersion `{api_version}`)"
            ));
        }
    }?;
    match first_difference(doc, &typed, "") {
        None => Ok(typed),
        Some(diff) => Err(diff),
    }
}

/// Parses `doc` as `T` and returns it re-serialised, or the first field `T` lost or changed.
pub fn check_as<T: for<'de> serde::Deserialize<'de> + Serialize>(
    doc: &Value,
) -> Result<Value, String> {
    let typed = roundtrip::<T>(doc)?;
    match first_difference(doc, &typed, "") {
        None => Ok(typed),
        Some(diff) => Err(diff),
    }
}

fn roundtrip<T: for<'de> serde::Deserialize<'de> + Serialize>(
    doc: &Value,
) -> Result<Value, String> {
    let typed = T::deserialize(doc).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// The first place where `typed` lost or changed something of `original`.
fn first_difference(original: &Value, typed: &Value, path: &str) -> Option<String> {
    match (original, typed) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match b.get(key) {
                    None if value.is_null() => {}
                    None => return Some(format!("unknown field `{child}`")),
                    Some(other) => {
                        if let Some(d) = first_difference(value, other, &child) {
                            return Some(d);
                        }
                    }
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, &format!("{path}[{i}]"))),
        _ if original == typed => None,
        _ => Some(format!(
            "field `{path}`: {original} does not fit its type (read back as {typed})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_a_valid_object() {
        let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a", "namespace": "n"}, "automountServiceAccountToken": false});
        assert_eq!(check_typed(&sa).unwrap(), sa);
    }

    #[test]
    fn refuses_unknown_and_misspelt_fields() {
        let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}, "automountServiceAccountTokn": false});
        assert_eq!(
            check_typed(&sa).unwrap_err(),
            "unknown field `automountServiceAccountTokn`"
        );
        let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "a"}, "spec": {"podSelector": {"matchLabel": {}}}});
        assert_eq!(
            check_typed(&np).unwrap_err(),
            "unknown field `spec.podSelector.matchLabel`"
        );
    }

    #[test]
    fn refuses_wrong_types_and_unknown_kinds() {
        let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}, "automountServiceAccountToken": "no"});
        assert!(check_typed(&sa).is_err());
        let crb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "a"}});
        assert!(
            check_typed(&crb)
                .unwrap_err()
                .contains("unsupported kind `ClusterRoleBinding`")
        );
    }
}
