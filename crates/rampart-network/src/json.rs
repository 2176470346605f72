//! Reading a JSON object field by field, with errors that name the field's path.

use serde_json::{Map, Value};

/// An object at `path` whose fields are all among the known ones.
pub(crate) struct Object<'a> {
    pub(crate) path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Object<'a> {
    /// `value` as an object with only `known` fields (an unknown one is an error, as with
    /// kubectl's strict field validation).
    pub(crate) fn new(value: &'a Value, path: &str, known: &[&str]) -> Result<Self, String> {
        let map = value
            .as_object()
            .ok_or_else(|| format!("{}: expected an object, found {}", shown(path), kind(value)))?;
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!("{}: unknown field", join(path, unknown)));
        }
        Ok(Object {
            path: path.to_owned(),
            map,
        })
    }

    /// `value` as an object with any fields (e.g. `metadata`).
    pub(crate) fn lenient(value: &'a Value, path: &str) -> Result<Self, String> {
        let map = value
            .as_object()
            .ok_or_else(|| format!("{}: expected an object, found {}", shown(path), kind(value)))?;
        Ok(Object {
            path: path.to_owned(),
            map,
        })
    }

    /// The path of field `name`.
    pub(crate) fn field_path(&self, name: &str) -> String {
        join(&self.path, name)
    }

    /// Field `name`, `None` when absent or `null`.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// Whether field `name` is present and not `null`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A string field.
    pub(crate) fn string(&self, name: &str) -> Result<Option<&'a str>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!(
                "{}: expected a string, found {}",
                self.field_path(name),
                kind(other)
            )),
        }
    }

    /// A list field: its items with their paths (`None` when absent).
    pub(crate) fn list(&self, name: &str) -> Result<Option<Vec<(String, &'a Value)>>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => {
                let path = self.field_path(name);
                Ok(Some(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("{path}[{i}]"), v))
                        .collect(),
                ))
            }
            Some(other) => Err(format!(
                "{}: expected a list, found {}",
                self.field_path(name),
                kind(other)
            )),
        }
    }

    /// A map of strings (labels).
    pub(crate) fn string_map(
        &self,
        name: &str,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, String> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let path = self.field_path(name);
        let map = value
            .as_object()
            .ok_or_else(|| format!("{path}: expected a map of strings, found {}", kind(value)))?;
        map.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(format!(
                    "{}: expected a string, found {}",
                    join(&path, k),
                    kind(other)
                )),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

/// `path.name`, or `name` at the root.
pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn shown(path: &str) -> &str {
    if path.is_empty() { "document" } else { path }
}

/// What a JSON value is, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
