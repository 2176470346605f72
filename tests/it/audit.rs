//! `rampart audit`: what can be checked without an API server (the cluster reading itself
//! is tested against a mock API server in the `rampart-kube` crate).

use crate::support::rampart;
use tempfile::TempDir;

#[test]
fn a_missing_kubeconfig_is_a_clear_error_with_exit_code_2() {
    let dir = TempDir::new().expect("temp dir");
    let missing = dir.path().join("no-such-kubeconfig");
    let missing = missing.to_str().expect("utf-8 path");
    let out = rampart(dir.path(), &["audit", "--kubeconfig", missing]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(
        out.stderr
            .starts_with(&format!("error: cannot load the kubeconfig {missing}\n")),
        "{out:?}"
    );
    assert!(out.stderr.contains("No such file"), "{out:?}");
    // The path is said once, not again quoted twice by the kube client's own message.
    assert_eq!(out.stderr.matches(missing).count(), 1, "{out:?}");
}

#[test]
fn an_unknown_context_is_a_clear_error_with_exit_code_2() {
    let dir = TempDir::new().expect("temp dir");
    let config = dir.path().join("config");
    fs_err::write(
        &config,
        "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n",
    )
    .expect("write kubeconfig");
    let config = config.to_str().expect("utf-8 path");
    let out = rampart(
        dir.path(),
        &["audit", "--kubeconfig", config, "--context", "prod"],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: cannot use context `prod` of the kubeconfig\n"),
        "{out:?}"
    );
}
