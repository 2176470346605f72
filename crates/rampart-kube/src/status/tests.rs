//! `status` against a fake API server holding ExternalSecret and Deployment objects in each
//! state, shaped on the API server's and ESO's: one table row per state.

use super::*;
use crate::read_live_objects;
use crate::testing::fake_cluster;
use serde_json::{Value, json};

const PINNED: &str = "9f1c0b7e";

fn external_secret(version: &str) -> Value {
    json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": {"name": "api-db", "namespace": "shop", "annotations": {"argocd.argoproj.io/sync-wave": "-1"}},
        "spec": {"data": [
            {"secretKey": "username", "remoteRef": {"key": "shop/api/db", "property": "username", "version": version}},
            {"secretKey": "password", "remoteRef": {"key": "shop/api/db", "property": "password", "version": version}}],
            "refreshPolicy": "OnChange", "secretStoreRef": {"kind": "SecretStore", "name": "vault"},
            "target": {"creationPolicy": "Owner", "name": "api-db"}}})
}

fn deployment(pinned: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}, "annotations": {PINNED_VERSIONS: pinned}},
                "spec": {"containers": [{"name": "app", "image": "registry.example.com/api:1"}],
                    "volumes": [{"name": "api-db", "secret": {"secretName": "api-db", "defaultMode": 288}}]}}}})
}

fn namespace() -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "shop"}}})
}

/// The live copy of `rendered` as the API server returns it: server fields added.
fn served(rendered: &Value, generation: i64, status: Value) -> Value {
    let mut live = rendered.clone();
    live["metadata"]["uid"] = json!("0c2f6a6e-1b7d-4c1e-9a43-5d1f0f8e2b11");
    live["metadata"]["resourceVersion"] = json!("48213");
    live["metadata"]["generation"] = json!(generation);
    live["metadata"]["managedFields"] =
        json!([{"manager": "argocd-controller", "operation": "Apply"}]);
    live["status"] = status;
    live
}

fn ready_secret(version: &str, generation: i64) -> Value {
    served(
        &external_secret(version),
        generation,
        json!({
        "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced",
            "message": "secret synced", "lastTransitionTime": "2026-12-07T20:58:02Z"}],
        "refreshTime": "2026-12-07T20:58:02Z",
        "syncedResourceVersion": format!("{generation}-8c3f0e6b5d1a4f27a9b0c6d2e1f3a5b7"),
        "binding": {"name": "api-db"}}),
    )
}

