//! `rampart rotate` delivering its pins through the remote: a push the remote refuses (the
//! next run delivers the version already written, without rotating again) or that races
//! another push, and pull requests that a later run updates instead of opening another.
//! Real OpenBao, real bare remotes (through `git daemon` where hooks must run), GitHub's
//! pull-request API mocked with wiremock.

use crate::delivery::{Setup, TOKEN, TOKEN_VAR, mount_github, requests, updated_pull_request_body};
use crate::rotate::{FIRST_PASSWORD, KEY, current_version, seed_versions, use_vault};
use crate::support::{Run, rampart_bin};
use rampart_testkit::OpenBao;
use serde_json::Value;
use std::process::Command;
use wiremock::MockServer;

/// A follow-only secret added to app `api` for the pull-request test.
const CACHE_KEY: &str = "shop/api/cache";

/// `setup` with every environment on `bao`, committed, rendered and pushed to `main`.
pub(crate) fn delivered_setup(
    delivery: &str,
    served: bool,
    bao: &OpenBao,
    extra_secret: bool,
) -> Setup {
    let s = Setup::new(delivery, served);
    use_vault(&s.repo, &bao.addr());
    if extra_secret {
        let spec = s.repo.read("specs/shop.yaml");
        let anchor = "    workload:\n      image: registry.example.com/shop/api@";
        assert!(spec.contains(anchor));
        let cache = format!(
            "      - name: api-cache\n        backend: vault\n        remoteKey: {CACHE_KEY}\n        properties: [token]\n        version: 1\n        rotation: {{follow: true}}\n"
        );
        s.repo.write(
            "specs/shop.yaml",
            &spec.replacen(anchor, &format!("{cache}{anchor}"), 1),
        );
        write_cache(bao, "cache-token-1");
    }
    s.repo.git(&["add", "-A"]);
    s.repo
        .git(&["commit", "-q", "-m", "use the test's OpenBao"]);
    s.repo.rampart(&["render"]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    seed_versions(bao);
    s
}

fn write_cache(bao: &OpenBao, token: &str) {
    bao.put(CACHE_KEY, &serde_json::json!({"token": token}), None);
}

fn rotate(s: &Setup, bao: &OpenBao, args: &[&str]) -> Run {
    Command::new(rampart_bin())
        .arg("rotate")
        .args(args)
        .current_dir(&s.repo.dir)
        .env("VAULT_TOKEN", bao.root_token())
        .env(TOKEN_VAR, TOKEN)
        .env_remove("BAO_TOKEN")
        .env_remove("RAMPART_BRANCH")
        .env_remove("RAMPART_REPO")
        .output()
        .expect("run rampart rotate")
        .into()
}

/// The version `rev`'s rendered ExternalSecret for `name` in `env` pins.
pub(crate) fn pinned_at(s: &Setup, rev: &str, env: &str, name: &str) -> String {
    let text = s.remote(&[
        "show",
        &format!("{rev}:clusters/{env}/namespaces/shop/external-secrets.yaml"),
    ]);
    for doc in rampart_yaml::reference::documents(&text).expect("YAML") {
        if doc["kind"] == "ExternalSecret" && doc["metadata"]["name"] == name {
            return doc["spec"]["data"][0]["remoteRef"]["version"]
                .as_str()
                .expect("a pinned version")
                .to_owned();
        }
    }
    panic!("no ExternalSecret {name} in {env} at {rev}");
}

/// The password of `KEY`'s version `version`, read as ESO would.
pub(crate) fn password_of(bao: &OpenBao, version: &str) -> String {
    let out = bao
        .request(
            "GET",
            &format!("/v1/secret/data/{KEY}?version={version}"),
            None,
        )
        .expect("read");
    assert_eq!(out.status, 200, "{}", out.body);
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    v["data"]["data"]["password"]
        .as_str()
        .expect("password")
        .to_owned()
}

#[test]
fn a_refused_push_is_delivered_by_the_next_run_without_rotating_again() {
    let bao = OpenBao::start();
    let s = delivered_setup("  baseBranch: main\n", true, &bao, false);
    let main_before = s.remote(&["rev-parse", "main"]);
    let local_before = s.repo.state();

    // 1. The remote refuses every push: the new version is written, the pin is not.
    s.hook("#!/bin/sh\necho 'frozen for the release' >&2\nexit 1\n");
    let refused = rotate(
        &s,
        &bao,
        &[
            "--env",
            "dev",
            "--force",
            "--delivery",
            "push",
            "--branch",
            "main",
        ],
    );
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stdout.contains("3 → 4"),
        "the summary says what the backend holds: {}",
        refused.stdout
    );
    assert_eq!(current_version(&bao), 4);
    assert_eq!(s.remote(&["rev-parse", "main"]), main_before);
    assert_eq!(s.repo.state(), local_before, "nothing changed locally");
    let new_password = password_of(&bao, "4");

    // 2. The remote accepts again, and moves while the push is received: the next run
    // (not forced, not due) finds version 4 as its own, renders onto the moved `main`
    // and pushes the pin, without writing a version 5.
    s.racing_hook(false);
    let again = rotate(
        &s,
        &bao,
        &["--env", "dev", "--delivery", "push", "--branch", "main"],
    );
    let stdout = again.ok();
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("shop/api-db") && l.contains("3 → 4") && l.ends_with("resumed")),
        "{stdout}"
    );
    assert_eq!(current_version(&bao), 4, "no second rotation");
    assert!(s.remote_has("main:racer.txt"), "the racer's commit is kept");
    assert_eq!(pinned_at(&s, "main", "dev", "api-db"), "4");
    assert_eq!(pinned_at(&s, "main", "prod", "api-db"), "3");
    let spec = s.remote(&["show", "main:specs/shop.yaml"]);
    assert!(
        spec.contains("version: {dev: 4, staging: 3, prod: 3}"),
        "{spec}"
    );
    assert_eq!(
        password_of(&bao, "3"),
        FIRST_PASSWORD,
        "the old pin still reads"
    );

    // Nothing of either value left the backend.
    let history = s.remote(&["log", "-p", "--all", "--format=%B"]);
    for (what, text) in [
        ("stdout", refused.stdout.as_str()),
        ("stderr", refused.stderr.as_str()),
        ("stdout", again.stdout.as_str()),
        ("stderr", again.stderr.as_str()),
        ("the remote's history", history.as_str()),
    ] {
        assert!(
            !text.contains(&new_password),
            "the new value leaked into {what}"
        );
        assert!(
            !text.contains(FIRST_PASSWORD),
            "the old value leaked into {what}"
        );
    }
}

