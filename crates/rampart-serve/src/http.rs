//! The service's HTTP port: `/healthz`, `/readyz` and `/metrics`, GET and HEAD only, served
//! by hyper's HTTP/1 connection with keep-alive. Limits: a request head of at most 8 KiB and
//! 32 header fields (`431` beyond), 5 s to send a head (also the idle time allowed between
//! requests on a kept-alive connection), `400` for what is not HTTP/1, `405` with `Allow`
//! for other methods, and a bound on open connections (the oldest is closed for a new one).

use crate::connections::Connections;
use crate::readiness::Observed;
use hyper::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Longest request head read; probes and scrapers send far less.
const HEAD_MAX: usize = 8 * 1024;
/// Most header fields in a request head.
const HEADERS_MAX: usize = 32;
/// A client that has not sent its whole request head by then is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The methods every route answers.
const ALLOWED: &str = "GET, HEAD";

/// Answers on `listener` until the task is dropped, with at most `connections`' cap open.
pub async fn serve(listener: TcpListener, observed: Arc<Observed>, connections: Connections) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(READ_TIMEOUT)
        .max_buf_size(HEAD_MAX)
        .max_header_size(HEAD_MAX)
        .max_headers(HEADERS_MAX)
        .keep_alive(true);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: make room, and wait rather than spin.
            connections.shed_oldest();
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let slot = connections.admit();
        let observed = observed.clone();
        let service = service_fn(move |request: Request<hyper::body::Incoming>| {
            let response = answer(request.method(), request.uri().path(), &observed);
            async move { Ok::<_, Infallible>(response) }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            tokio::select! {
                _ = slot.closed() => {}
                _ = connection => {}
            }
            drop(slot);
        });
    }
}

/// The response to `method` on `path`. A HEAD request gets GET's head, `Content-Length`
/// included; hyper leaves out the body.
fn answer(method: &Method, path: &str, observed: &Observed) -> Response<String> {
    let (status, kind, body) = if method == Method::GET || method == Method::HEAD {
        route(path, observed)
    } else {
        (405, "text/plain", "only GET and HEAD\n".to_owned())
    };
    let mut response = Response::new(String::new());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if status == 405 {
        headers.insert(ALLOW, HeaderValue::from_static(ALLOWED));
    }
    *response.body_mut() = body;
    response
}

/// Status, content type and body for `path`.
fn route(path: &str, observed: &Observed) -> (u16, &'static str, String) {
    match path {
        "/healthz" => (200, "text/plain", "ok\n".to_owned()),
        "/readyz" => match observed.readiness().why_not_ready() {
            None => (200, "text/plain", "ready\n".to_owned()),
            Some(why) => (503, "text/plain", format!("not ready: {why}\n")),
        },
        "/metrics" => (
            200,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            observed.metrics.render(),
        ),
        _ => (
            404,
            "text/plain",
            "not found: /healthz, /readyz, /metrics\n".to_owned(),
        ),
    }
}
