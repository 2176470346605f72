//! A render that reuses what earlier runs left (the render cache, the gitops cache, the
//! commit it builds on) commits exactly the tree a fresh full render of the same inputs
//! commits, whatever kind of edit came in between.

use crate::support::{Repo, git};

/// The tree a render of `repo`'s inputs commits with nothing to reuse: a clone (no caches:
/// `.git/rampart` is not cloned) with every generated file removed, rendered.
fn full_render_tree(repo: &Repo, args: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("clone");
    git(
        tmp.path(),
        &["clone", "-q", repo.dir.to_str().unwrap(), "clone"],
    );
    std::fs::remove_dir_all(clone.join("clusters")).unwrap();
    let mut all = vec!["-v", "render"];
    all.extend_from_slice(args);
    let out = crate::support::rampart(&clone, &all);
    out.ok();
    assert_eq!(logged(&out.stderr, "render cache read", "reused"), "0");
    git(&clone, &["rev-parse", "HEAD^{tree}"]).trim().to_owned()
}

/// The value of `field` on the first log line containing `what`.
fn logged(stderr: &str, what: &str, field: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no {what:?} in the log:\n{stderr}"));
    let tail = line
        .split(&format!("{field}="))
        .nth(1)
        .unwrap_or_else(|| panic!("no {field} in {line}"));
    tail.split(' ').next().unwrap().to_owned()
}

/// `rampart -v render ARGS` in `repo`: how many namespaces it reused, and whether each
/// environment's gitops files were reused.
fn render(repo: &Repo, args: &[&str]) -> (usize, Vec<String>) {
    let mut all = vec!["-v", "render"];
    all.extend_from_slice(args);
    let out = repo.rampart(&all);
    out.ok();
    assert_eq!(repo.status(), "", "{out:?}");
    let reused = logged(&out.stderr, "render cache read", "reused")
        .parse()
        .unwrap();
    let gitops = out
        .stderr
        .lines()
        .filter(|l| l.contains("gitops files"))
        .map(|l| logged(l, "gitops files", "reused"))
        .collect();
    (reused, gitops)
}

fn tree(repo: &Repo) -> String {
    repo.git(&["rev-parse", "HEAD^{tree}"]).trim().to_owned()
}

#[test]
fn an_incremental_render_commits_the_tree_of_a_fresh_full_render_after_every_kind_of_edit() {
    let repo = Repo::init();
    let all_reused = || vec!["true".to_owned(); 3];
    let none_reused = || vec!["false".to_owned(); 3];
    assert_eq!(render(&repo, &[]), (3, all_reused()), "nothing changed");

    // One request's value: that namespace renders again; the gitops files (which list
    // namespaces, teams and file names, not values) are reused.
    let spec = repo.read("specs/shop.yaml");
    repo.write(
        "specs/shop.yaml",
        &spec.replace("replicas: 3", "replicas: 4"),
    );
    assert_eq!(render(&repo, &[]), (0, all_reused()), "a changed request");
    assert_eq!(tree(&repo), full_render_tree(&repo, &[]));

    // A request added, then its team changed (the gitops files name teams), then removed.
    repo.rampart(&["new", "other", "--team", "t", "--app", "api"])
        .ok();
    assert_eq!(render(&repo, &[]), (6, all_reused()), "after `new`");
    assert_eq!(tree(&repo), full_render_tree(&repo, &[]));
    let other = repo.read("specs/other.yaml");
    repo.write(
        "specs/other.yaml",
        &other.replace("team: \"t\"", "team: \"u\""),
    );
    assert_eq!(render(&repo, &[]), (3, none_reused()), "a changed team");
    assert_eq!(tree(&repo), full_render_tree(&repo, &[]));
    std::fs::remove_file(repo.dir.join("specs/other.yaml")).unwrap();
    assert_eq!(render(&repo, &[]), (3, none_reused()), "a removed request");
    assert_eq!(tree(&repo), full_render_tree(&repo, &[]));

    // An environment's values.
    let prod = repo.read("environments/prod.yaml");
    repo.write(
        "environments/prod.yaml",
        &prod.replace("replicas: 3", "replicas: 5"),
    );
    assert_eq!(
        render(&repo, &[]),
        (2, all_reused()),
        "a changed environment"
    );
    assert_eq!(tree(&repo), full_render_tree(&repo, &[]));

    // rampart.yaml (the gitops files follow the branch it names).
    let config = repo.read("rampart.yaml");
    repo.write(
        "rampart.yaml",
        &format!("{config}\n# a comment changes the file, not the output\n"),
    );
    assert_eq!(
        render(&repo, &[]),
        (3, none_reused()),
        "a changed rampart.yaml"
    );
    assert_eq!(tree(&repo), full_render_tree(&repo, &[]));

    // A blueprint: an identical copy renders the same tree; an edited one renders
    // everything again.
    let bp = crate::render_cache::copy_of_the_builtin_blueprint(&repo);
    let limits = bp.join("limits.yaml.hbs");
    let text = std::fs::read_to_string(&limits).unwrap();
    std::fs::write(&limits, text.replace("namespace-quota", "quota")).unwrap();
    let args = ["--blueprints", bp.to_str().unwrap()];
    assert_eq!(
        render(&repo, &args),
        (0, all_reused()),
        "a changed blueprint"
    );
    assert!(
        repo.read("clusters/dev/namespaces/shop/limits.yaml")
            .contains("name: quota")
    );
    assert_eq!(tree(&repo), full_render_tree(&repo, &args));
}
