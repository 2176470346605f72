//! Section 1 (RBAC) and 4.5 (secret access through RBAC).

use serde_json::Value;

use super::{
    RBAC_BROAD_GROUP, RBAC_CLUSTER_ADMIN, RBAC_CLUSTERROLE_WHERE_ROLE, RBAC_SECRET_READ,
    RBAC_USER_SUBJECT, RBAC_WILDCARD,
};
use crate::facts::Index;
use crate::finding::Finding;
use crate::object::{Object, Subject, items, strings};

/// Groups that every user, every anonymous request or every service account is in.
const BROAD_GROUPS: [&str; 3] = [
    "system:authenticated",
    "system:unauthenticated",
    "system:serviceaccounts",
];

/// Built-in ClusterRoles that grant (nearly) everything when bound cluster-wide: cluster-admin,
/// and `admin`/`edit`, which bound by a ClusterRoleBinding reach every namespace's Secrets
/// and workloads.
const POWERFUL_ROLES: [&str; 3] = ["cluster-admin", "admin", "edit"];

/// Cluster-scoped resources (any other resource is taken to be namespaced).
const CLUSTER_SCOPED: [&str; 22] = [
    "nodes",
    "namespaces",
    "persistentvolumes",
    "clusterroles",
    "clusterrolebindings",
    "customresourcedefinitions",
    "storageclasses",
    "priorityclasses",
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "certificatesigningrequests",
    "apiservices",
    "runtimeclasses",
    "ingressclasses",
    "csidrivers",
    "csinodes",
    "volumeattachments",
    "tokenreviews",
    "subjectaccessreviews",
    "selfsubjectaccessreviews",
];

const READ_VERBS: [&str; 4] = ["get", "list", "watch", "*"];

/// Checks Roles, ClusterRoles, RoleBindings and ClusterRoleBindings.
pub(crate) fn check(obj: &Object<'_>, out: &mut Vec<Finding>) {
    match obj.kind {
        "Role" | "ClusterRole" => check_role(obj, out),
        "RoleBinding" | "ClusterRoleBinding" => check_binding(obj, out),
        _ => {}
    }
}

fn check_role(obj: &Object<'_>, out: &mut Vec<Finding>) {
    for (i, rule) in items(obj.value().get("rules")).iter().enumerate() {
        for field in ["apiGroups", "resources", "verbs", "nonResourceURLs"] {
            if let Some(w) = strings(rule.get(field))
                .into_iter()
                .find(|s| s.contains('*'))
            {
                out.push(obj.finding(
                    &RBAC_WILDCARD,
                    &format!("rules[{i}].{field}"),
                    &format!("`{w}` matches every entry, present and future"),
                    &format!("list the {field} the role needs explicitly"),
                ));
            }
        }
        let resources = strings(rule.get("resources"));
        let groups = strings(rule.get("apiGroups"));
        let verbs = strings(rule.get("verbs"));
        let core =
            rule.get("apiGroups").is_none() || groups.iter().any(|g| g.is_empty() || *g == "*");
        if resources.contains(&"secrets")
            && core
            && verbs.iter().any(|v| READ_VERBS.contains(v))
            && strings(rule.get("resourceNames")).is_empty()
        {
            out.push(obj.finding(
                &RBAC_SECRET_READ,
                &format!("rules[{i}].resources"),
                "reads every Secret (get/list/watch without resourceNames)",
                "grant `get` on the named Secrets only (resourceNames), or deliver secrets through an external secrets manager",
            ));
        }
    }
}

fn check_binding(obj: &Object<'_>, out: &mut Vec<Finding>) {
    let cluster = obj.kind == "ClusterRoleBinding";
    let role_ref = obj.value().get("roleRef");
    let role_name = role_ref.and_then(|r| r.get("name")).and_then(Value::as_str);
    if cluster && let Some(role) = role_name.filter(|r| POWERFUL_ROLES.contains(r)) {
        out.push(obj.finding(
            &RBAC_CLUSTER_ADMIN,
            "roleRef.name",
            &format!("binds `{role}` cluster-wide"),
            "bind a namespaced Role (or a narrower ClusterRole through a RoleBinding) instead",
        ));
    }
    for (i, subject) in items(obj.value().get("subjects")).iter().enumerate() {
        let kind = subject.get("kind").and_then(Value::as_str).unwrap_or("");
        let name = subject.get("name").and_then(Value::as_str).unwrap_or("");
        if cluster && kind == "Group" && BROAD_GROUPS.contains(&name) {
            out.push(obj.finding(
                &RBAC_BROAD_GROUP,
                &format!("subjects[{i}]"),
                &format!("binds group `{name}` cluster-wide"),
                "bind the specific groups or service accounts that need the role",
            ));
        }
        if kind == "User" {
            out.push(obj.finding(
                &RBAC_USER_SUBJECT,
                &format!("subjects[{i}]"),
                &format!("binds the individual user `{name}`"),
                "bind a Group from your identity provider and manage membership there",
            ));
        }
    }
}

