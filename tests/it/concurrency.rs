//! Several runs in one checkout at once: the repository lock serialises them, so every
//! run's work survives and nothing another run committed is dropped.

use crate::support::{Repo, rampart_bin};
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Paths of every file in HEAD's tree.
fn head_files(repo: &Repo) -> BTreeSet<String> {
    repo.git(&["ls-tree", "-r", "--name-only", "HEAD"])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn many_runs_at_once_in_one_checkout_lose_nothing() {
    let repo = Repo::init();
    let before = head_files(&repo);
    let commits_before = repo.commit_count();
    let names: Vec<String> = (1..=6).map(|i| format!("ns{i}")).collect();
    let mut children = Vec::new();
    for name in &names {
        let child = Command::new(rampart_bin())
            .args(["new", name, "--team", "t", "--app", "api"])
            .current_dir(&repo.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rampart new");
        children.push((format!("new {name}"), child));
    }
    // Renders racing the `new`s must not drop what those commit either.
    for i in 0..2 {
        let child = Command::new(rampart_bin())
            .arg("render")
            .current_dir(&repo.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rampart render");
        children.push((format!("render #{i}"), child));
    }
    for (what, child) in children {
        let out = child.wait_with_output().expect("wait for rampart");
        assert!(
            out.status.success(),
            "{what} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let after = head_files(&repo);
    let removed: Vec<_> = before.difference(&after).collect();
    assert!(removed.is_empty(), "files removed: {removed:?}");
    for name in &names {
        let spec = format!("specs/{name}.yaml");
        assert!(after.contains(&spec), "{spec} not committed");
        assert!(
            repo.dir.join(&spec).is_file(),
            "{spec} gone from the work tree"
        );
        for env in ["dev", "staging", "prod"] {
            let ns = format!("clusters/{env}/namespaces/{name}/namespace.yaml");
            assert!(after.contains(&ns), "{ns} not committed");
            let listed = repo.read(&format!("clusters/{env}/kustomization.yaml"));
            assert!(listed.contains(&format!("namespaces/{name}")), "{listed}");
        }
    }
    // One commit per `new`; the renders found nothing left to do or committed nothing new.
    assert_eq!(repo.commit_count(), commits_before + names.len());
    assert_eq!(repo.status(), "", "the work tree matches HEAD");
}

#[test]
fn a_run_that_cannot_get_the_lock_in_time_changes_nothing_and_names_the_holder() {
    let repo = Repo::init();
    repo.write(
        "specs/shop.yaml",
        &repo
            .read("specs/shop.yaml")
            .replace("replicas: 3", "replicas: 4"),
    );
    let before = repo.state();
    let held = rampart_git::RepoLock::acquire(&repo.dir, "the test", Duration::ZERO, |_| {})
        .expect("take the lock");
    let out = repo.rampart(&["render", "--lock-timeout", "1"]);
    assert_eq!(out.code, 1, "{out:?}");
    let holder = format!("pid {}: the test", std::process::id());
    assert!(
        out.stderr.contains(&format!(
            "waiting for another rampart run to finish ({holder}); at most 1s (--lock-timeout)"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "another rampart run holds the repository lock ({holder}) and did not finish within 1s; nothing was changed"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(repo.state(), before);

    let out = repo.rampart(&[
        "new",
        "x",
        "--team",
        "t",
        "--app",
        "a",
        "--lock-timeout",
        "0",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        !out.stderr.contains("waiting"),
        "0 refuses at once: {}",
        out.stderr
    );
    assert_eq!(repo.state(), before);

    drop(held);
    repo.rampart(&["render", "--lock-timeout", "0"]).ok();
    assert_ne!(
        repo.state(),
        before,
        "with the lock free the render commits"
    );
}
