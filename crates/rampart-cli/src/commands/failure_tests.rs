//! The exit code and message of each kind of failure, as the libraries type it, however deep
//! under context it lies.

use super::{Failure, message};
use rampart_deliver::no_follow::RefusedInput;
use rampart_deliver::{Error as DeliverError, InvalidSettings};
use rampart_git::{GitError, Oid};
use rampart_model::{Diagnostic, Diagnostics};
use rampart_serve::Error as ServeError;

fn diagnostics() -> Diagnostics {
    Diagnostics::from(Diagnostic::new(
        "specs/a.yaml",
        3,
        5,
        "unknown field `x`",
        "remove it",
    ))
}

fn secrets() -> GitError {
    GitError::SecretsFound {
        findings: vec![rampart_guard::Finding {
            path: "clusters/dev/secret.yaml".to_owned(),
            line: 4,
            rule: rampart_guard::Rule::PrivateKey,
        }],
    }
}

fn lagging() -> GitError {
    GitError::WorktreeSync {
        commit: Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap(),
        refname: "refs/heads/main".to_owned(),
        path: "clusters/dev/ns.yaml".into(),
        source: std::io::Error::other("disk full"),
    }
}

#[test]
fn invalid_input_exits_2_under_any_context() {
    let cases: Vec<(&str, Failure)> = vec![
        ("the CLI's own", diagnostics().into()),
        ("deliver", DeliverError::from(diagnostics()).into()),
        (
            "deliver, under context",
            DeliverError::from(diagnostics())
                .context("the inputs on main")
                .context("again")
                .into(),
        ),
        (
            "serve, around deliver, under context",
            ServeError::from(DeliverError::from(diagnostics()).context("inner"))
                .context("the inputs on main at 0123456")
                .into(),
        ),
    ];
    for (case, failure) in cases {
        assert_eq!(failure.exit_code(), 2, "{case}");
        assert_eq!(
            message(&failure),
            "specs/a.yaml:3:5: error: unknown field `x`\n  help: remove it\n\nrefused: 1 problem found; nothing was written\n",
            "{case}"
        );
    }
}

#[test]
fn refused_inputs_and_settings_exit_2() {
    let refused: Failure = DeliverError::from(RefusedInput::NotAFile {
        file: "specs/fifo.yaml".to_owned(),
    })
    .into();
    assert_eq!(refused.exit_code(), 2);
    assert_eq!(
        message(&refused),
        "specs/fifo.yaml: error: this input is not a regular file\n  help: replace it with a regular file\n\nrefused: nothing was written\n"
    );
    let settings: Failure = DeliverError::from(InvalidSettings("delivery.remote `x`".into()))
        .context("ignored: settings speak for themselves")
        .into();
    assert_eq!(settings.exit_code(), 2);
    assert_eq!(
        message(&settings),
        "error: delivery.remote `x`\nrefused: nothing was committed or pushed\n"
    );
}

#[test]
fn secrets_found_exit_1_with_each_finding() {
    for failure in [
        Failure::from(secrets()),
        DeliverError::from(secrets()).context("committing").into(),
    ] {
        assert_eq!(failure.exit_code(), 1);
        let text = message(&failure);
        assert!(text.starts_with("clusters/dev/secret.yaml:4: "), "{text}");
        assert!(
            text.ends_with(
                "\n\nrefused: 1 secret(s) would have been committed; nothing was written\n"
            ),
            "{text}"
        );
    }
}

#[test]
fn a_commit_that_stands_is_named_with_the_causes() {
    for failure in [
        Failure::from(DeliverError::from(lagging()).context("committing the render")),
        ServeError::from(lagging()).into(),
    ] {
        assert_eq!(failure.exit_code(), 1);
        let text = message(&failure);
        assert!(
            text.contains("  caused by: disk full\nthe commit 0123456789 on main stands, but the work tree and index were not fully updated to it"),
            "{text}"
        );
    }
    let deliver = Failure::from(DeliverError::from(lagging()).context("committing the render"));
    assert!(
        message(&deliver).starts_with(
            "error: committing the render\n  caused by: committed 0123456789abcdef0123456789abcdef01234567 to refs/heads/main, but cannot update work-tree file clusters/dev/ns.yaml\n  caused by: disk full\n"
        ),
        "{}",
        message(&deliver)
    );
}

#[test]
fn other_failures_exit_1_and_say_nothing_was_committed() {
    let cases: Vec<Failure> = vec![
        anyhow::anyhow!("disk full")
            .context("cannot write out/a.yaml")
            .into(),
        DeliverError::Failed("--author `x` is not \"Name <email>\"".into()).into(),
        GitError::InvalidBranch {
            branch: "a..b".into(),
        }
        .into(),
        ServeError::Failed("no secret is planned".into())
            .context("cannot start")
            .into(),
    ];
    let expected = [
        "error: cannot write out/a.yaml\n  caused by: disk full\nnothing was committed\n",
        "error: --author `x` is not \"Name <email>\"\nnothing was committed\n",
        "error: invalid branch name \"a..b\"\nnothing was committed\n",
        "error: cannot start\n  caused by: no secret is planned\nnothing was committed\n",
    ];
    for (failure, expected) in cases.iter().zip(expected) {
        assert_eq!(failure.exit_code(), 1);
        assert_eq!(message(failure), expected);
    }
}