/// Whether a ClusterRole grants only namespaced resources: it has rules, none with
/// nonResourceURLs, a wildcard or a cluster-scoped resource, and it is not aggregated.
pub(crate) fn only_namespaced(role: &Value) -> bool {
    let rules = items(role.get("rules"));
    role.get("aggregationRule").is_none()
        && !rules.is_empty()
        && rules.iter().all(|rule| {
            let resources = strings(rule.get("resources"));
            strings(rule.get("nonResourceURLs")).is_empty()
                && !resources.is_empty()
                && resources.iter().all(|r| {
                    let base = r.split('/').next().unwrap_or(r);
                    !base.contains('*') && !CLUSTER_SCOPED.contains(&base)
                })
        })
}

/// For a ClusterRoleBinding of a ClusterRole: the ClusterRole's name.
pub(crate) fn bound_cluster_role<'a>(obj: &Object<'a>) -> Option<&'a str> {
    if obj.kind != "ClusterRoleBinding" {
        return None;
    }
    let role_ref = obj.value().get("roleRef");
    if role_ref.and_then(|r| r.get("kind")).and_then(Value::as_str) != Some("ClusterRole") {
        return None;
    }
    role_ref.and_then(|r| r.get("name")).and_then(Value::as_str)
}

/// For a ClusterRoleBinding of ClusterRole `name`: that role, if defined in `index`,
/// grants only namespaced resources, so a RoleBinding per namespace would do.
pub(crate) fn check_role_scope(
    binding: &Subject,
    name: &str,
    index: &Index,
    out: &mut Vec<Finding>,
) {
    if index.cluster_roles.get(name) == Some(&true) {
        out.push(binding.finding(
            &RBAC_CLUSTERROLE_WHERE_ROLE,
            "roleRef.name",
            &format!(
                "binds ClusterRole `{name}` cluster-wide, but it grants only namespaced resources (access to them in every namespace)"
            ),
            "grant it per namespace: a RoleBinding to the ClusterRole (or a Role) in each namespace that needs it",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{ids, run};

    #[test]
    fn cluster_wide_admin_and_edit_are_powerful_too() {
        for role in ["cluster-admin", "admin", "edit"] {
            let text = format!(
                "kind: ClusterRoleBinding\nmetadata: {{name: b}}\nroleRef: {{kind: ClusterRole, name: {role}}}\nsubjects: [{{kind: Group, name: ops}}]\n"
            );
            let f = run(&text);
            assert_eq!(ids(&f), ["rbac-cluster-admin-binding"], "{role}");
            assert!(
                f[0].message
                    .contains(&format!("binds `{role}` cluster-wide")),
                "{}",
                f[0].message
            );
        }
        let view = run(
            "kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: view}\nsubjects: [{kind: Group, name: ops}]\n",
        );
        assert!(view.is_empty(), "{view:?}");
    }

    #[test]
    fn wildcards_and_secret_reads_in_roles() {
        let f = run(
            "kind: ClusterRole\nmetadata: {name: r}\nrules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: ['*']\n",
        );
        assert_eq!(ids(&f), ["rbac-wildcard", "rbac-secret-read"]);
        assert!(
            f[0].message.contains("ClusterRole/r rules[0].verbs"),
            "{}",
            f[0].message
        );
        let named = run(
            "kind: Role\nmetadata: {name: r, namespace: n}\nrules:\n- apiGroups: ['']\n  resources: [secrets]\n  resourceNames: [db]\n  verbs: [get]\n",
        );
        assert!(named.is_empty(), "{named:?}");
    }

    #[test]
    fn cluster_admin_broad_groups_and_users() {
        let f = run(
            "kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects:\n- {kind: Group, name: 'system:authenticated'}\n- {kind: User, name: alice}\n",
        );
        assert_eq!(
            ids(&f),
            [
                "rbac-cluster-admin-binding",
                "rbac-broad-group-binding",
                "rbac-user-subject"
            ]
        );
        let ok = run(
            "kind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {kind: Role, name: x}\nsubjects:\n- {kind: Group, name: devs}\n",
        );
        assert!(ok.is_empty(), "{ok:?}");
    }

    const BINDING: &str = "kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: r}\nsubjects:\n- {kind: Group, name: devs}\n---\n";

    #[test]
    fn a_cluster_role_of_namespaced_resources_bound_cluster_wide() {
        let f = run(&format!(
            "{BINDING}kind: ClusterRole\nmetadata: {{name: r}}\nrules:\n- apiGroups: ['', apps]\n  resources: [pods, pods/log, deployments]\n  verbs: [get]\n"
        ));
        assert_eq!(ids(&f), ["rbac-clusterrole-where-role-would-do"]);
        assert!(
            f[0].message
                .starts_with("ClusterRoleBinding/b roleRef.name: binds ClusterRole `r`"),
            "{}",
            f[0].message
        );
        for rules in [
            "- apiGroups: ['']\n  resources: [pods, nodes]\n  verbs: [get]\n",
            "- nonResourceURLs: [/healthz]\n  verbs: [get]\n",
        ] {
            let yaml =
                format!("{BINDING}kind: ClusterRole\nmetadata: {{name: r}}\nrules:\n{rules}");
            assert!(run(&yaml).is_empty(), "{:?}", run(&yaml));
        }
        // A ClusterRole that is not in the input is not judged.
        assert!(run(BINDING.trim_end_matches("---\n")).is_empty());
    }
}
