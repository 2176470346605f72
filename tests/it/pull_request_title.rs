//! Commit subjects and pull-request titles name what the change touches, not every
//! namespace of the repository (issue 12, item 6).

use crate::delivery::{github_setup, mount_github, request_spec, requests};

#[test]
fn the_title_names_only_the_namespaces_and_environments_the_change_touches() {
    let (runtime, server, s) = github_setup("");
    for name in ["billing", "payments"] {
        s.repo.write(
            &format!("specs/{name}.yaml"),
            &request_spec(&["api"]).replace("name: shop", &format!("name: {name}")),
        );
    }
    s.rampart(&["render"]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    runtime.block_on(mount_github(&server, None));

    // One request edited: its namespace in every environment, no other.
    s.repo.write(
        "specs/billing.yaml",
        &request_spec(&["api", "worker"]).replace("name: shop", "name: billing"),
    );
    s.rampart(&["render", "--pr"]).ok();
    let sent = runtime.block_on(requests(&server));
    let created = crate::delivery::created_pull_request(&sent);
    let title = "rampart: render billing (dev, staging, prod)";
    assert_eq!(created["title"], title);
    let body = created["body"].as_str().unwrap_or_default();
    assert!(body.starts_with(title), "{body}");
    let branch = crate::delivery::rampart_branch(&s);
    assert_eq!(
        s.remote(&["log", "-1", "--format=%s", &branch]).trim(),
        title
    );

    // A local commit of one environment: that environment only (billing's edit went to
    // the pull request; it is dropped here).
    s.repo.git(&["checkout", "specs/billing.yaml"]);
    s.repo.write(
        "specs/payments.yaml",
        &request_spec(&["api", "cron"]).replace("name: shop", "name: payments"),
    );
    s.rampart(&["render", "--env", "dev"]).ok();
    assert_eq!(
        s.repo.git(&["log", "-1", "--format=%s"]).trim(),
        "rampart: render payments (dev)"
    );
}
