//! `rampart check --fix` on manifests nobody here wrote: Istio's Bookinfo and Google's
//! Online Boutique (tests/fixtures/fix/, with their licenses and source commits). After the
//! fix only findings that need a decision remain, every fixed document passes
//! kubernetes-validate --strict, the diff only adds the fixed fields, and a second fix
//! changes nothing.

use crate::support::{Run, rampart, tool};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The fixture files, copied into a temporary directory as `app/file`.
fn copy_fixtures() -> (TempDir, Vec<String>) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fix");
    let tmp = TempDir::new().unwrap();
    let mut files = Vec::new();
    for (app, names) in [
        ("bookinfo", &["bookinfo.yaml"][..]),
        (
            "online-boutique",
            &["cartservice.yaml", "frontend.yaml", "loadgenerator.yaml"],
        ),
    ] {
        std::fs::create_dir_all(tmp.path().join(app)).unwrap();
        for name in names {
            let file = format!("{app}/{name}");
            std::fs::copy(source.join(&file), tmp.path().join(&file)).unwrap();
            files.push(file);
        }
    }
    (tmp, files)
}

fn json(run: &Run) -> Vec<serde_json::Value> {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

/// `(file, rule, message)` of each finding (the lines of objects move as fields are added).
fn found(run: &Run) -> BTreeSet<(String, String, String)> {
    json(run)
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("file"), s("rule"), s("message"))
        })
        .collect()
}

fn read_all(dir: &Path, files: &[String]) -> Vec<String> {
    files
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
        .collect()
}

/// A line `--fix` may add: one of the fields it writes.
fn is_fixed_field(line: &str) -> bool {
    const FIELDS: [&str; 13] = [
        "securityContext:",
        "allowPrivilegeEscalation: false",
        "runAsNonRoot: true",
        "capabilities:",
        "drop: [ALL]",
        "- ALL",
        "seccompProfile:",
        "type: RuntimeDefault",
        "readOnlyRootFilesystem: true",
        "volumeMounts:",
        "volumes:",
        "mountPath: /tmp",
        "emptyDir: {}",
    ];
    let line = line.trim();
    FIELDS.contains(&line) || line == "- name: tmp" || line == "name: tmp"
}

#[test]
fn fix_on_public_manifests_leaves_only_what_needs_a_decision() {
    let (tmp, files) = copy_fixtures();
    let dir = tmp.path();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["check".to_owned()];
        args.extend(files.iter().cloned());
        args.extend(["--format", "json"].map(str::to_owned));
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run = |extra: &[&str]| {
        let args = args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        rampart(dir, &args)
    };
    let original = read_all(dir, &files);
    let before = found(&run(&[]));

    // The dry run prints the diff and writes nothing.
    let dry = run(&["--fix", "--dry-run"]);
    assert_eq!(dry.code, 1, "{dry:?}");
    assert!(
        dry.stdout
            .contains("--- a/bookinfo/bookinfo.yaml\n+++ b/bookinfo/bookinfo.yaml\n"),
        "{}",
        dry.stdout
    );
    assert_eq!(read_all(dir, &files), original);

    let fixed = run(&["--fix"]);
    assert_eq!(fixed.code, 1, "{fixed:?}");
    let remaining = found(&fixed);
    let after = found(&run(&[]));
    assert_eq!(
        after, remaining,
        "check after --fix reports what --fix said needs you"
    );
    assert!(after.is_subset(&before));
    let fixed_rules = [
        "container-privilege-escalation",
        "container-run-as-non-root",
        "container-seccomp",
        "container-read-only-root",
    ];
    for rule in fixed_rules {
        assert!(
            before.iter().any(|f| f.1 == rule),
            "{rule} is not in the fixtures"
        );
        assert!(
            !after.iter().any(|f| f.1 == rule),
            "{rule} remains: {after:#?}"
        );
    }
    let needs_you: BTreeSet<&str> = after.iter().map(|f| f.1.as_str()).collect();
    assert!(needs_you.contains("image-digest"), "{needs_you:?}");
    assert!(
        fixed.stderr.contains("finding(s) in 4 file(s);"),
        "{}",
        fixed.stderr
    );

    // The diff only adds lines, each one of the fixed fields; every original line stays.
    let now = read_all(dir, &files);
    for ((file, old), new) in files.iter().zip(&original).zip(&now) {
        let diff = similar::TextDiff::from_lines(old, new);
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Equal => {}
                similar::ChangeTag::Delete => panic!("{file}: line removed: {change}"),
                similar::ChangeTag::Insert => {
                    assert!(
                        is_fixed_field(change.value()),
                        "{file}: unexpected line {:?}",
                        change.value()
                    );
                }
            }
        }
    }

    // Every fixed document passes strict schema validation.
    let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
    let out = Command::new(tool("kubernetes-validate"))
        .args(["--strict", "-k", "1.34.0"])
        .args(&paths)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{report}");
    let documents: usize = now.iter().map(|t| t.matches("\nkind: ").count()).sum();
    assert_eq!(
        report.matches(" passed for resource ").count(),
        documents,
        "{report}"
    );

    // A second fix changes nothing.
    let again = run(&["--fix"]);
    assert_eq!(read_all(dir, &files), now);
    assert!(
        again.stderr.contains("fixed 0 finding(s)"),
        "{}",
        again.stderr
    );
    assert_eq!(found(&again), remaining);
}

