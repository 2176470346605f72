//! The GitOps controller objects of `clusters/<env>/gitops/` (Argo CD and Flux) for every
//! example environment: snapshots, every object valid against the controllers' own CRD
//! schemas (tests/fixtures/crds) and kubernetes-validate, built by kustomize, clean under
//! `rampart check`; and every rendered Namespace protected from pruning unless
//! `offboarding.deleteNamespace` says otherwise.

use crate::secrets::validate_crds;
use crate::support::{Repo, tool};
use std::process::Command;

const ENVS: [&str; 3] = ["dev", "staging", "prod"];

/// The example repository with `gitops.controller` set to `controller`, rendered.
fn repo_with(controller: &str) -> Repo {
    let repo = Repo::init();
    let config = repo.read("rampart.yaml");
    assert!(
        config.contains("  controller: argocd"),
        "init writes argocd"
    );
    repo.write(
        "rampart.yaml",
        &config.replace(
            "  controller: argocd",
            &format!("  controller: {controller}"),
        ),
    );
    repo.rampart(&["render"]).ok();
    repo
}

fn gitops_files(repo: &Repo, env: &str) -> Vec<String> {
    repo.files_under(&format!("clusters/{env}/gitops"))
}

fn kubectl(repo: &Repo, args: &[&str]) -> String {
    let out = Command::new(tool("kubectl"))
        .args(args)
        .current_dir(&repo.dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn controller_objects_for_every_environment_match_their_snapshots() {
    for controller in ["argocd", "flux"] {
        let repo = repo_with(controller);
        for env in ENVS {
            let files = gitops_files(&repo, env);
            assert!(files.len() >= 3, "{controller} {env}: {files:?}");
            for file in files {
                let name = format!("{controller}__{}", file.replace('/', "__"));
                insta::assert_snapshot!(name, repo.read(&file));
            }
        }
    }
}

#[test]
fn controller_objects_validate_against_the_crds_and_kubernetes_and_build() {
    for (controller, kinds) in [
        ("argocd", &["AppProject/", "Application/"][..]),
        ("flux", &["GitRepository/", "Kustomization/"][..]),
    ] {
        let repo = repo_with(controller);
        for env in ENVS {
            let files: Vec<String> = gitops_files(&repo, env)
                .into_iter()
                .filter(|f| !f.ends_with("kustomization.yaml"))
                .collect();
            let out = validate_crds(&repo.dir, &files);
            assert_eq!(
                out.code, 0,
                "{controller} {env}:\n{}{}",
                out.stdout, out.stderr
            );
            for kind in kinds {
                assert!(
                    out.stdout
                        .lines()
                        .any(|l| l.starts_with("VALID ") && l.contains(kind)),
                    "{controller} {env}: no {kind} validated:\n{}",
                    out.stdout
                );
            }
            // Built-in kinds (Flux's tenant RBAC) by kubernetes-validate; custom ones have no
            // built-in schema and were validated above.
            let out = Command::new(tool("kubernetes-validate"))
                .args(["--strict", "-k", "1.35.0"])
                .args(&files)
                .current_dir(&repo.dir)
                .output()
                .unwrap();
            let output = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.status.success(), "{controller} {env}:\n{output}");
            if controller == "flux" {
                assert!(output.contains("against version 1.35"), "{output}");
            }
            // kustomize builds the directory, and with Flux each namespace's two parts.
            let built = kubectl(&repo, &["kustomize", &format!("clusters/{env}/gitops")]);
            assert!(built.contains(&format!("name: {env}-gitops")), "{built}");
            if controller == "flux" {
                for part in ["secrets", "workloads"] {
                    let dir = format!("clusters/{env}/gitops/flux/shop/{part}");
                    let built = kubectl(
                        &repo,
                        &[
                            "kustomize",
                            "--load-restrictor",
                            "LoadRestrictionsNone",
                            &dir,
                        ],
                    );
                    let expected = if part == "secrets" {
                        "kind: ExternalSecret"
                    } else {
                        "kind: Deployment"
                    };
                    assert!(built.contains(expected), "{dir}:\n{built}");
                }
            }
            // `rampart check` finds nothing in them.
            let check = repo.rampart(&["check", &format!("clusters/{env}/gitops")]);
            assert_eq!(
                check.code, 0,
                "{controller} {env}:\n{}{}",
                check.stdout, check.stderr
            );
        }
    }
}

#[test]
fn every_namespace_is_protected_from_pruning_unless_deletion_is_opted_in() {
    let repo = Repo::init();
    let annotations = |env: &str, ns: &str| {
        let text = repo.read(&format!("clusters/{env}/namespaces/{ns}/namespace.yaml"));
        let doc: serde_json::Value =
            rampart_yaml::reference::typed(text.split("---\n").nth(1).unwrap()).unwrap();
        let get = |key: &str| {
            doc["metadata"]["annotations"][key]
                .as_str()
                .map(str::to_owned)
        };
        (
            get("argocd.argoproj.io/sync-options"),
            get("kustomize.toolkit.fluxcd.io/prune"),
        )
    };
    for env in ENVS {
        for ns in ["shop", "rampart-system"] {
            assert_eq!(
                annotations(env, ns),
                (Some("Delete=false".to_owned()), Some("disabled".to_owned())),
                "{env}/{ns}"
            );
        }
    }
    let config = repo.read("rampart.yaml");
    repo.write(
        "rampart.yaml",
        &format!("{config}offboarding:\n  deleteNamespace: true\n"),
    );
    repo.rampart(&["render"]).ok();
    for env in ENVS {
        assert_eq!(annotations(env, "shop"), (None, None), "{env}");
    }
}

#[test]
fn controller_none_renders_no_gitops_directory_and_bad_settings_name_their_line() {
    let repo = repo_with("none");
    for env in ENVS {
        assert!(
            repo.dir
                .join(format!("clusters/{env}/namespaces/shop"))
                .is_dir()
        );
        assert!(
            !repo.dir.join(format!("clusters/{env}/gitops")).exists(),
            "{env}"
        );
    }
    let config = repo.read("rampart.yaml");
    repo.write(
        "rampart.yaml",
        &config.replace("  controller: none", "  controller: spinnaker"),
    );
    let run = repo.rampart(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let line = config
        .lines()
        .position(|l| l.starts_with("  controller: none"))
        .unwrap()
        + 1;
    assert!(
        run.stderr.contains(&format!("rampart.yaml:{line}:")),
        "{}",
        run.stderr
    );
}
