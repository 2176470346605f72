//! Retiring the previous credential of alternating users against a real PostgreSQL (OpenBao
//! holds the secret): the role no version names loses its password once every pin is
//! live, and never otherwise.

use crate::postgres::{INITIAL, job, setup};
use crate::support::*;
use rampart_rotate::{
    OtherPin, Policy, PostgresStrategy, Refusal, RetireError, Retired, Retirement, SecretId, Vault,
    retire_jobs, rotate,
};
use rampart_testkit::{OpenBao, Postgres};
use std::collections::BTreeMap;

/// `job` in `environment`, asking to retire the previous credential.
fn retiring(pinned: &str, environment: &str) -> rampart_rotate::Job {
    let mut job = job(pinned, PostgresStrategy::AlternatingUsers);
    job.id.environment = environment.into();
    if let Policy::Generate {
        postgres: Some(pg), ..
    } = &mut job.policy
    {
        pg.retire_previous = true;
    }
    job
}

fn live(pins: &[(&str, &str)]) -> BTreeMap<SecretId, String> {
    pins.iter()
        .map(|(environment, version)| {
            let mut id = id("db");
            id.environment = (*environment).into();
            (id, (*version).to_owned())
        })
        .collect()
}

async fn retire(
    vault: &Vault,
    jobs: Vec<rampart_rotate::Job>,
    liveness: &BTreeMap<SecretId, String>,
) -> Retirement {
    let jobs: Vec<_> = jobs.into_iter().map(|j| (j, Ok(vault))).collect();
    let mut out = retire_jobs(&jobs, liveness).await;
    assert_eq!(out.len(), 1, "{out:?}");
    let retirement = out.remove(0);
    assert_eq!(
        retirement.database,
        format!(
            "app/app_alt on 127.0.0.1:{}/postgres",
            retirement_port(&retirement)
        )
    );
    retirement
}

fn retirement_port(r: &Retirement) -> String {
    r.database
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(port, _)| port.to_owned())
        .unwrap_or_default()
}

/// The database after one rotation: version 1 (`app`, [`INITIAL`]) and version 2
/// (`app_alt`, returned password), both logins working.
async fn rotated_once() -> (Postgres, OpenBao, Vault, String) {
    let (pg, bao) = setup().await;
    let vault = vault(&bao).await;
    let outcome = rotate(&vault, &job("1", PostgresStrategy::AlternatingUsers), false)
        .await
        .expect("rotate");
    assert_eq!(outcome.new_pin(), Some(("1", "2")));
    let v2 = eso_read_vault(&bao, "shop/db", "2");
    let password = v2["password"].as_str().expect("password").to_owned();
    assert!(
        pg.can_read("app", INITIAL, "orders").await,
        "the previous credential works"
    );
    assert!(pg.can_read("app_alt", &password, "orders").await);
    (pg, bao, vault, password)
}

#[tokio::test]
async fn once_the_pin_is_live_everywhere_the_previous_role_stops_working_and_a_rerun_is_harmless() {
    let (pg, bao, vault, v2) = rotated_once().await;
    let jobs = || vec![retiring("2", "dev"), retiring("2", "prod")];
    let everywhere = live(&[("dev", "2"), ("prod", "2")]);

    let first = retire(&vault, jobs(), &everywhere).await;
    assert_eq!(
        first.outcome.expect("retired"),
        Retired::Retired { role: "app".into() }
    );
    assert!(
        !pg.can_read("app", INITIAL, "orders").await,
        "the previous credential is retired"
    );
    assert!(
        pg.can_read("app_alt", &v2, "orders").await,
        "the pinned credential works"
    );

    // Idempotent: a second run gives `app` another random password; the pin still works.
    let second = retire(&vault, jobs(), &everywhere).await;
    assert_eq!(
        second.outcome.expect("retired"),
        Retired::Retired { role: "app".into() }
    );
    assert!(!pg.can_read("app", INITIAL, "orders").await);
    assert!(pg.can_read("app_alt", &v2, "orders").await);
    // Nothing written to the backend.
    assert_eq!(vault_metadata(&bao, "shop/db")["current_version"], 2);

    // The next rotation (Git pins 2) sets `app` again, as before: retiring costs it nothing.
    let next = rotate(&vault, &job("2", PostgresStrategy::AlternatingUsers), false)
        .await
        .expect("rotate after retiring");
    assert_eq!(next.new_pin(), Some(("2", "3")));
    let v3 = eso_read_vault(&bao, "shop/db", "3");
    assert!(
        pg.can_read("app", v3["password"].as_str().expect("password"), "orders")
            .await
    );
    assert!(pg.can_read("app_alt", &v2, "orders").await);
}

