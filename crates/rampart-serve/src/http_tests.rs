//! The HTTP port over real loopback sockets: methods, HEAD, line endings, limits,
//! keep-alive, and a probe answered while hundreds of idle connections are held.

use crate::connections::Connections;
use crate::http;
use crate::readiness::Observed;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A port serving fresh metrics with at most `cap` connections.
async fn port(cap: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let observed = Arc::new(Observed::default());
    observed.update(|r| r.repository_ready = true);
    tokio::spawn(http::serve(listener, observed, Connections::new(cap)));
    port
}

/// The whole answer to `request` (which asks the server to close, or is refused), as text.
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
    let answer = exchange(
        port,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 405 "), "{answer}");
    assert_eq!(header(&answer, "Allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn head_gets_the_length_of_the_body_get_gets_and_no_body() {
    let port = port(16).await;
    let get = exchange(
        port,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    let head = exchange(
        port,
        b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
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
        exchange(
            port,
            b"GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n",
        ),
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
    // Busy clients: kept-alive connections asking for /metrics one request after another.
    let mut busy = Vec::new();
    for _ in 0..32 {
        busy.push(tokio::spawn(async move {
            let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
                return;
            };
            let request = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
            while stream.write_all(request).await.is_ok() {
                let mut buf = [0u8; 8192];
                if !matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {
                    break;
                }
            }
        }));
    }
    for _ in 0..20 {
        let started = Instant::now();
        let answer = tokio::time::timeout(
            Duration::from_secs(1),
            exchange(port, b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"),
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
    for task in busy {
        task.abort();
    }
}

#[tokio::test]
async fn too_many_header_fields_get_431() {
    let port = port(16).await;
    let mut request = b"GET /healthz HTTP/1.1\r\n".to_vec();
    for n in 0..40 {
        request.extend(format!("X-Field-{n}: {n}\r\n").into_bytes());
    }
    request.extend(b"\r\n");
    let answer = exchange(port, &request).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
}

/// Reads one answer with a `Content-Length` body from a kept-alive connection.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = header(&text, "Content-Length")
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no Content-Length: {head}"));
            if body.len() >= length {
                return text;
            }
        }
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before the answer was whole: {text:?}");
        answer.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn a_kept_alive_connection_answers_one_request_after_another() {
    let port = port(16).await;
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    for path in ["/healthz", "/readyz", "/metrics", "/healthz"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let answer = tokio::time::timeout(Duration::from_secs(2), read_answer(&mut stream))
            .await
            .expect("answered on the same connection");
        assert!(answer.starts_with("HTTP/1.1 200 "), "{path}: {answer}");
    }
}

#[tokio::test]
async fn a_head_not_finished_within_the_deadline_is_dropped() {
    let port = port(16).await;
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stream.write_all(b"GET /healthz HT").await.expect("write");
    let started = Instant::now();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut rest))
        .await
        .expect("closed by the server within 15 s");
    // A close or a reset both end the read; which one does not matter.
    let _ = closed;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(4),
        "closed after {waited:?}, before the 5 s deadline"
    );
    assert!(
        !String::from_utf8_lossy(&rest).contains(" 200 "),
        "an unfinished head was answered: {rest:?}"
    );
}
