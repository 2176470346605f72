//! `rampart remove`: the request goes, every environment's objects are listed in the commit
//! message and the pull request (the Namespace kept, protected from pruning), and a
//! namespace other requests still refer to is refused at their file:line.

use crate::delivery::{created_pull_request, github_setup, mount_github, requests};
use crate::support::Repo;

/// The example repository plus a second namespace `payments` of team `pay`.
fn with_payments() -> Repo {
    let repo = Repo::init();
    repo.rampart(&[
        "new",
        "payments",
        "--team",
        "pay",
        "--app",
        "api",
        "--label",
        "cost-center=c1",
        "--label",
        "data-classification=internal",
    ])
    .ok();
    repo
}

#[test]
fn remove_commits_the_removal_with_every_deleted_object_and_keeps_the_namespace() {
    let repo = with_payments();
    let run = repo.rampart(&["remove", "payments"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let message = repo.git(&["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("rampart: remove namespace payments\n"),
        "{message}"
    );
    for env in ["dev", "staging", "prod"] {
        assert!(
            !repo
                .dir
                .join(format!("clusters/{env}/namespaces/payments"))
                .exists()
        );
        let section = message.split(&format!("\n{env}:\n")).nth(1).expect(env);
        for object in [
            "- NetworkPolicy payments/default-deny-all\n",
            "- Role payments/rampart-admin\n",
            "- ResourceQuota payments/namespace-quota\n",
            "- Namespace payments (kept: protected from pruning)\n",
            &format!("- Application argocd/{env}-ns-payments\n"),
            &format!("- AppProject argocd/{env}-team-pay\n"),
        ] {
            assert!(section.contains(object), "{env}: {object}\n{message}");
        }
        assert!(
            !repo
                .read(&format!("clusters/{env}/gitops/applications.yaml"))
                .contains("payments")
        );
    }
    assert!(!repo.dir.join("specs/payments.yaml").exists());
    assert!(
        message.contains("PersistentVolumeClaims in namespace payments"),
        "{message}"
    );
    assert!(
        message.contains("kubectl delete namespace payments"),
        "{message}"
    );
    assert_eq!(repo.status(), "", "nothing left uncommitted");
}

#[test]
fn a_referenced_namespace_is_refused_at_the_referencing_line_and_nothing_changes() {
    let repo = with_payments();
    let shop = repo.read("specs/shop.yaml");
    repo.write(
        "specs/shop.yaml",
        &shop.replace(
            "      - fromNamespace: ingress-nginx",
            "      - fromNamespace: payments",
        ),
    );
    repo.rampart(&["render"]).ok();
    let head = repo.head();
    let line = repo
        .read("specs/shop.yaml")
        .lines()
        .position(|l| l.contains("fromNamespace: payments"))
        .unwrap()
        + 1;
    let run = repo.rampart(&["remove", "payments"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("specs/shop.yaml:{line}:")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("still refers to namespace `payments`"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.head(), head);
    assert!(repo.dir.join("specs/payments.yaml").exists());
    assert_eq!(repo.status(), "");
}

#[test]
fn removing_a_request_that_does_not_exist_is_a_usage_error_that_changes_nothing() {
    let repo = with_payments();
    let before = repo.state();
    let run = repo.rampart(&["remove", "nosuch"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("error: specs/nosuch.yaml does not exist: no request to remove"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("nothing was committed"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.state(), before);
}

#[test]
fn remove_pr_lists_the_deletions_and_backend_policies_in_the_pull_request_body() {
    let (runtime, server, s) = github_setup("");
    runtime.block_on(mount_github(&server, None));
    let run = s.rampart(&["remove", "shop", "--pr"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let sent = runtime.block_on(requests(&server));
    let pr = created_pull_request(&sent);
    assert_eq!(pr["title"], "rampart: remove namespace shop");
    let body = pr["body"].as_str().unwrap();
    for expected in [
        "\nprod:\n",
        "- Deployment shop/api\n",
        "- ExternalSecret shop/api-db\n",
        "- Namespace shop (kept: protected from pruning)\n",
        "- backend policy or role: clusters/prod/cluster/secrets-backend/vault/policies/rampart-shop.hcl\n",
        "PersistentVolumeClaims in namespace shop",
    ] {
        assert!(body.contains(expected), "{expected}\n{body}");
    }
}
