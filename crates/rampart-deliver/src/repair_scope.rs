//! What a render that commits checks of the work tree afterwards.
//!
//! A render with nothing to commit compares every generated file with the work tree and
//! repairs hand edits anywhere. A render that commits a change looks only where it worked:
//! the namespaces it rendered again (not reused from the render cache), the namespaces its
//! commit changed, and each environment's own files (kustomization, `cluster/`, `gitops/`).
//! Stat-ing the 240,000 files of 30,000 unchanged namespaces cost more than the whole rest
//! of a one-request edit (issue 30); a hand edit in such a namespace stays as it is, is
//! reported by `render --check` (which compares everything), and is repaired by the next
//! `render` that has nothing to commit.

use rampart_git::{Change, Files};
use std::collections::HashSet;

/// `clusters/<env>/namespaces/<ns>/` of `path`, if it is a namespace's file.
pub fn namespace_dir(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("clusters/")?;
    let env_end = rest.find('/')?;
    let after_env = rest[env_end + 1..].strip_prefix("namespaces/")?;
    let ns_end = after_env.find('/')?;
    let end = "clusters/".len() + env_end + 1 + "namespaces/".len() + ns_end + 1;
    Some(&path[..end])
}

/// The generated files and owned prefixes a render that committed `changes` compares with
/// the work tree: everything generated except the files of namespaces in `reused` (reused
/// from the render cache) that `changes` does not touch. `output_prefixes` are the owned
/// prefixes of generated files (`clusters/<env>/namespaces/`, `cluster/`, `gitops/`); the
/// namespace-wide ones are narrowed to the namespaces checked.
pub fn after_commit(
    files: &Files,
    output_prefixes: &[String],
    reused: &HashSet<String>,
    changes: &[Change],
) -> (Files, Vec<String>) {
    let changed: HashSet<&str> = changes
        .iter()
        .filter_map(|c| namespace_dir(&c.path))
        .collect();
    let checked = |dir: &str| !reused.contains(dir) || changed.contains(dir);
    let subset: Files = files
        .iter()
        .filter(|(path, _)| path.starts_with("clusters/"))
        .filter(|(path, _)| namespace_dir(path).is_none_or(checked))
        .map(|(path, content)| (path.clone(), content.clone()))
        .collect();
    let mut dirs: Vec<String> = subset
        .keys()
        .filter_map(|path| namespace_dir(path))
        .chain(changed.iter().copied())
        .map(str::to_owned)
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    let prefixes = output_prefixes
        .iter()
        .filter(|p| !p.ends_with("/namespaces/"))
        .cloned()
        .chain(dirs)
        .collect();
    (subset, prefixes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_git::{ChangeKind, Content, Oid};

    #[test]
    fn namespace_dir_is_found_only_below_an_environments_namespaces() {
        let cases = [
            (
                "clusters/dev/namespaces/shop/rbac.yaml",
                Some("clusters/dev/namespaces/shop/"),
            ),
            (
                "clusters/dev/namespaces/shop/sub/x.yaml",
                Some("clusters/dev/namespaces/shop/"),
            ),
            ("clusters/dev/namespaces/shop", None),
            ("clusters/dev/kustomization.yaml", None),
            ("clusters/dev/cluster/namespaces/x/y.yaml", None),
            ("specs/shop.yaml", None),
        ];
        for (path, want) in cases {
            assert_eq!(namespace_dir(path), want, "{path}");
        }
    }

    #[test]
    fn reused_namespaces_are_left_out_unless_the_commit_changed_them() {
        let file = |p: &str| (p.to_owned(), Content::plain(p.as_bytes().to_vec()));
        let files: Files = [
            file("rampart.yaml"),
            file("specs/a.yaml"),
            file("clusters/dev/kustomization.yaml"),
            file("clusters/dev/cluster/audit.yaml"),
            file("clusters/dev/namespaces/a/rbac.yaml"),
            file("clusters/dev/namespaces/b/rbac.yaml"),
            file("clusters/dev/namespaces/c/rbac.yaml"),
        ]
        .into_iter()
        .collect();
        let owned = [
            "clusters/dev/namespaces/".to_owned(),
            "clusters/dev/cluster/".to_owned(),
        ];
        let reused: HashSet<String> = ["clusters/dev/namespaces/a/", "clusters/dev/namespaces/b/"]
            .map(str::to_owned)
            .into();
        let change = |path: &str| Change {
            path: path.to_owned(),
            kind: ChangeKind::Modified,
            old_id: Some(Oid::ZERO_SHA1),
            new_id: Some(Oid::ZERO_SHA1),
        };
        let changes = [
            change("clusters/dev/namespaces/b/rbac.yaml"),
            change("clusters/dev/namespaces/gone/rbac.yaml"),
        ];
        let (subset, prefixes) = after_commit(&files, &owned, &reused, &changes);
        assert_eq!(
            subset.keys().collect::<Vec<_>>(),
            [
                "clusters/dev/cluster/audit.yaml",
                "clusters/dev/kustomization.yaml",
                "clusters/dev/namespaces/b/rbac.yaml",
                "clusters/dev/namespaces/c/rbac.yaml",
            ]
        );
        assert_eq!(
            prefixes,
            [
                "clusters/dev/cluster/",
                "clusters/dev/namespaces/b/",
                "clusters/dev/namespaces/c/",
                "clusters/dev/namespaces/gone/",
            ]
        );
    }
}
