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

/// A GitHub token of the documented form, assembled at run time.
fn github_token() -> String {
    format!("ghp_{}", "R8mK2vQ9xL4nT7wP1zB6cY3hJ5dF0gS8aE2u")
}

#[test]
fn plan_and_netmap_refuse_to_print_what_render_refuses_to_commit() {
    let repo = Repo::init();
    let spec = repo.read("specs/shop.yaml").replace(
        "description: Storefront and checkout API of the web shop.",
        &format!("description: \"ci token {}\"", github_token()),
    );
    repo.write("specs/shop.yaml", &spec);
    let before = repo.state();
    for args in [&["render"][..], &["plan"], &["plan", "--env", "dev"]] {
        let out = repo.rampart(args);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(
            out.stderr
                .contains("specs/shop.yaml:8: a GitHub token (github-token)"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("clusters/dev/namespaces/shop/namespace.yaml:"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
        assert!(
            !out.stdout.contains(&github_token()) && !out.stderr.contains(&github_token()),
            "{args:?}: the token was printed"
        );
        assert_eq!(repo.state(), before);
    }
    // netmap prints values of the rendered files (a label here): refused the same way.
    let spec = repo.read("specs/shop.yaml").replace(
        &format!("description: \"ci token {}\"", github_token()),
        "description: fine",
    );
    let labelled = spec.replacen(
        "cost-center: ",
        &format!("cost-center: {} #", github_token()),
        1,
    );
    assert_ne!(
        labelled, spec,
        "the example request has a cost-center label"
    );
    repo.write("specs/shop.yaml", &labelled);
    let out = repo.rampart(&["netmap", "--env", "dev"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("clusters/dev/namespaces/shop/namespace.yaml:"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains(&github_token()) && !out.stderr.contains(&github_token()));
}

#[test]
fn scan_fails_on_files_it_could_not_scan_and_names_each() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    // 17 MiB: over the default limit of 16 MiB, with a token at its end.
    let mut big = "filler line of a large generated file\n".repeat((17 << 20) / 38);
    big.push_str(&format!("token: {}\n", github_token()));
    std::fs::create_dir(dir.join("tree")).unwrap();
    std::fs::write(dir.join("tree/big.txt"), &big).unwrap();
    std::fs::write(dir.join("tree/small.yaml"), "a: 1\n").unwrap();
    let out = crate::support::rampart(dir, &["scan", "tree"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("tree/big.txt: not scanned: larger than 16 MiB"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("1 file(s) not scanned, so not known to be free of secrets; files up to 16 MiB scanned (--max-file-size): raise it"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("ok:"), "{}", out.stdout);
    let raised = crate::support::rampart(dir, &["scan", "tree", "--max-file-size", "32MiB"]);
    assert_eq!(raised.code, 1, "{raised:?}");
    let line = big.lines().count();
    assert!(
        raised.stdout.contains(&format!(
            "tree/big.txt:{line}: a GitHub token (github-token)"
        )),
        "{}",
        raised.stdout
    );
    assert!(
        raised.stdout.contains("files up to 32 MiB scanned"),
        "{}",
        raised.stdout
    );

    // An unreadable file (a socket) and a missing one are reported, the rest still
    // scanned, and the exit code is not 1 (a secret found) nor the message a commit's.
    std::fs::remove_file(dir.join("tree/big.txt")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("tree.sock")).unwrap();
    let out = crate::support::rampart(dir, &["scan", "tree.sock", "missing.yaml", "tree"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stdout
            .contains("tree.sock: not scanned: cannot read it"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("missing.yaml: not scanned: cannot read it"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2 file(s) not scanned"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains("nothing was committed"),
        "{}",
        out.stderr
    );
}

#[test]
fn scan_and_check_read_a_pipe_named_on_the_command_line() {
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("manifests");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (args, code, expect) in [
        (
            ["scan", "manifests"],
            1,
            "manifests:3: a GitHub token (github-token)",
        ),
        (
            ["check", "manifests"],
            0,
            "ok: no findings in 1 document(s)",
        ),
    ] {
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let text = format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a, namespace: b, annotations: {{t: {}}}}}\n",
                    github_token()
                );
                std::fs::write(fifo, text).unwrap();
            })
        };
        let out = crate::support::rampart(work.path(), &args);
        writer.join().unwrap();
        assert_eq!(out.code, code, "{args:?}: {out:?}");
        assert!(out.stdout.contains(expect), "{args:?}: {}", out.stdout);
        assert!(!out.stderr.contains("Not a directory"), "{}", out.stderr);
    }
}
