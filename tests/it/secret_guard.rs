//! The secret guard on every commit, and `rampart scan`.

use crate::support::Repo;

/// An AWS access key id, assembled at run time so the test source holds none.
fn aws_key_id() -> String {
    format!("AKIA{}", "Z7Q3XK2M9PLW4RTB")
}

#[test]
fn render_refuses_to_commit_a_secret_and_writes_nothing() {
    let repo = Repo::init();
    let spec = repo.read("specs/shop.yaml").replace(
        "description: Storefront and checkout API of the web shop.",
        &format!("description: \"temporary creds {}\"", aws_key_id()),
    );
    repo.write("specs/shop.yaml", &spec);
    let before = repo.state();
    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("specs/shop.yaml:8: an AWS access key id (aws-access-key-id)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert!(
        !out.stderr.contains(&aws_key_id()) && !out.stdout.contains(&aws_key_id()),
        "the key leaked"
    );
    assert_eq!(repo.state(), before);
}

#[test]
fn scan_passes_everything_rampart_renders_and_flags_secrets_with_file_and_line() {
    let repo = Repo::init();
    let clean = repo.rampart(&["scan"]);
    assert!(
        clean.ok().starts_with("ok: no secrets in"),
        "{}",
        clean.stdout
    );

    repo.write(
        "clusters/dev/leak/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: hunter2\n",
    );
    let out = repo.rampart(&["scan", "clusters", "specs"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("clusters/dev/leak/secret.yaml:4: a Kubernetes Secret with data or stringData (kubernetes-secret-data)"), "{}", out.stdout);
    assert!(!out.stdout.contains("hunter2"));
}

#[test]
fn scan_staged_checks_only_what_the_next_commit_records() {
    let repo = Repo::init();
    repo.write(
        "notes.env",
        &format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id()),
    );
    let unstaged = repo.rampart(&["scan", "--staged"]);
    assert_eq!(
        unstaged.code, 0,
        "an unstaged file is not part of the commit: {unstaged:?}"
    );
    repo.git(&["add", "notes.env"]);
    let staged = repo.rampart(&["scan", "--staged"]);
    assert_eq!(staged.code, 1, "{staged:?}");
    assert!(
        staged.stdout.contains("notes.env:1: an AWS access key id"),
        "{}",
        staged.stdout
    );
}

/// The labelled corpus of tests/fixtures/secret-corpus (`scripts/bench-secret-guard.sh`
/// compares the same with detect-secrets): every leak file is flagged, no clean file is.
#[test]
fn scan_flags_every_leak_of_the_corpus_and_no_clean_file() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/secret-corpus")
        .canonicalize()
        .unwrap();
    let leaks: std::collections::BTreeSet<String> = std::fs::read_dir(corpus.join("leaks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(leaks.len() >= 30, "{} leak files", leaks.len());
    let out = crate::support::rampart(&corpus, &["scan", "leaks"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let flagged: std::collections::BTreeSet<String> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("leaks/")?.split(':').next())
        .map(str::to_owned)
        .collect();
    let missed: Vec<&String> = leaks.difference(&flagged).collect();
    assert!(missed.is_empty(), "missed: {missed:?}");
    let clean = crate::support::rampart(&corpus, &["scan", "clean"]);
    assert_eq!(clean.code, 0, "false positives:\n{}", clean.stdout);
}
