//! Two clones (or replicas) rotating the same selection at the same moment and delivering
//! by push onto the same branch, through a Git server (`git daemon`) and a real OpenBao:
//! one writes the new version, the other resumes it, and both converge on one pin — the
//! second run re-pins onto what the first pushed instead of failing.

use crate::delivery::Setup;
use crate::rotate::current_version;
use crate::rotate_delivery::{delivered_setup, password_of, pinned_at};
use crate::support::{Run, git, rampart_bin};
use rampart_testkit::OpenBao;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Rounds per target: few, as each rotates against OpenBao from two clones.
const ROUNDS: u64 = 3;

fn start_rotate(dir: &Path, bao: &OpenBao, more: &[&str]) -> Child {
    Command::new(rampart_bin())
        .args(["rotate", "--env", "dev", "--force", "--delivery", "push"])
        .args(more)
        .current_dir(dir)
        .env("VAULT_TOKEN", bao.root_token())
        .env_remove("BAO_TOKEN")
        .env_remove("RAMPART_BRANCH")
        .env_remove("RAMPART_REPO")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rampart rotate")
}

/// Both clones reset to the remote's `main` (as operators' checkouts would be), then one
/// forced rotation each, at the same moment. Returns both runs.
fn rotate_both(clones: &[PathBuf; 2], bao: &OpenBao, more: &[&str]) -> [Run; 2] {
    for dir in clones {
        git(dir, &["fetch", "-q", "origin"]);
        git(dir, &["reset", "-q", "--hard", "origin/main"]);
    }
    let children = clones.each_ref().map(|dir| start_rotate(dir, bao, more));
    children.map(|child| Run::from(child.wait_with_output().expect("wait for rampart")))
}

fn assert_converged(round: u64, runs: &[Run; 2]) {
    for run in runs {
        assert_eq!(
            run.code, 0,
            "round {round}: a run failed:\n{}\n{}",
            run.stdout, run.stderr
        );
        for refusal in ["rewrote", "refused", "rampart will not touch"] {
            assert!(
                !run.stderr.contains(refusal),
                "round {round}: {}",
                run.stderr
            );
        }
    }
    assert!(
        runs.iter().any(|r| r.stdout.contains("pushed ")),
        "round {round}: neither pushed:\n{}\n{}",
        runs[0].stdout,
        runs[1].stdout
    );
}

/// `main`'s request and rendered pins of api-db: dev at `version`, the others untouched.
fn assert_pins(s: &Setup, rev: &str, version: u64, round: u64) {
    let spec = s.remote(&["show", &format!("{rev}:specs/shop.yaml")]);
    assert!(
        spec.contains(&format!("version: {{dev: {version}, staging: 3, prod: 3}}")),
        "round {round}: {rev}'s request:\n{spec}"
    );
    assert_eq!(pinned_at(s, rev, "dev", "api-db"), version.to_string());
    assert_eq!(pinned_at(s, rev, "prod", "api-db"), "3");
}

#[test]
fn two_clones_rotating_the_same_selection_at_once_both_succeed_with_one_pin() {
    let bao = OpenBao::start();
    let s = delivered_setup("  baseBranch: main\n", true, &bao, false);
    let url = s.url();
    let clones = ["a", "b"].map(|name| {
        git(s.remote_dir.path(), &["clone", "-q", &url, name]);
        s.remote_dir.path().join(name)
    });
    let mut version = current_version(&bao);
    assert_eq!(version, 3);

    // 1. Onto Rampart's branch (pull-request style without a forge): each round a
    // reviewer merges it, so the next round replaces the branch the other clone pushed.
    for round in 0..ROUNDS {
        let runs = rotate_both(&clones, &bao, &[]);
        assert_converged(round, &runs);
        version += 1;
        assert_eq!(
            current_version(&bao),
            version,
            "round {round}: one new version; the other run resumed it"
        );
        let branches = s.remote(&[
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads/rampart",
        ]);
        let branch = branches.trim();
        assert!(branch.starts_with("rampart/rotate-dev-"), "{branches}");
        assert_pins(&s, branch, version, round);
        password_of(&bao, &version.to_string());
        // Merged: main fast-forwards to the branch.
        assert_eq!(
            s.remote(&["rev-parse", &format!("{branch}~1")]),
            s.remote(&["rev-parse", "main"]),
            "round {round}: one commit on main"
        );
        s.remote(&["update-ref", "refs/heads/main", branch]);
    }

    // 2. Straight onto main.
    for round in ROUNDS..2 * ROUNDS {
        let runs = rotate_both(&clones, &bao, &["--branch", "main"]);
        assert_converged(round, &runs);
        version += 1;
        assert_eq!(current_version(&bao), version, "round {round}");
        assert_pins(&s, "main", version, round);
        password_of(&bao, &version.to_string());
    }
}
