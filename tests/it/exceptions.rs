//! Exceptions that expire: `rampart.dev/ignore: "<rule>: <reason>; until YYYY-MM-DD"` holds
//! through that day, then the finding comes back marked with it; `--max-exception-days`
//! and `check --exceptions`. The day is injected with `--today`.

use crate::support::{Run, rampart};
use tempfile::TempDir;

const EGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: legacy-egress
  namespace: shop
  annotations:
    # reviewed in SEC-7
    rampart.dev/ignore: \"netpol-egress-anywhere: migration of the legacy app; until 2027-03-31\"
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0}
";

fn check_on(dir: &TempDir, today: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", "policy.yaml", "--format", "json", "--today", today];
    args.extend_from_slice(extra);
    rampart(dir.path(), &args)
}

fn findings(run: &Run) -> Vec<serde_json::Value> {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

#[test]
fn an_exception_holds_through_its_date_and_the_finding_comes_back_after() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("policy.yaml"), EGRESS).unwrap();
    for today in ["2026-12-07", "2027-03-30", "2027-03-31"] {
        let run = check_on(&dir, today, &[]);
        assert_eq!((run.code, findings(&run).len()), (0, 0), "{today}: {run:?}");
    }
    let run = check_on(&dir, "2027-04-01", &[]);
    assert_eq!(run.code, 1, "{run:?}");
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["rule"], "netpol-egress-anywhere");
    assert_eq!(found[0]["expired_exception"], "2027-03-31");
    let message = found[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.ends_with("(the exception \"migration of the legacy app\" expired on 2027-03-31)"),
        "{message}"
    );
    // The text report says it too.
    let text = rampart(
        dir.path(),
        &["check", "policy.yaml", "--today", "2027-04-01"],
    );
    assert!(text.stdout.contains("expired on 2027-03-31"), "{text:?}");
}

#[test]
fn max_exception_days_makes_a_distant_or_missing_date_a_finding() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("policy.yaml"), EGRESS).unwrap();
    let rules = |run: &Run| -> Vec<String> {
        findings(run)
            .iter()
            .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // 2027-03-31 is 90 days after 2026-12-31 and 91 after 2026-12-30.
    let within = check_on(&dir, "2026-12-31", &["--max-exception-days", "90"]);
    assert_eq!((within.code, rules(&within).len()), (0, 0), "{within:?}");
    let beyond = check_on(&dir, "2026-12-30", &["--max-exception-days", "90"]);
    assert_eq!(
        rules(&beyond),
        ["netpol-egress-anywhere", "suppression-expiry"],
        "{beyond:?}"
    );
    let found = findings(&beyond);
    assert!(
        found[1]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("until 2027-03-31, more than 90 days away"),
        "{found:?}"
    );
    assert!(
        found[1]["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("`; until 2027-03-30`"),
        "{found:?}"
    );
    let undated = EGRESS.replace("; until 2027-03-31", "");
    std::fs::write(dir.path().join("policy.yaml"), undated).unwrap();
    let run = check_on(&dir, "2026-12-30", &["--max-exception-days", "90"]);
    assert_eq!(
        rules(&run),
        ["netpol-egress-anywhere", "suppression-expiry"]
    );
    // Without the maximum, an undated exception holds as before.
    let run = check_on(&dir, "2026-12-30", &[]);
    assert_eq!((run.code, rules(&run).len()), (0, 0), "{run:?}");
}

#[test]
fn check_exceptions_lists_every_exception_with_its_reason_and_expiry() {
    let dir = TempDir::new().unwrap();
    let second = "---
apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: shop
  annotations:
    rampart.dev/ignore: |
      container-privileged: node agent, reviewed in SEC-42
      until 2026-01-31
      image-digest
spec: {containers: []}
";
    std::fs::write(dir.path().join("policy.yaml"), format!("{EGRESS}{second}")).unwrap();
    let run = rampart(
        dir.path(),
        &[
            "check",
            "policy.yaml",
            "--exceptions",
            "--today",
            "2026-12-07",
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout,
        "policy.yaml:1 NetworkPolicy/shop/legacy-egress netpol-egress-anywhere: migration of the legacy app
    until 2027-03-31: holds
policy.yaml:16 Pod/shop/agent container-privileged: node agent, reviewed in SEC-42
    until 2026-01-31: expired (the last day was 2026-01-31)
policy.yaml:16 Pod/shop/agent image-digest: (no reason)
    until (none): invalid: suppresses `image-digest` without a reason, so it is not suppressed; write `image-digest: <why this is acceptable>`, or fix the finding

3 exception(s) in 2 document(s)
"
    );
    std::fs::write(dir.path().join("policy.yaml"), EGRESS).unwrap();
    let run = rampart(
        dir.path(),
        &[
            "check",
            "policy.yaml",
            "--exceptions",
            "--format",
            "json",
            "--today",
            "2026-12-07",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let listed = findings(&run);
    assert_eq!(listed[0]["until"], "2027-03-31");
    assert_eq!(listed[0]["status"], "holds");
    assert_eq!(listed[0]["reason"], "migration of the legacy app");
}

#[test]
fn a_bad_today_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("policy.yaml"), EGRESS).unwrap();
    let run = rampart(
        dir.path(),
        &["check", "policy.yaml", "--today", "2027-02-29"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("`2027-02-29` is not a date of the form YYYY-MM-DD"),
        "{run:?}"
    );
}
