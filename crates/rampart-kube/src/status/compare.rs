//! Field-by-field comparison of a rendered object with its live copy: only the fields
//! Rampart renders count, so whatever the API server adds (status, defaults, uid,
//! resourceVersion, other controllers' annotations) is ignored.

use serde::Serialize;
use serde_json::Value;

/// One rendered field whose live value is not the rendered one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    /// Where, e.g. `spec.replicas` or `spec.template.spec.containers[0].image`.
    pub path: String,
    /// The value Git renders.
    pub git: Value,
    /// The live value, if shown: numbers, booleans and null only — a live string could
    /// be anything someone wrote into the object, so it is never printed.
    pub live: Option<Value>,
    /// Whether the live object has the field at all.
    pub present: bool,
}

/// Every field of `rendered` that `live` lacks or holds differently, in document order.
/// Maps compare key by key (extra live keys are ignored), lists element by element (a
/// list of another length differs as a whole).
pub fn differing_fields(rendered: &Value, live: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    walk(rendered, Some(live), &mut String::new(), &mut out);
    out
}

fn walk(git: &Value, live: Option<&Value>, path: &mut String, out: &mut Vec<FieldDiff>) {
    match (git, live) {
        (Value::Object(fields), Some(Value::Object(live_fields))) => {
            for (key, value) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(value, live_fields.get(key), path, out);
                path.truncate(len);
            }
        }
        (Value::Array(items), Some(Value::Array(live_items)))
            if items.len() == live_items.len() =>
        {
            for (index, (item, live_item)) in items.iter().zip(live_items).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                walk(item, Some(live_item), path, out);
                path.truncate(len);
            }
        }
        (git, Some(live)) if same_scalar(git, live) => {}
        (git, live) => out.push(FieldDiff {
            path: path.clone(),
            git: git.clone(),
            live: live.filter(|v| shown(v)).cloned(),
            present: live.is_some(),
        }),
    }
}

/// Equal, treating numbers by value (`3` and `3.0` are the same replica count).
fn same_scalar(git: &Value, live: &Value) -> bool {
    match (git, live) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => git == live,
    }
}

fn shown(value: &Value) -> bool {
    matches!(value, Value::Number(_) | Value::Bool(_) | Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_the_server_adds_are_ignored_and_rendered_ones_compared() {
        let git = json!({"metadata": {"name": "api", "labels": {"team": "shop"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}}});
        let live = json!({"metadata": {"name": "api", "uid": "u", "labels": {"team": "shop", "extra": "x"}},
            "spec": {"replicas": 3, "revisionHistoryLimit": 10,
                "template": {"spec": {"containers": [{"name": "app", "image": "r/app:1", "terminationMessagePath": "/dev/termination-log"}]}}},
            "status": {"replicas": 3}});
        assert_eq!(differing_fields(&git, &live), []);
    }

    #[test]
    fn a_changed_missing_or_resized_field_is_named_by_its_path() {
        let git = json!({"spec": {"replicas": 3, "paused": false, "template": {"metadata": {"annotations": {"a": "1"}},
            "spec": {"containers": [{"name": "app", "image": "r/app:2"}], "volumes": [{"name": "v"}]}}}});
        let live = json!({"spec": {"replicas": 2, "template": {"metadata": {},
            "spec": {"containers": [{"name": "app", "image": "r/app:1"}], "volumes": []}}}});
        let diffs = differing_fields(&git, &live);
        let mut seen: Vec<(&str, Option<&Value>, bool)> = diffs
            .iter()
            .map(|d| (d.path.as_str(), d.live.as_ref(), d.present))
            .collect();
        seen.sort_by_key(|(path, _, _)| *path);
        assert_eq!(
            seen,
            [
                ("spec.paused", None, false),
                ("spec.replicas", Some(&json!(2)), true),
                ("spec.template.metadata.annotations", None, false),
                ("spec.template.spec.containers[0].image", None, true),
                ("spec.template.spec.volumes", None, true),
            ]
        );
        let image = diffs.iter().find(|d| d.path.ends_with("image"));
        assert_eq!(image.map(|d| &d.git), Some(&json!("r/app:2")));
    }
}
