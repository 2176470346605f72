//! The Kubernetes security checklist as a linter for any Kubernetes YAML.
//!
//! Documents are split from their files with [`parse_documents`] (which knows each
//! document's line), checked with [`check`] against the [`RULES`], and reported with
//! [`report::text`], [`report::json`] or [`report::sarif`] (SARIF 2.1.0). Every finding names its object
//! (`kind/namespace/name`), the field path, the checklist item (`section.item`) and a fix.
//! An object can suppress a rule with the annotation
//! `rampart.dev/ignore: "<rule-id>: <reason>"`, optionally followed by `; until YYYY-MM-DD`;
//! a suppression without a reason does not suppress and is a finding of its own, and past its
//! date the findings come back marked with it (see [`exception`]). Pure: no IO, no async;
//! the day is given in [`Options::exceptions`].
//!
//! ```
//! use rampart_policy::{check, parse_documents, Options};
//! let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData: {password: x}\n";
//! let (docs, errors) = parse_documents("secret.yaml", text.as_bytes());
//! assert!(errors.is_empty());
//! let findings = check(&docs, &Options::default());
//! assert_eq!(findings[0].rule, "secret-in-repository");
//! assert_eq!(findings[0].checklist, "4.7");
//! ```

#![warn(missing_docs)]

mod checked;
mod date;
mod error;
pub mod exception;
mod facts;
mod finding;
pub mod fix;
mod gather;
mod load;
mod object;
pub mod report;
pub mod rules;
pub mod sarif;

pub use checked::{Checked, ListedException};
pub use date::Date;
pub use error::PolicyError;
pub use exception::{ExceptionPolicy, Standing};
pub use finding::{Finding, NewFile, Rule, Severity};
pub use load::{Document, LIMITS, MAX_MANIFEST_BYTES, parse_documents, too_large};
pub use object::IGNORE_ANNOTATION;
pub use rules::RULES;

/// Settings of a check run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Image reference prefixes that are allowed (e.g. `registry.example.com/`); empty:
    /// any registry.
    pub allowed_registries: Vec<String>,
    /// The day exceptions are judged on, and the longest they may run.
    pub exceptions: ExceptionPolicy,
}

/// Checks every document against every rule, applies suppressions, and returns the
/// findings ordered by file and line (and, within an object, by rule area).
///
/// For many files, [`Checked::file`] checks one file at a time (on any core) without
/// keeping its documents.
pub fn check(docs: &[Document], options: &Options) -> Vec<Finding> {
    Checked::documents_of(docs, options).findings()
}

/// Parses many files at once, on every core: one `(documents, errors)` per file, in order.
pub fn parse_files(files: &[(String, Vec<u8>)]) -> Vec<(Vec<Document>, Vec<PolicyError>)> {
    use rayon::prelude::*;
    files
        .par_iter()
        .map(|(name, bytes)| parse_documents(name, bytes))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn run_with(yaml: &str, options: &Options) -> Vec<Finding> {
        let (docs, errors) = parse_documents("t.yaml", yaml.as_bytes());
        assert!(errors.is_empty(), "{errors:?}");
        check(&docs, options)
    }

    pub fn run(yaml: &str) -> Vec<Finding> {
        run_with(yaml, &Options::default())
    }

    pub fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule).collect()
    }

    const ROLE: &str = "kind: Role\nmetadata:\n  name: r\n  namespace: n\n";

    #[test]
    fn a_suppression_with_a_reason_suppresses_that_rule_only() {
        let yaml = format!(
            "{ROLE}  annotations:\n    rampart.dev/ignore: \"rbac-wildcard: vendor chart; rbac-user-subject: n/a\"\nrules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: ['*']\n"
        );
        assert_eq!(ids(&run(&yaml)), ["rbac-secret-read"]);
    }

    #[test]
    fn a_suppression_without_a_reason_is_a_finding_and_suppresses_nothing() {
        let yaml = format!(
            "{ROLE}  annotations:\n    rampart.dev/ignore: \"rbac-wildcard\"\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: ['*']\n"
        );
        assert_eq!(
            ids(&run(&yaml)),
            ["rbac-wildcard", "suppression-without-reason"]
        );
    }

    #[test]
    fn rule_ids_are_unique_and_checklist_items_exist() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "duplicate {}", rule.id);
            let (section, item) = rule.checklist.split_once('.').unwrap_or(("0", "0"));
            let (s, i): (u8, u8) = (section.parse().unwrap_or(0), item.parse().unwrap_or(0));
            assert!(
                (1..=6).contains(&s) && (1..=7).contains(&i),
                "{}",
                rule.checklist
            );
        }
    }
}
