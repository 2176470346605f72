//! Gitea/Forgejo API v1: `/repos/{owner}/{repo}/pulls`, labels by id.

use rampart_forge::{ForgeKind, PullRequest, PullRequestAction};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    BASE, BODY, HEAD, TITLE, TOKEN, assert_request_count, forge, labels, shown_without_token, spec,
};

const REPO: &str = "acme/gitops";
const REPO_ID: u64 = 31;

/// A pull request as Gitea returns it; `head.repo_id` differs for forks.
fn pull(number: u64, head: &str, head_repo_id: u64) -> Value {
    json!({
        "id": 500 + number,
        "url": format!("https://git.example.com/acme/gitops/pulls/{number}"),
        "number": number,
        "title": "an older title",
        "body": "an older body",
        "state": "open",
        "labels": [],
        "html_url": format!("https://git.example.com/acme/gitops/pulls/{number}"),
        "head": { "label": head, "ref": head, "sha": "8c1d0a9f", "repo_id": head_repo_id },
        "base": { "label": "main", "ref": "main", "sha": "2b7e51aa", "repo_id": REPO_ID }
    })
}

fn label(id: u64, name: &str) -> Value {
    json!({ "id": id, "name": name, "exclusive": false, "is_archived": false,
            "color": "ededed", "description": "", "url": "" })
}

fn gitea(method_name: &str, api_path: &str) -> wiremock::MockBuilder {
    Mock::given(method(method_name))
        .and(path(format!("/api/v1/repos/acme/gitops{api_path}")))
        .and(header("authorization", format!("token {TOKEN}").as_str()))
        .and(header("accept", "application/json"))
}

fn list_open(page: u32) -> wiremock::MockBuilder {
    gitea("GET", "/pulls")
        .and(query_param("state", "open"))
        .and(query_param("page", page.to_string().as_str()))
        .and(query_param("limit", "50"))
}

/// One page of a list, with the `X-Total-Count` header Gitea sends.
fn page(items: Value, total: usize) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-total-count", total.to_string().as_str())
        .set_body_json(items)
}

/// The repository has the label `rampart` (id 3); `security` is missing and gets id 9.
async fn mount_labels(server: &MockServer) {
    gitea("GET", "/labels")
        .and(query_param("page", "1"))
        .respond_with(page(json!([label(1, "bug"), label(3, "rampart")]), 2))
        .expect(1)
        .mount(server)
        .await;
    gitea("POST", "/labels")
        .and(body_json(json!({ "name": "security", "color": "#ededed" })))
        .respond_with(ResponseTemplate::new(201).set_body_json(label(9, "security")))
        .expect(1)
        .mount(server)
        .await;
}

fn create() -> wiremock::MockBuilder {
    gitea("POST", "/pulls")
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "head": HEAD, "base": BASE, "title": TITLE, "body": BODY, "labels": [3, 9]
        })))
}

fn update(index: u64) -> wiremock::MockBuilder {
    gitea("PATCH", &format!("/pulls/{index}")).and(body_json(
        json!({ "title": TITLE, "body": BODY, "base": BASE }),
    ))
}

fn api_base(server: &MockServer) -> String {
    format!("{}/api/v1", server.uri())
}

#[tokio::test]
async fn opens_a_pull_request_with_label_ids_creating_a_missing_label() {
    let server = MockServer::start().await;
    list_open(1)
        .respond_with(page(json!([pull(2, "feature/other", REPO_ID)]), 1))
        .expect(1)
        .mount(&server)
        .await;
    mount_labels(&server).await;
    create()
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(12, HEAD, REPO_ID)))
        .expect(1)
        .mount(&server)
        .await;

    let labels = labels();
    let pr = forge(ForgeKind::Gitea, &api_base(&server), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap();

    assert_eq!(
        pr,
        PullRequest {
            number: 12,
            url: "https://git.example.com/acme/gitops/pulls/12".to_owned(),
            action: PullRequestAction::Opened,
        }
    );
    assert_request_count(&server, 4).await;
}

#[tokio::test]
async fn finds_the_open_pull_request_on_a_later_page_and_updates_it() {
    let server = MockServer::start().await;
    // The server caps pages below the asked limit: page 1 is short but not the end.
    list_open(1)
        .respond_with(page(
            json!([pull(2, "feature/other", REPO_ID), pull(3, HEAD, 77)]),
            3,
        ))
        .expect(1)
        .mount(&server)
        .await;
    list_open(2)
        .respond_with(page(json!([pull(12, HEAD, REPO_ID)]), 3))
        .expect(1)
        .mount(&server)
        .await;
    update(12)
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(12, HEAD, REPO_ID)))
        .expect(1)
        .mount(&server)
        .await;
    mount_labels(&server).await;
    gitea("POST", "/issues/12/labels")
        .and(body_json(json!({ "labels": [3, 9] })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([label(3, "rampart"), label(9, "security")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    gitea("POST", "/pulls")
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(13, HEAD, REPO_ID)))
        .expect(0)
        .mount(&server)
        .await;

    let labels = labels();
    let pr = forge(ForgeKind::Gitea, &api_base(&server), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap();

    assert_eq!((pr.number, pr.action), (12, PullRequestAction::Updated));
    assert_request_count(&server, 6).await;
}

#[tokio::test]
async fn a_concurrent_open_answered_with_409_leads_to_an_update() {
    let server = MockServer::start().await;
    list_open(1)
        .respond_with(page(json!([]), 0))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    list_open(1)
        .respond_with(page(json!([pull(12, HEAD, REPO_ID)]), 1))
        .expect(1)
        .mount(&server)
        .await;
    gitea("POST", "/pulls")
        .and(body_json(
            json!({ "head": HEAD, "base": BASE, "title": TITLE, "body": BODY }),
        ))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "message": format!(
                "pull request already exists for these targets [id: 512, issue_id: 12, \
                 head_repo_id: 31, base_repo_id: 31, head_branch: {HEAD}, base_branch: main]"
            ),
            "url": "https://git.example.com/api/swagger"
        })))
        .expect(1)
        .mount(&server)
        .await;
    update(12)
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(12, HEAD, REPO_ID)))
        .expect(1)
        .mount(&server)
        .await;

    let pr = forge(ForgeKind::Gitea, &api_base(&server), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap();

    assert_eq!((pr.number, pr.action), (12, PullRequestAction::Updated));
    assert_request_count(&server, 4).await;
}

#[tokio::test]
async fn a_forbidden_token_gives_the_gitea_scope_hint() {
    let server = MockServer::start().await;
    list_open(1)
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "message": "token does not have at least one of required scope(s): [read:repository]",
            "url": "https://git.example.com/api/swagger"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = forge(ForgeKind::Gitea, &api_base(&server), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert_eq!(error.status(), Some(403));
    assert!(shown.contains("required scope(s)"), "{shown}");
    assert!(shown.contains("write:repository"), "{shown}");
    assert_request_count(&server, 1).await;
}
