//! Each server starts, answers a real request over the wire, and stops.

use std::net::TcpStream;
use std::process::Command;
use std::time::Instant;

use rampart_testkit::{Moto, OpenBao, Postgres, send};

fn refuses(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

#[test]
fn openbao_writes_and_reads_a_kv_v2_secret_then_dies_on_kill() {
    let started = Instant::now();
    let mut bao = OpenBao::start();
    eprintln!("OpenBao ready in {:?}", started.elapsed());

    let written = bao
        .request(
            "POST",
            "/v1/secret/data/app",
            Some(r#"{"data":{"password":"p1"}}"#),
        )
        .unwrap();
    assert_eq!(written.status, 200, "{}", written.body);
    assert!(written.body.contains(r#""version":1"#), "{}", written.body);

    let read = bao.request("GET", "/v1/secret/data/app", None).unwrap();
    assert_eq!(read.status, 200, "{}", read.body);
    assert!(
        read.body.contains(r#""data":{"password":"p1"}"#),
        "{}",
        read.body
    );

    // The token is the server's own: another one is refused.
    let url = format!("{}/v1/secret/data/app", bao.addr());
    let forged = send("GET", &url, &[("X-Vault-Token", "not-the-root-token")], "").unwrap();
    assert_eq!(forged.status, 403, "{}", forged.body);

    let port = bao.port();
    bao.kill();
    assert!(
        refuses(port),
        "OpenBao still accepts connections on {port} after kill()"
    );
    bao.kill(); // a second kill is harmless
}

#[test]
fn moto_creates_and_reads_a_secret_then_dies_on_kill() {
    let started = Instant::now();
    let mut moto = Moto::start();
    eprintln!("moto ready in {:?}", started.elapsed());

    let created = moto
        .secrets_manager("CreateSecret", r#"{"Name":"db","SecretString":"s1"}"#)
        .unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains(r#""Name": "db""#), "{}", created.body);

    let value = moto
        .secrets_manager(
            "GetSecretValue",
            r#"{"SecretId":"db","VersionStage":"AWSCURRENT"}"#,
        )
        .unwrap();
    assert_eq!(value.status, 200, "{}", value.body);
    assert!(
        value.body.contains(r#""SecretString": "s1""#),
        "{}",
        value.body
    );

    let port = moto.port();
    moto.kill();
    assert!(
        refuses(port),
        "moto still accepts connections on {port} after kill()"
    );
}

/// `psql` over TCP (never the socket) as the superuser with `password`.
fn psql(pg: &Postgres, password: &str, sql: &str) -> std::process::Output {
    let bundled = pg.bin_dir().join("psql");
    let psql = if bundled.exists() {
        bundled
    } else {
        "psql".into()
    };
    Command::new(&psql)
        .args([
            "-h",
            pg.host(),
            "-p",
            &pg.port().to_string(),
            "-U",
            pg.admin_user(),
            "-d",
            pg.database(),
        ])
        .args(["-w", "-At", "-c", sql])
        .env("PGPASSWORD", password)
        .env_remove("PGSERVICE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", psql.display()))
}

#[test]
fn postgres_answers_with_the_password_only_then_stops_and_cleans_up() {
    let started = Instant::now();
    let mut pg = Postgres::start();
    eprintln!("PostgreSQL ready in {:?}", started.elapsed());

    let ok = psql(&pg, pg.admin_password(), "select 1");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "1");

    let wrong = psql(&pg, "wrong", "select 1");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("password authentication failed"));

    assert!(pg.url().starts_with("postgresql://admin:"));
    let (port, dir) = (pg.port(), pg.dir().to_path_buf());
    pg.stop();
    assert!(
        refuses(port),
        "PostgreSQL still accepts connections on {port} after stop()"
    );
    pg.stop(); // a second stop is harmless
    drop(pg);
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn postgres_clusters_side_by_side_are_independent_and_drop_stops_them() {
    let (a, b) = (Postgres::start(), Postgres::start());
    assert_ne!(a.port(), b.port());
    assert_ne!(a.admin_password(), b.admin_password());
    assert!(!psql(&a, b.admin_password(), "select 1").status.success());
    let out = psql(&b, b.admin_password(), "select current_setting('port')");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        b.port().to_string()
    );

    let port = a.port();
    drop(a);
    assert!(
        refuses(port),
        "a dropped cluster still accepts connections on {port}"
    );
}
