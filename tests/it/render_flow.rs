//! init → render → check → plan → edit → render, on a real repository.

use crate::support::{Repo, git};

#[test]
fn init_commits_inputs_and_rendered_namespaces_and_leaves_the_tree_clean() {
    let repo = Repo::init();
    assert_eq!(
        repo.commit_count(),
        2,
        "init commits the scaffold, then its render"
    );
    assert_eq!(repo.status(), "", "work tree clean after init");
    let files = repo.files_under("clusters/prod/namespaces/shop");
    assert_eq!(
        files,
        [
            "external-secrets.yaml",
            "kustomization.yaml",
            "limits.yaml",
            "namespace.yaml",
            "network-policies.yaml",
            "rbac.yaml",
            "workload-api.yaml",
            "workload-web.yaml",
        ]
        .map(|f| format!("clusters/prod/namespaces/shop/{f}"))
    );
    for env in ["dev", "staging", "prod"] {
        assert!(
            repo.read(&format!("clusters/{env}/kustomization.yaml"))
                .contains("- namespaces/shop\n")
        );
    }
    let tracked = repo.git(&["ls-files"]);
    for input in ["rampart.yaml", "environments/prod.yaml", "specs/shop.yaml"] {
        assert!(tracked.lines().any(|l| l == input), "{input} not committed");
    }
}

#[test]
fn init_on_an_existing_rampart_repository_is_a_usage_error_that_changes_nothing() {
    let repo = Repo::init();
    let before = repo.state();
    let dir = repo.dir.display().to_string();
    let out = crate::support::rampart(repo.dir.parent().unwrap(), &["init", &dir]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.starts_with(&format!(
            "error: {dir} already holds rampart.yaml: it is a Rampart repository; use `rampart render --repo {dir}`"
        )),
        "{out:?}"
    );
    assert!(!out.stderr.contains("nothing was committed"), "{out:?}");
    assert_eq!(repo.state(), before);
}

#[test]
fn rerun_with_unchanged_inputs_writes_nothing_and_makes_no_commit() {
    let repo = Repo::init();
    let before = repo.state();
    let out = repo.rampart(&["render"]);
    assert!(out.ok().contains("up to date"), "{}", out.stdout);
    assert_eq!(repo.state(), before);
    assert!(repo.rampart(&["plan"]).ok().contains("no changes"));
    assert!(repo.rampart(&["render", "--check"]).ok().starts_with("ok:"));
}