fn rolled(pinned: &str, generation: i64) -> Value {
    served(
        &deployment(pinned),
        generation,
        json!({"observedGeneration": generation,
        "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
        "conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}),
    )
}

fn rendered() -> RenderedNamespace {
    RenderedNamespace {
        environment: "prod".into(),
        namespace: "shop".into(),
        objects: vec![namespace(), external_secret("4"), deployment(PINNED)],
    }
}

async fn status_of(live: Vec<Value>) -> NamespaceStatus {
    let rendered = rendered();
    let (client, server) = fake_cluster(live);
    let observed = read_live_objects(&client, &rendered.objects)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop(client);
    let asked = server.await.expect("the fake API server");
    assert_eq!(
        asked,
        [
            "/api/v1/namespaces/shop",
            "/apis/external-secrets.io/v1/namespaces/shop/externalsecrets/api-db",
            "/apis/apps/v1/namespaces/shop/deployments/api",
        ]
    );
    namespace_status(&rendered, &observed)
}

fn live_namespace() -> Value {
    let mut ns = served(&namespace(), 0, json!({"phase": "Active"}));
    ns["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!("shop");
    ns
}

#[tokio::test]
async fn each_state_of_secret_and_rollout_is_reported_and_only_all_live_is_live() {
    struct Row {
        case: &'static str,
        live: Vec<Value>,
        live_version: Option<&'static str>,
        ready: Option<&'static str>,
        synced: bool,
        rollout: Option<Rollout>,
        objects: [&'static str; 3],
    }
    let in_progress = {
        let mut d = rolled(PINNED, 7);
        d["status"]["updatedReplicas"] = json!(1);
        d["status"]["readyReplicas"] = json!(2);
        d["status"]["replicas"] = json!(4);
        d
    };
    let not_ready = {
        let mut es = ready_secret("4", 5);
        es["status"]["conditions"][0] = json!({"type": "Ready", "status": "False", "reason": "SecretSyncedError",
            "message": "could not get secret data from provider", "lastTransitionTime": "2026-12-07T21:01:00Z"});
        es
    };
    let not_observed = {
        let mut es = ready_secret("4", 5);
        es["status"]["syncedResourceVersion"] = json!("4-8c3f0e6b5d1a4f27a9b0c6d2e1f3a5b7");
        es
    };
    let old_deployment = rolled("0aa1", 6);
    let rows = [
        Row {
            case: "in sync",
            live: vec![live_namespace(), ready_secret("4", 5), rolled(PINNED, 7)],
            live_version: Some("4"),
            ready: Some("True"),
            synced: true,
            rollout: Some(Rollout::Rolled),
            objects: ["in-sync", "in-sync", "in-sync"],
        },
        Row {
            case: "stale spec: the cluster still has version 3 and the old pod template",
            live: vec![live_namespace(), ready_secret("3", 4), old_deployment],
            live_version: Some("3"),
            ready: Some("True"),
            synced: true,
            rollout: Some(Rollout::OldTemplate),
            objects: ["in-sync", "differs", "differs"],
        },
        Row {
            case: "not Ready: ESO could not fetch the pinned version",
            live: vec![live_namespace(), not_ready, rolled(PINNED, 7)],
            live_version: Some("4"),
            ready: Some("False"),
            synced: true,
            rollout: Some(Rollout::Rolled),
            objects: ["in-sync", "in-sync", "in-sync"],
        },
        Row {
            case: "Ready from before: ESO has not synced the new generation yet",
            live: vec![live_namespace(), not_observed, rolled(PINNED, 7)],
            live_version: Some("4"),
            ready: Some("True"),
            synced: false,
            rollout: Some(Rollout::Rolled),
            objects: ["in-sync", "in-sync", "in-sync"],
        },
        Row {
            case: "rollout in progress",
            live: vec![live_namespace(), ready_secret("4", 5), in_progress],
            live_version: Some("4"),
            ready: Some("True"),
            synced: true,
            rollout: Some(Rollout::InProgress {
                replicas: 3,
                updated: 1,
                ready: 2,
                total: 4,
            }),
            objects: ["in-sync", "in-sync", "in-sync"],
        },
        Row {
            case: "missing: neither ExternalSecret nor Deployment exists",
            live: vec![live_namespace()],
            live_version: None,
            ready: None,
            synced: false,
            rollout: Some(Rollout::Missing),
            objects: ["in-sync", "missing", "missing"],
        },
    ];
    for row in rows {
        let status = status_of(row.live).await;
        let states: Vec<Value> = status
            .objects
            .iter()
            .map(|o| serde_json::to_value(&o.state).unwrap_or_default()["state"].clone())
            .collect();
        assert_eq!(states, row.objects.map(Value::from), "{}", row.case);
        let [secret] = status.secrets.as_slice() else {
            panic!("{}: {:?}", row.case, status.secrets);
        };
        assert_eq!(secret.pinned.as_deref(), Some("4"), "{}", row.case);
        assert_eq!(secret.live.as_deref(), row.live_version, "{}", row.case);
        assert_eq!(secret.ready.as_deref(), row.ready, "{}", row.case);
        assert_eq!(secret.synced, row.synced, "{}", row.case);
        assert_eq!(
            secret
                .workloads
                .iter()
                .map(|w| w.rollout.clone())
                .collect::<Vec<_>>(),
            Vec::from_iter(row.rollout),
            "{}",
            row.case
        );
        let all_live = row.case == "in sync";
        assert_eq!(secret.is_live(), all_live, "{}", row.case);
        assert_eq!(status.is_live(), all_live, "{}", row.case);
        assert_eq!(
            summary(&status).contains(": live —"),
            all_live,
            "{}",
            row.case
        );
    }
}

#[tokio::test]
async fn a_not_ready_secret_shows_eso_s_reason_and_a_stale_spec_names_the_version_field() {
    let mut not_ready = ready_secret("3", 4);
    not_ready["status"]["conditions"][0] = json!({"type": "Ready", "status": "False",
        "reason": "SecretSyncedError", "message": "could not get secret data from provider"});
    let status = status_of(vec![live_namespace(), not_ready, rolled(PINNED, 7)]).await;
    let text = format_text(std::slice::from_ref(&status), "1a2b3c4");
    assert!(
        text.contains("secret   api-db: NOT LIVE; git version 4, live spec 3, Ready False (SecretSyncedError: could not get secret data from provider)"),
        "{text}"
    );
    assert!(
        text.contains("spec.data[0].remoteRef.version: git \"4\", live other"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "prod/shop: NOT LIVE — objects: 2 in sync, 1 differ, 0 missing; secrets: 0 of 1 live\n"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn the_json_report_has_the_shape_the_readme_documents() {
    let status = status_of(vec![
        live_namespace(),
        ready_secret("3", 4),
        rolled("0aa1", 6),
    ])
    .await;
    let report = serde_json::to_value(&status).unwrap_or_default();
    let version_field = |index: usize| json!({"path": format!("spec.data[{index}].remoteRef.version"), "git": "4", "live": null, "present": true});
    assert_eq!(
        report["objects"],
        json!([
            {"object": "Namespace/shop", "state": "in-sync"},
            {"object": "ExternalSecret/api-db", "state": "differs", "fields": [version_field(0), version_field(1)]},
            {"object": "Deployment/api", "state": "differs", "fields": [
                {"path": format!("spec.template.metadata.annotations.{PINNED_VERSIONS}"), "git": PINNED, "live": null, "present": true}]},
        ])
    );
    assert_eq!(
        report["secrets"],
        json!([{"name": "api-db", "pinned": "4", "live": "3", "ready": "True", "reason": null,
            "synced": true, "refreshed": "2026-12-07T20:58:02Z",
            "workloads": [{"object": "Deployment/api", "rollout": {"state": "old-template"}}]}])
    );
    assert_eq!(report["environment"], "prod");
    assert_eq!(report["namespace"], "shop");
}