#[test]
fn generated_files_and_standard_input_are_reported_not_edited() {
    let (tmp, _) = copy_fixtures();
    let dir = tmp.path();
    let text = std::fs::read_to_string(dir.join("online-boutique/frontend.yaml")).unwrap();
    let helm = format!("---\n# Source: boutique/templates/frontend.yaml\n{text}");
    std::fs::write(dir.join("rendered.yaml"), &helm).unwrap();
    let run = rampart(dir, &["check", "rendered.yaml", "--fix"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("rendered.yaml:2: generated file (`# Source: boutique/templates/frontend.yaml`): not edited"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("rendered.yaml")).unwrap(),
        helm
    );
    assert!(
        run.stdout.contains("[medium] image-digest"),
        "{}",
        run.stdout
    );

    let out = Command::new(crate::support::rampart_bin())
        .args(["check", "-", "--fix"])
        .current_dir(dir)
        .stdin(std::fs::File::open(dir.join("online-boutique/frontend.yaml")).unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("<stdin>: standard input is not edited in place"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// Applies a SARIF replacement (1-based lines and code-point columns) to `text`.
fn apply_replacement(text: &str, replacement: &serde_json::Value) -> String {
    let region = &replacement["deletedRegion"];
    let offset = |line: &serde_json::Value, column: &serde_json::Value| {
        let (line, column) = (
            line.as_u64().unwrap() as usize,
            column.as_u64().unwrap() as usize,
        );
        let start: usize = text
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum();
        start
            + text[start..]
                .chars()
                .take(column - 1)
                .map(char::len_utf8)
                .sum::<usize>()
    };
    let start = offset(&region["startLine"], &region["startColumn"]);
    let end = offset(&region["endLine"], &region["endColumn"]);
    let inserted = replacement["insertedContent"]["text"].as_str().unwrap();
    format!("{}{inserted}{}", &text[..start], &text[end..])
}

#[test]
fn sarif_and_json_carry_each_fix_as_a_replacement_that_fixes_that_finding() {
    let (tmp, files) = copy_fixtures();
    let dir = tmp.path();
    let before = found(&rampart(dir, &["check", &files[0], "--format", "json"]));
    let sarif = rampart(dir, &["check", &files[0], "--format", "sarif"]);
    crate::check::assert_valid_sarif(&sarif.stdout);
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let original = std::fs::read_to_string(dir.join(&files[0])).unwrap();
    let mut with_fixes = 0;
    for result in results {
        let Some(fix) = result["fixes"].get(0) else {
            continue;
        };
        with_fixes += 1;
        let change = &fix["artifactChanges"][0];
        assert_eq!(change["artifactLocation"]["uri"], files[0].as_str());
        // Each fix alone removes its finding and nothing else.
        let fixed = apply_replacement(&original, &change["replacements"][0]);
        std::fs::write(dir.join(&files[0]), &fixed).unwrap();
        let after = found(&rampart(dir, &["check", &files[0], "--format", "json"]));
        let gone: Vec<_> = before.difference(&after).collect();
        assert_eq!(gone.len(), 1, "{}: {gone:?}", result["ruleId"]);
        assert_eq!(gone[0].1, result["ruleId"].as_str().unwrap());
        assert!(after.is_subset(&before));
    }
    std::fs::write(dir.join(&files[0]), &original).unwrap();
    // Bookinfo's six deployments: escalation, non-root, drop, seccomp and read-only root.
    assert_eq!(with_fixes, 30, "{}", sarif.stdout);
    let json = json(&rampart(dir, &["check", &files[0], "--format", "json"]));
    let edits = json.iter().filter(|f| f.get("fix_edit").is_some()).count();
    assert_eq!(edits, with_fixes);
}

const SHOP: &str = "# The shop namespace and its API.
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels: {app.kubernetes.io/name: api}
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: api}
  template:
    metadata:
      labels: {app.kubernetes.io/name: api}
    spec:
      serviceAccountName: api
      containers:
        - name: api
          image: registry.example.com/shop/api:1.4   # pinned at release
          resources:
            limits: {cpu: 500m, memory: 256Mi}
";

#[test]
fn a_namespace_without_default_deny_gets_one_in_a_new_file_beside_it() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("shop")).unwrap();
    std::fs::write(dir.join("shop/shop.yaml"), SHOP).unwrap();
    let added = dir.join("shop/shop-default-deny-all.yaml");

    let dry = rampart(dir, &["check", "shop", "--fix", "--dry-run"]);
    assert!(
        dry.stdout
            .contains("--- /dev/null\n+++ b/shop/shop-default-deny-all.yaml\n"),
        "{dry:?}"
    );
    assert!(!added.exists());

    let run = rampart(dir, &["check", "shop", "--fix", "--format", "json"]);
    let rules: Vec<String> = json(&run)
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
        .collect();
    // The report is a check of the fixed files: the default deny now leaves the pods
    // nothing, and which peers to allow is a decision.
    assert_eq!(
        rules,
        ["image-digest", "pod-not-selected-by-allow-policy"],
        "{run:?}"
    );
    let policy = std::fs::read_to_string(&added).unwrap();
    assert!(policy.contains("kind: NetworkPolicy\nmetadata:\n  name: default-deny-all\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"), "{policy}");
    let out = Command::new(tool("kubernetes-validate"))
        .args(["--strict", "-k", "1.34.0"])
        .args([&added, &dir.join("shop/shop.yaml")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let after = rampart(dir, &["check", "shop", "--format", "json"]);
    assert_eq!(found(&after), found(&run));

    // A file of that name is never overwritten: the finding needs you.
    std::fs::write(dir.join("shop/shop.yaml"), SHOP).unwrap();
    std::fs::write(&added, "# mine\n").unwrap();
    let run = rampart(dir, &["check", "shop", "--fix", "--format", "json"]);
    assert_eq!(std::fs::read_to_string(&added).unwrap(), "# mine\n");
    assert!(
        run.stderr
            .contains("shop-default-deny-all.yaml exists: not overwritten"),
        "{run:?}"
    );
    let rules: Vec<String> = json(&run)
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(rules, ["namespace-default-deny", "image-digest"]);
}

#[test]
fn the_dry_run_diff_shows_no_secret_value() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let text = "kind: Namespace\nmetadata:\n  name: shop\n---\nkind: Secret\nstringData: {password: hunter2-not-real}\nmetadata: {name: db, namespace: shop}\n";
    std::fs::write(dir.join("shop.yaml"), text).unwrap();
    let run = rampart(dir, &["check", "shop.yaml", "--fix", "--dry-run"]);
    assert!(
        run.stdout
            .contains("+  labels:\n+    pod-security.kubernetes.io/enforce: restricted\n"),
        "{run:?}"
    );
    assert!(
        !run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"),
        "{run:?}"
    );
}
