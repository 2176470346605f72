//! A Kubernetes API server that serves one API: `coordination.k8s.io/v1` Leases, with the
//! real server's rules — GET answers 404 for a missing Lease, POST 409 `AlreadyExists` for
//! an existing one, PUT 409 `Conflict` unless the body carries the `resourceVersion` last
//! written, and every write gets a new `resourceVersion`. No Kubernetes runs here; this is
//! what `rampart serve --lease` talks to in tests, through the kubeconfig it writes.

use crate::json_api::{self, failure};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;

const PREFIX: &str = "/apis/coordination.k8s.io/v1/namespaces/";

/// Stored Leases by (namespace, name), and the resourceVersion counter.
type Store = Arc<Mutex<(BTreeMap<(String, String), Value>, u64)>>;

/// The server; it stops accepting when dropped.
pub struct LeaseApi {
    port: u16,
    store: Store,
    dir: tempfile::TempDir,
}

impl LeaseApi {
    /// Listens on a free loopback port and writes a kubeconfig that points at it.
    pub fn start() -> LeaseApi {
        let (listener, port) = crate::process::loopback_listener("the Lease API");
        let store: Store = Arc::default();
        let served = store.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let store = served.clone();
                thread::spawn(move || {
                    let _ = json_api::serve(client, |method, path, body| {
                        respond(method, path, body, &store)
                    });
                });
            }
        });
        let dir = tempfile::Builder::new()
            .prefix("rampart-lease-api-")
            .tempdir()
            .unwrap_or_else(|e| panic!("rampart-testkit: temp dir: {e}"));
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: rampart-system\ncurrent-context: test\nusers:\n- name: test\n  user:\n    token: test-token\n"
        );
        std::fs::write(dir.path().join("kubeconfig"), kubeconfig)
            .unwrap_or_else(|e| panic!("rampart-testkit: kubeconfig: {e}"));
        LeaseApi { port, store, dir }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A kubeconfig whose current context is this server (namespace `rampart-system`).
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// The stored Lease `namespace/name`, as the API would return it.
    pub fn lease(&self, namespace: &str, name: &str) -> Option<Value> {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        store
            .0
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// `spec.holderIdentity` of the Lease, if it has a holder.
    pub fn holder(&self, namespace: &str, name: &str) -> Option<String> {
        self.lease(namespace, name)?["spec"]["holderIdentity"]
            .as_str()
            .map(str::to_owned)
    }
}

fn respond(method: &str, path: &str, body: &[u8], store: &Store) -> (u16, Value) {
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return failure(
            404,
            "NotFound",
            "only coordination.k8s.io/v1 Leases are served",
        );
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
    let (leases, version) = &mut *guard;
    let sent = || serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    match (method, parts.as_slice()) {
        ("GET", [ns, "leases", name]) => match leases.get(&(ns.to_string(), name.to_string())) {
            Some(lease) => (200, lease.clone()),
            None => failure(
                404,
                "NotFound",
                &format!("leases.coordination.k8s.io \"{name}\" not found"),
            ),
        },
        ("POST", [ns, "leases"]) => {
            let mut lease = sent();
            let name = lease["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let key = (ns.to_string(), name.clone());
            if leases.contains_key(&key) {
                return failure(
                    409,
                    "AlreadyExists",
                    &format!("leases.coordination.k8s.io \"{name}\" already exists"),
                );
            }
            *version += 1;
            lease["metadata"]["namespace"] = json!(ns);
            lease["metadata"]["resourceVersion"] = json!(version.to_string());
            leases.insert(key, lease.clone());
            (201, lease)
        }
        ("PUT", [ns, "leases", name]) => {
            let key = (ns.to_string(), name.to_string());
            let Some(stored) = leases.get(&key) else {
                return failure(
                    404,
                    "NotFound",
                    &format!("leases.coordination.k8s.io \"{name}\" not found"),
                );
            };
            let mut lease = sent();
            if lease["metadata"]["resourceVersion"] != stored["metadata"]["resourceVersion"] {
                return failure(
                    409,
                    "Conflict",
                    &format!(
                        "Operation cannot be fulfilled on leases.coordination.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
                    ),
                );
            }
            *version += 1;
            lease["metadata"]["resourceVersion"] = json!(version.to_string());
            leases.insert(key, lease.clone());
            (200, lease)
        }
        _ => failure(405, "MethodNotAllowed", "not served"),
    }
}
