//! GitHub and GitHub Enterprise Server: REST pulls API, labels through the issues API.
//!
//! - list: `GET /repos/{owner}/{repo}/pulls?head={owner}:{branch}&state=open`
//! - create: `POST /repos/{owner}/{repo}/pulls` `{title, head, base, body}` (no labels field)
//! - update: `PATCH /repos/{owner}/{repo}/pulls/{number}` `{title, body, base}`
//! - labels: `POST /repos/{owner}/{repo}/issues/{number}/labels` `{labels: [names]}` (adds)

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::api::Api;
use crate::pull_request::Found;
use crate::repository::Repository;
use crate::{ForgeError, PullRequestAction, PullRequestSpec, labels_failed};

#[derive(Deserialize)]
struct Pull {
    number: u64,
    html_url: String,
    head: Head,
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "ref")]
    branch: String,
}

#[derive(Serialize)]
struct CreatePull<'a> {
    title: &'a str,
    head: &'a str,
    base: &'a str,
    body: &'a str,
}

#[derive(Serialize)]
struct UpdatePull<'a> {
    title: &'a str,
    body: &'a str,
    base: &'a str,
}

#[derive(Serialize)]
struct AddLabels<'a> {
    labels: &'a [String],
}

fn repo_segments<'a>(repository: &'a Repository, rest: &[&'a str]) -> Vec<&'a str> {
    let (owner, name) = repository.owner_and_name();
    let mut segments = vec!["repos", owner, name];
    segments.extend_from_slice(rest);
    segments
}

pub(crate) async fn find_open(
    api: &Api,
    repository: &Repository,
    head: &str,
) -> Result<Option<Found>, ForgeError> {
    // `head` takes `owner:branch`; a branch pushed to this repository has its owner.
    let head_filter = format!("{}:{head}", repository.owner());
    let url = api.url(
        &repo_segments(repository, &["pulls"]),
        &[
            ("head", &head_filter),
            ("state", "open"),
            ("per_page", "100"),
        ],
    );
    let pulls: Vec<Pull> = api.call(Method::GET, url, None::<&()>).await?.body;
    Ok(pulls
        .into_iter()
        .find(|pull| pull.head.branch == head)
        .map(|pull| Found {
            number: pull.number,
            url: pull.html_url,
        }))
}

pub(crate) async fn create(
    api: &Api,
    repository: &Repository,
    spec: &PullRequestSpec<'_>,
) -> Result<Found, ForgeError> {
    let url = api.url(&repo_segments(repository, &["pulls"]), &[]);
    let request = CreatePull {
        title: spec.title,
        head: spec.head,
        base: spec.base,
        body: spec.body,
    };
    let pull: Pull = api.call(Method::POST, url, Some(&request)).await?.body;
    let found = Found {
        number: pull.number,
        url: pull.html_url,
    };
    add_labels(api, repository, &found, PullRequestAction::Opened, spec).await?;
    Ok(found)
}

pub(crate) async fn update(
    api: &Api,
    repository: &Repository,
    number: u64,
    spec: &PullRequestSpec<'_>,
) -> Result<Found, ForgeError> {
    let number_text = number.to_string();
    let url = api.url(&repo_segments(repository, &["pulls", &number_text]), &[]);
    let request = UpdatePull {
        title: spec.title,
        body: spec.body,
        base: spec.base,
    };
    let pull: Pull = api.call(Method::PATCH, url, Some(&request)).await?.body;
    let found = Found {
        number: pull.number,
        url: pull.html_url,
    };
    add_labels(api, repository, &found, PullRequestAction::Updated, spec).await?;
    Ok(found)
}

/// Pull requests are issues to GitHub: labels go through the issues API, which creates
/// missing labels and keeps the ones already on the pull request.
async fn add_labels(
    api: &Api,
    repository: &Repository,
    found: &Found,
    action: PullRequestAction,
    spec: &PullRequestSpec<'_>,
) -> Result<(), ForgeError> {
    if spec.labels.is_empty() {
        return Ok(());
    }
    let number_text = found.number.to_string();
    let url = api.url(
        &repo_segments(repository, &["issues", &number_text, "labels"]),
        &[],
    );
    let request = AddLabels {
        labels: spec.labels,
    };
    api.call::<serde_json::Value>(Method::POST, url, Some(&request))
        .await
        .map(drop)
        .map_err(|source| labels_failed(api.forge, found, action, source))
}
