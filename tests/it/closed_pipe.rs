//! A reader that goes away (`rampart plan | head`) is not a crash: every command that
//! writes to stdout stops writing quietly — no panic, no backtrace — finishes its work and
//! exits 141 (128 + SIGPIPE), or 0 for clap's `--help`.

use crate::support::{Repo, Run, rampart_bin};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `rampart ARGS` in `cwd` with stdout a pipe whose reader is already closed, so its
/// first write fails (deterministically, unlike `| head`), with backtraces enabled.
fn rampart_into_closed_pipe(cwd: &Path, args: &[&str]) -> Run {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(rampart_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("RAMPART_REPO")
        .env_remove("RAMPART_BRANCH")
        .env_remove("RAMPART_AUTHOR")
        .env_remove("RAMPART_BLUEPRINTS")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run rampart")
        .into()
}

#[test]
fn every_printing_command_exits_quietly_when_its_reader_goes_away() {
    let repo = Repo::init();
    let shop = repo.read("specs/shop.yaml");
    let runs: Vec<(&[&str], i32)> = vec![
        (&["plan"], 141),
        (&["render"], 141),
        (&["render", "--check"], 141),
        (
            &["new", "payments", "--team", "payments", "--app", "api"],
            141,
        ),
        (&["check", "clusters"], 141),
        (&["check", "clusters", "--format", "json"], 141),
        (&["check", "clusters", "--format", "sarif"], 141),
        (&["scan"], 141),
        (
            &["cluster-config", "--env", "dev", "--out", "../cluster-out"],
            141,
        ),
        (&["--help"], 0),
        (&["render", "--help"], 0),
    ];
    for (args, code) in runs {
        // Something to show and commit for plan and render.
        if args == ["plan"] || args == ["render"] {
            repo.write(
                "specs/shop.yaml",
                &shop.replace("replicas: 3", "replicas: 4"),
            );
        }
        let out = rampart_into_closed_pipe(&repo.dir, args);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("backtrace"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("Broken pipe"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(out.code, code, "{args:?}: {}", out.stderr);
    }
    // The work was done although nobody read the report.
    assert!(
        repo.read("clusters/prod/namespaces/shop/workload-api.yaml")
            .contains("replicas: 4")
    );
    assert!(repo.dir.join("specs/payments.yaml").is_file());
    assert!(
        repo.dir
            .join("../cluster-out/control-plane/README.md")
            .is_file()
    );
    assert_eq!(repo.status(), "");
}

#[test]
fn a_reader_that_stops_after_the_first_line_ends_plan_quietly() {
    let repo = Repo::init();
    repo.write(
        "specs/shop.yaml",
        &repo
            .read("specs/shop.yaml")
            .replace("replicas: 3", "replicas: 4"),
    );
    let script = format!("'{}' plan | head -n 1", rampart_bin());
    let out: Run = Command::new("sh")
        .args(["-c", &script])
        .current_dir(&repo.dir)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run sh")
        .into();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
}
