//! `--blueprints DIR`: a team's own templates, held to the same rules as the built-in ones.

use crate::support::Repo;
use std::path::{Path, PathBuf};

fn builtin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/hardened-namespace")
}

/// A copy of the built-in blueprint with `edit` applied to one template.
fn blueprint_with(repo: &Repo, template: &str, edit: impl Fn(String) -> String) -> String {
    let dir = repo.dir.parent().unwrap().join("blueprint");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(builtin()).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == template {
            text = edit(text);
        }
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
    dir.display().to_string()
}

#[test]
fn overriding_blueprint_changes_the_output() {
    let repo = Repo::init();
    let dir = blueprint_with(&repo, "limits.yaml.hbs", |t| {
        t.replace("name: namespace-quota", "name: team-quota")
    });
    repo.rampart(&["render", "--blueprints", &dir]).ok();
    assert!(
        repo.read("clusters/dev/namespaces/shop/limits.yaml")
            .contains("name: team-quota")
    );
    assert_eq!(repo.status(), "");
}

#[test]
fn blueprint_output_that_breaks_the_rules_is_refused_and_nothing_is_committed() {
    type Edit = fn(String) -> String;
    let cases: [(&str, Edit, &str); 5] = [
        (
            "rbac.yaml.hbs",
            |t| {
                t.replace(
                    "automountServiceAccountToken: false",
                    "automountServiceAcountToken: false",
                )
            },
            "unknown field `automountServiceAcountToken`",
        ),
        (
            "rbac.yaml.hbs",
            |t| {
                format!(
                    "{t}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: x}}\n"
                )
            },
            "unsupported kind `ClusterRoleBinding`",
        ),
        (
            "limits.yaml.hbs",
            |t| t.replace("{{json quota}}", "{{json namespace.quota}}"),
            "template limits.yaml.hbs failed for namespace shop",
        ),
        (
            "limits.yaml.hbs",
            |t| t.replace("namespace: {{namespace.name}}", "namespace: other"),
            "metadata.namespace must be `shop`",
        ),
        (
            "namespace.yaml.hbs",
            |t| {
                t.replace(
                    "{{#each namespace.labels}}",
                    "{{#each environment.dns.podLabels}}",
                )
            },
            "label `app.kubernetes.io/managed-by: rampart` is missing",
        ),
    ];
    for (template, edit, expected) in cases {
        let repo = Repo::init();
        repo.write(
            "specs/shop.yaml",
            &repo.read("specs/shop.yaml").replace("cc-4711", "cc-1"),
        );
        let dir = blueprint_with(&repo, template, edit);
        let before = repo.state();
        let out = repo.rampart(&["render", "--blueprints", &dir]);
        assert_eq!(out.code, 1, "{template}: {out:?}");
        assert!(
            out.stderr.contains(expected),
            "{template}: want {expected:?} in\n{}",
            out.stderr
        );
        assert!(out.stderr.contains("nothing was committed"));
        assert_eq!(repo.state(), before, "{template}");
    }
}
