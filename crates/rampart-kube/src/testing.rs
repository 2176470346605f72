//! A mock API server for tests, the "ApiServerVerifier" pattern: the client talks to a
//! `tower_test` mock whose handle asserts every request, in order, and answers it like an
//! API server would. Other crates' tests use it through the `testing` feature.

use http::{Method, Request, Response, header};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};
use tower_test::mock::{self, Handle};

/// Every list `read_documents` makes, in order: API path, list apiVersion and kind.
const LISTS: [(&str, &str, &str); 19] = [
    ("/api/v1/namespaces", "v1", "NamespaceList"),
    (
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleList",
    ),
    (
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBindingList",
    ),
    (
        "/apis/rbac.authorization.k8s.io/v1/roles",
        "rbac.authorization.k8s.io/v1",
        "RoleList",
    ),
    (
        "/apis/rbac.authorization.k8s.io/v1/rolebindings",
        "rbac.authorization.k8s.io/v1",
        "RoleBindingList",
    ),
    (
        "/apis/networking.k8s.io/v1/networkpolicies",
        "networking.k8s.io/v1",
        "NetworkPolicyList",
    ),
    ("/api/v1/pods", "v1", "PodList"),
    ("/apis/apps/v1/deployments", "apps/v1", "DeploymentList"),
    ("/apis/apps/v1/statefulsets", "apps/v1", "StatefulSetList"),
    ("/apis/apps/v1/daemonsets", "apps/v1", "DaemonSetList"),
    ("/apis/batch/v1/jobs", "batch/v1", "JobList"),
    ("/apis/batch/v1/cronjobs", "batch/v1", "CronJobList"),
    ("/api/v1/services", "v1", "ServiceList"),
    ("/api/v1/serviceaccounts", "v1", "ServiceAccountList"),
    ("/api/v1/resourcequotas", "v1", "ResourceQuotaList"),
    ("/api/v1/limitranges", "v1", "LimitRangeList"),
    (
        "/apis/external-secrets.io/v1/externalsecrets",
        "external-secrets.io/v1",
        "ExternalSecretList",
    ),
    (
        "/apis/external-secrets.io/v1/secretstores",
        "external-secrets.io/v1",
        "SecretStoreList",
    ),
    (
        "/api/v1/secrets",
        "meta.k8s.io/v1",
        "PartialObjectMetadataList",
    ),
];

/// The page size the tests read with.
pub const PAGE: u32 = 2;

/// One page of one list: the items, and the `continue` token the server returns.
pub struct Page {
    pub path: &'static str,
    pub items: Vec<Value>,
    pub next: Option<&'static str>,
    /// 404 for a kind the API server does not know (a CRD not installed), else 200.
    pub status: u16,
}

/// A page of `path` with `items`; `next` is the token for the page after it.
pub fn page(path: &'static str, items: Vec<Value>, next: Option<&'static str>) -> Page {
    Page {
        path,
        items,
        next,
        status: 200,
    }
}

/// The answer of an API server that does not know the kind listed at `path` (404, as for a
/// custom resource whose definition is not installed).
pub fn unknown_kind(path: &'static str) -> Page {
    Page {
        path,
        items: Vec::new(),
        next: None,
        status: 404,
    }
}

/// The pages a cluster serves: `pages` for the lists they name (in order), one empty
/// page for every other list.
pub fn cluster(mut pages: Vec<Page>) -> Vec<Page> {
    let mut out = Vec::new();
    for (path, _, _) in LISTS {
        let mine: Vec<Page> = pages.extract_if(.., |p| p.path == path).collect();
        if mine.is_empty() {
            out.push(page(path, Vec::new(), None));
        } else {
            out.extend(mine);
        }
    }
    assert!(pages.is_empty(), "unknown list paths in the scenario");
    out
}

/// A client whose requests `verify` answers with `pages`.
pub fn mock_client(pages: Vec<Page>) -> (Client, tokio::task::JoinHandle<()>) {
    let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(verify(handle, pages));
    (Client::new(service, "default"), server)
}

/// Asserts each request against the next page (GET, path, `limit`, `continue` after
/// the first page of a list, metadata-only Accept for Secrets), answers it with a
/// list payload shaped like the API server's, and asserts nothing else is asked.
async fn verify(mut handle: Handle<Request<Body>, Response<Body>>, pages: Vec<Page>) {
    let mut previous: Option<(&str, Option<&str>)> = None;
    for page in pages {
        let (request, respond) = handle.next_request().await.expect("a request per page");
        assert_eq!(request.method(), Method::GET);
        assert_eq!(request.uri().path(), page.path);
        let query: Vec<(String, String)> = request
            .uri()
            .query()
            .unwrap_or_default()
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let param = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(param("limit"), Some(PAGE.to_string().as_str()), "{query:?}");
        let expected_token = match previous {
            Some((path, token)) if path == page.path => token,
            _ => None,
        };
        assert_eq!(param("continue"), expected_token, "{} {query:?}", page.path);
        if page.status == 404 {
            let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": "the server could not find the requested resource",
                "reason": "NotFound", "details": {}, "code": 404});
            respond.send_response(
                Response::builder()
                    .status(404)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(serde_json::to_vec(&status).unwrap_or_default()))
                    .expect("a response"),
            );
            previous = Some((page.path, None));
            continue;
        }
        let accept = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let (api_version, kind) = LISTS
            .iter()
            .find(|(path, _, _)| *path == page.path)
            .map(|(_, v, k)| (*v, *k))
            .unwrap_or_default();
        let items: Vec<Value> = if kind == "PartialObjectMetadataList" {
            assert!(accept.contains("as=PartialObjectMetadataList"), "{accept}");
            page.items
                .into_iter()
                .map(|meta| json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": meta}))
                .collect()
        } else {
            assert!(!accept.contains("PartialObjectMetadata"), "{accept}");
            page.items
        };
        let mut metadata = json!({"resourceVersion": "1"});
        if let Some(next) = page.next {
            metadata["continue"] = next.into();
        }
        let body =
            json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "items": items});
        respond.send_response(
            Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&body).unwrap_or_default()))
                .expect("a response"),
        );
        previous = Some((page.path, page.next));
    }
    assert!(
        handle.next_request().await.is_none(),
        "an unexpected request"
    );
}

