//! Checking batch by batch: a batch's documents (a file, or a slice of documents) are
//! checked by the one-object rules as they come and can be dropped; of each object only
//! its findings and what its cross-object rules need are kept, and those rules are judged
//! once every batch is in. Batches can be checked on any core and joined in input order.

use rayon::prelude::*;

use crate::facts::{Deferred, Index};
use crate::finding::Finding;
use crate::load::Document;
use crate::object::{IGNORE_ANNOTATION, Object};
use crate::rules::{self, backend, governance, isolation, network, pods, rbac};
use crate::{Options, PolicyError};

/// Documents checked by the one-object rules, awaiting the cross-object ones: build with
/// [`Checked::add`] or [`Checked::file`], join with [`Checked::then`], finish with
/// [`Checked::findings`].
#[derive(Debug, Default)]
pub struct Checked {
    documents: usize,
    /// The objects with findings or cross-object checks, in input order.
    objects: Vec<Outcome>,
    index: Index,
}

/// One object's findings so far.
#[derive(Debug)]
struct Outcome {
    findings: Vec<(Stage, Finding)>,
    /// The rules the object suppresses with a reason (kept only with `deferred`).
    suppressed: Vec<String>,
    deferred: Option<Box<Deferred>>,
}

/// The rules in the order an object's findings are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Rbac,
    RoleScope,
    SharedServiceAccount,
    Pods,
    Network,
    DefaultDeny,
    AllowPolicy,
    Isolated,
    EveryNamespace,
    Governance,
    Backend,
    Suppressions,
}

impl Checked {
    /// Parses `bytes` (the content of `file`) with [`crate::parse_documents`] and checks
    /// its documents; also returns the parse errors.
    pub fn file(file: &str, bytes: &[u8], options: &Options) -> (Checked, Vec<PolicyError>) {
        let (docs, errors) = crate::parse_documents(file, bytes);
        let mut checked = Checked::default();
        for doc in &docs {
            checked.add(doc, options);
        }
        (checked, errors)
    }

    /// Checks `docs` on every core.
    pub fn documents_of(docs: &[Document], options: &Options) -> Checked {
        /// Documents per batch: enough to spread over the cores, few joins.
        const BATCH: usize = 256;
        docs.par_chunks(BATCH)
            .map(|batch| {
                let mut checked = Checked::default();
                for doc in batch {
                    checked.add(doc, options);
                }
                checked
            })
            .reduce(Checked::default, Checked::then)
    }

    /// How many documents were checked.
    pub fn documents(&self) -> usize {
        self.documents
    }

    /// Checks one more document.
    pub fn add(&mut self, doc: &Document, options: &Options) {
        self.documents += 1;
        let obj = Object::new(doc);
        let policy = if obj.kind == "NetworkPolicy" {
            isolation::parse_policy(obj.value())
        } else {
            None
        };
        self.index.add(&obj, policy.as_ref());
        let mut tagged = Vec::new();
        let mut out = Vec::new();
        let mut tag = |stage: Stage, out: &mut Vec<Finding>| {
            tagged.extend(out.drain(..).map(|f| (stage, f)));
        };
        rbac::check(&obj, &mut out);
        tag(Stage::Rbac, &mut out);
        pods::check(&obj, options, &mut out);
        tag(Stage::Pods, &mut out);
        network::check(&obj, &mut out);
        tag(Stage::Network, &mut out);
        isolation::check_every_namespace(&obj, policy.as_ref(), &mut out);
        tag(Stage::EveryNamespace, &mut out);
        governance::check(&obj, &mut out);
        tag(Stage::Governance, &mut out);
        backend::check(&obj, &mut out);
        tag(Stage::Backend, &mut out);
        let suppressed = apply_suppressions(&obj, &mut tagged);
        let deferred = Deferred::of(&obj);
        if !tagged.is_empty() || deferred.is_some() {
            self.objects.push(Outcome {
                findings: tagged,
                suppressed: if deferred.is_some() {
                    suppressed
                } else {
                    Vec::new()
                },
                deferred,
            });
        }
    }

    /// These documents followed by `later`'s.
    pub fn then(mut self, later: Checked) -> Checked {
        self.documents += later.documents;
        self.objects.extend(later.objects);
        self.index.merge(later.index);
        self
    }

    /// Judges the cross-object rules and returns every finding, ordered by file and line
    /// (and, within an object, by rule area), suppressions applied.
    pub fn findings(self) -> Vec<Finding> {
        let index = &self.index;
        let per_object: Vec<Vec<Finding>> = self
            .objects
            .into_par_iter()
            .map(|outcome| outcome.finish(index))
            .collect();
        let mut findings: Vec<Finding> = per_object.into_iter().flatten().collect();
        findings.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        findings
    }
}

impl Outcome {
    /// The object's findings with those of its cross-object rules, in report order.
    fn finish(mut self, index: &Index) -> Vec<Finding> {
        if let Some(deferred) = &self.deferred {
            let obj = &deferred.subject;
            let mut out = Vec::new();
            let mut tag = |stage: Stage, out: &mut Vec<Finding>| {
                let kept = out
                    .drain(..)
                    .filter(|f| !self.suppressed.iter().any(|id| id == f.rule));
                self.findings.extend(kept.map(|f| (stage, f)));
            };
            if let Some(role) = &deferred.cluster_role {
                rbac::check_role_scope(obj, role, index, &mut out);
                tag(Stage::RoleScope, &mut out);
            }
            if let Some(account) = &deferred.account {
                pods::check_shared_service_account(obj, account, index, &mut out);
                tag(Stage::SharedServiceAccount, &mut out);
            }
            if deferred.namespace {
                network::check_default_deny(obj, index, &mut out);
                tag(Stage::DefaultDeny, &mut out);
            }
            if let Some(workload) = &deferred.workload {
                network::check_allow_policy(obj, workload, index, &mut out);
                tag(Stage::AllowPolicy, &mut out);
                isolation::check_isolated(obj, workload, index, &mut out);
                tag(Stage::Isolated, &mut out);
            }
            // Stable: each rule's findings keep their order.
            self.findings.sort_by_key(|(stage, _)| *stage);
        }
        self.findings.into_iter().map(|(_, f)| f).collect()
    }
}

/// Drops the findings whose rule the object suppresses with a reason, adds a finding for
/// each suppression without one, and returns the suppressed rules.
fn apply_suppressions(obj: &Object<'_>, findings: &mut Vec<(Stage, Finding)>) -> Vec<String> {
    let mut suppressed = Vec::new();
    let mut unexplained = Vec::new();
    for (id, reason) in obj.suppressions() {
        if reason.is_empty() {
            unexplained.push(obj.finding(
                &rules::SUPPRESSION_WITHOUT_REASON,
                &format!("metadata.annotations.\"{IGNORE_ANNOTATION}\""),
                &format!("suppresses `{id}` without a reason, so it is not suppressed"),
                &format!("write `{id}: <why this is acceptable>`, or fix the finding"),
            ));
        } else {
            suppressed.push(id);
        }
    }
    findings.retain(|(_, f)| !suppressed.iter().any(|id| id == f.rule));
    findings.extend(unexplained.into_iter().map(|f| (Stage::Suppressions, f)));
    suppressed
}
