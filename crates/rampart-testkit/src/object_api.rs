//! A Kubernetes API server that answers GETs of the objects it holds, as the real one does:
//! the object by its path, else a 404 `Status` (`NotFound`). What `rampart status` and
//! `rampart retire` read, behind a kubeconfig. Anything but a GET, and any request for a
//! Secret, answers 405 and is counted in [`ObjectApi::refused`]. The objects can be
//! replaced while it runs (a rollout progressing).

use crate::json_api::{self, failure};
use serde_json::Value;
use std::collections::BTreeMap;
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
        let (listener, port) = crate::process::loopback_listener("the object API");
        let state: Shared = Arc::new(Mutex::new(State {
            objects,
            ..State::default()
        }));
        let served = state.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let state = served.clone();
                thread::spawn(move || {
                    let _ =
                        json_api::serve(client, |method, path, _| respond(method, path, &state));
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

fn respond(method: &str, path: &str, state: &Shared) -> (u16, Value) {
    let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
    state.asked.push(path.to_owned());
    if method != "GET" || path.split('/').any(|s| s == "secrets") {
        state.refused.push(format!("{method} {path}"));
        return failure(
            405,
            "MethodNotAllowed",
            "only GETs of non-Secret objects are served",
        );
    }
    match state.objects.get(path) {
        Some(object) => (200, object.clone()),
        None => {
            let name = path.rsplit('/').next().unwrap_or_default();
            failure(404, "NotFound", &format!("\"{name}\" not found"))
        }
    }
}
