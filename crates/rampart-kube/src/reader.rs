//! Reading a live cluster, read-only, into the documents `rampart_policy::check` takes.
//!
//! Every kind the rules look at is listed cluster-wide, page by page (`limit` and
//! `continue`). Secrets are listed as metadata only (`PartialObjectMetadataList`), so no
//! Secret value reaches Rampart; their `last-applied-configuration` annotation, which can
//! hold the values, is dropped on arrival. Each object becomes a [`Document`] whose file is
//! `cluster:<context>` followed by the object's API path.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    LimitRange, Namespace, Pod, ResourceQuota, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, ObjectList};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config, Resource};
use rampart_policy::Document;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;
use std::future::Future;
use std::path::Path;

/// Objects per list request: large enough for few round trips, small enough to keep each
/// response well under the API server's limits.
pub const PAGE_SIZE: u32 = 500;

/// The annotation `kubectl apply` writes: for a Secret it holds the values.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Errors while connecting to or reading a cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The kubeconfig file cannot be read (kube's own message quotes the path twice).
    #[error("cannot load the kubeconfig {}", .path.display())]
    KubeconfigRead {
        /// The file given with `--kubeconfig`, or the one `$KUBECONFIG`/`~/.kube/config` named.
        path: Box<Path>,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The kubeconfig file cannot be found or parsed.
    #[error("cannot load the kubeconfig{}", path_suffix(.path.as_deref()))]
    Kubeconfig {
        /// The file given with `--kubeconfig`, if any.
        path: Option<Box<Path>>,
        /// What went wrong.
        #[source]
        source: Box<KubeconfigError>,
    },
    /// The kubeconfig has no usable context (unknown name, no current context, bad cluster
    /// or user entry).
    #[error("cannot use context `{context}` of the kubeconfig")]
    Context {
        /// The context asked for (or the current one; empty if none is set).
        context: String,
        /// What went wrong.
        #[source]
        source: Box<KubeconfigError>,
    },
    /// No client can be built from the context (e.g. bad TLS material).
    #[error("cannot create a client for context `{context}`")]
    Client {
        /// The context.
        context: String,
        /// What went wrong.
        #[source]
        source: Box<kube::Error>,
    },
    /// A list request failed (unreachable server, expired credentials, RBAC denial, …).
    #[error("cannot list {resource}")]
    List {
        /// The resource, e.g. `pods`.
        resource: &'static str,
        /// What went wrong.
        #[source]
        source: Box<kube::Error>,
    },
    /// A get request failed (unreachable server, expired credentials, RBAC denial, …); a
    /// missing object is no error.
    #[error("cannot read {object}")]
    Get {
        /// `Kind/namespace/name` of the object (`Kind/name` when cluster-scoped).
        object: String,
        /// What went wrong.
        #[source]
        source: Box<kube::Error>,
    },
    /// An object could not be turned into JSON.
    #[error("cannot convert a listed {resource} object")]
    Convert {
        /// The resource, e.g. `pods`.
        resource: &'static str,
        /// What went wrong.
        #[source]
        source: serde_json::Error,
    },
}

fn path_suffix(path: Option<&Path>) -> String {
    path.map(|p| format!(" {}", p.display()))
        .unwrap_or_default()
}

/// A client for `context` (default: the current context) of `kubeconfig` (default:
/// `$KUBECONFIG`, then `~/.kube/config`), and the name of the context used.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<(Client, String), ClusterError> {
    let file = match kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    }
    .map_err(|source| match source {
        KubeconfigError::ReadConfig(source, path) => ClusterError::KubeconfigRead {
            path: path.into_boxed_path(),
            source,
        },
        source => ClusterError::Kubeconfig {
            path: kubeconfig.map(Box::from),
            source: Box::new(source),
        },
    })?;
    let name = context
        .map(str::to_owned)
        .or_else(|| file.current_context.clone())
        .unwrap_or_default();
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(file, &options)
        .await
        .map_err(|source| ClusterError::Context {
            context: name.clone(),
            source: Box::new(source),
        })?;
    let client = Client::try_from(config).map_err(|source| ClusterError::Client {
        context: name.clone(),
        source: Box::new(source),
    })?;
    Ok((client, name))
}

