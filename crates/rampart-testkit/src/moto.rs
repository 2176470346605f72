//! A moto server: AWS Secrets Manager (and the rest of moto's AWS) over HTTP on loopback.

use std::io;
use std::process::Command;

use tempfile::TempDir;

use crate::http::{self, Response};
use crate::process::{self, ServerProcess};

/// A dummy SigV4 header: moto picks the service from the credential scope (without it a
/// request is taken for S3) and does not check the signature.
const DUMMY_SIGV4: &str = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request, \
                           SignedHeaders=host;x-amz-date, Signature=0000";

/// A running `moto_server` on a free loopback port; killed when dropped.
///
/// The binary comes from the PyPI package `moto[server]` (in `tests/requirements.txt`).
/// Clients need a region (moto's default account lives in any) and dummy credentials.
#[derive(Debug)]
pub struct Moto {
    // Dropped first: the server stops before its directory is removed.
    server: ServerProcess,
    port: u16,
    dir: TempDir,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p PORT` and waits until it answers
    /// `GET /moto-api/data.json` with 200.
    ///
    /// Panics when `moto_server` is missing (naming the package that installs it) or when the
    /// server does not start within 30 s (with its command and the end of its log).
    pub fn start() -> Self {
        let moto = process::venv_tool("moto_server", "moto[server]");
        let dir = tempfile::Builder::new()
            .prefix("rampart-moto-")
            .tempdir()
            .unwrap_or_else(|e| panic!("rampart-testkit: cannot create a temp dir for moto: {e}"));
        let log = dir.path().join("moto.log");
        let (server, port) = process::spawn_until_ready(
            "moto",
            &log,
            |port| {
                let mut cmd = Command::new(&moto);
                cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                    .env("HOME", dir.path())
                    .env("PYTHONUNBUFFERED", "1");
                cmd
            },
            |port| {
                http::send(
                    "GET",
                    &format!("http://127.0.0.1:{port}/moto-api/data.json"),
                    &[],
                    "",
                )
                .is_ok_and(|r| r.status == 200)
            },
        );
        Moto { server, port, dir }
    }

    /// The endpoint URL, `http://127.0.0.1:PORT` (what `AWS_ENDPOINT_URL` or an SDK's
    /// `endpoint_url` take).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Calls a Secrets Manager action (`"CreateSecret"`, `"GetSecretValue"`, …) with a JSON
    /// body, the way the AWS SDKs do: a way for tests to arrange or inspect state without the
    /// code under test.
    pub fn secrets_manager(&self, action: &str, json: &str) -> io::Result<Response> {
        let target = format!("secretsmanager.{action}");
        let headers = [
            ("X-Amz-Target", target.as_str()),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Authorization", DUMMY_SIGV4),
        ];
        http::send("POST", &format!("{}/", self.endpoint()), &headers, json)
    }

    /// Kills the server (SIGKILL) to simulate the backend going away mid-test; its port then
    /// refuses connections. Everything it held is lost (moto is in-memory).
    pub fn kill(&mut self) {
        self.server.kill();
    }

    /// The server's directory (its log is `moto.log` there).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}
