//! GitLab API v4: `/projects/:id/merge_requests`, the project id being the URL-encoded path.

use rampart_forge::{ForgeKind, PullRequest, PullRequestAction};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    BASE, BODY, HEAD, TITLE, TOKEN, assert_request_count, forge, labels, shown_without_token, spec,
};

/// A project in a subgroup: its id in URLs is `platform%2Fk8s%2Fgitops`.
const REPO: &str = "platform/k8s/gitops";
const PROJECT_PATH: &str = "/api/v4/projects/platform%2Fk8s%2Fgitops/merge_requests";
const PROJECT_ID: u64 = 4242;

/// A merge request as GitLab returns it; `source_project_id` differs for forks.
fn merge_request(iid: u64, source_project_id: u64) -> Value {
    json!({
        "id": 880_000 + iid,
        "iid": iid,
        "project_id": PROJECT_ID,
        "title": "an older title",
        "description": "an older description",
        "state": "opened",
        "target_branch": "main",
        "source_branch": HEAD,
        "source_project_id": source_project_id,
        "target_project_id": PROJECT_ID,
        "labels": ["rampart"],
        "draft": false,
        "web_url": format!("https://gitlab.example.com/platform/k8s/gitops/-/merge_requests/{iid}")
    })
}

fn gitlab(method_name: &str, api_path: &str) -> wiremock::MockBuilder {
    Mock::given(method(method_name))
        .and(path(api_path))
        .and(header("private-token", TOKEN))
        .and(header("accept", "application/json"))
}

fn list_open() -> wiremock::MockBuilder {
    gitlab("GET", PROJECT_PATH)
        .and(query_param("source_branch", HEAD))
        .and(query_param("state", "opened"))
}

fn create() -> wiremock::MockBuilder {
    gitlab("POST", PROJECT_PATH)
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "source_branch": HEAD,
            "target_branch": BASE,
            "title": TITLE,
            "description": BODY,
            "labels": "rampart,security"
        })))
}

fn update(iid: u64) -> wiremock::MockBuilder {
    gitlab("PUT", &format!("{PROJECT_PATH}/{iid}")).and(body_json(json!({
        "title": TITLE,
        "description": BODY,
        "target_branch": BASE,
        "add_labels": "rampart,security"
    })))
}

fn api_base(server: &MockServer) -> String {
    format!("{}/api/v4", server.uri())
}

#[tokio::test]
async fn opens_a_merge_request_with_labels_in_a_nested_group() {
    let server = MockServer::start().await;
    list_open()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    create()
        .respond_with(ResponseTemplate::new(201).set_body_json(merge_request(5, PROJECT_ID)))
        .expect(1)
        .mount(&server)
        .await;

    let labels = labels();
    let pr = forge(ForgeKind::GitLab, &api_base(&server), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap();

    assert_eq!(
        pr,
        PullRequest {
            number: 5,
            url: "https://gitlab.example.com/platform/k8s/gitops/-/merge_requests/5".to_owned(),
            action: PullRequestAction::Opened,
        }
    );
    assert_request_count(&server, 2).await;
}

#[tokio::test]
async fn updates_the_open_merge_request_and_ignores_a_fork_with_the_same_branch() {
    let server = MockServer::start().await;
    // A fork's merge request from a branch of the same name comes first in the list.
    list_open()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            merge_request(11, 9999),
            merge_request(5, PROJECT_ID)
        ])))
        .expect(1)
        .mount(&server)
        .await;
    update(5)
        .respond_with(ResponseTemplate::new(200).set_body_json(merge_request(5, PROJECT_ID)))
        .expect(1)
        .mount(&server)
        .await;
    gitlab("POST", PROJECT_PATH)
        .respond_with(ResponseTemplate::new(201).set_body_json(merge_request(6, PROJECT_ID)))
        .expect(0)
        .mount(&server)
        .await;

    let labels = labels();
    let pr = forge(ForgeKind::GitLab, &api_base(&server), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap();

    assert_eq!((pr.number, pr.action), (5, PullRequestAction::Updated));
    assert_request_count(&server, 2).await;
}

#[tokio::test]
async fn a_concurrent_open_answered_with_409_leads_to_an_update() {
    let server = MockServer::start().await;
    list_open()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    list_open()
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([merge_request(7, PROJECT_ID)])),
        )
        .expect(1)
        .mount(&server)
        .await;
    create()
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "message": ["Another open merge request already exists for this source branch: !7"]
        })))
        .expect(1)
        .mount(&server)
        .await;
    update(7)
        .respond_with(ResponseTemplate::new(200).set_body_json(merge_request(7, PROJECT_ID)))
        .expect(1)
        .mount(&server)
        .await;

    let labels = labels();
    let pr = forge(ForgeKind::GitLab, &api_base(&server), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap();

    assert_eq!((pr.number, pr.action), (7, PullRequestAction::Updated));
    assert_request_count(&server, 4).await;
}

#[tokio::test]
async fn an_unknown_project_names_the_path_and_the_base_url() {
    let server = MockServer::start().await;
    list_open()
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({ "message": "404 Project Not Found" })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = forge(ForgeKind::GitLab, &api_base(&server), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert_eq!(error.status(), Some(404));
    for expected in [
        "GitLab",
        "404 Project Not Found",
        "\"platform/k8s/gitops\"",
        "/api/v4",
        "https://HOST/api/v4",
    ] {
        assert!(shown.contains(expected), "{expected:?} missing in {shown}");
    }
}

#[tokio::test]
async fn a_rejected_token_gives_the_gitlab_scope_hint() {
    let server = MockServer::start().await;
    list_open()
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "message": "401 Unauthorized" })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = forge(ForgeKind::GitLab, &api_base(&server), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert!(shown.contains("401 Unauthorized"), "{shown}");
    assert!(shown.contains("api scope"), "{shown}");
}

#[tokio::test]
async fn a_label_with_a_comma_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let labels = vec!["team: a, b".to_owned()];

    let error = forge(ForgeKind::GitLab, &api_base(&server), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap_err();

    assert!(error.to_string().contains("comma"), "{error}");
    assert_request_count(&server, 0).await;
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_with_the_token() {
    // GitLab's token travels in a custom header, which HTTP clients do not strip on
    // redirects; the client must not follow a redirect to a different origin at all.
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    list_open()
        .respond_with(ResponseTemplate::new(307).insert_header(
            "location",
            format!("{}/api/v4/steal", elsewhere.uri()).as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let error = forge(ForgeKind::GitLab, &api_base(&server), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert_eq!(error.status(), Some(307), "{shown}");
    assert!(shown.contains("redirected"), "{shown}");
    assert_request_count(&elsewhere, 0).await;
}

#[test]
fn open_or_update_can_run_on_a_multi_threaded_runtime() {
    fn assert_send<T: Send>(_: &T) {}
    let forge = forge(ForgeKind::GitLab, "https://gitlab.example.com/api/v4", REPO);
    let labels = labels();
    let spec = spec(&labels);
    let future = forge.open_or_update(&spec);
    assert_send(&future);
    assert_send(&forge.find_open(HEAD));
}
