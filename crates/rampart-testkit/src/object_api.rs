//! A Kubernetes API server that answers GETs of the objects it holds, as the real one does:
//! the object by its path, else a 404 `Status` (`NotFound`). What `rampart status` and
//! `rampart retire` read, behind a kubeconfig. Anything but a GET, and any request for a
//! Secret, answers 405 and is counted in [`ObjectApi::refused`]. The objects can be
//! replaced while it runs (a rollout progressing).

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Default)]
struct State {
    objects: BTreeMap<String, Value>,
    asked: Vec<String>,
    refused: Vec<String>,
}

type Shared = Arc<Mutex<State>>;

/// The server; it stops accepting when dropped (its thread ends with the process).
pub struct ObjectApi {
    port: u16,
    state: Shared,
}

impl ObjectApi {
    /// Listens on a free loopback port, holding `objects` (API path → object).
    pub fn start(objects: BTreeMap<String, Value>) -> ObjectApi {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .unwrap_or_else(|e| panic!("rampart-testkit: object API cannot bind: {e}"));
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("rampart-testkit: object API address: {e}"));
        let state: Shared = Arc::new(Mutex::new(State {
            objects,
            ..State::default()
        }));
        let served = state.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let state = served.clone();
                thread::spawn(move || {
                    let _ = serve(client, &state);
                });
            }
        });
        ObjectApi { port, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replaces the objects held.
    pub fn set(&self, objects: BTreeMap<String, Value>) {
        self.lock().objects = objects;
    }

    /// Every path asked for so far.
    pub fn asked(&self) -> Vec<String> {
        self.lock().asked.clone()
    }

    /// The requests refused so far (`METHOD path`): writes, and any for a Secret.
    pub fn refused(&self) -> Vec<String> {
        self.lock().refused.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A kubeconfig with one context (and cluster) per `(name, server URL)`, a placeholder
/// token, the first as current.
pub fn kubeconfig(contexts: &[(&str, String)]) -> String {
    let mut clusters = String::new();
    let mut entries = String::new();
    for (name, url) in contexts {
        clusters.push_str(&format!("- name: {name}\n  cluster:\n    server: {url}\n"));
        entries.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: test\n"
        ));
    }
    let current = contexts.first().map(|(n, _)| *n).unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{entries}current-context: {current}\nusers:\n- name: test\n  user:\n    token: test-token\n"
    )
}

fn serve(client: TcpStream, state: &Shared) -> io::Result<()> {
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
        let path = parts
            .next()
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let (status, answer) = {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            state.asked.push(path.clone());
            if method != "GET" || path.split('/').any(|s| s == "secrets") {
                state.refused.push(format!("{method} {path}"));
                failure(
                    405,
                    "MethodNotAllowed",
                    "only GETs of non-Secret objects are served",
                )
            } else {
                match state.objects.get(&path) {
                    Some(object) => (200, object.clone()),
                    None => {
                        let name = path.rsplit('/').next().unwrap_or_default();
                        failure(404, "NotFound", &format!("\"{name}\" not found"))
                    }
                }
            }
        };
        let text = answer.to_string();
        // One write per response: split writes meet delayed ACKs (40 ms each).
        let response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
            if status < 300 { "OK" } else { "Error" },
            text.len()
        );
        writer.write_all(response.as_bytes())?;
        writer.flush()?;
    }
}

fn failure(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code,
        }),
    )
}