/// Every object the rules look at, read with `client`, `page_size` objects per request.
/// `location` (e.g. `cluster:prod`) prefixes each document's file.
pub async fn read_documents(
    client: &Client,
    location: &str,
    page_size: u32,
) -> Result<Vec<Document>, ClusterError> {
    let mut docs = Vec::new();
    let reader = Reader {
        client,
        location,
        page_size,
    };
    reader.typed::<Namespace>("namespaces", &mut docs).await?;
    reader
        .typed::<ClusterRole>("clusterroles", &mut docs)
        .await?;
    reader
        .typed::<ClusterRoleBinding>("clusterrolebindings", &mut docs)
        .await?;
    reader.typed::<Role>("roles", &mut docs).await?;
    reader
        .typed::<RoleBinding>("rolebindings", &mut docs)
        .await?;
    reader
        .typed::<NetworkPolicy>("networkpolicies", &mut docs)
        .await?;
    reader.typed::<Pod>("pods", &mut docs).await?;
    reader.typed::<Deployment>("deployments", &mut docs).await?;
    reader
        .typed::<StatefulSet>("statefulsets", &mut docs)
        .await?;
    reader.typed::<DaemonSet>("daemonsets", &mut docs).await?;
    reader.typed::<Job>("jobs", &mut docs).await?;
    reader.typed::<CronJob>("cronjobs", &mut docs).await?;
    reader.typed::<Service>("services", &mut docs).await?;
    reader
        .typed::<ServiceAccount>("serviceaccounts", &mut docs)
        .await?;
    reader
        .typed::<ResourceQuota>("resourcequotas", &mut docs)
        .await?;
    reader.typed::<LimitRange>("limitranges", &mut docs).await?;
    for (kind, plural) in ESO_KINDS {
        reader
            .external_secrets_kind(kind, plural, &mut docs)
            .await?;
    }
    reader.secret_metadata(&mut docs).await?;
    tracing::info!(location, objects = docs.len(), "read cluster");
    Ok(docs)
}

/// The External Secrets Operator kinds read (`external-secrets.io/v1`): what a namespace's
/// secrets are made of, without any value. A cluster without the operator has none.
const ESO_KINDS: [(&str, &str); 2] = [
    ("ExternalSecret", "externalsecrets"),
    ("SecretStore", "secretstores"),
];

/// Where documents are read from and how they are named.
struct Reader<'a> {
    client: &'a Client,
    location: &'a str,
    page_size: u32,
}

