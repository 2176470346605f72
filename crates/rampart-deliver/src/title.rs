//! Commit subjects and pull-request titles: either a fixed text (a rotation's, `new`'s) or
//! one that names what the change touches — its namespaces and environments — rather than
//! everything the repository holds.

use crate::delivery::branch;
use rampart_git::Change;
use std::collections::BTreeSet;

/// Namespaces named in a title before they are counted instead.
const NAMED: usize = 3;

/// How a change's title is worded.
#[derive(Debug, Clone, Copy)]
pub enum Title<'a> {
    /// Exactly this text (its first line is the subject; the rest opens the PR body).
    Fixed(&'a str),
    /// `<verb> <namespaces> (<environments>)` from the changed paths, environments in
    /// `order` (rampart.yaml's), e.g. `rampart: render billing (dev, prod)`.
    Touched { verb: &'a str, order: &'a [String] },
}

impl Title<'_> {
    /// The title of a change made of `changes`.
    pub fn of(&self, changes: &[Change]) -> String {
        match *self {
            Title::Fixed(text) => text.to_owned(),
            Title::Touched { verb, order } => format!("{verb} {}", touched(changes, order)),
        }
    }
}

/// "billing, cluster config (dev, staging)": what `changes` touch.
fn touched(changes: &[Change], order: &[String]) -> String {
    let namespaces = branch::namespaces(changes);
    let mut what: Vec<String> = match namespaces.len() {
        0 => Vec::new(),
        n if n <= NAMED => namespaces.into_iter().collect(),
        n => vec![format!("{n} namespaces")],
    };
    if changes.iter().any(|c| is_cluster_config(&c.path)) {
        what.push("cluster config".to_owned());
    }
    if what.is_empty() {
        // Only other inputs (rampart.yaml, an environment file) changed.
        let files: BTreeSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        what.push(match files.len() {
            n if n <= NAMED => files.into_iter().collect::<Vec<_>>().join(", "),
            n => format!("{n} files"),
        });
    }
    let what = what.join(", ");
    let environments = environments(changes, order);
    if environments.is_empty() {
        what
    } else {
        format!("{what} ({})", environments.join(", "))
    }
}

fn is_cluster_config(path: &str) -> bool {
    let mut parts = path.splitn(4, '/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("clusters"), Some(_), Some("cluster"))
    )
}

/// The environments whose files `changes` touch (`clusters/<env>/…`,
/// `environments/<env>.yaml`), in `order`, then any others by name.
fn environments<'c>(changes: &'c [Change], order: &[String]) -> Vec<&'c str> {
    let found: BTreeSet<&str> = changes
        .iter()
        .filter_map(|c| environment_of(&c.path))
        .collect();
    let rank = |e: &str| order.iter().position(|o| o == e).unwrap_or(order.len());
    let mut found: Vec<&str> = found.into_iter().collect();
    found.sort_by_key(|e| rank(e)); // stable: unknown ones stay sorted by name
    found
}

fn environment_of(path: &str) -> Option<&str> {
    if let Some(rest) = path.strip_prefix("clusters/") {
        return rest.split_once('/').map(|(env, _)| env);
    }
    let file = path.strip_prefix("environments/")?;
    file.strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
}

#[cfg(test)]
mod tests {
    use super::Title;
    use rampart_git::{Change, ChangeKind};

    fn change(path: &str) -> Change {
        Change {
            path: path.to_owned(),
            kind: ChangeKind::Modified,
            old_id: None,
            new_id: None,
        }
    }

    fn render(paths: &[&str]) -> String {
        let order = ["dev".to_owned(), "staging".to_owned(), "prod".to_owned()];
        let changes: Vec<Change> = paths.iter().map(|p| change(p)).collect();
        Title::Touched {
            verb: "rampart: render",
            order: &order,
        }
        .of(&changes)
    }

    #[test]
    fn names_only_the_namespaces_and_environments_changed() {
        assert_eq!(
            render(&[
                "specs/billing.yaml",
                "clusters/prod/namespaces/billing/rbac.yaml",
                "clusters/dev/namespaces/billing/rbac.yaml",
                "clusters/staging/namespaces/billing/rbac.yaml",
            ]),
            "rampart: render billing (dev, staging, prod)"
        );
        assert_eq!(
            render(&["clusters/prod/namespaces/shop/limits.yaml"]),
            "rampart: render shop (prod)"
        );
    }

    #[test]
    fn counts_many_namespaces_and_names_cluster_config_and_other_inputs() {
        let many: Vec<String> = (0..5)
            .map(|i| format!("clusters/dev/namespaces/ns{i}/rbac.yaml"))
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(render(&many), "rampart: render 5 namespaces (dev)");
        assert_eq!(
            render(&[
                "clusters/staging/cluster/audit/policy.yaml",
                "clusters/staging/namespaces/shop/rbac.yaml",
                "clusters/qa/kustomization.yaml",
            ]),
            "rampart: render shop, cluster config (staging, qa)"
        );
        assert_eq!(
            render(&["environments/prod.yaml"]),
            "rampart: render environments/prod.yaml (prod)"
        );
        assert_eq!(render(&["rampart.yaml"]), "rampart: render rampart.yaml");
    }

    #[test]
    fn a_fixed_title_is_kept() {
        let changes = [change("clusters/dev/namespaces/a/rbac.yaml")];
        assert_eq!(
            Title::Fixed("rampart: new namespace a").of(&changes),
            "rampart: new namespace a"
        );
    }
}
