//! `rotation.postgres.retirePrevious` in `rampart serve`: the service follows prod's pins
//! into prod's cluster (a real HTTP API server) and, once prod runs the pin, retires the
//! previous role of the database only prod uses (real PostgreSQL and OpenBao); the
//! database dev and staging use has no evidence in this service and is left alone.

use crate::retire::{PINNED_PASSWORD, PREVIOUS_PASSWORD, World, applied, rolling, world};
use crate::rotate::KEY;
use crate::serve::Service;
use crate::support::{free_port, rampart_bin};
use rampart_testkit::OpenBao;
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Another OpenBao for dev and staging, whose version 3 of [`KEY`] names another database
/// of the same server: their secrets and prod's no longer share a database.
fn split_dev_and_staging_off(w: &World) -> OpenBao {
    let other = OpenBao::start();
    // The service reads every environment's versions with one VAULT_TOKEN: the same token
    // here (an unreadable version could name any database, and refuses them all).
    let token = json!({"id": w.bao.root_token(), "policies": ["root"]});
    let out = other
        .request("POST", "/v1/auth/token/create", Some(&token.to_string()))
        .expect("create the token");
    assert_eq!(out.status, 200, "{}", out.body);
    for n in 1..=3 {
        let data = json!({"username": if n == 2 { "app_alt" } else { "app" },
            "password": format!("elsewhere-password-000{n}"), "host": w.pg.host(),
            "port": w.pg.port().to_string(), "dbname": "elsewhere"});
        other.put(KEY, &data, None);
    }
    for env in ["dev", "staging"] {
        let rel = format!("environments/{env}.yaml");
        let text = w.repo.read(&rel);
        assert!(text.contains(&w.bao.addr()), "{rel}: {text}");
        w.repo
            .write(&rel, &text.replace(&w.bao.addr(), &other.addr()));
    }
    w.repo.rampart(&["render"]).ok();
    assert_eq!(w.repo.status(), "", "rendered and committed");
    other
}

fn start_service(w: &World, token: &str, log: std::path::PathBuf) -> Service {
    let port = free_port();
    let child = Command::new(rampart_bin())
        .args(["--log-format", "json", "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--env", "prod", "--context", "prod", "--kubeconfig"])
        .arg(w.kubeconfig.path())
        .args(["--watch-interval", "1s", "--refresh-interval", "1s"])
        .args(["--jitter", "0s"])
        .current_dir(&w.repo.dir)
        .env("VAULT_TOKEN", token)
        .env_remove("BAO_TOKEN")
        .env_remove("RAMPART_REPO")
        .env_remove("KUBECONFIG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start rampart serve");
    Service { child, port, log }
}

/// Waits up to a minute for `done`.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn the_service_retires_the_previous_role_once_its_environment_runs_the_pin() {
    let w = world().await;
    let other = split_dev_and_staging_off(&w);
    let head = w.repo.head();
    // prod's api Deployment is still rolling to the pin.
    w.cluster("prod").set(rolling(&w.repo));

    let logs = tempfile::tempdir().expect("log dir");
    let mut service = start_service(&w, w.bao.root_token(), logs.path().join("serve.log"));
    let series = r#"rampart_pin_live{environment="prod",namespace="shop",secret="api-db"}"#;
    eventually("prod's pin followed, not live", async || {
        service.metric(series) == Some(0.0)
    })
    .await;
    // Not live: both credentials still work.
    assert!(w.pg.can_read("app_alt", PREVIOUS_PASSWORD, "orders").await);
    assert!(w.pg.can_read("app", PINNED_PASSWORD, "orders").await);

    // Rolled: the service sees it live and retires `app_alt` of prod's database.
    w.cluster("prod").set(applied(&w.repo, "prod"));
    eventually("the previous credential retired", async || {
        !w.pg.can_read("app_alt", PREVIOUS_PASSWORD, "orders").await
    })
    .await;
    assert_eq!(service.metric(series), Some(1.0));
    assert!(
        w.pg.can_read("app", PINNED_PASSWORD, "orders").await,
        "the pin works"
    );
    assert!(service.stop().success());

    let log = std::fs::read_to_string(&service.log).expect("the service's log");
    let retired: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("retired the previous credential"))
        .collect();
    assert_eq!(retired.len(), 1, "{log}");
    assert!(
        retired[0].contains(r#""role":"app_alt""#)
            && retired[0].contains(&format!("/{}", w.pg.database()))
            && retired[0].contains("shop/api-db (prod)"),
        "{log}"
    );
    // dev's and staging's database: no evidence in prod's service, never retired.
    assert!(
        log.lines()
            .any(|l| l.contains("not retired") && l.contains("/elsewhere")),
        "{log}"
    );
    assert!(!retired[0].contains("elsewhere"), "{log}");
    for secret in [
        PINNED_PASSWORD,
        PREVIOUS_PASSWORD,
        w.pg.admin_password(),
        w.bao.root_token(),
        other.root_token(),
    ] {
        assert!(!log.contains(secret), "a secret value in the log:\n{log}");
    }
    // Git and the backend are only read.
    assert_eq!(w.repo.head(), head);
    assert_eq!(w.repo.status(), "");
}
