//! Every rendered document validated by kubernetes-validate --strict (unknown fields are
//! errors) against the Kubernetes version its environment names, and every environment
//! built by `kubectl kustomize`.

use crate::support::{Repo, tool};
use std::process::Command;

fn environments(repo: &Repo) -> Vec<(String, String)> {
    ["dev", "staging", "prod"]
        .iter()
        .map(|env| {
            let text = repo.read(&format!("environments/{env}.yaml"));
            let values: serde_json::Value = rampart_yaml::reference::typed(&text).unwrap();
            (
                env.to_string(),
                values["kubernetesVersion"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn with_every_feature(repo: &Repo) {
    // A second request that uses what the example does not: internet egress (acknowledged),
    // UDP ports, ranges, defaults for probes and resources, no owners.
    repo.write(
        "specs/edge.yaml",
        &format!(
            "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: edge\nteam: net\n\
             labels: {{cost-center: c9, data-classification: public}}\n\
             apps:\n  - name: gw\n    ports: [{{name: dns, port: 5353, protocol: UDP}}, {{name: http, port: 8080}}]\n\
             \x20   ingress: [{{fromNamespace: lb}}]\n\
             \x20   egress:\n      - toCidr: 0.0.0.0/0\n        acknowledgeInternetEgress: public webhooks\n        ports: [{{port: 443}}, {{port: 30000, endPort: 32767}}]\n\
             \x20     - toNamespace: logging\n        ports: [{{port: 24224, protocol: UDP}}]\n\
             \x20   workload: {{image: \"registry.example.com/edge/gw@sha256:{}\"}}\n",
            "0".repeat(64)
        ),
    );
    repo.rampart(&["render"]).ok();
}

#[test]
fn every_rendered_document_passes_strict_schema_validation() {
    let validator = tool("kubernetes-validate");
    let repo = Repo::init();
    with_every_feature(&repo);
    for (env, version) in environments(&repo) {
        let files: Vec<String> = repo
            .files_under(&format!("clusters/{env}/namespaces"))
            .into_iter()
            .filter(|f| !f.ends_with("kustomization.yaml"))
            .collect();
        let documents: usize = files
            .iter()
            .map(|f| repo.read(f).matches("\n---\n").count())
            .sum();
        assert!(documents > 30, "{env}: only {documents} documents rendered");
        let out = Command::new(&validator)
            .args(["--strict", "-k", &format!("{version}.0")])
            .args(&files)
            .current_dir(&repo.dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{env} ({version}):\n{stdout}\n{stderr}"
        );
        let output = format!("{stdout}{stderr}");
        let passed = output
            .matches(&format!("against version {version}"))
            .count();
        // External Secrets Operator and Prometheus Operator kinds have no built-in schema;
        // tests/it/secrets.rs and service_namespace.rs validate them against their CRDs.
        let custom: usize = files
            .iter()
            .map(|f| {
                let text = repo.read(f);
                text.matches("\napiVersion: external-secrets.io/v1\n")
                    .count()
                    + text
                        .matches("\napiVersion: monitoring.coreos.com/v1\n")
                        .count()
            })
            .sum();
        assert!(custom > 0, "{env}: the example renders ExternalSecrets");
        assert_eq!(
            output.matches("Couldn't find schema for kind").count(),
            custom,
            "{env}: only ESO and Prometheus Operator kinds may lack a built-in schema:\n{output}"
        );
        assert_eq!(
            passed,
            documents - custom,
            "{env}: every built-in document must be validated:\n{output}"
        );
    }
}

#[test]
fn validator_rejects_what_it_should() {
    // Guards the test above against a validator that passes everything.
    let validator = tool("kubernetes-validate");
    let dir = tempfile::TempDir::new().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\nautomountServiceAcountToken: false\n").unwrap();
    let out = Command::new(&validator)
        .args(["--strict", "-k", "1.34.0"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn kustomize_builds_every_environment() {
    let kubectl = tool("kubectl");
    let repo = Repo::init();
    with_every_feature(&repo);
    for (env, _) in environments(&repo) {
        let out = Command::new(&kubectl)
            .args(["kustomize", &format!("clusters/{env}")])
            .current_dir(&repo.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{env}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let built = String::from_utf8_lossy(&out.stdout);
        for object in [
            "kind: Namespace",
            "name: default-deny-all",
            "kind: Deployment",
            "kind: PodDisruptionBudget",
            "name: edge",
            "name: shop",
        ] {
            assert!(
                built.contains(object),
                "{env}: kustomize output lacks {object}"
            );
        }
    }
}
