//! The HTTP port over real loopback sockets: methods, HEAD, line endings, limits, and a
//! probe answered while hundreds of idle connections are held.

use crate::connections::Connections;
use crate::http::{self, head_complete, request_line};
use crate::metrics::Metrics;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A port serving fresh metrics with at most `cap` connections.
async fn port(cap: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut metrics = Metrics::default();
    metrics.repository_ready = true;
    let metrics = Arc::new(Mutex::new(metrics));
    tokio::spawn(http::serve(listener, metrics, Connections::new(cap)));
    port
}

/// The whole answer to `request`, as text.
async fn exchange(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stream.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    String::from_utf8(answer).expect("utf-8")
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let port = port(16).await;
    let answer = exchange(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 405 "), "{answer}");
    assert_eq!(header(&answer, "Allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn head_gets_the_length_of_the_body_get_gets_and_no_body() {
    let port = port(16).await;
    let get = exchange(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let head = exchange(port, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let body = get.split_once("\r\n\r\n").expect("a head").1;
    assert!(!body.is_empty());
    assert_eq!(
        header(&get, "Content-Length"),
        Some(&*body.len().to_string())
    );
    assert_eq!(
        header(&head, "Content-Length"),
        header(&get, "Content-Length")
    );
    assert!(
        head.ends_with("\r\n\r\n"),
        "no body after the head: {head:?}"
    );
}

#[tokio::test]
async fn bare_lf_line_endings_are_answered() {
    let port = port(16).await;
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(2),
        exchange(port, b"GET /healthz HTTP/1.1\nHost: x\n\n"),
    )
    .await
    .expect("answered before the head deadline");
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.ends_with("ok\n"));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_request_line_that_is_not_http_gets_400_and_a_huge_head_431() {
    let port = port(16).await;
    let answer = exchange(port, b"\x16\x03\x01 hello\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    let mut huge = b"GET /healthz HTTP/1.1\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 9000));
    let answer = exchange(port, &huge).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
}

#[tokio::test]
async fn healthz_answers_within_a_second_while_hundreds_of_idle_connections_are_held() {
    let cap = 64;
    let port = port(cap).await;
    // Idle clients: connected, a partial head, never finished.
    let mut idle = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream.write_all(b"GET /healthz HT").await.expect("write");
        idle.push(stream);
    }
    for _ in 0..20 {
        let started = Instant::now();
        let answer = tokio::time::timeout(
            Duration::from_secs(1),
            exchange(port, b"GET /healthz HTTP/1.1\r\n\r\n"),
        )
        .await
        .expect("/healthz answers within a second");
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
    // The oldest idle connections were closed to make room: at most `cap` are still open.
    let mut open = 0;
    for stream in &mut idle {
        let mut buf = [0u8; 1];
        let closed = matches!(
            tokio::time::timeout(Duration::from_millis(5), stream.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        );
        open += usize::from(!closed);
    }
    assert!(open <= cap, "{open} idle connections still open, cap {cap}");
}

#[test]
fn the_head_ends_at_a_blank_line_of_either_ending() {
    assert!(head_complete(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert!(head_complete(b"GET / HTTP/1.1\nHost: x\n\n"));
    assert!(head_complete(b"GET / HTTP/1.1\r\n\n"));
    assert!(!head_complete(b"GET / HTTP/1.1\r\nHost: x\r\n"));
}

#[test]
fn request_lines() {
    assert_eq!(
        request_line(b"GET /readyz?x=1 HTTP/1.1\r\n"),
        Some(("GET", "/readyz?x=1"))
    );
    assert_eq!(request_line(b"HEAD / HTTP/1.0\n"), Some(("HEAD", "/")));
    assert_eq!(request_line(b"GET /\r\n"), None);
    assert_eq!(request_line(b"get / HTTP/1.1\r\n"), None);
    assert_eq!(request_line(b"GET x HTTP/1.1\r\n"), None);
    assert_eq!(request_line(b"GET / SPDY/3\r\n"), None);
}
