//! The manifest fixtures of `tests/fixtures/netpol/`: each `<case>.yaml` (Namespaces,
//! Deployments, NetworkPolicies) against `<case>.flows`, the flows `netmap --pairs` prints.
//! `scripts/compare-nca.sh` checks the same fixtures against network-config-analyzer; the
//! `.flows` files were reviewed against its output (see the fixtures' comments for where
//! it differs). `RAMPART_BLESS=1` rewrites the `.flows` files.

use std::path::{Path, PathBuf};

use crate::load::{comparison_lines, load};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netpol")
}

#[test]
fn every_fixture_gives_its_recorded_flows() {
    let bless = std::env::var_os("RAMPART_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 14, "fixtures: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let net = load(case).unwrap_or_else(|e| panic!("{e}"));
        let got = comparison_lines(&net).join("\n") + "\n";
        let expected_path = case.with_extension("flows");
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (RAMPART_BLESS=1 writes it)",
                expected_path.display()
            )
        });
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn egress_without_rules_does_not_default_to_egress() {
    // The one fixture where network-config-analyzer 2.1.0 disagrees: it treats `egress: []`
    // without policyTypes as an Egress policy; the API server defaults policyTypes to
    // [Ingress] unless `len(spec.egress) != 0` (kubernetes pkg/apis/networking/v1/defaults.go).
    let net = load(&fixture_dir().join("02-empty-egress-without-types.yaml")).unwrap();
    let lines = comparison_lines(&net);
    assert!(
        lines.contains(&"shop/db => shop/api : all".to_owned()),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("shop/api => shop/db")),
        "{lines:?}"
    );
}