#[tokio::test]
async fn a_role_still_named_or_a_pin_not_live_is_never_retired() {
    let (pg, bao, vault, v2) = rotated_once().await;
    let on_base_branch = {
        let mut job = retiring("2", "dev");
        job.also_pinned.push(OtherPin {
            version: "1".into(),
            by: "environment dev in specs/shop.yaml on origin/main".into(),
            label_env: None,
        });
        job
    };
    let cases: Vec<(&str, Vec<rampart_rotate::Job>, BTreeMap<SecretId, String>)> = vec![
        (
            "another environment pins the previous role",
            vec![retiring("2", "dev"), retiring("1", "prod")],
            live(&[("dev", "2"), ("prod", "1")]),
        ),
        (
            "the base branch pins the previous role",
            vec![on_base_branch],
            live(&[("dev", "2")]),
        ),
        (
            "a single-user secret on the same database names the previous role",
            vec![retiring("2", "dev"), {
                let mut billing = job("1", PostgresStrategy::SingleUser);
                billing.id.environment = "qa".into();
                billing
            }],
            live(&[("dev", "2"), ("qa", "1")]),
        ),
        (
            "prod runs the older version",
            vec![retiring("2", "dev"), retiring("2", "prod")],
            live(&[("dev", "2"), ("prod", "1")]),
        ),
        (
            "nothing says prod is live",
            vec![retiring("2", "dev"), retiring("2", "prod")],
            live(&[("dev", "2")]),
        ),
    ];
    for (case, jobs, liveness) in cases {
        let retirement = retire(&vault, jobs, &liveness).await;
        let Err(RetireError::Refused(refusal)) = &retirement.outcome else {
            panic!("{case}: {:?}", retirement.outcome);
        };
        match case {
            "another environment pins the previous role"
            | "the base branch pins the previous role"
            | "a single-user secret on the same database names the previous role" => {
                assert!(
                    matches!(**refusal, Refusal::BothNamed { .. }),
                    "{case}: {refusal}"
                )
            }
            _ => assert!(
                matches!(**refusal, Refusal::NotLive { .. }),
                "{case}: {refusal}"
            ),
        }
        let text = format!("{refusal} {:?}", retirement.outcome);
        for secret in [INITIAL, v2.as_str(), pg.admin_password()] {
            assert!(!text.contains(secret), "{case}: a secret value in {text}");
        }
        assert!(
            pg.can_read("app", INITIAL, "orders").await,
            "{case}: nothing retired"
        );
        assert!(pg.can_read("app_alt", &v2, "orders").await, "{case}");
    }

    // A rotation written but not pinned yet (its pull request waits) names `app` again:
    // retiring `app` would break the pods once the pull request is merged.
    let waiting = rotate(&vault, &job("2", PostgresStrategy::AlternatingUsers), false)
        .await
        .expect("rotate");
    assert_eq!(waiting.new_pin(), Some(("2", "3")));
    let v3 = eso_read_vault(&bao, "shop/db", "3");
    let v3 = v3["password"].as_str().expect("password");
    let retirement = retire(
        &vault,
        vec![retiring("2", "dev"), retiring("2", "prod")],
        &live(&[("dev", "2"), ("prod", "2")]),
    )
    .await;
    match retirement.outcome.as_ref().map_err(|e| match e {
        RetireError::Refused(refusal) => Some(refusal.as_ref()),
        RetireError::Failed(_) => None,
    }) {
        Err(Some(Refusal::BothNamed { second, .. })) => {
            assert_eq!(second.0, "app");
            assert!(
                second
                    .1
                    .contains("version 3 of shop/db, current in the backend"),
                "{second:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        pg.can_read("app", v3, "orders").await,
        "the waiting rotation's credential works"
    );
}
