//! The service's HTTP port: `/healthz`, `/readyz` and `/metrics`, GET and HEAD only. A few
//! fixed routes for probes and a scraper need no framework: each connection sends one
//! request and gets one answer (`Connection: close`). What a framework would otherwise give
//! is kept here: a head-size limit (431), a deadline for the head (5 s), a bound on open
//! connections (the oldest is closed for a new one), `405` with `Allow`, `400` for a request
//! line that is not HTTP, and line endings of CRLF or bare LF (RFC 9112 §2.2).

use crate::connections::Connections;
use crate::metrics::Metrics;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest request head read; probes and scrapers send far less.
const HEAD_MAX: usize = 8 * 1024;
/// A client that has not sent its whole request head by then is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The methods every route answers.
const ALLOW: &str = "GET, HEAD";

/// Answers on `listener` until the task is dropped, with at most `connections`' cap open.
pub async fn serve(listener: TcpListener, metrics: Arc<Mutex<Metrics>>, connections: Connections) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: make room, and wait rather than spin.
            connections.shed_oldest();
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let slot = connections.admit();
        let metrics = metrics.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = slot.closed() => {}
                _ = answer(stream, &metrics) => {}
            }
            drop(slot);
        });
    }
}

async fn answer(mut stream: TcpStream, metrics: &Mutex<Metrics>) -> std::io::Result<()> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(head) => head?,
        Err(_) => return Ok(()),
    };
    let Some(head) = head else {
        let answer = Answer::text(431, "request head too large\n");
        return answer.send(&mut stream, true).await;
    };
    let line = request_line(&head);
    let with_body = line.is_none_or(|(method, _)| method != "HEAD");
    let answer = match line {
        None => Answer::text(400, "bad request: expected `GET /path HTTP/1.1`\n"),
        Some((method, _)) if method != "GET" && method != "HEAD" => {
            Answer::text(405, "only GET and HEAD\n")
        }
        Some((_, target)) => {
            let (status, kind, body) = route(target.split('?').next().unwrap_or(""), metrics);
            Answer { status, kind, body }
        }
    };
    answer.send(&mut stream, with_body).await
}

/// The request head up to its blank line (or the end of input), or `None` when it is longer
/// than `HEAD_MAX`.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head_complete(&head) {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > HEAD_MAX {
            return Ok(None);
        }
    }
    Ok(Some(head))
}

/// Whether `head` holds its ending blank line: CRLF CRLF, LF LF or a mix of the two.
pub fn head_complete(head: &[u8]) -> bool {
    head.windows(2).any(|w| w == b"\n\n") || head.windows(3).any(|w| w == b"\n\r\n")
}

/// Method and target of an HTTP/1 request line, or `None` when it is not one.
pub fn request_line(head: &[u8]) -> Option<(&str, &str)> {
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = std::str::from_utf8(&head[..end]).ok()?;
    let mut parts = line.strip_suffix('\r').unwrap_or(line).split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = parts.next().is_none()
        && !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_uppercase())
        && target.starts_with('/')
        && version.starts_with("HTTP/1.");
    valid.then_some((method, target))
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

/// One response.
struct Answer {
    status: u16,
    kind: &'static str,
    body: String,
}

impl Answer {
    fn text(status: u16, body: &str) -> Answer {
        Answer {
            status,
            kind: "text/plain",
            body: body.to_owned(),
        }
    }

    /// Writes the answer; a HEAD request gets the same head (`Content-Length` of the body
    /// GET would get) and no body.
    async fn send(&self, stream: &mut TcpStream, with_body: bool) -> std::io::Result<()> {
        let status = self.status;
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            _ => "Service Unavailable",
        };
        let allow = if status == 405 {
            format!("Allow: {ALLOW}\r\n")
        } else {
            String::new()
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
            self.kind,
            self.body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        if with_body {
            stream.write_all(self.body.as_bytes()).await?;
        }
        stream.shutdown().await
    }
}
