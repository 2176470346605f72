//! Checks each rendered document against its Kubernetes type from k8s-openapi.
//!
//! k8s-openapi's deserialisers skip unknown fields, so the check is a round trip: parse
//! into the type, serialise back, and require the result to equal the input. A misspelt or
//! unknown field, a wrong type or a value the type cannot hold shows up as a difference.
//! External Secrets Operator kinds are not in k8s-openapi; they get the same check
//! against Rampart's own types in [`crate::eso`].

use crate::eso;
use k8s_openapi::api::{apps, batch, core, networking, policy, rbac};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds a namespace blueprint may produce, with their scope.
pub fn is_namespaced_kind(api_version: &str, kind: &str) -> Option<bool> {
    Some(match (api_version, kind) {
        ("v1", "Namespace") => false,
        ("v1", "ServiceAccount" | "Service" | "ConfigMap" | "LimitRange" | "ResourceQuota")
        | ("rbac.authorization.k8s.io/v1", "Role" | "RoleBinding")
        | ("networking.k8s.io/v1", "NetworkPolicy")
        | ("apps/v1", "Deployment" | "StatefulSet")
        | ("policy/v1", "PodDisruptionBudget")
        | ("batch/v1", "Job")
        | (eso::API_VERSION, "ExternalSecret" | "SecretStore")
        | ("monitoring.coreos.com/v1", "PrometheusRule") => true,
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
        ("batch/v1", "Job") => roundtrip::<batch::v1::Job>(doc),
        (eso::API_VERSION, "ExternalSecret") => roundtrip::<eso::ExternalSecret>(doc),
        ("monitoring.coreos.com/v1", "PrometheusRule") => {
            roundtrip::<crate::cluster::runtime_types::PrometheusRule>(doc)
        }
        (eso::API_VERSION, "SecretStore") => {
            let store = eso::SecretStore::deserialize(doc).map_err(|e| e.to_string())?;
            store.check()?;
            serde_json::to_value(&store).map_err(|e| e.to_string())
        }
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

    const EXTERNAL_SECRET: &str = r#"{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": {"name": "db", "namespace": "n"},
        "spec": {"secretStoreRef": {"kind": "SecretStore", "name": "vault"}, "refreshPolicy": "OnChange",
          "refreshInterval": "0s", "target": {"name": "db", "creationPolicy": "Owner", "deletionPolicy": "Retain"},
          "data": [{"secretKey": "password", "remoteRef": {"key": "shop/db", "property": "password", "version": "3",
            "conversionStrategy": "Default", "decodingStrategy": "None", "metadataPolicy": "None", "nullBytePolicy": "Ignore"}}]}}"#;

    #[test]
    fn external_secrets_are_typed_too() {
        let es: Value = serde_json::from_str(EXTERNAL_SECRET).unwrap();
        assert_eq!(check_typed(&es).unwrap(), es);
        let typo: Value =
            serde_json::from_str(&EXTERNAL_SECRET.replace("refreshPolicy", "refreshPolicey"))
                .unwrap();
        assert!(check_typed(&typo).unwrap_err().contains("refreshPolicey"));
        // A field the API server would default must be written.
        let defaulted: Value =
            serde_json::from_str(&EXTERNAL_SECRET.replace(r#", "nullBytePolicy": "Ignore""#, ""))
                .unwrap();
        assert!(
            check_typed(&defaulted)
                .unwrap_err()
                .contains("nullBytePolicy")
        );
        let bad_enum: Value =
            serde_json::from_str(&EXTERNAL_SECRET.replace("OnChange", "Sometimes")).unwrap();
        assert!(check_typed(&bad_enum).is_err());
    }

    #[test]
    fn secret_stores_authenticate_with_service_accounts_only() {
        let store = json!({"apiVersion": "external-secrets.io/v1", "kind": "SecretStore",
            "metadata": {"name": "aws", "namespace": "n"},
            "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-central-1",
                "sessionTagsPolicy": "None", "auth": {"jwt": {"serviceAccountRef": {"name": "secret-store-aws"}}}}}}});
        assert_eq!(check_typed(&store).unwrap(), store);
        let mut keys = store.clone();
        keys["spec"]["provider"]["aws"]["auth"] =
            json!({"secretRef": {"accessKeyIDSecretRef": {"name": "k", "key": "id"}}});
        assert!(check_typed(&keys).unwrap_err().contains("secretRef"));
        let mut none = store.clone();
        none["spec"]["provider"] = json!({});
        assert!(check_typed(&none).unwrap_err().contains("exactly one"));
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
