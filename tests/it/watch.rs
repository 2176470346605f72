//! `rampart serve`'s watch of its pins: the base branch `rampart init` renders for prod,
//! against the fake API server holding its ExternalSecrets and Deployments in each state
//! (in sync, stale spec, not Ready, rollout in progress, missing), and what `/metrics`
//! then exports.

use crate::support::Repo;
use chrono::{DateTime, TimeDelta, Utc};
use rampart_kube::status::RenderedNamespace;
use rampart_kube::testing::{applied, fake_cluster};
use rampart_serve::{LivePins, Metrics, watch};
use serde_json::{Value, json};
use std::sync::Mutex;

fn prod(repo: &Repo) -> Vec<RenderedNamespace> {
    let tip = rampart_git::branch_tip(&repo.dir, None)
        .unwrap_or_else(|e| panic!("{e}"))
        .commit
        .expect("init commits");
    watch::rendered_at(&repo.dir, tip, "prod").unwrap_or_else(|e| panic!("{e:#}"))
}

/// One look at `live` as of `now`; the API paths the watch asked for.
async fn look(
    rendered: &[RenderedNamespace],
    live: Vec<Value>,
    pins: &Mutex<LivePins>,
    metrics: &Metrics,
    now: DateTime<Utc>,
) -> Vec<String> {
    let (client, server) = fake_cluster(live);
    watch::watch_once(&client, "prod", rendered, pins, metrics, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop(client);
    server.await.expect("the fake API server")
}

fn named<'a>(live: &'a mut [Value], kind: &str, name: &str) -> &'a mut Value {
    live.iter_mut()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} is rendered for prod"))
}

/// The Role `rampart-serve-status` rendered in `namespace`.
fn reader_role<'a>(all: &'a [Value], namespace: &str) -> &'a Value {
    all.iter()
        .find(|o| {
            o["kind"] == "Role"
                && o["metadata"]["name"] == "rampart-serve-status"
                && o["metadata"]["namespace"] == namespace
        })
        .unwrap_or_else(|| panic!("{namespace} renders Role rampart-serve-status"))
}

fn series(metrics: &Metrics, name: &str, namespace: &str, secret: &str) -> String {
    let prefix =
        format!("{name}{{environment=\"prod\",namespace=\"{namespace}\",secret=\"{secret}\"}} ");
    let text = metrics.render();
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix}in\n{text}"))
        .to_owned()
}

