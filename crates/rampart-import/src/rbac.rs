//! Owners from the groups bound to admin/edit/view (or Rampart's own team Roles), and each
//! app's rules from the Roles bound to its ServiceAccount.

use crate::apps::Found;
use crate::k8s::{items, kind, name, subject};
use crate::report::Notes;
use rampart_model::request::{Owners, RoleRule};
use rampart_policy::Document;
use serde_json::Value;

/// Which owner list a role bound to groups fills.
fn owner_role(role_kind: &str, role: &str) -> Option<usize> {
    match (role_kind, role) {
        ("ClusterRole", "admin") | ("Role", "rampart-admin") => Some(0),
        ("ClusterRole", "edit") | ("Role", "rampart-developer") => Some(1),
        ("ClusterRole", "view") | ("Role", "rampart-viewer") => Some(2),
        _ => None,
    }
}

/// The request's owners; other bindings of people are listed.
pub fn owners(objects: &[&Document], notes: &mut Notes) -> Owners {
    let mut lists: [Vec<String>; 3] = Default::default();
    for v in objects
        .iter()
        .map(|d| &d.value)
        .filter(|v| kind(v) == "RoleBinding")
    {
        let role_kind = v["roleRef"]["kind"].as_str().unwrap_or_default();
        let role = v["roleRef"]["name"].as_str().unwrap_or_default();
        let slot = owner_role(role_kind, role);
        for s in items(&v["subjects"]) {
            let who = s["name"].as_str().unwrap_or_default();
            match (s["kind"].as_str().unwrap_or_default(), slot) {
                ("Group", Some(i)) if !lists[i].iter().any(|g| g == who) => {
                    lists[i].push(who.to_owned());
                }
                ("Group", Some(_)) => {}
                ("Group", None) => notes.skipped(subject(v), format!("group `{who}` is bound to {role_kind} `{role}`: only admin, edit and view (or Rampart's team Roles) map to owners; this binding will no longer exist")),
                ("User", _) => notes.hardening(subject(v), format!("user `{who}` loses access: the namespace binds groups only (add the user's group to `owners`)"), "1.5"),
                _ => {}
            }
        }
    }
    let [admins, developers, viewers] = lists;
    Owners {
        admins,
        developers,
        viewers,
    }
}

/// Rules of the Roles bound to `app`'s ServiceAccount in namespace `ns`.
pub fn app_rules(
    ns: &str,
    app: &Found,
    objects: &[&Document],
    cluster: &[&Document],
    notes: &mut Notes,
) -> Vec<RoleRule> {
    let binds_app = |v: &Value| {
        items(&v["subjects"]).any(|s| {
            s["kind"] == "ServiceAccount"
                && s["name"].as_str() == Some(app.service_account.as_str())
                && s["namespace"].as_str().is_none_or(|n| n == ns)
        })
    };
    let mut rules: Vec<RoleRule> = Vec::new();
    for binding in objects
        .iter()
        .map(|d| &d.value)
        .filter(|v| kind(v) == "RoleBinding" && binds_app(v))
    {
        let role = binding["roleRef"]["name"].as_str().unwrap_or_default();
        if binding["roleRef"]["kind"] != "Role" {
            notes.hardening(subject(binding), format!("ClusterRole `{role}` bound to ServiceAccount `{}`: will no longer exist; name the rules the app needs under `apps[{}].rules`", app.service_account, app.app.name), "1.1");
            continue;
        }
        let Some(role_doc) = objects
            .iter()
            .map(|d| &d.value)
            .find(|v| kind(v) == "Role" && name(v) == role)
        else {
            notes.skipped(
                subject(binding),
                format!("Role `{role}` is not in the input: its rules are not imported"),
            );
            continue;
        };
        for rule in items(&role_doc["rules"]) {
            let list = |key: &str| -> Vec<String> {
                items(&rule[key])
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            };
            let imported = RoleRule {
                api_groups: list("apiGroups"),
                resources: list("resources"),
                verbs: list("verbs"),
                resource_names: list("resourceNames"),
            };
            let all = [&imported.api_groups, &imported.resources, &imported.verbs];
            if all.iter().any(|l| l.iter().any(|s| s.contains('*'))) {
                notes.hardening(subject(role_doc), format!("a rule with a wildcard ({}) is refused in requests: not imported; list the groups, resources and verbs `{}` needs", describe(&imported), app.app.name), "1.2");
                continue;
            }
            let own: Vec<&str> = app.app.secrets.iter().map(|s| s.name.as_str()).collect();
            let Some(imported) =
                admissible(imported, &subject(role_doc), &app.app.name, &own, notes)
            else {
                continue;
            };
            if !rules.contains(&imported) {
                rules.push(imported);
            }
        }
    }
    if app.service_account != app.app.name && app.workload.is_some() {
        notes.hardening(
            app.app.name.as_str(),
            format!(
                "runs as ServiceAccount `{}` today; gets a ServiceAccount `{}` of its own",
                app.service_account, app.app.name
            ),
            "1.3",
        );
    }
    for binding in cluster
        .iter()
        .map(|d| &d.value)
        .filter(|v| kind(v) == "ClusterRoleBinding")
    {
        let bound = items(&binding["subjects"]).any(|s| {
            s["kind"] == "ServiceAccount"
                && s["name"].as_str() == Some(app.service_account.as_str())
                && s["namespace"].as_str() == Some(ns)
        });
        if bound {
            notes.hardening(subject(binding), format!("binds ClusterRole `{}` to `{}`'s ServiceAccount cluster-wide: will no longer apply to the app's new ServiceAccount (Rampart grants namespaced Roles only); delete the binding once the namespace is imported", binding["roleRef"]["name"].as_str().unwrap_or_default(), app.app.name), "1.4");
        }
    }
    rules
}

