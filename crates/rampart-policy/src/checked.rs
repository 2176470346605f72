//! Checking batch by batch: a batch's documents (a file, or a slice of documents) are
//! checked by the one-object rules as they come and can be dropped; of each object only
//! its findings and what its cross-object rules need are kept, and those rules are judged
//! once every batch is in. Batches can be checked on any core and joined in input order.

use rayon::prelude::*;

use crate::date::Date;
use crate::exception::{Exception, ExceptionPolicy, Standing};
use crate::facts::{Deferred, Index};
use crate::finding::{Finding, object_label};
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
    /// The objects with findings or cross-object checks, in input order, in the runs of
    /// the batches joined (joining moves runs, not objects).
    objects: Vec<Vec<Outcome>>,
    index: Index,
    /// Every exception of every object, in input order.
    exceptions: Vec<ListedException>,
}

/// One object's findings so far.
#[derive(Debug)]
struct Outcome {
    findings: Vec<(Stage, Finding)>,
    /// The object's exceptions that hold or expired (kept only with `deferred`).
    suppressed: Suppressions,
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
        let suppressed = self.apply_exceptions(&obj, &options.exceptions, &mut tagged);
        let deferred = Deferred::of(&obj);
        if !tagged.is_empty() || deferred.is_some() {
            let outcome = Outcome {
                findings: tagged,
                suppressed: if deferred.is_some() {
                    suppressed
                } else {
                    Suppressions::default()
                },
                deferred,
            };
            match self.objects.last_mut() {
                Some(run) => run.push(outcome),
                None => self.objects.push(vec![outcome]),
            }
        }
    }

    /// These documents followed by `later`'s.
    pub fn then(mut self, later: Checked) -> Checked {
        self.documents += later.documents;
        self.objects.extend(later.objects);
        self.index.merge(later.index);
        self.exceptions.extend(later.exceptions);
        self
    }

    /// Every exception of every object checked, in input order, with how it stands.
    pub fn exceptions(&self) -> &[ListedException] {
        &self.exceptions
    }

    /// Applies the object's exceptions to its `findings`: drops the silenced ones, marks
    /// those whose exception expired, adds a finding for each invalid exception, lists them
    /// all, and returns those that hold or expired (for the cross-object rules).
    fn apply_exceptions(
        &mut self,
        obj: &Object<'_>,
        policy: &ExceptionPolicy,
        findings: &mut Vec<(Stage, Finding)>,
    ) -> Suppressions {
        let mut suppressions = Suppressions::default();
        for exception in obj.exceptions() {
            let standing = exception.standing(policy);
            match &standing {
                Standing::Holds => suppressions.holding.push(exception.rule.clone()),
                Standing::Expired(date) => suppressions.expired.push((
                    exception.rule.clone(),
                    *date,
                    exception.reason.clone(),
                )),
                Standing::Invalid { problem, help } => {
                    let rule = if exception.reason.is_empty() {
                        &rules::SUPPRESSION_WITHOUT_REASON
                    } else {
                        &rules::SUPPRESSION_EXPIRY
                    };
                    let path = format!("metadata.annotations.\"{IGNORE_ANNOTATION}\"");
                    let finding = obj.finding(rule, &path, problem, help);
                    findings.push((Stage::Suppressions, finding));
                }
            }
            self.exceptions.push(ListedException {
                file: obj.doc.file.clone(),
                line: obj.doc.line,
                object: object_label(obj.kind, obj.namespace, obj.name),
                exception,
                standing,
            });
        }
        let kept = std::mem::take(findings)
            .into_iter()
            .filter_map(|(stage, f)| Some((stage, suppressions.apply(f)?)));
        findings.extend(kept);
        suppressions
    }

    /// Judges the cross-object rules and returns every finding, ordered by file and line
    /// (and, within an object, by rule area), suppressions applied.
    pub fn findings(self) -> Vec<Finding> {
        let index = &self.index;
        let per_object: Vec<Vec<Finding>> = self
            .objects
            .into_iter()
            .flatten()
            .collect::<Vec<Outcome>>()
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
            let suppressed = &self.suppressed;
            let findings = &mut self.findings;
            let mut tag = |stage: Stage, out: &mut Vec<Finding>| {
                let kept = out.drain(..).filter_map(|f| suppressed.apply(f));
                findings.extend(kept.map(|f| (stage, f)));
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

/// An object's exceptions that hold, and those that expired.
#[derive(Debug, Default)]
struct Suppressions {
    /// Rules silenced.
    holding: Vec<String>,
    /// Rules whose exception expired: the rule, the date, the reason.
    expired: Vec<(String, Date, String)>,
}

impl Suppressions {
    /// `None` when an exception silences the finding; else the finding, marked when its
    /// exception expired.
    fn apply(&self, mut finding: Finding) -> Option<Finding> {
        if self.holding.iter().any(|id| id == finding.rule) {
            return None;
        }
        if let Some((_, date, reason)) = self.expired.iter().find(|(id, ..)| id == finding.rule) {
            finding.message = format!(
                "{} (the exception \"{reason}\" expired on {date})",
                finding.message
            );
            finding.expired_exception = Some(*date);
        }
        Some(finding)
    }
}

/// An exception of an object, as `check --exceptions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedException {
    /// File of the object.
    pub file: String,
    /// Line of the object's document.
    pub line: usize,
    /// The object as `kind/namespace/name`.
    pub object: String,
    /// The exception.
    pub exception: Exception,
    /// How it stands on the day judged.
    pub standing: Standing,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMESPACE: &str = "kind: Namespace\nmetadata:\n  name: n\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n";
    const DENY: &str = "kind: NetworkPolicy\nmetadata: {name: deny, namespace: n}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";
    const ROLE: &str = "kind: ClusterRole\nmetadata: {name: pods}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n";
    const BINDING: &str = "kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: pods}\nsubjects: [{kind: Group, name: ops}]\n";

    fn deployment(name: &str, account: &str) -> String {
        format!(
            "kind: Deployment\nmetadata: {{name: {name}, namespace: n, labels: {{app.kubernetes.io/name: {name}}}}}\nspec:\n  template:\n    metadata: {{labels: {{app.kubernetes.io/name: {name}}}}}\n    spec:\n      serviceAccountName: {account}\n      containers: []\n"
        )
    }

    /// Every file checked on its own (on any core) and joined in order.
    fn by_file(files: &[(&str, String)]) -> Vec<Finding> {
        let options = Options::default();
        files
            .par_iter()
            .map(|(name, text)| {
                let (checked, errors) = Checked::file(name, text.as_bytes(), &options);
                assert!(errors.is_empty(), "{errors:?}");
                checked
            })
            .reduce(Checked::default, Checked::then)
            .findings()
    }

    /// Every document of every file in one batch, one after the other.
    fn serially(files: &[(&str, String)]) -> Vec<Finding> {
        let options = Options::default();
        let mut checked = Checked::default();
        for (name, text) in files {
            for doc in crate::parse_documents(name, text.as_bytes()).0 {
                checked.add(&doc, &options);
            }
        }
        checked.findings()
    }

    #[test]
    fn cross_object_rules_see_objects_of_other_files() {
        let files = [
            ("a/namespace.yaml", NAMESPACE.to_owned()),
            ("b/api.yaml", deployment("api", "shared")),
            ("c/web.yaml", deployment("web", "shared")),
            ("d/binding.yaml", BINDING.to_owned()),
            ("e/role.yaml", ROLE.to_owned()),
            ("f/deny.yaml", DENY.to_owned()),
        ];
        let found = by_file(&files);
        let rules: Vec<(&str, &str)> = found
            .iter()
            .filter(|f| {
                !f.rule.starts_with("container-") && f.rule != "pod-default-service-account"
            })
            .map(|f| (f.file.as_str(), f.rule))
            .collect();
        // The default deny in f/ counts for the namespace in a/; the deployments in b/ and
        // c/ share an account; the role in e/ is what makes the binding in d/ too broad.
        assert_eq!(
            rules,
            [
                ("b/api.yaml", "pod-shared-service-account"),
                ("b/api.yaml", "pod-not-selected-by-allow-policy"),
                ("c/web.yaml", "pod-shared-service-account"),
                ("c/web.yaml", "pod-not-selected-by-allow-policy"),
                ("d/binding.yaml", "rbac-clusterrole-where-role-would-do"),
            ]
        );
        assert!(
            found[0].message.contains("also used by `web`"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn file_by_file_on_every_core_reports_as_one_serial_pass() {
        // Many files, several objects each (a List's items share its line), with
        // suppressions: the order must not depend on which core checked what.
        let list = format!(
            "kind: List\nitems:\n- {}\n- {}\n",
            serde_json::json!({"kind": "Pod", "metadata": {"name": "p1", "namespace": "n"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}),
            serde_json::json!({"kind": "Pod", "metadata": {"name": "p2", "namespace": "n", "annotations": {IGNORE_ANNOTATION: "image-digest: pinned elsewhere; pod-not-isolated"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}),
        );
        let mut files: Vec<(String, String)> = Vec::new();
        for i in 0..40 {
            let text = match i % 5 {
                0 => format!(
                    "{NAMESPACE}---\n{}",
                    deployment(&format!("app{i}"), "shared")
                ),
                1 => list.clone(),
                2 => format!("{BINDING}---\n{ROLE}"),
                3 => DENY.replace(
                    "podSelector: {}",
                    "podSelector: {matchLabels: {app.kubernetes.io/name: app0}}",
                ),
                _ => deployment("api", "shared"),
            };
            files.push((format!("f{i:02}.yaml"), text));
        }
        let files: Vec<(&str, String)> =
            files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let serial = serially(&files);
        assert!(serial.len() > 200, "{}", serial.len());
        assert_eq!(by_file(&files), serial);
        let all: String = files.iter().map(|(_, t)| format!("{t}---\n")).collect();
        let (docs, _) = crate::parse_documents("all.yaml", all.as_bytes());
        let one_file = [("all.yaml", all.clone())];
        assert_eq!(
            crate::check(&docs, &Options::default()),
            serially(&one_file)
        );
    }

    #[test]
    fn the_first_cluster_role_of_a_name_counts_whichever_batch_is_larger() {
        let options = Options::default();
        let file = |name: &str, text: &str| Checked::file(name, text.as_bytes(), &options).0;
        let broad = ROLE.replace("resources: [pods]", "resources: [nodes]");
        // Padding: other ServiceAccount users make a batch's index the larger one.
        let padding: String = (0..5)
            .map(|i| format!("---\n{}", deployment(&format!("pad{i}"), &format!("sa{i}"))))
            .collect();
        for (first_padding, second_padding) in [("", padding.as_str()), (padding.as_str(), "")] {
            let first = file("a.yaml", &format!("{ROLE}{first_padding}"));
            let second = file("b.yaml", &format!("{broad}---\n{BINDING}{second_padding}"));
            let found = first.then(second).findings();
            assert!(
                found
                    .iter()
                    .any(|f| f.rule == "rbac-clusterrole-where-role-would-do"),
                "{found:?}"
            );
        }
    }
}