impl Reader<'_> {
    /// Lists every `K` in the cluster and appends them as documents.
    async fn typed<K>(
        &self,
        resource: &'static str,
        docs: &mut Vec<Document>,
    ) -> Result<(), ClusterError>
    where
        K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Serialize,
    {
        let api = Api::<K>::all(self.client.clone());
        let items = all_pages(resource, self.page_size, |lp| {
            let api = api.clone();
            async move { api.list(&lp).await }
        })
        .await?;
        for item in items {
            let value = serde_json::to_value(&item)
                .map_err(|source| ClusterError::Convert { resource, source })?;
            docs.push(self.document::<K>(&(), item.meta(), value));
        }
        Ok(())
    }

    /// Lists every object of the External Secrets Operator's `kind`; none when the API
    /// server does not know the kind (the operator is not installed: 404).
    async fn external_secrets_kind(
        &self,
        kind: &str,
        plural: &'static str,
        docs: &mut Vec<Document>,
    ) -> Result<(), ClusterError> {
        let gvk = GroupVersionKind::gvk("external-secrets.io", "v1", kind);
        let api_resource = ApiResource::from_gvk_with_plural(&gvk, plural);
        let api = Api::<DynamicObject>::all_with(self.client.clone(), &api_resource);
        let listed = all_pages(plural, self.page_size, |lp| {
            let api = api.clone();
            async move { api.list(&lp).await }
        })
        .await;
        let items = match listed {
            Ok(items) => items,
            Err(ClusterError::List { source, .. }) if matches!(&*source, kube::Error::Api(status) if status.code == 404) =>
            {
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        for item in items {
            let value = serde_json::to_value(&item).map_err(|source| ClusterError::Convert {
                resource: plural,
                source,
            })?;
            docs.push(self.document::<DynamicObject>(&api_resource, &item.metadata, value));
        }
        Ok(())
    }

    /// Lists the Secrets' metadata only, without `last-applied-configuration`.
    async fn secret_metadata(&self, docs: &mut Vec<Document>) -> Result<(), ClusterError> {
        let resource = "secrets";
        let api = Api::<Secret>::all(self.client.clone());
        let items = all_pages(resource, self.page_size, |lp| {
            let api = api.clone();
            async move { api.list_metadata(&lp).await }
        })
        .await?;
        for mut item in items {
            if let Some(annotations) = &mut item.metadata.annotations {
                annotations.remove(LAST_APPLIED);
            }
            let metadata = serde_json::to_value(&item.metadata)
                .map_err(|source| ClusterError::Convert { resource, source })?;
            let value = serde_json::json!({ "metadata": metadata });
            docs.push(self.document::<Secret>(&(), &item.metadata, value));
        }
        Ok(())
    }

    /// `value` as a document of kind `K`, with `apiVersion` and `kind` set (list items
    /// come without them) and `managedFields` dropped (bulk no rule reads).
    fn document<K: Resource>(
        &self,
        dynamic_type: &K::DynamicType,
        meta: &ObjectMeta,
        mut value: Value,
    ) -> Document {
        if let Some(object) = value.as_object_mut() {
            object.insert("apiVersion".into(), K::api_version(dynamic_type).into());
            object.insert("kind".into(), K::kind(dynamic_type).into());
            if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
                metadata.remove("managedFields");
            }
        }
        let name = meta.name.as_deref().unwrap_or_default();
        let path = K::url_path(dynamic_type, meta.namespace.as_deref());
        Document {
            file: format!("{}{path}/{name}", self.location),
            line: 1,
            value,
        }
    }
}

