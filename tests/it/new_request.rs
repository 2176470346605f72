//! `rampart new`.

use crate::support::Repo;

#[test]
fn new_writes_a_commented_valid_request_renders_and_commits_it() {
    let repo = Repo::init();
    let out = repo.rampart(&[
        "new",
        "payments",
        "--team",
        "payments",
        "--app",
        "api",
        "--app",
        "ledger",
        "--label",
        "cost-center=cc-1",
        "--label",
        "data-classification=confidential",
        "--developer-group",
        "oidc:payments-devs",
    ]);
    assert!(
        out.ok().contains("wrote specs/payments.yaml"),
        "{}",
        out.stdout
    );
    assert_eq!(repo.status(), "");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "rampart: new namespace payments"
    );
    let spec = repo.read("specs/payments.yaml");
    assert!(
        spec.contains("# ingress:"),
        "commented hints for a person to edit:\n{spec}"
    );
    assert!(spec.contains("  - name: \"ledger\""), "{spec}");
    for env in ["dev", "staging", "prod"] {
        let rbac = repo.read(&format!("clusters/{env}/namespaces/payments/rbac.yaml"));
        assert!(rbac.contains("name: oidc:payments-devs"), "{rbac}");
        assert!(rbac.contains("name: ledger"));
    }
    assert!(repo.rampart(&["render", "--check"]).ok().starts_with("ok:"));
    // Uncommenting a hint keeps the request valid.
    let edited = spec.replace("    # egress:              # where it may connect (default: cluster DNS only)\n    #   - toApp: other-app\n", "    egress:\n      - toApp: ledger\n");
    assert_ne!(edited, spec);
    repo.write("specs/payments.yaml", &edited);
    repo.rampart(&["render"]).ok();
    assert!(
        repo.read("clusters/prod/namespaces/payments/network-policies.yaml")
            .contains("app.kubernetes.io/name: ledger")
    );
}

#[test]
fn new_works_as_written_and_marks_required_labels_to_fill_in() {
    let repo = Repo::init();
    let out = repo.rampart(&[
        "new",
        "pay",
        "--team",
        "t",
        "--app",
        "a",
        "--label",
        "cost-center=cc-9",
    ]);
    assert!(
        out.ok()
            .contains("note: required label(s) data-classification are `unassigned`"),
        "{}",
        out.stdout
    );
    let spec = repo.read("specs/pay.yaml");
    assert!(spec.contains("  \"cost-center\": \"cc-9\"\n"), "{spec}");
    assert!(spec.contains("  \"data-classification\": \"unassigned\"   # required by rampart.yaml: replace with the real value\n"), "{spec}");
    assert!(
        repo.read("clusters/prod/namespaces/pay/namespace.yaml")
            .contains("data-classification: unassigned")
    );
    assert_eq!(repo.status(), "");
    // Removing a required label is still refused at render time.
    repo.write(
        "specs/pay.yaml",
        &spec.replace("  \"cost-center\": \"cc-9\"\n", ""),
    );
    let refused = repo.rampart(&["render"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains(
            "specs/pay.yaml:8:1: error: labels: required governance label `cost-center` is missing"
        ),
        "{}",
        refused.stderr
    );
}

#[test]
fn new_refuses_bad_names_and_existing_requests_without_writing() {
    let repo = Repo::init();
    let before = repo.state();
    for bad in ["../evil", "../../x", "a/b", "Shop"] {
        let refused = repo.rampart(&["new", bad, "--team", "t", "--app", "a"]);
        assert_eq!(refused.code, 2, "{bad}: {}", refused.stderr);
        assert!(
            refused.stderr.contains(&format!(
                "invalid value '{bad}' for '<NAME>': a namespace name is an RFC 1123 label"
            )),
            "{}",
            refused.stderr
        );
        assert!(
            refused.stderr.contains("no `/` or `.`"),
            "{}",
            refused.stderr
        );
    }
    let bad_app = repo.rampart(&[
        "new",
        "pay",
        "--team",
        "t",
        "--app",
        "A_1",
        "--label",
        "cost-center=c",
        "--label",
        "data-classification=x",
    ]);
    assert_eq!(bad_app.code, 2);
    assert!(
        bad_app
            .stderr
            .contains("apps[0].name: `A_1` is not an RFC 1123 label"),
        "{}",
        bad_app.stderr
    );
    let existing = repo.rampart(&["new", "shop", "--team", "t", "--app", "a"]);
    assert!(
        existing.stderr.contains("specs/shop.yaml already exists"),
        "{}",
        existing.stderr
    );
    assert_eq!(repo.state(), before);
}

#[test]
fn the_image_hint_names_a_registry_every_environment_allows() {
    let repo = Repo::init();
    for env in ["dev", "staging", "prod"] {
        let rel = format!("environments/{env}.yaml");
        let own = if env == "dev" {
            "  - dev-only.example/\n"
        } else {
            ""
        };
        let text = repo.read(&rel).replacen(
            "  - registry.example.com/\n",
            &format!("{own}  - harbor.corp.example/\n  - registry.example.com/\n"),
            1,
        );
        repo.write(&rel, &text);
    }
    repo.git(&["commit", "-qam", "a second registry"]);
    repo.rampart(&[
        "new",
        "pay",
        "--team",
        "t",
        "--app",
        "web",
        "--label",
        "cost-center=cc-9",
        "--label",
        "data-classification=internal",
    ])
    .ok();
    let spec = repo.read("specs/pay.yaml");
    let hint = spec
        .lines()
        .find(|l| l.trim_start().starts_with("#   image:"))
        .expect("an image hint");
    assert!(
        hint.contains("#   image: harbor.corp.example/<repository>@sha256:<64 hex digits>"),
        "the first registry dev, staging and prod all allow: {hint}"
    );
    // The hint, filled in, is an image every environment accepts.
    let filled = spec.replace("    # workload:", "    workload:").replace(
        hint,
        &format!(
            "      image: harbor.corp.example/web@sha256:{}",
            "0".repeat(64)
        ),
    );
    repo.write("specs/pay.yaml", &filled);
    repo.rampart(&["render"]).ok();
    assert!(
        repo.read("clusters/prod/namespaces/pay/workload-web.yaml")
            .contains("harbor.corp.example/web@sha256:")
    );
}