#[tokio::test]
async fn each_state_of_a_pin_is_exported_live_or_not_and_for_how_long() {
    let repo = Repo::init();
    let rendered = prod(&repo);
    let all: Vec<Value> = rendered.iter().flat_map(|n| n.objects.clone()).collect();
    let secrets = [
        ("shop", "api-db"),
        ("shop", "web-oauth-client"),
        ("rampart-system", "git-token"),
    ];
    let pins = Mutex::new(LivePins::default());
    let metrics = Metrics::default();
    let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();

    // Everything applied, synced and rolled: every pin is live.
    let asked = look(&rendered, applied(all.clone()), &pins, &metrics, t0).await;
    for (namespace, secret) in secrets {
        assert_eq!(series(&metrics, "rampart_pin_live", namespace, secret), "1");
        assert_eq!(
            series(&metrics, "rampart_pin_not_live_seconds", namespace, secret),
            "0"
        );
    }
    // Only ExternalSecrets and the Deployments mounting their Secrets are read: what the
    // service's RBAC allows.
    assert!(
        asked
            .iter()
            .all(|p| p.contains("/externalsecrets/") || p.contains("/deployments/")),
        "{asked:#?}"
    );
    assert!(
        asked.iter().any(|p| p.ends_with("/deployments/api")),
        "{asked:#?}"
    );
    // Each read is one the namespace's rendered Role `rampart-serve-status` grants the
    // service's ServiceAccount, and that Role grants nothing else.
    for path in &asked {
        let parts: Vec<&str> = path.split('/').collect();
        let ["", "apis", group, _, "namespaces", namespace, resource, _] = parts[..] else {
            panic!("not a namespaced object path: {path}");
        };
        let role = reader_role(&all, namespace);
        let granted = role["rules"].as_array().into_iter().flatten().any(|rule| {
            rule["apiGroups"] == json!([group])
                && rule["resources"]
                    .as_array()
                    .is_some_and(|r| r.contains(&json!(resource)))
                && rule["verbs"]
                    .as_array()
                    .is_some_and(|v| v.contains(&json!("get")))
        });
        assert!(granted, "{path} is not granted by {role}");
    }
    for namespace in rendered.iter().map(|n| n.namespace.as_str()) {
        assert_eq!(
            reader_role(&all, namespace)["rules"],
            json!([
                {"apiGroups": ["external-secrets.io"], "resources": ["externalsecrets"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": ["get", "list", "watch"]}
            ]),
            "{namespace}"
        );
        let binding = all
            .iter()
            .find(|o| {
                o["kind"] == "RoleBinding"
                    && o["metadata"]["name"] == "rampart-serve-status"
                    && o["metadata"]["namespace"] == namespace
            })
            .unwrap_or_else(|| panic!("{namespace} binds rampart-serve-status"));
        assert_eq!(
            binding["subjects"],
            json!([{"kind": "ServiceAccount", "name": "rampart-serve", "namespace": "rampart-system"}])
        );
    }

    // Ten minutes on: api's rollout in progress, web-oauth-client's spec stale, the
    // service's own git-token ExternalSecret missing.
    let mut live = applied(all.clone());
    let api = named(&mut live, "Deployment", "api");
    api["status"]["updatedReplicas"] = json!(1);
    api["status"]["replicas"] = json!(4);
    let oauth = named(&mut live, "ExternalSecret", "web-oauth-client");
    for item in oauth["spec"]["data"].as_array_mut().into_iter().flatten() {
        item["remoteRef"]["version"] = json!("uuid/0b7e2f41-9a3c-4d58-8e16-5c2a9f0d7b34");
    }
    live.retain(|o| !(o["kind"] == "ExternalSecret" && o["metadata"]["name"] == "git-token"));
    look(
        &rendered,
        live,
        &pins,
        &metrics,
        t0 + TimeDelta::minutes(10),
    )
    .await;
    // The README shows these series (`--nocapture`).
    let text = metrics.render();
    eprintln!(
        "{}",
        text.lines()
            .filter(|l| l.starts_with("rampart_pin_"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (namespace, secret) in secrets {
        assert_eq!(
            series(&metrics, "rampart_pin_live", namespace, secret),
            "0",
            "{secret}"
        );
        assert_eq!(
            series(&metrics, "rampart_pin_not_live_seconds", namespace, secret),
            "600",
            "{secret}: pinned since the first look"
        );
    }

    // Then: api-db not Ready (ESO cannot read the backend), the rest live again.
    let mut live = applied(all.clone());
    let db = named(&mut live, "ExternalSecret", "api-db");
    db["status"]["conditions"][0] = json!({"type": "Ready", "status": "False",
        "reason": "SecretSyncedError", "message": "could not get secret data from provider"});
    look(
        &rendered,
        live,
        &pins,
        &metrics,
        t0 + TimeDelta::minutes(12),
    )
    .await;
    assert_eq!(series(&metrics, "rampart_pin_live", "shop", "api-db"), "0");
    assert_eq!(
        series(&metrics, "rampart_pin_not_live_seconds", "shop", "api-db"),
        "720"
    );
    assert_eq!(
        series(&metrics, "rampart_pin_live", "shop", "web-oauth-client"),
        "1"
    );
    assert_eq!(
        series(
            &metrics,
            "rampart_pin_not_live_seconds",
            "rampart-system",
            "git-token"
        ),
        "0"
    );
    let state = pins.lock().unwrap_or_else(|e| e.into_inner());
    let git_token = state.get("prod", "rampart-system", "git-token").cloned();
    assert_eq!(
        git_token.map(|p| (p.live, p.live_since)),
        Some((true, Some(t0 + TimeDelta::minutes(12))))
    );

    // Labels are environment, namespace and secret: no version, no backend key.
    let text = metrics.render();
    for object in all.iter().filter(|o| o["kind"] == "ExternalSecret") {
        for item in object["spec"]["data"].as_array().into_iter().flatten() {
            for field in ["version", "key"] {
                let value = item["remoteRef"][field].as_str().unwrap_or_default();
                // (A one-digit version would match the metric values themselves.)
                assert!(
                    value.len() < 2 || !text.contains(value),
                    "{value} in\n{text}"
                );
            }
        }
    }
    for line in text.lines().filter(|l| l.starts_with("rampart_pin_")) {
        let labels = line.split(['{', '}']).nth(1).unwrap_or_default();
        let names: Vec<&str> = labels
            .split(',')
            .filter_map(|pair| pair.split_once('=').map(|(name, _)| name))
            .collect();
        assert_eq!(names, ["environment", "namespace", "secret"], "{line}");
    }
}
