//! Evaluates a rendered Gatekeeper ConstraintTemplate with regorus the way Gatekeeper
//! does: the template's libs and rego (Rego v0, as Gatekeeper reads the `rego` field),
//! `input.review.object` and `input.parameters` from the Constraint, and the messages of
//! `violation[{"msg": msg}]`.

use serde_json::{Value, json};

/// The Rego package a module declares.
fn package(module: &str) -> &str {
    module
        .lines()
        .find_map(|l| l.strip_prefix("package "))
        .unwrap_or_else(|| panic!("module without package:\n{module}"))
        .trim()
}

/// Messages of the violations `template` finds in `object` under `constraint` on CREATE.
pub fn violations(template: &Value, constraint: &Value, object: &Value) -> Vec<String> {
    violations_on(template, constraint, object, "CREATE", &Value::Null)
}

/// Messages of the violations `template` finds in a review of `operation` on `object`
/// (`old`: the object before an UPDATE, or null).
pub fn violations_on(
    template: &Value,
    constraint: &Value,
    object: &Value,
    operation: &str,
    old: &Value,
) -> Vec<String> {
    let name = template["metadata"]["name"].as_str().unwrap_or_default();
    let target = &template["spec"]["targets"][0];
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(true);
    for (i, lib) in target["libs"].as_array().into_iter().flatten().enumerate() {
        let lib = lib.as_str().unwrap_or_default();
        engine
            .add_policy(format!("{name}/lib{i}.rego"), lib.to_string())
            .unwrap_or_else(|e| panic!("{name}: regorus cannot parse lib {i}: {e}"));
    }
    let rego = target["rego"].as_str().unwrap_or_default();
    engine
        .add_policy(format!("{name}/template.rego"), rego.to_string())
        .unwrap_or_else(|e| panic!("{name}: regorus cannot parse the rego: {e}"));
    let (group, version) = match object["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .rsplit_once('/')
    {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (
            String::new(),
            object["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
    };
    let mut review = json!({
        "kind": {"group": group, "version": version, "kind": object["kind"]},
        "operation": operation,
        "namespace": object["metadata"]["namespace"],
        "name": object["metadata"]["name"],
        "object": object,
    });
    if !old.is_null() {
        review["oldObject"] = old.clone();
    }
    let input = json!({
        "review": review,
        "parameters": constraint["spec"].get("parameters").cloned().unwrap_or(json!({})),
    });
    engine
        .set_input_json(&input.to_string())
        .expect("input converts");
    let result = engine
        .eval_rule(format!("data.{}.violation", package(rego)))
        .unwrap_or_else(|e| panic!("{name}: evaluation failed: {e}"));
    let json: Value = serde_json::from_str(&result.to_json_str().expect("result converts"))
        .expect("result is JSON");
    json.as_array()
        .unwrap_or_else(|| panic!("{name}: violation is not a set: {json}"))
        .iter()
        .map(|v| {
            v["msg"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: violation without msg: {v}"))
                .to_string()
        })
        .collect()
}

/// Whether a Constraint's `match` covers `object` in a namespace with `namespace_labels`.
pub fn constraint_matches(constraint: &Value, object: &Value, namespace_labels: &Value) -> bool {
    let m = &constraint["spec"]["match"];
    let group = object["apiVersion"]
        .as_str()
        .and_then(|v| v.rsplit_once('/'))
        .map_or("", |(g, _)| g);
    let kind_ok = m["kinds"].as_array().into_iter().flatten().any(|k| {
        k["apiGroups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == group))
            && k["kinds"]
                .as_array()
                .is_some_and(|ks| ks.iter().any(|k| k == &object["kind"]))
    });
    let ns = namespace_labels["kubernetes.io/metadata.name"]
        .as_str()
        .unwrap_or_default();
    let excluded = m["excludedNamespaces"]
        .as_array()
        .is_some_and(|l| l.iter().any(|n| n == ns));
    kind_ok && !excluded && super::cel_engine::selects(&m["namespaceSelector"], namespace_labels)
}
