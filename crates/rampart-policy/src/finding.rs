//! Rules, severities and findings.

use serde::Serialize;

use crate::date::Date;
use rampart_yaml::edit::Patch;

/// How bad a finding is; ordered `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Hygiene; worth fixing when convenient.
    Low,
    /// Weakens a defence; fix soon.
    Medium,
    /// Opens a direct path to compromise or escalation; fix now.
    High,
}

impl Severity {
    /// `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the linter: what it checks and which checklist item it implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable identifier, e.g. `rbac-wildcard`; used in suppressions.
    pub id: &'static str,
    /// Checklist item as `section.item`, e.g. `1.2`.
    pub checklist: &'static str,
    /// Severity of every finding of this rule.
    pub severity: Severity,
    /// One-line description.
    pub title: &'static str,
}

/// One problem in one Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// File as shown to the user.
    pub file: String,
    /// 1-based line where the object's document starts.
    pub line: usize,
    /// The object's `kind`.
    pub kind: String,
    /// The object's `metadata.namespace`, if any.
    pub namespace: Option<String>,
    /// The object's `metadata.name` (empty if it has none).
    pub name: String,
    /// Rule id.
    pub rule: &'static str,
    /// Checklist item of the rule.
    pub checklist: &'static str,
    /// Severity of the rule.
    pub severity: Severity,
    /// What is wrong, naming the object and the field path.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The day the exception that silenced this finding expired, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_exception: Option<Date>,
    /// The edit that fixes it, when the finding alone determines it (`check --fix` makes
    /// it); `None`: the fix needs a decision ("needs you").
    #[serde(skip)]
    pub autofix: Option<Patch>,
    /// The autofix as a replacement in the file's text, when computed (see
    /// [`crate::fix::attach_text_edits`]); reported in JSON and SARIF.
    #[serde(skip)]
    pub text_edit: Option<TextEdit>,
    /// A file `--fix` adds beside the finding's file, when that is the fix.
    #[serde(skip)]
    pub new_file: Option<NewFile>,
}

/// A file the fix of a finding adds, in the directory of the finding's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Its name (no directory).
    pub name: String,
    /// Its content.
    pub content: String,
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Finding {
    /// This finding with the edit that fixes it (see [`Finding::autofix`]).
    pub(crate) fn with_autofix(mut self, patch: Patch) -> Finding {
        self.autofix = Some(patch);
        self
    }

    /// This finding with a file that fixes it (see [`Finding::new_file`]).
    pub(crate) fn with_new_file(mut self, file: NewFile) -> Finding {
        self.new_file = Some(file);
        self
    }

    /// Whether `check --fix` fixes it (an edit or a new file), or it needs a decision.
    pub fn fixable(&self) -> bool {
        self.autofix.is_some() || self.new_file.is_some()
    }

    /// The object as `kind/namespace/name`, or `kind/name` when it has no namespace.
    pub fn object(&self) -> String {
        object_label(&self.kind, self.namespace.as_deref(), &self.name)
    }
}

pub(crate) fn object_label(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// One finding's fix as a text replacement in its file, as code-scanning tools apply it:
/// the region from (`start_line`, `start_column`) to (`end_line`, `end_column`) (1-based;
/// columns in characters; an empty region is an insertion) is replaced by `inserted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    /// 1-based first line of the replaced region.
    pub start_line: usize,
    /// 1-based column (in characters) where the region starts.
    pub start_column: usize,
    /// 1-based line where the region ends.
    pub end_line: usize,
    /// 1-based column (in characters) just past the region.
    pub end_column: usize,
    /// The new text.
    pub inserted: String,
}
