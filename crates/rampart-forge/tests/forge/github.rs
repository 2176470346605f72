//! GitHub REST API: `/repos/{owner}/{repo}/pulls`, labels through `/issues/{n}/labels`.

use rampart_forge::{ForgeError, ForgeKind, PullRequest, PullRequestAction};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    BASE, BODY, HEAD, TITLE, TOKEN, assert_request_count, forge, labels, shown_without_token, spec,
};

const REPO: &str = "acme/gitops";

/// A pull request as GitHub returns it (the fields a client reads, plus some context).
fn pull(number: u64, head: &str) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/gitops/pulls/{number}"),
        "id": 1_900_000 + number,
        "html_url": format!("https://github.com/acme/gitops/pull/{number}"),
        "number": number,
        "state": "open",
        "title": "an older title",
        "body": "an older body",
        "draft": false,
        "head": {
            "label": format!("acme:{head}"),
            "ref": head,
            "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
            "repo": { "full_name": "acme/gitops" }
        },
        "base": { "label": "acme:main", "ref": "main", "repo": { "full_name": "acme/gitops" } }
    })
}

/// Matches GitHub's required headers on every request.
fn github(method_name: &str, api_path: &str) -> wiremock::MockBuilder {
    Mock::given(method(method_name))
        .and(path(api_path))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/vnd.github+json"))
        .and(header("x-github-api-version", "2022-11-28"))
        .and(header_exists("user-agent"))
}

fn list_open(prefix: &str) -> wiremock::MockBuilder {
    github("GET", &format!("{prefix}/repos/acme/gitops/pulls"))
        .and(query_param("head", format!("acme:{HEAD}").as_str()))
        .and(query_param("state", "open"))
}

fn create(prefix: &str) -> wiremock::MockBuilder {
    github("POST", &format!("{prefix}/repos/acme/gitops/pulls"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({ "title": TITLE, "head": HEAD, "base": BASE, "body": BODY }),
        ))
}

fn update(number: u64) -> wiremock::MockBuilder {
    github("PATCH", &format!("/repos/acme/gitops/pulls/{number}")).and(body_json(
        json!({ "title": TITLE, "body": BODY, "base": BASE }),
    ))
}

fn add_labels(prefix: &str, number: u64) -> wiremock::MockBuilder {
    github(
        "POST",
        &format!("{prefix}/repos/acme/gitops/issues/{number}/labels"),
    )
    .and(body_json(json!({ "labels": ["rampart", "security"] })))
}

fn labels_answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([
        { "id": 208045946, "name": "rampart", "color": "ededed", "default": false },
        { "id": 208045947, "name": "security", "color": "d73a4a", "default": false }
    ]))
}

#[tokio::test]
async fn opens_a_pull_request_and_adds_labels_when_none_is_open() {
    let server = MockServer::start().await;
    list_open("")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    create("")
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(42, HEAD)))
        .expect(1)
        .mount(&server)
        .await;
    add_labels("", 42)
        .respond_with(labels_answer())
        .expect(1)
        .mount(&server)
        .await;

    let labels = labels();
    let pr = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap();

    assert_eq!(
        pr,
        PullRequest {
            number: 42,
            url: "https://github.com/acme/gitops/pull/42".to_owned(),
            action: PullRequestAction::Opened,
        }
    );
    assert_request_count(&server, 3).await;
}

#[tokio::test]
async fn updates_the_open_pull_request_instead_of_opening_another() {
    let server = MockServer::start().await;
    list_open("")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pull(7, HEAD)])))
        .expect(1)
        .mount(&server)
        .await;
    update(7)
        .respond_with(ResponseTemplate::new(200).set_body_json(pull(7, HEAD)))
        .expect(1)
        .mount(&server)
        .await;
    add_labels("", 7)
        .respond_with(labels_answer())
        .expect(1)
        .mount(&server)
        .await;
    github("POST", "/repos/acme/gitops/pulls")
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(8, HEAD)))
        .expect(0)
        .mount(&server)
        .await;

    let labels = labels();
    let pr = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap();

    assert_eq!((pr.number, pr.action), (7, PullRequestAction::Updated));
    assert_eq!(pr.url, "https://github.com/acme/gitops/pull/7");
    assert_request_count(&server, 3).await;
}

#[tokio::test]
async fn a_concurrent_open_answered_with_422_leads_to_an_update() {
    let server = MockServer::start().await;
    // First look-up: nothing yet. Second look-up (after the 422): the other run's PR.
    list_open("")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    list_open("")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pull(9, HEAD)])))
        .expect(1)
        .mount(&server)
        .await;
    create("")
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{
                "resource": "PullRequest",
                "code": "custom",
                "message": format!("A pull request already exists for acme:{HEAD}.")
            }],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
            "status": "422"
        })))
        .expect(1)
        .mount(&server)
        .await;
    update(9)
        .respond_with(ResponseTemplate::new(200).set_body_json(pull(9, HEAD)))
        .expect(1)
        .mount(&server)
        .await;

    let pr = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap();

    assert_eq!((pr.number, pr.action), (9, PullRequestAction::Updated));
    assert_request_count(&server, 4).await;
}

