//! `scripts/import_cycles.py`: the crates that read top-down stay so, and a circle between
//! two sibling modules is found and named (so the first test can fail).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crates with no import circle between sibling modules: all of them.
const TOP_DOWN: &[&str] = &[
    "rampart-cli",
    "rampart-deliver",
    "rampart-files",
    "rampart-forge",
    "rampart-git",
    "rampart-guard",
    "rampart-import",
    "rampart-kube",
    "rampart-model",
    "rampart-network",
    "rampart-policy",
    "rampart-probe",
    "rampart-render",
    "rampart-rotate",
    "rampart-serve",
    "rampart-testkit",
    "rampart-yaml",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn import_cycles(args: &[&str]) -> Output {
    Command::new("python3")
        .arg(repo_root().join("scripts/import_cycles.py"))
        .args(args)
        .output()
        .expect("python3 runs scripts/import_cycles.py")
}

#[test]
fn the_crates_that_read_top_down_have_no_import_circle() {
    let out = import_cycles(TOP_DOWN);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "0 circle(s)");
}

#[test]
fn a_circle_between_sibling_modules_is_found_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("crates/demo/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\nmod c;\n").unwrap();
    std::fs::write(
        src.join("a.rs"),
        "use crate::b::B;\npub(crate) struct A(B);\n",
    )
    .unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub(crate) struct B;\npub(crate) fn f(_: &super::a::A) {}\n",
    )
    .unwrap();
    // c only names a: no circle.
    std::fs::write(src.join("c.rs"), "use crate::a::A;\n").unwrap();
    let out = import_cycles(&["--root", dir.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("demo: a <-> b\n"), "{stdout}");
    assert!(stdout.contains("a -> b: B"), "{stdout}");
    assert!(stdout.contains("b -> a: A"), "{stdout}");
    assert!(stdout.ends_with("1 circle(s)\n"), "{stdout}");
}