#[test]
fn check_lists_stale_hand_edited_and_leftover_files_and_writes_nothing() {
    let repo = Repo::init();
    let rbac = "clusters/dev/namespaces/shop/rbac.yaml";
    repo.write(
        rbac,
        &repo.read(rbac).replace(
            "automountServiceAccountToken: false",
            "automountServiceAccountToken: true",
        ),
    );
    repo.write(
        "clusters/prod/namespaces/shop/extra.yaml",
        "kind: ConfigMap\n",
    );
    std::fs::remove_file(
        repo.dir
            .join("clusters/staging/namespaces/shop/limits.yaml"),
    )
    .unwrap();
    let before = repo.state();
    let out = repo.rampart(&["render", "--check"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("clusters/dev/namespaces/shop/rbac.yaml: stale or hand-edited"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("clusters/prod/namespaces/shop/extra.yaml: left over"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("clusters/staging/namespaces/shop/limits.yaml: missing"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("3 generated file(s) out of date"),
        "{}",
        out.stdout
    );
    assert_eq!(repo.state(), before, "--check writes nothing");

    // `render` repairs the work tree without a commit: HEAD already holds the right content.
    let head = repo.head();
    repo.rampart(&["render"]).ok();
    assert_eq!(repo.head(), head);
    assert!(repo.rampart(&["render", "--check"]).ok().starts_with("ok:"));
    assert_eq!(repo.status(), "");
}

#[test]
fn plan_prints_the_diff_render_then_commits() {
    let repo = Repo::init();
    let spec = repo
        .read("specs/shop.yaml")
        .replace("      replicas: 3\n", "      replicas: 4\n");
    repo.write("specs/shop.yaml", &spec);
    let head = repo.head();
    let plan = repo.rampart(&["plan"]);
    let diff = plan.ok();
    assert!(diff.contains("--- a/clusters/prod/namespaces/shop/workload-api.yaml\n+++ b/clusters/prod/namespaces/shop/workload-api.yaml"), "{diff}");
    assert!(diff.contains("-  replicas: 3\n+  replicas: 4\n"), "{diff}");
    assert!(
        diff.contains("+++ b/specs/shop.yaml"),
        "the edited request is part of the commit: {diff}"
    );
    assert!(diff.contains("4 file(s) would change"), "{diff}");
    assert_eq!(repo.head(), head, "plan commits nothing");

    let out = repo.rampart(&["render"]);
    assert!(out.ok().contains("4 file(s) changed"), "{}", out.stdout);
    assert_eq!(repo.commit_count(), 3);
    assert_eq!(repo.status(), "");
    assert!(
        repo.git(&["show", "--stat", "HEAD"])
            .contains("specs/shop.yaml")
    );
    assert!(
        repo.read("clusters/prod/namespaces/shop/workload-api.yaml")
            .contains("replicas: 4")
    );
}

#[test]
fn removed_request_removes_its_namespaces() {
    let repo = Repo::init();
    std::fs::remove_file(repo.dir.join("specs/shop.yaml")).unwrap();
    repo.rampart(&["render"]).ok();
    assert_eq!(repo.status(), "");
    assert!(!repo.dir.join("clusters/dev/namespaces/shop").exists());
    assert!(!repo.git(&["ls-files"]).contains("shop"));
    assert_eq!(
        repo.read("clusters/dev/kustomization.yaml").lines().last(),
        Some("- namespaces/rampart-system"),
        "only the rotation service's namespace is left"
    );
}

#[test]
fn env_flag_renders_one_environment() {
    let repo = Repo::init();
    let spec = repo
        .read("specs/shop.yaml")
        .replace("pods: \"30\"", "pods: \"31\"");
    repo.write("specs/shop.yaml", &spec);
    repo.rampart(&["render", "--env", "staging"]).ok();
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        changed.contains("clusters/staging/namespaces/shop/limits.yaml"),
        "{changed}"
    );
    assert!(!changed.contains("clusters/prod/"), "{changed}");
    let out = repo.rampart(&["render", "--env", "qa"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("unknown environment `qa`; rampart.yaml lists: dev, staging, prod"),
        "{}",
        out.stderr
    );
}

#[test]
fn branch_and_author_flags() {
    let repo = Repo::init();
    let spec = repo.read("specs/shop.yaml").replace("cc-4711", "cc-4712");
    repo.write("specs/shop.yaml", &spec);
    let head = repo.head();
    repo.rampart(&[
        "render",
        "--branch",
        "rampart/shop-update",
        "--author",
        "Platform Bot <platform@example.com>",
    ])
    .ok();
    assert_eq!(repo.head(), head, "the checked-out branch does not move");
    assert_eq!(
        repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main"
    );
    let log = repo.git(&["log", "-1", "--format=%an <%ae>|%s", "rampart/shop-update"]);
    assert_eq!(
        log.trim(),
        "Platform Bot <platform@example.com>|rampart: render shop (dev, staging, prod)"
    );
    assert_eq!(
        repo.git(&["rev-parse", "rampart/shop-update~1"]).trim(),
        head
    );
    let on_branch = repo.git(&[
        "show",
        "rampart/shop-update:clusters/prod/namespaces/shop/namespace.yaml",
    ]);
    assert!(on_branch.contains("cost-center: cc-4712"));
    assert!(
        repo.read("clusters/prod/namespaces/shop/namespace.yaml")
            .contains("cc-4711"),
        "work tree untouched"
    );
}

#[test]
fn output_is_byte_identical_across_repositories() {
    let (a, b) = (Repo::init(), Repo::init());
    let tree = |r: &Repo| r.git(&["rev-parse", "HEAD^{tree}"]);
    assert_eq!(tree(&a), tree(&b));
    // And independent of the directory the command runs from.
    let spec = a
        .read("specs/shop.yaml")
        .replace("pods: \"30\"", "pods: \"29\"");
    a.write("specs/shop.yaml", &spec);
    b.write("specs/shop.yaml", &spec);
    a.rampart(&["render"]).ok();
    crate::support::rampart(b.dir.parent().unwrap(), &["render", "--repo", "gitops"]).ok();
    assert_eq!(tree(&a), tree(&b));
    assert_eq!(git(&a.dir, &["status", "--porcelain"]), "");
}

#[test]
fn branch_flag_naming_the_checked_out_branch_keeps_the_work_tree_in_sync() {
    let repo = Repo::init();
    let rbac = "clusters/dev/namespaces/shop/rbac.yaml";
    repo.write(rbac, &format!("{}# hand edit\n", repo.read(rbac)));
    repo.rampart(&["render", "--branch", "main"]).ok();
    assert_eq!(
        repo.status(),
        "",
        "the hand edit on the checked-out branch is repaired"
    );
}

#[test]
fn a_render_that_commits_checks_only_where_it_worked_and_check_still_finds_the_rest() {
    let repo = Repo::init();
    repo.rampart(&["new", "other", "--team", "t", "--app", "api"])
        .ok();
    // A hand edit and a left-over file in `other`, which the edit below does not touch
    // (reused from the render cache), and a hand edit in `shop`, which it renders again.
    let untouched = "clusters/dev/namespaces/other/rbac.yaml";
    let untouched_text = format!("{}# hand edit\n", repo.read(untouched));
    repo.write(untouched, &untouched_text);
    let leftover = "clusters/prod/namespaces/other/extra.yaml";
    repo.write(leftover, "kind: ConfigMap\n");
    let rendered_again = "clusters/staging/namespaces/shop/limits.yaml";
    let limits = repo.read(rendered_again);
    repo.write(rendered_again, &format!("{limits}# hand edit\n"));
    let spec = repo
        .read("specs/shop.yaml")
        .replace("      replicas: 3\n", "      replicas: 4\n");
    repo.write("specs/shop.yaml", &spec);

    let head = repo.head();
    let out = repo.rampart(&["render"]);
    assert!(out.ok().contains("committed"), "{out:?}");
    assert_ne!(repo.head(), head);
    assert!(
        out.stdout.contains(&format!("restored {rendered_again}")),
        "the namespace rendered again is repaired: {out:?}"
    );
    assert_eq!(repo.read(rendered_again), limits);
    assert!(!out.stdout.contains("other"), "{out:?}");
    assert_eq!(repo.read(untouched), untouched_text, "left as it is");
    assert_eq!(
        repo.status(),
        format!(" M {untouched}\n?? {leftover}\n"),
        "git sees both"
    );

    // CI's check finds both; a render with nothing to commit repairs them.
    let check = repo.rampart(&["render", "--check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(
        check
            .stdout
            .contains(&format!("{untouched}: stale or hand-edited")),
        "{check:?}"
    );
    assert!(
        check.stdout.contains(&format!("{leftover}: left over")),
        "{check:?}"
    );
    assert!(
        check.stdout.contains("2 generated file(s) out of date"),
        "{check:?}"
    );
    let head = repo.head();
    let out = repo.rampart(&["render"]);
    assert!(out.ok().contains("up to date"), "{out:?}");
    assert!(
        out.stdout.contains(&format!("restored {untouched}"))
            && out.stdout.contains(&format!("restored {leftover}")),
        "{out:?}"
    );
    assert_eq!(repo.head(), head);
    assert_eq!(repo.status(), "");
    assert!(repo.rampart(&["render", "--check"]).ok().starts_with("ok:"));
}
