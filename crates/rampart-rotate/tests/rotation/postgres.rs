//! PostgreSQL as the target (OpenBao holds the secret): alternating users keep the pinned
//! credential working; the test step logs in with a fresh connection.

use crate::support::*;
use rampart_rotate::{Outcome, Policy, PostgresStrategy, PostgresTarget, rotate};
use rampart_testkit::{OpenBao, Postgres};

pub const INITIAL: &str = "initial-password-0001";

pub fn target(strategy: PostgresStrategy) -> PostgresTarget {
    PostgresTarget {
        strategy,
        admin_key: "shop/db-admin".into(),
        username_property: "username".into(),
        password_property: "password".into(),
        host_property: "host".into(),
        port_property: "port".into(),
        database_property: "dbname".into(),
        retire_previous: false,
    }
}

/// A database with the group role `app_group` (which may read `orders`) and its member
/// `app`; OpenBao with the app's secret (version 1) and the admin credential.
pub async fn setup() -> (Postgres, OpenBao) {
    let pg = Postgres::start();
    pg.admin_sql(&format!(
        "CREATE ROLE app_group NOLOGIN;
         CREATE ROLE app LOGIN PASSWORD '{INITIAL}' IN ROLE app_group;
         CREATE TABLE orders (id int);
         GRANT SELECT ON orders TO app_group;"
    ))
    .await;
    let bao = OpenBao::start();
    let secret = serde_json::json!({
        "username": "app", "password": INITIAL, "host": pg.host(),
        "port": pg.port().to_string(), "dbname": pg.database(),
    });
    bao_put(&bao, "shop/db", &secret.to_string(), None);
    let admin_secret =
        serde_json::json!({"username": pg.admin_user(), "password": pg.admin_password()});
    bao_put(&bao, "shop/db-admin", &admin_secret.to_string(), None);
    (pg, bao)
}

pub fn job(pinned: &str, strategy: PostgresStrategy) -> rampart_rotate::Job {
    let mut job = generate_job("shop/db", pinned);
    if let Policy::Generate { postgres, .. } = &mut job.policy {
        *postgres = Some(target(strategy));
    }
    job
}

#[tokio::test]
async fn alternating_users_leave_the_pinned_credential_working() {
    let (pg, bao) = setup().await;
    let vault = vault(&bao).await;

    let first = rotate(&vault, &job("1", PostgresStrategy::AlternatingUsers), false)
        .await
        .expect("rotate");
    assert_eq!(first.new_pin(), Some(("1", "2")));
    let v2 = eso_read_vault(&bao, "shop/db", "2");
    assert_eq!(v2["username"], "app_alt", "the role the pin does not use");
    let v2_password = v2["password"].as_str().expect("password").to_owned();
    assert!(
        pg.can_read("app_alt", &v2_password, "orders").await,
        "new credential, same grants"
    );
    assert!(
        pg.can_read("app", INITIAL, "orders").await,
        "the pinned credential still works"
    );

    // Git now pins 2 (merged); the next rotation changes `app` and leaves `app_alt` alone.
    let second = rotate(&vault, &job("2", PostgresStrategy::AlternatingUsers), false)
        .await
        .expect("rotate again");
    assert_eq!(second.new_pin(), Some(("2", "3")));
    let v3 = eso_read_vault(&bao, "shop/db", "3");
    assert_eq!(v3["username"], "app");
    let v3_password = v3["password"].as_str().expect("password");
    assert!(pg.can_read("app", v3_password, "orders").await);
    assert!(
        pg.can_read("app_alt", &v2_password, "orders").await,
        "pin 2 still works"
    );
    assert!(
        !pg.can_read("app", INITIAL, "orders").await,
        "the unpinned old password is gone"
    );
}

#[tokio::test]
async fn a_version_written_before_a_stop_gets_its_password_set_on_the_rerun() {
    let (pg, bao) = setup().await;
    // A run wrote version 2 and stopped before changing the password in PostgreSQL.
    let staged = serde_json::json!({
        "username": "app_alt", "password": "staged-but-never-set-0002", "host": pg.host(),
        "port": pg.port().to_string(), "dbname": pg.database(),
        "rampart-rotation": "rampart v1 from=1 at=2026-12-01T03:00:00Z",
    });
    bao_put(&bao, "shop/db", &staged.to_string(), None);
    assert!(
        !pg.can_read("app_alt", "staged-but-never-set-0002", "orders")
            .await
    );

    let vault = vault(&bao).await;
    let outcome = rotate(&vault, &job("1", PostgresStrategy::AlternatingUsers), false)
        .await
        .expect("rerun");
    assert_eq!(
        outcome,
        Outcome::Resumed {
            old: "1".into(),
            new: "2".into()
        }
    );
    assert!(
        pg.can_read("app_alt", "staged-but-never-set-0002", "orders")
            .await
    );
    assert_eq!(
        vault_metadata(&bao, "shop/db")["current_version"],
        2,
        "no new version"
    );
}

#[tokio::test]
async fn single_user_changes_the_one_role() {
    let (pg, bao) = setup().await;
    let vault = vault(&bao).await;
    let outcome = rotate(&vault, &job("1", PostgresStrategy::SingleUser), false)
        .await
        .expect("rotate");
    assert_eq!(outcome.new_pin(), Some(("1", "2")));
    let v2 = eso_read_vault(&bao, "shop/db", "2");
    assert_eq!(v2["username"], "app");
    assert!(
        pg.can_read("app", v2["password"].as_str().expect("pw"), "orders")
            .await
    );
    assert!(!pg.can_read("app", INITIAL, "orders").await);
}
