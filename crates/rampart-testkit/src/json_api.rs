//! The HTTP side of the fake Kubernetes API servers: read requests off a keep-alive
//! connection, answer each with JSON, and the API server's `Status` for failures.

use serde_json::{Value, json};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Serves `client` until it closes: each request (method, path without the query, body)
/// is answered with `respond`'s status and JSON, in one write (split writes meet delayed
/// ACKs, 40 ms each).
pub(crate) fn serve(
    client: TcpStream,
    mut respond: impl FnMut(&str, &str, &[u8]) -> (u16, Value),
) -> io::Result<()> {
    client.set_nodelay(true)?;
    let mut writer = client.try_clone()?;
    let mut reader = BufReader::new(client);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if let Some((name, value)) = line.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default();
        let target = parts.next().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default();
        let (status, answer) = respond(method, path, &body);
        let text = answer.to_string();
        let response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
            if status < 300 { "OK" } else { "Error" },
            text.len()
        );
        writer.write_all(response.as_bytes())?;
        writer.flush()?;
    }
}

/// The API server's `Status` for a failed request.
pub(crate) fn failure(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code,
        }),
    )
}
