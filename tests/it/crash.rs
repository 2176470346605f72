//! A run killed at any moment converges: the commit is whole, and the next run finishes
//! bringing the work tree and index to it (see crates/rampart-git/src/update_record.rs).
//! Killed for real at random moments, and killed "by hand": the state a kill right after
//! the branch moved leaves, built exactly.

use crate::support::{Repo, Run, rampart_bin};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `git ARGS` and returns whether it exited 0.
fn git_ok(repo: &Repo, args: &[&str]) -> bool {
    Command::new("git")
        .args(args)
        .current_dir(&repo.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What must hold after any run that exited 0: HEAD, index and work tree agree, the
/// repository is sound, nothing is left half-done.
#[track_caller]
fn assert_converged(repo: &Repo, what: &str) {
    assert!(
        git_ok(repo, &["fsck", "--no-dangling", "--no-progress"]),
        "{what}: git fsck"
    );
    assert_eq!(repo.status(), "", "{what}: git status");
    assert!(
        git_ok(repo, &["diff", "--cached", "--quiet"]),
        "{what}: the index differs from HEAD: {}",
        repo.git(&["diff", "--cached", "--stat"])
    );
    for left in ["index.lock", "rampart-update"] {
        assert!(
            !repo.dir.join(".git").join(left).exists(),
            "{what}: .git/{left} left"
        );
    }
    for file in repo
        .files_under("clusters")
        .iter()
        .chain(&repo.files_under("specs"))
    {
        let len = std::fs::metadata(repo.dir.join(file)).unwrap().len();
        assert!(len > 0, "{what}: {file} is empty");
    }
}

/// The paths that differ between the trees of two commits.
fn changed_paths(repo: &Repo, from: &str, to: &str) -> Vec<String> {
    repo.git(&["diff", "--name-only", "--no-renames", from, to])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Puts the work tree and index where a run killed right after moving the branch from
/// `from` to HEAD leaves them: every changed file as `from` had it (or absent), one
/// generated file cut short, a spec emptied (as runs before files were renamed into place
/// left them), a temporary file half-written, git's index lock taken — and the record
/// that run wrote before moving the branch.
fn as_killed_after_the_branch_moved(repo: &Repo, from: &str) {
    let to = repo.head();
    let changed = changed_paths(repo, from, &to);
    assert!(changed.len() > 3, "{changed:?}");
    for path in &changed {
        let file = repo.dir.join(path);
        let old = Command::new("git")
            .args(["show", &format!("{from}:{path}")])
            .current_dir(&repo.dir)
            .output()
            .unwrap();
        if old.status.success() {
            std::fs::write(&file, &old.stdout).unwrap();
        } else if file.exists() {
            std::fs::remove_file(&file).unwrap();
        }
    }
    repo.git(&["read-tree", from]);
    let generated = changed
        .iter()
        .find(|p| p.starts_with("clusters/") && repo.dir.join(p).exists())
        .expect("a changed generated file");
    let text = repo.read(generated);
    repo.write(generated, &text[..text.len() / 2]);
    let spec = changed
        .iter()
        .find(|p| p.starts_with("specs/"))
        .expect("a changed request");
    repo.write(spec, "");
    let (dir, name) = generated.rsplit_once('/').unwrap();
    repo.write(&format!("{dir}/.{name}.rampart-tmp"), "apiVersion: v1\nki");
    // The lock names itself with a nonce (here 77 88), and the record names the lock.
    let lock = repo.dir.join(".git/index.lock");
    std::fs::write(&lock, "rampart 77 88\n").unwrap();
    let meta = std::fs::metadata(&lock).unwrap();
    use std::os::unix::fs::MetadataExt;
    std::fs::write(
        repo.dir.join(".git/rampart-update"),
        format!(
            "rampart work-tree update 1\nref refs/heads/main\ncommit {to}\nfrom {from}\nlock {} {} 77 88\n",
            meta.dev(),
            meta.ino(),
        ),
    )
    .unwrap();
    // The broken state, as `git` sees it: files that lag, and an index that reverts HEAD.
    assert!(!git_ok(repo, &["diff", "--cached", "--quiet"]));
}

/// A repository at commit B (shop's request edited and rendered) and the commit A before.
fn repo_with_two_commits() -> (Repo, String, String) {
    let repo = Repo::init();
    let a = repo.head();
    let spec = repo.read("specs/shop.yaml");
    repo.write(
        "specs/shop.yaml",
        &spec.replace("team: web-shop", "team: web-shop-b"),
    );
    repo.rampart(&["render"]).ok();
    let b = repo.head();
    assert_ne!(a, b);
    (repo, a, b)
}

#[track_caller]
fn assert_repaired(out: &Run, repo: &Repo, b: &str) {
    let lock = repo.dir.join(".git/index.lock");
    assert!(
        out.stderr.contains(&format!(
            "removed {}: the index lock of a rampart run that was killed while holding it\n",
            lock.display()
        )),
        "{out:?}"
    );
    assert!(
        out.stderr.contains(&format!(
            "repaired the work tree and index: a rampart run stopped (killed, or failed) after committing {} on main; ",
            &b[..10]
        )),
        "{out:?}"
    );
    assert!(!out.stderr.contains("missing field"), "{out:?}");
}

#[test]
fn the_next_run_finishes_what_a_run_killed_after_moving_the_branch_left() {
    type Check = fn(&Run, &Repo, &str);
    let cases: [(&[&str], Check); 5] = [
        (&["render"], |out, repo, b| {
            assert_eq!(out.code, 0, "{out:?}");
            assert!(out.stdout.contains("up to date"), "{out:?}");
            assert_eq!(repo.head(), b);
        }),
        (&["plan"], |out, repo, b| {
            assert_eq!(out.code, 0, "{out:?}");
            assert!(out.stdout.contains("no changes"), "{out:?}");
            assert_eq!(repo.head(), b);
        }),
        (&["render", "--check"], |out, repo, b| {
            assert_eq!(out.code, 0, "{out:?}");
            assert_eq!(repo.head(), b);
        }),
        (
            &["new", "other", "--team", "t", "--app", "api"],
            |out, repo, b| {
                assert_eq!(out.code, 0, "{out:?}");
                assert_eq!(repo.git(&["rev-parse", "HEAD^"]).trim(), b);
            },
        ),
        // Reads every request (a truncated one would refuse), then refuses the selection.
        (
            &["rotate", "--env", "dev", "--secret", "shop/nope"],
            |out, repo, b| {
                assert_eq!(out.code, 2, "{out:?}");
                assert!(out.stderr.contains("shop/nope"), "{out:?}");
                assert_eq!(repo.head(), b);
            },
        ),
    ];
    for (args, check) in cases {
        let (repo, a, b) = repo_with_two_commits();
        as_killed_after_the_branch_moved(&repo, &a);
        let out = repo.rampart(args);
        assert_repaired(&out, &repo, &b);
        check(&out, &repo, &b);
        assert_converged(&repo, &format!("{args:?}"));
        // The spec that was emptied holds the commit's content again.
        assert!(repo.read("specs/shop.yaml").contains("team: web-shop-b"));
    }
}

#[test]
fn a_file_changed_after_the_kill_is_kept_as_the_users_edit() {
    let (repo, a, b) = repo_with_two_commits();
    as_killed_after_the_branch_moved(&repo, &a);
    let spec = repo.git(&["show", &format!("{b}:specs/shop.yaml")]);
    let edited = spec.replace("team: web-shop-b", "team: web-shop-c");
    repo.write("specs/shop.yaml", &edited);

    let out = repo.rampart(&["plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_repaired(&out, &repo, &b);
    assert!(
        out.stderr.contains(
            "  kept specs/shop.yaml: changed since that run, so left as it is (an uncommitted change: `git diff -- specs/shop.yaml`)"
        ),
        "{out:?}"
    );
    assert!(out.stdout.contains("+team: web-shop-c"), "{}", out.stdout);
    assert_eq!(repo.read("specs/shop.yaml"), edited);
    assert_eq!(repo.status(), " M specs/shop.yaml\n");
    assert!(git_ok(&repo, &["diff", "--cached", "--quiet"]));

    // The edit is an input like any other: the next render commits it.
    repo.rampart(&["render"]).ok();
    assert_converged(&repo, "render after the edit");
    assert!(
        repo.git(&["show", "HEAD:specs/shop.yaml"])
            .contains("web-shop-c")
    );
}

#[test]
fn an_index_lock_that_is_not_rampart_s_is_refused_before_committing_naming_the_file() {
    let repo = Repo::init();
    let head = repo.head();
    let spec = repo.read("specs/shop.yaml");
    repo.write(
        "specs/shop.yaml",
        &spec.replace("team: web-shop", "team: web-shop-b"),
    );
    let lock = repo.dir.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();

    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 1, "{out:?}");
    let path = lock.display();
    assert!(
        out.stderr.starts_with(&format!(
            "error: {path} exists: a git command is using this repository's index, or one was killed and left it behind\n  help: if no git command is running in this repository, remove the file (`rm {path}`) and run again\n"
        )),
        "{out:?}"
    );
    assert!(out.stderr.ends_with("\nnothing was committed\n"), "{out:?}");
    assert!(!out.stdout.contains("committed"), "{out:?}");
    assert_eq!(repo.head(), head);
    assert!(lock.exists(), "somebody else's lock is never removed");

    std::fs::remove_file(&lock).unwrap();
    repo.rampart(&["render"]).ok();
    assert_ne!(repo.head(), head);
    assert_converged(&repo, "render after removing the lock");
}

/// A small deterministic generator (splitmix64), so the trials are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Requests generated as scripts/gen_requests.py writes them.
fn generate_requests(repo: &Repo, n: usize) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/gen_requests.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(&repo.dir)
        .arg(n.to_string())
        .status()
        .expect("run scripts/gen_requests.py");
    assert!(status.success());
}

/// 300 namespaces in three environments.
const REQUESTS: usize = 100;
const TRIALS: u64 = 24;

/// When a trial kills the run.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// This long after it started.
    Anytime(Duration),
    /// This long after the record of its work-tree update appeared.
    AfterRecord(Duration),
}

#[test]
fn render_killed_at_random_moments_always_converges_on_the_next_run() {
    let repo = Repo::init();
    generate_requests(&repo, REQUESTS);
    let started = Instant::now();
    repo.rampart(&["render"]).ok();
    let full_render = started.elapsed();
    let mut rng = Rng(0x5eed_2026);
    let mut specs: BTreeMap<String, String> = repo
        .files_under("specs")
        .into_iter()
        .map(|f| {
            let text = repo.read(&f);
            (f, text)
        })
        .collect();
    let mut repaired = 0;
    let mut committed_before_kill = 0;
    for trial in 0..TRIALS {
        // A fifth of the requests change (each in every environment), one goes away and
        // comes back every other trial.
        let names: Vec<String> = specs.keys().cloned().collect();
        for name in &names {
            if rng.below(5) == 0 {
                let text: String = specs[name]
                    .lines()
                    .map(|line| match line.starts_with("description:") {
                        true => format!("description: Changed in trial {trial}.\n"),
                        false => format!("{line}\n"),
                    })
                    .collect();
                repo.write(name, &text);
                specs.insert(name.clone(), text);
            }
        }
        let gone = names[rng.below(names.len() as u64) as usize].clone();
        let removed = trial % 2 == 0 && gone != "specs/shop.yaml";
        if removed {
            std::fs::remove_file(repo.dir.join(&gone)).unwrap();
            specs.remove(&gone);
        }
        let before = repo.head();
        let mut child = Command::new(rampart_bin())
            .arg("render")
            .current_dir(&repo.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rampart render");
        // Odd trials: at any moment of the run. Even ones: within moments of the record
        // of the work-tree update appearing (the branch is about to move or has moved),
        // the window that a kill at any moment hits too rarely to test it in a few trials.
        let kill = if trial % 2 == 1 {
            Kill::Anytime(Duration::from_micros(
                rng.below(full_render.as_micros() as u64 / 2 + 1),
            ))
        } else {
            Kill::AfterRecord(Duration::from_micros(rng.below(60_000)))
        };
        match kill {
            Kill::Anytime(delay) => std::thread::sleep(delay),
            Kill::AfterRecord(delay) => {
                let record = repo.dir.join(".git/rampart-update");
                while !record.exists() && child.try_wait().expect("poll the run").is_none() {
                    std::thread::sleep(Duration::from_micros(200));
                }
                std::thread::sleep(delay);
            }
        }
        let _ = child.kill(); // SIGKILL; it may have finished already
        child.wait().expect("wait for the killed run");
        if repo.head() != before {
            committed_before_kill += 1;
        }

        let out = repo.rampart(&["render"]);
        let what = format!("trial {trial} (killed {kill:?})");
        assert_eq!(out.code, 0, "{what}: {out:?}");
        if out.stderr.contains("repaired the work tree") {
            repaired += 1;
        }
        assert_converged(&repo, &what);
        // The requests are the test's, as written, and committed.
        let on_disk: BTreeMap<String, String> = repo
            .files_under("specs")
            .into_iter()
            .map(|f| {
                let text = repo.read(&f);
                (f, text)
            })
            .collect();
        assert!(
            on_disk == specs,
            "{what}: the requests differ from what was written"
        );
        // HEAD holds what a render from scratch makes of them (every few trials: a render
        // from scratch takes long).
        if trial % 8 == 7 || trial + 1 == TRIALS {
            let check = repo.rampart(&["render", "--check"]);
            assert_eq!(check.code, 0, "{what}: {check:?}");
        }
        // The removed request comes back in the next trial.
        if removed {
            let restored = repo.git(&["show", &format!("{before}:{gone}")]);
            repo.write(&gone, &restored);
            specs.insert(gone, restored);
        }
    }
    eprintln!(
        "{TRIALS} kills: {committed_before_kill} after the commit, {repaired} repaired by the next run (a full render took {full_render:?})"
    );
    assert!(committed_before_kill > 0, "no kill came after a commit");
    assert!(
        committed_before_kill < TRIALS,
        "no kill came before a commit"
    );
}

#[test]
fn a_commit_whose_work_tree_update_fails_says_it_stands_and_the_next_run_finishes_it() {
    let repo = Repo::init();
    let head = repo.head();
    // A directory (not empty) where a generated file is to be written again.
    let blocked = "clusters/dev/namespaces/shop/rbac.yaml";
    std::fs::remove_file(repo.dir.join(blocked)).unwrap();
    repo.write(&format!("{blocked}/keep"), "mine\n");
    let spec = repo.read("specs/shop.yaml");
    repo.write(
        "specs/shop.yaml",
        &spec.replace("team: web-shop", "team: web-shop-b"),
    );

    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 1, "{out:?}");
    let commit = repo.head();
    assert_ne!(commit, head, "the commit was made");
    assert!(
        out.stderr.contains(&format!(
            "the commit {} on main stands, but the work tree and index were not fully updated to it: fix the cause above and run `rampart render`",
            &commit[..10]
        )),
        "{out:?}"
    );
    assert!(!out.stderr.contains("nothing was committed"), "{out:?}");

    std::fs::remove_dir_all(repo.dir.join(blocked)).unwrap();
    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "repaired the work tree and index: a rampart run stopped (killed, or failed) after committing {} on main",
            &commit[..10]
        )),
        "{out:?}"
    );
    assert_eq!(repo.head(), commit);
    assert_converged(&repo, "render after the failed update");
}
