//! Findings as text for people and as JSON for tools.

use serde_json::{Value, json};

use crate::Finding;

/// Findings grouped by object: a `file:line kind/ns/name` header, then per finding
/// `  [severity] rule-id (checklist X.Y): message` and `    fix: …`. Findings of one
/// object must be adjacent, as [`crate::check`] returns them.
pub fn text(findings: &[Finding]) -> String {
    let mut out = String::new();
    let mut current: Option<(&str, usize, String)> = None;
    for f in findings {
        let key = (f.file.as_str(), f.line, f.object());
        if current.as_ref() != Some(&key) {
            if current.is_some() {
                out.push('\n');
            }
            out.push_str(&format!("{}:{} {}\n", key.0, key.1, key.2));
            current = Some(key);
        }
        out.push_str(&format!(
            "  [{}] {} (checklist {}): {}\n    fix: {}\n",
            f.severity, f.rule, f.checklist, f.message, f.fix
        ));
    }
    out
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
    fn json_is_an_array_of_findings() {
        let parsed: Value = serde_json::from_str(&json(&run(TWO))).unwrap_or_default();
        assert_eq!(parsed[1]["rule"], "rbac-cluster-admin-binding");
        assert_eq!(parsed[1]["namespace"], Value::Null);
        assert_eq!(parsed[0]["line"], 1);
        assert_eq!(parsed[0]["severity"], "high");
    }
}
