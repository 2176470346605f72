//! The import report of one namespace, as text and as JSON.

use crate::diff::{Connectivity, FlowRow};
use crate::report::{Note, Topic};
use serde::Serialize;
use std::fmt::Write as _;

/// The report of one namespace.
#[derive(Debug, Clone, Serialize)]
pub struct Summary<'a> {
    /// The namespace.
    pub namespace: &'a str,
    /// The environment rendered for the comparison.
    pub environment: &'a str,
    /// Rows: hardening changes, what was not imported, what to do.
    pub changes: &'a [Note],
    /// The connectivity diff.
    pub connectivity: &'a Connectivity,
}

impl Summary<'_> {
    /// The report for people: a table of changes, then the flows.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "namespace {} (compared with its render for environment {})",
            self.namespace, self.environment
        );
        for (topic, heading) in [
            (
                Topic::Hardening,
                "hardening changes (checklist item, object, change)",
            ),
            (Topic::Todo, "to do"),
            (
                Topic::NotImported,
                "not imported (the request has no field for it)",
            ),
        ] {
            let rows: Vec<&Note> = self.changes.iter().filter(|n| n.topic == topic).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {heading}:");
            let width = rows.iter().map(|n| n.subject.len()).max().unwrap_or(0);
            for n in rows {
                let item = n.checklist.map_or(String::new(), |c| format!("{c:<4} "));
                let _ = writeln!(out, "    {item}{:<width$}  {}", n.subject, n.text);
            }
        }
        let c = self.connectivity;
        let _ = writeln!(
            out,
            "  connectivity: {} kept, {} removed, {} added{}",
            c.kept.len(),
            c.removed.len(),
            c.added.len(),
            if c.all_allowed_today {
                " (no NetworkPolicy today: all traffic allowed today)"
            } else {
                ""
            }
        );
        for (mark, rows) in [("=", &c.kept), ("-", &c.removed), ("+", &c.added)] {
            for r in rows {
                let _ = writeln!(out, "    {mark} {}", flow_line(r));
            }
        }
        out
    }
}

fn flow_line(r: &FlowRow) -> String {
    let by = if r.policies.is_empty() {
        String::new()
    } else {
        format!("  [{}]", r.policies.join(", "))
    };
    format!("{} → {} {}{by}", r.from, r.to, r.ports)
}