pub fn privileged_pod(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "namespace": "shop", "uid": "u1", "managedFields": [{"manager": "kubectl"}]},
        "spec": {"containers": [{"name": "app", "image": "nginx", "securityContext": {"privileged": true}}]},
        "status": {"phase": "Running"},
    })
}

/// The resource name of each kind the fake API server serves: the API server's own table,
/// written out (not derived) so that a wrong derivation in the code under test shows.
const RESOURCES: [(&str, &str); 18] = [
    ("Namespace", "namespaces"),
    ("ServiceAccount", "serviceaccounts"),
    ("Service", "services"),
    ("ConfigMap", "configmaps"),
    ("LimitRange", "limitranges"),
    ("ResourceQuota", "resourcequotas"),
    ("Role", "roles"),
    ("RoleBinding", "rolebindings"),
    ("NetworkPolicy", "networkpolicies"),
    ("Deployment", "deployments"),
    ("StatefulSet", "statefulsets"),
    ("Job", "jobs"),
    ("PodDisruptionBudget", "poddisruptionbudgets"),
    ("SecretStore", "secretstores"),
    ("ExternalSecret", "externalsecrets"),
    ("PrometheusRule", "prometheusrules"),
    ("ClusterRole", "clusterroles"),
    ("ClusterRoleBinding", "clusterrolebindings"),
];

/// The API path of `object` (`apiVersion`, `kind`, `metadata.namespace` and `.name`).
pub fn object_path(object: &Value) -> String {
    let text = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let api_version = text("/apiVersion");
    let kind = text("/kind");
    let resource = RESOURCES
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, r)| *r)
        .unwrap_or_else(|| panic!("the fake API server does not serve kind {kind}"));
    let root = if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    };
    let scope = match object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
    {
        Some(namespace) => format!("/namespaces/{namespace}"),
        None => String::new(),
    };
    format!("{root}{scope}/{resource}/{}", text("/metadata/name"))
}

/// A fake API server that holds `objects`: a GET of an object's path answers the object, a
/// GET of any other path the API server's 404 `Status`. Anything but a GET, or any request
/// for a Secret, fails the test. The task yields every path asked for once the client is
/// dropped.
pub fn fake_cluster(objects: Vec<Value>) -> (Client, tokio::task::JoinHandle<Vec<String>>) {
    let (service, mut handle) = mock::pair::<Request<Body>, Response<Body>>();
    let served: Vec<(String, Value)> = objects.into_iter().map(|o| (object_path(&o), o)).collect();
    let server = tokio::spawn(async move {
        let mut asked = Vec::new();
        while let Some((request, respond)) = handle.next_request().await {
            let path = request.uri().path().to_owned();
            assert_eq!(request.method(), Method::GET, "{path}");
            assert!(
                !path.split('/').any(|segment| segment == "secrets"),
                "a Secret was asked for: {path}"
            );
            let response = match served.iter().find(|(p, _)| *p == path) {
                Some((_, object)) => Response::builder()
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(serde_json::to_vec(object).unwrap_or_default())),
                None => {
                    let name = path.rsplit('/').next().unwrap_or_default();
                    let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                        "status": "Failure", "message": format!("\"{name}\" not found"),
                        "reason": "NotFound", "details": {"name": name}, "code": 404});
                    Response::builder()
                        .status(404)
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(serde_json::to_vec(&status).unwrap_or_default()))
                }
            };
            respond.send_response(response.expect("a response"));
            asked.push(path);
        }
        asked
    });
    (Client::new(service, "default"), server)
}

/// `rendered` objects as the API server holds them once Argo CD applied them, ESO synced
/// each ExternalSecret and every Deployment rolled (generation 2, observed).
pub fn applied(rendered: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut objects = Vec::new();
    for mut object in rendered {
        object["metadata"]["uid"] = json!("7d1e5c2a-0b7f-4f3e-8a61-2c9d4b0e6f15");
        object["metadata"]["generation"] = json!(2);
        match object["kind"].as_str() {
            Some("ExternalSecret") => {
                object["status"] = json!({"conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced"}],
                    "refreshTime": "2026-12-07T21:00:00Z", "syncedResourceVersion": "2-4f0c9e1d"});
            }
            Some("Deployment") => {
                let replicas = object
                    .pointer("/spec/replicas")
                    .cloned()
                    .unwrap_or(json!(1));
                object["status"] = json!({"observedGeneration": 2, "replicas": replicas,
                    "updatedReplicas": replicas, "readyReplicas": replicas});
            }
            _ => {}
        }
        objects.push(object);
    }
    objects
}

/// A client whose API server goes away before answering: every request fails as an
/// unreachable server's would.
pub fn unreachable_client() -> Client {
    let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
    drop(handle);
    Client::new(service, "default")
}
