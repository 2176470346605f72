//! `rampart status` through the binary: what can be checked without an API server (the
//! comparison itself is tested against a fake API server in `rampart-kube` and in the
//! command's own tests).

use crate::support::{Repo, free_port};

/// A kubeconfig whose context `prod` points at a loopback port nobody listens on.
fn kubeconfig(repo: &Repo) -> String {
    let port = free_port();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'http://127.0.0.1:{port}'}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: prod\n  context: {{cluster: c, user: u}}\n- name: lab\n  context: {{cluster: c, user: u}}\ncurrent-context: prod\n"
    );
    let path = repo.dir.join("../kubeconfig");
    fs_err::write(&path, text).expect("write kubeconfig");
    path.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn an_unreachable_cluster_exits_2_naming_the_object_it_could_not_read() {
    let repo = Repo::init();
    let config = kubeconfig(&repo);
    let out = repo.rampart(&["status", "--kubeconfig", &config, "shop"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    // The first object of the first file (`external-secrets.yaml`).
    assert!(
        out.stderr
            .contains("error: cannot read ServiceAccount/shop/secret-store-vault\n"),
        "{out:?}"
    );
    assert!(out.stderr.contains("Connection refused"), "{out:?}");
    // Said once, by Rampart: no log line of the kube client's own before it.
    assert!(out.stderr.starts_with("error: "), "{out:?}");
}

#[test]
fn an_environment_the_repository_does_not_list_exits_2_with_help() {
    let repo = Repo::init();
    let config = kubeconfig(&repo);
    // The context `lab` names no environment, and neither does `--env qa`.
    for args in [
        vec!["status", "--kubeconfig", &config, "--context", "lab"],
        vec!["status", "--kubeconfig", &config, "--env", "qa"],
    ] {
        let out = repo.rampart(&args);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr
                .contains("which rampart.yaml does not list (dev, staging, prod)"),
            "{out:?}"
        );
        assert!(
            out.stderr.contains("help: pass --env with one of them"),
            "{out:?}"
        );
    }
}

#[test]
fn a_namespace_not_rendered_exits_2_with_help() {
    let repo = Repo::init();
    let config = kubeconfig(&repo);
    assert_payments_is_not_rendered_for_prod(&repo, &config);
}

#[test]
fn with_env_a_wrong_environment_or_namespace_is_named_before_the_kubeconfig_is_read() {
    let repo = Repo::init();
    let missing = repo.dir.join("../no-such-kubeconfig").display().to_string();
    let out = repo.rampart(&["status", "--kubeconfig", &missing, "--env", "qa"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: --env names environment `qa`, which rampart.yaml does not list"),
        "{out:?}"
    );
    assert_payments_is_not_rendered_for_prod(&repo, &missing);
    // A right environment and namespace get as far as the kubeconfig, which is missing.
    let out = repo.rampart(&["status", "--kubeconfig", &missing, "--env", "prod", "shop"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.starts_with("error: cannot load the kubeconfig"),
        "{out:?}"
    );
}

/// `status --env prod payments` with `kubeconfig` exits 2 saying `payments` is not rendered.
fn assert_payments_is_not_rendered_for_prod(repo: &Repo, kubeconfig: &str) {
    let out = repo.rampart(&[
        "status",
        "--kubeconfig",
        kubeconfig,
        "--env",
        "prod",
        "payments",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: namespace `payments` is not rendered for environment `prod` at "),
        "{out:?}"
    );
}
