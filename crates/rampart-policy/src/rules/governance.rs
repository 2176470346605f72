//! Secrets in the repository (4.7), Pod Security Admission (3.1/3.2) and labels (2.3).

use rampart_yaml::edit::Patch;
use serde_json::Value;

use super::pods::pod_template;
use super::{NAMESPACE_PSA, SECRET_IN_REPO, WORKLOAD_NAME_LABEL};
use crate::finding::Finding;
use crate::object::Object;

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
const NAME_LABEL: &str = "app.kubernetes.io/name";

/// Checks Secrets, Namespaces and workload labels.
pub(crate) fn check(obj: &Object<'_>, out: &mut Vec<Finding>) {
    match obj.kind {
        "Secret" => check_secret(obj, out),
        "Namespace" => check_namespace(obj, out),
        _ => check_labels(obj, out),
    }
}

fn check_secret(obj: &Object<'_>, out: &mut Vec<Finding>) {
    for field in ["data", "stringData"] {
        let non_empty = obj
            .value()
            .get(field)
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty());
        if non_empty {
            out.push(obj.finding(
                &SECRET_IN_REPO,
                field,
                "a Secret's values are committed to version control",
                "remove the Secret from the repository and rotate its values; deliver it with an external secrets manager (e.g. an ExternalSecret)",
            ));
        }
    }
}

fn check_namespace(obj: &Object<'_>, out: &mut Vec<Finding>) {
    let level = obj
        .value()
        .pointer("/metadata/labels")
        .and_then(|l| l.get(ENFORCE))
        .and_then(Value::as_str);
    let problem = match level {
        Some("restricted") => return,
        Some(other) => format!("is `{other}`, not `restricted`"),
        None => "is missing (Pod Security Admission does not enforce anything)".to_owned(),
    };
    let path = format!("metadata.labels.\"{ENFORCE}\"");
    let fix = Patch::at(&path, Patch::Scalar(Value::from("restricted")));
    out.push(
        obj.finding(
            &NAMESPACE_PSA,
            &path,
            &problem,
            "label the namespace `pod-security.kubernetes.io/enforce: restricted`",
        )
        .with_autofix(fix),
    );
}

fn check_labels(obj: &Object<'_>, out: &mut Vec<Finding>) {
    let Some(pod) = pod_template(obj) else {
        return;
    };
    let has_label = |meta: Option<&Value>| {
        meta.and_then(|m| m.get("labels"))
            .and_then(|l| l.get(NAME_LABEL))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let mut places = vec![(pod.meta_path, pod.meta)];
    if obj.kind != "Pod" {
        places.insert(0, ("metadata", obj.value().get("metadata")));
    }
    for (path, meta) in places {
        if !has_label(meta) {
            out.push(obj.finding(
                &WORKLOAD_NAME_LABEL,
                &format!("{path}.labels"),
                &format!("has no `{NAME_LABEL}` label"),
                &format!("label it `{NAME_LABEL}: <app>` and select pods by that label in NetworkPolicies and Services"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{ids, run};

    #[test]
    fn secrets_with_values_are_flagged_without_showing_them() {
        let f = run(
            "kind: Secret\nmetadata: {name: s, namespace: n}\nstringData: {password: hunter2}\n",
        );
        assert_eq!(ids(&f), ["secret-in-repository"]);
        assert!(!f[0].message.contains("hunter2"));
        assert!(run("kind: Secret\nmetadata: {name: s}\ntype: Opaque\n").is_empty());
    }

    #[test]
    fn namespaces_must_enforce_restricted() {
        let base = "kind: Namespace\nmetadata:\n  name: n\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n";
        let f = run(base);
        assert_eq!(
            ids(&f),
            ["namespace-default-deny", "namespace-pod-security"]
        );
        assert!(f[1].message.contains("`baseline`"), "{}", f[1].message);
        let missing = run("kind: Namespace\nmetadata: {name: n}\n");
        assert!(
            missing[1].message.contains("is missing"),
            "{}",
            missing[1].message
        );
    }

    #[test]
    fn workloads_and_pod_templates_need_the_name_label() {
        let f = run("kind: Job\nmetadata: {name: j}\nspec: {template: {spec: {}}}\n");
        let labels: Vec<_> = f
            .iter()
            .filter(|f| f.rule == "workload-name-label")
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(labels.len(), 2, "{labels:?}");
        assert!(labels[1].contains("spec.template.metadata.labels"));
    }
}
