//! Many clones delivering onto the same branch at the same moment: every `rampart new …
//! --push --branch main` that says it pushed has its commit in `main`'s history, and every
//! namespace ends up on `main`. Through `git daemon` (a server's compare-and-swap), and
//! through a remote given as a path, which Rampart pushes through git's `receive-pack`.

use crate::delivery::Setup;
use crate::support::{git, rampart_bin};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Enough retries for the last of eight writers that each lose to one other per attempt.
const DELIVERY: &str = "  baseBranch: main\n  maxRetries: 10\n";

/// A clone of the remote, as another team's checkout.
fn clone_of(s: &Setup, url: &str, name: &str) -> PathBuf {
    git(s.remote_dir.path(), &["clone", "-q", url, name]);
    s.remote_dir.path().join(name)
}

fn start_new(dir: &Path, namespace: &str) -> Child {
    Command::new(rampart_bin())
        .args(["new", namespace, "--team", "web", "--app", "api"])
        .args(["--label", "cost-center=cc-1"])
        .args(["--label", "data-classification=internal"])
        .args(["--push", "--branch", "main"])
        .current_dir(dir)
        .env_remove("RAMPART_REPO")
        .env_remove("RAMPART_BRANCH")
        .env_remove("RAMPART_AUTHOR")
        .env_remove("RAMPART_BLUEPRINTS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rampart new")
}

/// The commit a run says it pushed (`pushed <commit> to origin/main: …`), if it did.
fn pushed_commit(stdout: &str) -> Option<String> {
    stdout.lines().find_map(|line| {
        let rest = line.strip_prefix("pushed ")?;
        let (commit, rest) = rest.split_once(' ')?;
        rest.starts_with("to origin/main")
            .then(|| commit.to_owned())
    })
}

/// Runs `rounds[i]` concurrent `new --push --branch main` from as many fresh clones in
/// round `i`, all reaching the remote through `url`, and checks after each round.
fn deliver_concurrently(s: &Setup, url: &str, rounds: &[usize]) {
    let mut namespaces = Vec::new();
    for (round, &writers) in rounds.iter().enumerate() {
        let runs: Vec<(String, Child)> = (0..writers)
            .map(|i| {
                let ns = format!("r{round}w{i}");
                let dir = clone_of(s, url, &format!("clone-{ns}"));
                (ns, dir)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(ns, dir)| {
                let child = start_new(&dir, &ns);
                (ns, child)
            })
            .collect();
        for (ns, child) in runs {
            let out = child.wait_with_output().expect("wait for rampart");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "round {round}: new {ns} failed:\n{stdout}\n{stderr}"
            );
            let commit = pushed_commit(&stdout)
                .unwrap_or_else(|| panic!("round {round}: new {ns} did not push:\n{stdout}"));
            let in_history = Command::new("git")
                .args(["merge-base", "--is-ancestor", &commit, "main"])
                .current_dir(&s.bare)
                .status()
                .expect("git merge-base");
            assert!(
                in_history.success(),
                "round {round}: new {ns} said it pushed {commit}, which main does not hold (lost update):\n{stdout}\n{stderr}"
            );
            namespaces.push(ns);
        }
        for ns in &namespaces {
            assert!(
                s.remote_has(&format!("main:specs/{ns}.yaml")),
                "round {round}: {ns} is missing from main"
            );
            assert!(
                s.remote_has(&format!("main:clusters/dev/namespaces/{ns}/namespace.yaml")),
                "round {round}: {ns} is not rendered on main"
            );
        }
    }
    let listed = s.remote(&["show", "main:clusters/dev/kustomization.yaml"]);
    for ns in &namespaces {
        assert!(listed.contains(&format!("namespaces/{ns}")), "{listed}");
    }
}

#[test]
fn concurrent_pushes_through_a_git_server_from_two_then_eight_clones_all_land_on_main() {
    let s = Setup::new(DELIVERY, true);
    let url = s.url();
    assert!(url.starts_with("git://"), "{url}");
    deliver_concurrently(&s, &url, &[2, 2, 2, 8, 8]);
}

#[test]
fn concurrent_pushes_to_a_remote_given_as_a_path_never_replace_each_other() {
    let s = Setup::new(DELIVERY, false);
    let path = s.bare.display().to_string();
    deliver_concurrently(&s, &path, &[2, 8]);
}
