//! GitLab (gitlab.com and self-managed): merge requests API v4.
//!
//! The project id is the URL-encoded path (`group%2Fsub%2Fproject`) or the numeric id.
//!
//! - list: `GET /projects/:id/merge_requests?source_branch=…&state=opened`
//! - create: `POST /projects/:id/merge_requests`
//!   `{source_branch, target_branch, title, description, labels: "a,b"}`
//! - update: `PUT /projects/:id/merge_requests/:iid`
//!   `{title, description, target_branch, add_labels: "a,b"}`
//!
//! GitLab creates missing labels itself; `add_labels` keeps the labels already set.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::api::Api;
use crate::pull_request::Found;
use crate::repository::Repository;
use crate::{ForgeError, PullRequestSpec};

#[derive(Deserialize)]
struct MergeRequest {
    iid: u64,
    web_url: String,
    #[serde(default)]
    source_branch: String,
    #[serde(default)]
    source_project_id: Option<u64>,
    #[serde(default)]
    target_project_id: Option<u64>,
}

#[derive(Serialize)]
struct CreateMergeRequest<'a> {
    source_branch: &'a str,
    target_branch: &'a str,
    title: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<String>,
}

#[derive(Serialize)]
struct UpdateMergeRequest<'a> {
    title: &'a str,
    description: &'a str,
    target_branch: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    add_labels: Option<String>,
}

/// GitLab takes labels as one comma-separated string (commas in names are rejected earlier).
fn label_list(labels: &[String]) -> Option<String> {
    (!labels.is_empty()).then(|| labels.join(","))
}

pub(crate) async fn find_open(
    api: &Api,
    repository: &Repository,
    head: &str,
) -> Result<Option<Found>, ForgeError> {
    let url = api.url(
        &["projects", &repository.path, "merge_requests"],
        &[
            ("source_branch", head),
            ("state", "opened"),
            ("per_page", "100"),
        ],
    );
    let requests: Vec<MergeRequest> = api.call(Method::GET, url, None::<&()>).await?.body;
    Ok(requests
        .into_iter()
        // Same branch name in a fork is someone else's merge request.
        .find(|mr| mr.source_branch == head && mr.source_project_id == mr.target_project_id)
        .map(|mr| Found {
            number: mr.iid,
            url: mr.web_url,
        }))
}

pub(crate) async fn create(
    api: &Api,
    repository: &Repository,
    spec: &PullRequestSpec<'_>,
) -> Result<Found, ForgeError> {
    let url = api.url(&["projects", &repository.path, "merge_requests"], &[]);
    let request = CreateMergeRequest {
        source_branch: spec.head,
        target_branch: spec.base,
        title: spec.title,
        description: spec.body,
        labels: label_list(spec.labels),
    };
    let mr: MergeRequest = api.call(Method::POST, url, Some(&request)).await?.body;
    Ok(Found {
        number: mr.iid,
        url: mr.web_url,
    })
}

pub(crate) async fn update(
    api: &Api,
    repository: &Repository,
    iid: u64,
    spec: &PullRequestSpec<'_>,
) -> Result<Found, ForgeError> {
    let iid_text = iid.to_string();
    let url = api.url(
        &["projects", &repository.path, "merge_requests", &iid_text],
        &[],
    );
    let request = UpdateMergeRequest {
        title: spec.title,
        description: spec.body,
        target_branch: spec.base,
        add_labels: label_list(spec.labels),
    };
    let mr: MergeRequest = api.call(Method::PUT, url, Some(&request)).await?.body;
    Ok(Found {
        number: mr.iid,
        url: mr.web_url,
    })
}
