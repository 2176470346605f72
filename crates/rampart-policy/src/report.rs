//! Findings as text for people (optionally in colour), as JSON for tools and as SARIF for
//! code scanning.

use serde_json::{Value, json};

use crate::exception::{Expiry, Standing};
use crate::{Finding, ListedException, Severity};

pub use crate::sarif::sarif;

/// Findings grouped by object: a `file:line kind/ns/name` header, then per finding
/// `  [severity] rule-id (checklist X.Y): message` and `    fix: …`. Findings of one
/// object must be adjacent, as [`crate::check`] returns them.
pub fn text(findings: &[Finding]) -> String {
    text_styled(findings, false)
}

/// [`text`] with ANSI colours when `color` is true: the object header in bold and the
/// severity tag coloured (high red, medium yellow, low cyan).
pub fn text_styled(findings: &[Finding], color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    let mut current: Option<(&str, usize, String)> = None;
    for f in findings {
        let key = (f.file.as_str(), f.line, f.object());
        if current.as_ref() != Some(&key) {
            if current.is_some() {
                out.push('\n');
            }
            let header = format!("{}:{} {}", key.0, key.1, key.2);
            out.push_str(&paint("1", &header));
            out.push('\n');
            current = Some(key);
        }
        let tag = paint(severity_color(f.severity), &format!("[{}]", f.severity));
        out.push_str(&format!(
            "  {tag} {} (checklist {}): {}\n    fix: {}\n",
            f.rule, f.checklist, f.message, f.fix
        ));
    }
    out
}

/// The ANSI SGR parameters of a severity's colour.
fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "1;31",
        Severity::Medium => "33",
        Severity::Low => "36",
    }
}

/// A pretty-printed JSON array of findings, each with `file`, `line`, `kind`, `namespace`
/// (null for cluster-scoped objects), `name`, `rule`, `checklist`, `severity`, `message`
/// and `fix`; `expired_exception` (the date) when an expired exception let it through, and
/// `fix_edit` (`start_line`, `start_column`, `end_line`, `end_column`, 1-based, columns in
/// characters, and `inserted`) when the fix is a known text replacement.
pub fn json(findings: &[Finding]) -> String {
    let items: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut item = json!({
                "file": f.file,
                "line": f.line,
                "kind": f.kind,
                "namespace": f.namespace,
                "name": f.name,
                "rule": f.rule,
                "checklist": f.checklist,
                "severity": f.severity.as_str(),
                "message": f.message,
                "fix": f.fix,
            });
            if let (Some(date), Some(map)) = (f.expired_exception, item.as_object_mut()) {
                map.insert("expired_exception".to_owned(), json!(date.to_string()));
            }
            if let (Some(edit), Some(map)) = (&f.text_edit, item.as_object_mut()) {
                map.insert(
                    "fix_edit".to_owned(),
                    json!({
                        "start_line": edit.start_line,
                        "start_column": edit.start_column,
                        "end_line": edit.end_line,
                        "end_column": edit.end_column,
                        "inserted": edit.inserted,
                    }),
                );
            }
            item
        })
        .collect();
    format!("{:#}\n", Value::Array(items))
}

/// Exceptions for people, one per line: `file:line kind/ns/name rule: reason`, then
/// `    until DATE: holds|expired|invalid (why)`.
pub fn exceptions_text(exceptions: &[ListedException]) -> String {
    let mut out = String::new();
    for listed in exceptions {
        let e = &listed.exception;
        let reason = if e.reason.is_empty() {
            "(no reason)"
        } else {
            &e.reason
        };
        out.push_str(&format!(
            "{}:{} {} {}: {reason}\n    until {}: {}\n",
            listed.file,
            listed.line,
            listed.object,
            e.rule,
            until_text(e.until.as_ref()),
            standing_text(&listed.standing),
        ));
    }
    out
}

/// Exceptions as a pretty-printed JSON array, each with `file`, `line`, `object`, `rule`,
/// `reason`, `until` (null when none), `status` (`holds`, `expired`, `invalid`) and, when
/// invalid, `problem`.
pub fn exceptions_json(exceptions: &[ListedException]) -> String {
    let items: Vec<Value> = exceptions
        .iter()
        .map(|listed| {
            let e = &listed.exception;
            let (status, problem) = match &listed.standing {
                Standing::Holds => ("holds", None),
                Standing::Expired(_) => ("expired", None),
                Standing::Invalid { problem, .. } => ("invalid", Some(problem)),
            };
            let until = e.until.as_ref().map(|u| match u {
                Expiry::On(date) => date.to_string(),
                Expiry::Unreadable(text) => text.clone(),
            });
            json!({
                "file": listed.file,
                "line": listed.line,
                "object": listed.object,
                "rule": e.rule,
                "reason": e.reason,
                "until": until,
                "status": status,
                "problem": problem,
            })
        })
        .collect();
    format!("{:#}\n", Value::Array(items))
}

fn until_text(until: Option<&Expiry>) -> String {
    match until {
        None => "(none)".to_owned(),
        Some(Expiry::On(date)) => date.to_string(),
        Some(Expiry::Unreadable(text)) => format!("`{text}`"),
    }
}

fn standing_text(standing: &Standing) -> String {
    match standing {
        Standing::Holds => "holds".to_owned(),
        Standing::Expired(date) => format!("expired (the last day was {date})"),
        Standing::Invalid { problem, help } => format!("invalid: {problem}; {help}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::run;

    const TWO: &str = "kind: Secret\nmetadata: {name: s, namespace: n}\ndata: {k: dg==}\n---\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {name: cluster-admin}\n";

    #[test]
    fn text_groups_findings_under_their_object() {
        let out = text(&run(TWO));
        assert!(out.starts_with("t.yaml:1 Secret/n/s\n  [high] secret-in-repository (checklist 4.7): Secret/n/s data: "), "{out}");
        assert!(out.contains("\n\nt.yaml:5 ClusterRoleBinding/b\n  [high] rbac-cluster-admin-binding (checklist 1.4)"), "{out}");
        assert!(out.contains("\n    fix: "));
    }

    #[test]
    fn styled_text_colours_severities_and_plain_text_has_no_escapes() {
        let findings = run(TWO);
        assert!(!text(&findings).contains('\x1b'));
        assert_eq!(text_styled(&findings, false), text(&findings));
        let coloured = text_styled(&findings, true);
        assert!(
            coloured.starts_with(
                "\x1b[1mt.yaml:1 Secret/n/s\x1b[0m\n  \x1b[1;31m[high]\x1b[0m secret-in-repository"
            ),
            "{coloured:?}"
        );
    }

    #[test]
    fn json_is_an_array_of_findings() {
        let parsed: Value = serde_json::from_str(&json(&run(TWO))).unwrap_or_default();
        assert_eq!(parsed[1]["rule"], "rbac-cluster-admin-binding");
        assert_eq!(parsed[1]["namespace"], Value::Null);
        assert_eq!(parsed[0]["line"], 1);
        assert_eq!(parsed[0]["severity"], "high");
    }
}