#[tokio::test]
async fn other_422_validation_errors_are_reported_not_retried() {
    let server = MockServer::start().await;
    list_open("")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    create("")
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{
                "resource": "PullRequest",
                "code": "custom",
                "message": format!("No commits between main and {HEAD}")
            }],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert_eq!(error.status(), Some(422));
    assert!(shown.contains("No commits between main and"), "{shown}");
    assert!(shown.contains("POST"), "{shown}");
    assert_request_count(&server, 2).await;
}

#[tokio::test]
async fn exists_but_not_found_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    list_open("")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(2)
        .mount(&server)
        .await;
    create("")
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "PullRequest", "code": "custom",
                         "message": format!("A pull request already exists for acme:{HEAD}.") }]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, ForgeError::ExistsButNotFound { head, .. } if head == HEAD),
        "{error:?}"
    );
    let shown = shown_without_token(&error);
    assert!(shown.contains("already exists for acme:"), "{shown}");
    assert_request_count(&server, 3).await;
}

#[tokio::test]
async fn bad_credentials_give_a_hint_and_never_the_token() {
    let server = MockServer::start().await;
    list_open("")
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .open_or_update(&spec(&labels()))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert_eq!(error.status(), Some(401));
    let message = error.to_string();
    for expected in [
        "GitHub",
        "GET",
        "/repos/acme/gitops/pulls",
        "401",
        "Bad credentials",
        "hint:",
        "token",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing in {shown}"
        );
    }
    assert_request_count(&server, 1).await;
}

#[tokio::test]
async fn an_error_body_echoing_the_token_is_redacted() {
    let server = MockServer::start().await;
    list_open("")
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "message": format!("token {TOKEN} is not authorized for acme/gitops")
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert!(shown.contains("[redacted] is not authorized"), "{shown}");
    assert!(shown.contains("Pull requests: write"), "{shown}");
}

#[tokio::test]
async fn github_enterprise_paths_sit_under_api_v3() {
    let server = MockServer::start().await;
    list_open("/api/v3")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    create("/api/v3")
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(3, HEAD)))
        .expect(1)
        .mount(&server)
        .await;
    add_labels("/api/v3", 3)
        .respond_with(labels_answer())
        .expect(1)
        .mount(&server)
        .await;

    // A trailing slash on the configured base is common and harmless.
    let api_base = format!("{}/api/v3/", server.uri());
    let labels = labels();
    let pr = forge(ForgeKind::GitHub, &api_base, REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap();

    assert_eq!((pr.number, pr.action), (3, PullRequestAction::Opened));
    assert_request_count(&server, 3).await;
}

#[tokio::test]
async fn a_label_failure_after_opening_names_the_opened_pull_request() {
    let server = MockServer::start().await;
    list_open("")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    create("")
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(42, HEAD)))
        .expect(1)
        .mount(&server)
        .await;
    add_labels("", 42)
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "message": "Resource not accessible by personal access token",
            "documentation_url": "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue",
            "status": "403"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let labels = labels();
    let error = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .open_or_update(&spec(&labels))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert!(
        matches!(
            &error,
            ForgeError::Labels {
                number: 42,
                action: PullRequestAction::Opened,
                ..
            }
        ),
        "{shown}"
    );
    assert!(
        shown.contains("https://github.com/acme/gitops/pull/42"),
        "{shown}"
    );
    assert!(shown.contains("Resource not accessible"), "{shown}");
}

#[tokio::test]
async fn find_open_ignores_a_different_head_branch() {
    let server = MockServer::start().await;
    list_open("")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pull(5, "rampart/other")])))
        .expect(1)
        .mount(&server)
        .await;

    let found = forge(ForgeKind::GitHub, &server.uri(), REPO)
        .find_open(HEAD)
        .await
        .unwrap();

    assert_eq!(found, None);
}

#[tokio::test]
async fn an_unreachable_api_is_a_transport_error_with_a_hint() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let error = forge(ForgeKind::GitHub, &format!("http://127.0.0.1:{port}"), REPO)
        .open_or_update(&spec(&[]))
        .await
        .unwrap_err();

    let shown = shown_without_token(&error);
    assert!(matches!(error, ForgeError::Transport { .. }), "{shown}");
    assert!(shown.contains("no response"), "{shown}");
    assert!(shown.contains("cannot connect"), "{shown}");
}

#[test]
fn invalid_configuration_is_refused_before_any_request() {
    use rampart_forge::{Forge, Token};
    let token = || Token::from_file(crate::support::token_file().path()).unwrap();

    let error =
        Forge::new(ForgeKind::GitHub, "https://api.github.com", "acme", token()).unwrap_err();
    assert!(error.to_string().contains("OWNER/REPO"), "{error}");

    let error = Forge::new(
        ForgeKind::Gitea,
        "http://git.example.com/api/v1",
        REPO,
        token(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("use https"), "{error}");

    assert_eq!(
        Forge::default_api_base(ForgeKind::GitHub),
        Some("https://api.github.com")
    );
    assert_eq!(Forge::default_api_base(ForgeKind::GitLab), None);
    assert_eq!(Forge::default_api_base(ForgeKind::Gitea), None);
}
