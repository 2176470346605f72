//! Help and version.

use crate::support::rampart;

#[test]
fn help_explains_every_subcommand() {
    let dir = std::env::temp_dir();
    let top = rampart(&dir, &["--help"]);
    let out = top.ok();
    for sub in ["init", "new", "render", "plan"] {
        assert!(out.contains(sub), "{out}");
        let help = rampart(&dir, &[sub, "--help"]);
        assert!(
            help.ok().contains("Usage: rampart"),
            "{sub}: {}",
            help.stdout
        );
    }
    let render = rampart(&dir, &["render", "--help"]);
    for flag in [
        "--repo",
        "--env",
        "--check",
        "--branch",
        "--author",
        "--blueprints",
    ] {
        assert!(render.stdout.contains(flag), "render --help lacks {flag}");
    }
}

#[test]
fn version_is_printed() {
    let out = rampart(&std::env::temp_dir(), &["--version"]);
    assert_eq!(
        out.ok().trim(),
        format!("rampart {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = rampart(&std::env::temp_dir(), &["render", "--no-such-flag"]);
    assert_eq!(out.code, 2, "{out:?}");
}