/// Every item of a paginated list: asks `fetch` for pages of `page_size` until the server
/// returns no `continue` token.
async fn all_pages<T, F, Fut>(
    resource: &'static str,
    page_size: u32,
    mut fetch: F,
) -> Result<Vec<T>, ClusterError>
where
    T: Clone,
    F: FnMut(ListParams) -> Fut,
    Fut: Future<Output = kube::Result<ObjectList<T>>>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(page_size);
        if let Some(token) = &token {
            params = params.continue_token(token);
        }
        let page = fetch(params).await.map_err(|source| ClusterError::List {
            resource,
            source: Box::new(source),
        })?;
        items.extend(page.items);
        match page.metadata.continue_ {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(items),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{PAGE, Page, cluster, mock_client, page, privileged_pod};
    use http::{Request, Response};
    use kube::client::Body;
    use serde_json::json;
    use tower_test::mock;

    async fn read(pages: Vec<Page>) -> Vec<Document> {
        let (client, server) = mock_client(pages);
        let docs = read_documents(&client, "cluster:test", PAGE)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        drop(client);
        server.await.expect("the verifier passes");
        docs
    }

    /// (apiVersion, kind, file) of each document, in order.
    fn kinds_and_files(docs: &[Document]) -> Vec<(&str, &str, &str)> {
        docs.iter()
            .map(|d| {
                (
                    d.value["apiVersion"].as_str().unwrap_or_default(),
                    d.value["kind"].as_str().unwrap_or_default(),
                    d.file.as_str(),
                )
            })
            .collect()
    }

    fn rules(docs: &[Document]) -> Vec<(String, &'static str)> {
        rampart_policy::check(docs, &rampart_policy::Options::default())
            .into_iter()
            .map(|f| (f.object(), f.rule))
            .collect()
    }

    #[tokio::test]
    async fn every_kind_is_listed_page_by_page_and_gets_its_api_version_and_kind() {
        let pods = "/api/v1/pods";
        let docs = read(cluster(vec![
            page(pods, vec![privileged_pod("a"), privileged_pod("b")], Some("pods-2")),
            page(pods, vec![privileged_pod("c")], None),
            page(
                "/apis/batch/v1/cronjobs",
                vec![json!({"metadata": {"name": "nightly", "namespace": "shop"}, "spec": {"schedule": "@daily", "jobTemplate": {}}})],
                None,
            ),
        ]))
        .await;
        assert_eq!(
            kinds_and_files(&docs),
            [
                ("v1", "Pod", "cluster:test/api/v1/namespaces/shop/pods/a"),
                ("v1", "Pod", "cluster:test/api/v1/namespaces/shop/pods/b"),
                ("v1", "Pod", "cluster:test/api/v1/namespaces/shop/pods/c"),
                (
                    "batch/v1",
                    "CronJob",
                    "cluster:test/apis/batch/v1/namespaces/shop/cronjobs/nightly"
                ),
            ]
        );
        assert!(docs[0].value.pointer("/metadata/managedFields").is_none());
        assert_eq!(
            docs[0]
                .value
                .pointer("/spec/containers/0/securityContext/privileged"),
            Some(&json!(true))
        );
    }

    #[tokio::test]
    async fn services_quotas_and_external_secrets_are_read_and_a_missing_operator_means_none() {
        let external_secret = json!({
            "metadata": {"name": "api-db", "namespace": "shop", "managedFields": [{}]},
            "spec": {"secretStoreRef": {"name": "vault", "kind": "SecretStore"},
                     "target": {"name": "api-db"},
                     "data": [{"secretKey": "password",
                               "remoteRef": {"key": "shop/api-db", "property": "password", "version": "3"}}]},
        });
        let docs = read(cluster(vec![
            page(
                "/api/v1/services",
                vec![json!({"metadata": {"name": "api", "namespace": "shop"}, "spec": {"ports": [{"port": 80}]}})],
                None,
            ),
            page(
                "/api/v1/resourcequotas",
                vec![json!({"metadata": {"name": "quota", "namespace": "shop"}, "spec": {"hard": {"pods": "20"}}})],
                None,
            ),
            page(
                "/apis/external-secrets.io/v1/externalsecrets",
                vec![external_secret],
                None,
            ),
            crate::testing::unknown_kind("/apis/external-secrets.io/v1/secretstores"),
        ]))
        .await;
        assert_eq!(
            kinds_and_files(&docs),
            [
                (
                    "v1",
                    "Service",
                    "cluster:test/api/v1/namespaces/shop/services/api"
                ),
                (
                    "v1",
                    "ResourceQuota",
                    "cluster:test/api/v1/namespaces/shop/resourcequotas/quota"
                ),
                (
                    "external-secrets.io/v1",
                    "ExternalSecret",
                    "cluster:test/apis/external-secrets.io/v1/namespaces/shop/externalsecrets/api-db"
                ),
            ]
        );
        let external_secret = &docs[2].value;
        assert!(external_secret.pointer("/metadata/managedFields").is_none());
        assert_eq!(
            external_secret.pointer("/spec/data/0/remoteRef/version"),
            Some(&json!("3"))
        );
    }

    #[tokio::test]
    async fn a_cluster_admin_binding_and_a_privileged_pod_are_findings() {
        let binding = json!({
            "metadata": {"name": "ops-admin"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "Group", "name": "ops", "apiGroup": "rbac.authorization.k8s.io"}],
        });
        let docs = read(cluster(vec![
            page(
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                vec![binding],
                None,
            ),
            page("/api/v1/pods", vec![privileged_pod("web")], None),
        ]))
        .await;
        let found = rules(&docs);
        assert!(
            found.contains(&(
                "ClusterRoleBinding/ops-admin".to_owned(),
                "rbac-cluster-admin-binding"
            )),
            "{found:?}"
        );
        assert!(
            found.contains(&("Pod/shop/web".to_owned(), "container-privileged")),
            "{found:?}"
        );
        let findings = rampart_policy::check(&docs, &rampart_policy::Options::default());
        assert!(findings.iter().any(|f| f.file
            == "cluster:test/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ops-admin"));
    }

    #[tokio::test]
    async fn secrets_are_read_as_metadata_only_and_never_count_as_secrets_with_data() {
        let applied = r#"{"apiVersion":"v1","data":{"password":"aHVudGVyMg=="},"kind":"Secret"}"#;
        let docs = read(cluster(vec![page(
            "/api/v1/secrets",
            vec![json!({
                "name": "db",
                "namespace": "shop",
                "annotations": {LAST_APPLIED: applied, "team": "shop"},
            })],
            None,
        )]))
        .await;
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].value["kind"], "Secret");
        assert_eq!(docs[0].value["apiVersion"], "v1");
        assert_eq!(
            docs[0].file,
            "cluster:test/api/v1/namespaces/shop/secrets/db"
        );
        let text = docs[0].value.to_string();
        assert!(!text.contains("aHVudGVyMg"), "{text}");
        assert_eq!(
            docs[0].value.pointer("/metadata/annotations/team"),
            Some(&json!("shop"))
        );
        assert!(docs[0].value.get("data").is_none());
        assert_eq!(rules(&docs), []);
    }

    #[tokio::test]
    async fn a_refused_list_is_an_error_naming_the_resource() {
        let (service, mut handle) = mock::pair::<Request<Body>, Response<Body>>();
        let server = tokio::spawn(async move {
            let (_, respond) = handle.next_request().await.expect("a request");
            let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
                "message": "namespaces is forbidden: User \"dev\" cannot list resource \"namespaces\""});
            respond.send_response(
                Response::builder()
                    .status(403)
                    .body(Body::from(serde_json::to_vec(&status).unwrap_or_default()))
                    .expect("a response"),
            );
        });
        let client = Client::new(service, "default");
        let error = read_documents(&client, "cluster:test", PAGE).await.err();
        server.await.expect("the server task");
        let Some(ClusterError::List { resource, source }) = error else {
            panic!("{error:?}");
        };
        assert_eq!(resource, "namespaces");
        assert!(source.to_string().contains("forbidden"), "{source}");
    }

    #[tokio::test]
    async fn a_missing_kubeconfig_is_a_kubeconfig_error_naming_the_file() {
        let path = Path::new("/nonexistent/rampart/kubeconfig");
        let error = connect(Some(path), None).await.err();
        let Some(e @ ClusterError::KubeconfigRead { .. }) = error else {
            panic!("{error:?}");
        };
        assert_eq!(
            e.to_string(),
            "cannot load the kubeconfig /nonexistent/rampart/kubeconfig"
        );
        // The cause is the I/O error alone: the path is said once, unquoted.
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(
            cause.as_deref(),
            Some("No such file or directory (os error 2)")
        );
    }

    #[tokio::test]
    async fn an_unknown_context_is_a_context_error() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join("config");
        let config = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: dev\n  context: {cluster: c, user: u}\ncurrent-context: dev\n";
        fs_err::write(&file, config).expect("write kubeconfig");
        let error = connect(Some(&file), Some("prod")).await.err();
        assert!(
            matches!(&error, Some(ClusterError::Context { context, .. }) if context == "prod"),
            "{error:?}"
        );
        let (_, context) = connect(Some(&file), None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(context, "dev");
    }
}