/// Why `rule`'s access to Secrets is more than a request grants, in words; `None` when it
/// only gets Secrets the app declares, by name.
fn open_secret_access(rule: &RoleRule, own_secrets: &[&str]) -> Option<String> {
    let verbs = rule.verbs.join(", ");
    if rule.verbs.iter().any(|v| v == "list" || v == "watch") {
        return Some("lists or watches Secrets, which reads all their values".to_owned());
    }
    if rule.resource_names.is_empty() {
        return Some(format!(
            "may {verbs} any Secret of the namespace (the rule names none)"
        ));
    }
    let foreign: Vec<&str> = rule
        .resource_names
        .iter()
        .map(String::as_str)
        .filter(|n| !own_secrets.contains(n))
        .collect();
    (!foreign.is_empty()).then(|| {
        format!(
            "may {verbs} Secrets that are not its own: {}",
            foreign.join(", ")
        )
    })
}

fn describe(rule: &RoleRule) -> String {
    format!(
        "apiGroups {:?}, resources {:?}, verbs {:?}",
        rule.api_groups, rule.resources, rule.verbs
    )
}

/// The part of `rule` a request accepts: no Secret access by listing, without names or to
/// Secrets that are not the app's own
/// (checklist 4.5), no verb that grants rights, no unknown verb; `None` when nothing is left.
fn admissible(
    mut rule: RoleRule,
    role: &str,
    app: &str,
    own_secrets: &[&str],
    notes: &mut Notes,
) -> Option<RoleRule> {
    let refused: Vec<String> = rule
        .verbs
        .iter()
        .filter(|v| !rampart_model::request::API_VERBS.contains(&v.as_str()))
        .cloned()
        .collect();
    if !refused.is_empty() {
        notes.hardening(role, format!("verbs {refused:?} of `{app}`'s rules are refused in requests (they grant rights or are unknown): not imported"), "1.1");
        rule.verbs.retain(|v| !refused.contains(v));
    }
    if rule.resources.iter().any(|r| r == "secrets")
        && let Some(why) = open_secret_access(&rule, own_secrets)
    {
        notes.hardening(role, format!("`{app}` {why} ({}): not imported; an app may `get` only the Secrets it declares under its `secrets`", describe(&rule)), "4.5");
        rule.resources.retain(|r| r != "secrets");
    }
    let empty = rule.resources.is_empty() || rule.verbs.is_empty() || rule.api_groups.is_empty();
    (!empty).then_some(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], names: &[&str]) -> RoleRule {
        RoleRule {
            api_groups: vec![String::new()],
            resources: vec!["secrets".to_owned()],
            verbs: verbs.iter().map(|v| (*v).to_owned()).collect(),
            resource_names: names.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    #[test]
    fn each_kind_of_open_secret_access_is_named_for_what_it_is() {
        let own = ["db"];
        assert_eq!(
            open_secret_access(&rule(&["get", "list"], &["db"]), &own).as_deref(),
            Some("lists or watches Secrets, which reads all their values")
        );
        assert_eq!(
            open_secret_access(&rule(&["create"], &[]), &own).as_deref(),
            Some("may create any Secret of the namespace (the rule names none)")
        );
        assert_eq!(
            open_secret_access(&rule(&["get", "update"], &["db", "tls"]), &own).as_deref(),
            Some("may get, update Secrets that are not its own: tls")
        );
        assert_eq!(open_secret_access(&rule(&["get"], &["db"]), &own), None);
    }
}
