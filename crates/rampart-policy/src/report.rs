//! Findings as text for people (optionally in colour), as JSON for tools and as SARIF for
//! code scanning.

use serde_json::{Value, json};

use crate::{Finding, Severity};

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
/// and `fix`.
pub fn json(findings: &[Finding]) -> String {
    let items: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
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
            })
        })
        .collect();
    format!("{:#}\n", Value::Array(items))
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
