//! The service's HTTP port: `/healthz`, `/readyz` and `/metrics`, GET only. A few fixed
//! routes for probes and a scraper need no framework: each connection sends one request
//! and gets one answer (`Connection: close`).

use crate::metrics::Metrics;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest request head read; probes and scrapers send far less.
const HEAD_MAX: usize = 8 * 1024;
/// A client that sends nothing is dropped after this.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Answers on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Mutex<Metrics>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: wait rather than spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(READ_TIMEOUT, answer(stream, &metrics)).await;
        });
    }
}

async fn answer(mut stream: TcpStream, metrics: &Mutex<Metrics>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > HEAD_MAX {
            return respond(&mut stream, 431, "text/plain", "request head too large\n").await;
        }
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, 405, "text/plain", "only GET\n").await;
    }
    let (status, kind, body) = route(path, metrics);
    if method == "HEAD" {
        return respond(&mut stream, status, kind, "").await;
    }
    respond(&mut stream, status, kind, &body).await
}

/// Status, content type and body for `path`.
pub fn route(path: &str, metrics: &Mutex<Metrics>) -> (u16, &'static str, String) {
    let m = metrics.lock().unwrap_or_else(|e| e.into_inner());
    match path {
        "/healthz" => (200, "text/plain", "ok\n".to_owned()),
        "/readyz" if m.ready() => (200, "text/plain", "ready\n".to_owned()),
        "/readyz" => {
            let why = if !m.repository_ready {
                "the repository is not read yet"
            } else {
                "a backend did not answer"
            };
            (503, "text/plain", format!("not ready: {why}\n"))
        }
        "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8", m.render()),
        _ => (
            404,
            "text/plain",
            "not found: /healthz, /readyz, /metrics\n".to_owned(),
        ),
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    kind: &str,
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
