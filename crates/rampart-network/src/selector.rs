//! Label selectors (`matchLabels` and `matchExpressions`).

use serde_json::Value;

use crate::Labels;
use crate::json::{Object, kind};

/// A `metav1.LabelSelector`. The empty selector matches every set of labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Selector {
    pub(crate) match_labels: Labels,
    pub(crate) expressions: Vec<Requirement>,
}

/// One `matchExpressions` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub(crate) key: String,
    pub(crate) operator: Operator,
    pub(crate) values: Vec<String>,
}

/// The operators of a label selector requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Selector {
    /// Parses the selector at `path`.
    pub(crate) fn parse(value: &Value, path: &str) -> Result<Selector, String> {
        let obj = Object::new(value, path, &["matchLabels", "matchExpressions"])?;
        let match_labels = obj.string_map("matchLabels")?.unwrap_or_default();
        let mut expressions = Vec::new();
        for (item_path, item) in obj.list("matchExpressions")?.unwrap_or_default() {
            expressions.push(Requirement::parse(item, &item_path)?);
        }
        Ok(Selector {
            match_labels,
            expressions,
        })
    }

    /// Whether `labels` satisfy every `matchLabels` pair and every requirement.
    pub(crate) fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|r| r.matches(labels))
    }

    /// Whether the selector selects everything (`{}`).
    pub(crate) fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// A set of labels that this selector matches, if one can be built: `matchLabels`, the
    /// first value of each `In` and an empty value for each `Exists`.
    pub(crate) fn example_labels(&self) -> Option<Labels> {
        let mut labels = self.match_labels.clone();
        for r in &self.expressions {
            match r.operator {
                Operator::In => {
                    labels
                        .entry(r.key.clone())
                        .or_insert_with(|| r.values[0].clone());
                }
                Operator::Exists => {
                    labels.entry(r.key.clone()).or_default();
                }
                Operator::NotIn | Operator::DoesNotExist => {}
            }
        }
        self.matches(&labels).then_some(labels)
    }
}

impl Requirement {
    fn parse(value: &Value, path: &str) -> Result<Requirement, String> {
        let obj = Object::new(value, path, &["key", "operator", "values"])?;
        let key = obj
            .string("key")?
            .ok_or_else(|| format!("{}: required", obj.field_path("key")))?
            .to_owned();
        let operator = match obj.string("operator")? {
            Some("In") => Operator::In,
            Some("NotIn") => Operator::NotIn,
            Some("Exists") => Operator::Exists,
            Some("DoesNotExist") => Operator::DoesNotExist,
            Some(other) => {
                return Err(format!(
                    "{}: `{other}` is not an operator (In, NotIn, Exists, DoesNotExist)",
                    obj.field_path("operator")
                ));
            }
            None => return Err(format!("{}: required", obj.field_path("operator"))),
        };
        let mut values = Vec::new();
        for (item_path, item) in obj.list("values")?.unwrap_or_default() {
            match item {
                Value::String(s) => values.push(s.clone()),
                other => {
                    return Err(format!(
                        "{item_path}: expected a string, found {}",
                        kind(other)
                    ));
                }
            }
        }
        let needs_values = matches!(operator, Operator::In | Operator::NotIn);
        if needs_values && values.is_empty() {
            return Err(format!(
                "{}: must be non-empty for In and NotIn",
                obj.field_path("values")
            ));
        }
        if !needs_values && !values.is_empty() {
            return Err(format!(
                "{}: must be empty for Exists and DoesNotExist",
                obj.field_path("values")
            ));
        }
        Ok(Requirement {
            key,
            operator,
            values,
        })
    }

    fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.contains(v)),
            // A pod without the key satisfies NotIn, as in Kubernetes.
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}
