//! Naming a change: its units (namespaces and other files), topic and branch.

use rampart_git::Change;
use std::collections::BTreeSet;

/// What a change touches, one entry per unit: `clusters/<env>/namespaces/<ns>/` for
/// generated files, the path itself for anything else (e.g. `specs/shop.yaml`).
pub fn units(changes: &[Change]) -> BTreeSet<String> {
    changes.iter().map(|c| unit(&c.path)).collect()
}

/// The unit of one path (see [`units`]).
pub fn unit(path: &str) -> String {
    match namespace_of(path) {
        Some((env, ns)) => format!("clusters/{env}/namespaces/{ns}/"),
        None => path.to_owned(),
    }
}

/// `(env, namespace)` of a generated file's path.
pub fn namespace_of(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.splitn(5, '/');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("clusters"), Some(env), Some("namespaces"), Some(ns), Some(_)) => Some((env, ns)),
        _ => None,
    }
}

/// The namespaces a change touches: generated directories and requests (`specs/<ns>.yaml`).
pub fn namespaces(changes: &[Change]) -> BTreeSet<String> {
    changes
        .iter()
        .filter_map(|c| match namespace_of(&c.path) {
            Some((_, ns)) => Some(ns.to_owned()),
            None => c
                .path
                .strip_prefix("specs/")
                .and_then(|f| f.strip_suffix(".yaml").or_else(|| f.strip_suffix(".yml")))
                .map(str::to_owned),
        })
        .collect()
}

/// The branch of a change: `<prefix><topic>-<hash>`, where the topic is the one namespace
/// the change touches (else `render-<env or all>`) and the hash covers the base branch and
/// the units touched, not their content: the same change, rendered again with different
/// content (a request edited after review), lands on the same branch and pull request.
pub fn branch_name(prefix: &str, base: &str, env: Option<&str>, changes: &[Change]) -> String {
    let namespaces = namespaces(changes);
    let topic = match (namespaces.len(), namespaces.iter().next()) {
        (1, Some(ns)) => ns.clone(),
        _ => format!("render-{}", env.unwrap_or("all")),
    };
    let mut key = format!("{base}\n");
    for unit in units(changes) {
        key.push_str(&unit);
        key.push('\n');
    }
    let hash = rampart_git::blob_id(key.as_bytes()).to_string();
    format!("{prefix}{topic}-{}", &hash[..8])
}

/// The branch of a change with a fixed topic: `<prefix><topic>-<hash>`, the hash covering
/// the base branch and the topic only, so every change with this topic lands on it.
pub fn topic_branch_name(prefix: &str, base: &str, topic: &str) -> String {
    let hash = rampart_git::blob_id(format!("{base}\n{topic}\n").as_bytes()).to_string();
    format!("{prefix}{topic}-{}", &hash[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_git::ChangeKind;

    fn change(path: &str, content: &[u8]) -> Change {
        Change {
            path: path.to_owned(),
            kind: ChangeKind::Added,
            old_id: None,
            new_id: Some(rampart_git::blob_id(content)),
        }
    }

    #[test]
    fn the_same_units_give_the_same_branch_whatever_the_content() {
        let a = [
            change("specs/shop.yaml", b"1"),
            change("clusters/dev/namespaces/shop/rbac.yaml", b"1"),
        ];
        let b = [
            change("specs/shop.yaml", b"2"),
            change("clusters/dev/namespaces/shop/rbac.yaml", b"2"),
            change("clusters/dev/namespaces/shop/shop-api.yaml", b"2"),
        ];
        let name = branch_name("rampart/", "main", None, &a);
        assert!(name.starts_with("rampart/shop-"), "{name}");
        assert_eq!(name.len(), "rampart/shop-".len() + 8);
        assert_eq!(name, branch_name("rampart/", "main", None, &b));
        assert_ne!(name, branch_name("rampart/", "release", None, &a));
        let c = [change("clusters/prod/namespaces/shop/rbac.yaml", b"1")];
        assert_ne!(name, branch_name("rampart/", "main", None, &c));
    }

    #[test]
    fn several_namespaces_make_a_render_topic() {
        let changes = [
            change("clusters/dev/namespaces/a/x.yaml", b"1"),
            change("clusters/dev/namespaces/b/x.yaml", b"1"),
        ];
        let name = branch_name("rampart/", "main", Some("dev"), &changes);
        assert!(name.starts_with("rampart/render-dev-"), "{name}");
    }

    #[test]
    fn a_topic_names_the_branch_whatever_the_change_touches() {
        let name = topic_branch_name("rampart/", "main", "rotate-dev");
        assert!(name.starts_with("rampart/rotate-dev-"), "{name}");
        assert_eq!(name.len(), "rampart/rotate-dev-".len() + 8);
        assert_eq!(name, topic_branch_name("rampart/", "main", "rotate-dev"));
        assert_ne!(name, topic_branch_name("rampart/", "release", "rotate-dev"));
        assert_ne!(name, topic_branch_name("rampart/", "main", "rotate-prod"));
        assert!(rampart_git::branch_name_is_valid(&name));
    }
}