#[test]
fn a_run_while_the_rotation_pull_request_is_open_updates_it() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    let bao = OpenBao::start();
    let s = delivered_setup(
        &format!(
            "  baseBranch: main\n  tokenEnv: {TOKEN_VAR}\n  forge:\n    kind: github\n    apiBase: {}\n    repository: acme/gitops\n",
            server.uri()
        ),
        false,
        &bao,
        true,
    );
    runtime.block_on(mount_github(&server, None));
    let main_before = s.remote(&["rev-parse", "main"]);
    let local_before = s.repo.state();

    // 1. api-db is rotated; the pin goes to a rampart branch and a pull request.
    let first = rotate(
        &s,
        &bao,
        &["--env", "dev", "--force", "--delivery", "pull-request"],
    );
    assert!(
        first.ok().contains("opened pull request #7"),
        "{}",
        first.stdout
    );
    let branches = s.remote(&[
        "for-each-ref",
        "--format=%(refname:short)",
        "refs/heads/rampart",
    ]);
    let branch = branches.trim().to_owned();
    assert!(branch.starts_with("rampart/rotate-dev-"), "{branches}");
    assert_eq!(pinned_at(&s, &branch, "dev", "api-db"), "4");
    assert_eq!(pinned_at(&s, &branch, "dev", "api-cache"), "1");
    assert_eq!(
        s.remote(&["rev-parse", "main"]),
        main_before,
        "main waits for review"
    );
    assert_eq!(s.repo.state(), local_before, "the checkout is untouched");
    let sent = runtime.block_on(requests(&server));
    let created = crate::delivery::created_pull_request(&sent);
    assert_eq!(created["title"], "rampart: rotate 1 secret (dev)");
    let body = created["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("- shop/api-db (dev): version 3 → 4"),
        "{body}"
    );
    let first_tip = s.remote(&["rev-parse", &branch]);

    // 2. Someone else writes api-cache, which Rampart follows. The next run, while the
    // pull request is open, keeps api-db's unmerged pin (version 4 is still ahead of
    // `main` and Rampart's), adds api-cache's, and updates the same pull request.
    write_cache(&bao, "cache-token-2");
    runtime.block_on(server.reset());
    runtime.block_on(mount_github(&server, Some(&branch)));
    let second = rotate(&s, &bao, &["--env", "dev", "--delivery", "pull-request"]);
    let stdout = second.ok();
    assert!(stdout.contains("updated pull request #7"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("shop/api-cache")
            && l.contains("1 → 2")
            && l.ends_with("followed")),
        "{stdout}"
    );
    assert_eq!(current_version(&bao), 4, "api-db is not rotated again");
    assert_ne!(s.remote(&["rev-parse", &branch]), first_tip);
    assert_eq!(pinned_at(&s, &branch, "dev", "api-db"), "4");
    assert_eq!(pinned_at(&s, &branch, "dev", "api-cache"), "2");
    assert_eq!(pinned_at(&s, &branch, "prod", "api-db"), "3");
    assert_eq!(
        s.remote(&["for-each-ref", "--format=%(refname)", "refs/heads/rampart"])
            .lines()
            .count(),
        1,
        "still one rampart branch"
    );
    let sent = runtime.block_on(requests(&server));
    let body = updated_pull_request_body(&sent);
    for line in [
        "- shop/api-db (dev): version 3 → 4",
        "- shop/api-cache (dev): version 1 → 2",
    ] {
        assert!(body.contains(line), "missing {line:?} in:\n{body}");
    }
    let new_password = password_of(&bao, "4");
    for text in [&first.stdout, &first.stderr, &second.stdout, &second.stderr] {
        assert!(!text.contains(&new_password) && !text.contains("cache-token-2"));
    }
    assert!(!body.contains(&new_password) && !body.contains("cache-token"));
}
