//! Gitea and Forgejo: API v1.
//!
//! - list: `GET /repos/{owner}/{repo}/pulls?state=open&page=N&limit=50` — the list has no
//!   head-branch filter, so pages are read until the branch is found or the list ends
//! - create: `POST /repos/{owner}/{repo}/pulls` `{head, base, title, body, labels: [ids]}`
//! - update: `PATCH /repos/{owner}/{repo}/pulls/{index}` `{title, body, base}`
//! - labels take ids: `GET /repos/{owner}/{repo}/labels` to look names up,
//!   `POST /repos/{owner}/{repo}/labels` to create missing ones, and
//!   `POST /repos/{owner}/{repo}/issues/{index}/labels` `{labels: [ids]}` to add them to an
//!   existing pull request (keeping its other labels)

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::api::Api;
use crate::pull_request::Found;
use crate::repository::Repository;
use crate::{ForgeError, PullRequestAction, PullRequestSpec, labels_failed};

/// Gitea's default maximum page size.
const PAGE_SIZE: usize = 50;
/// 100 pages of 50: far more open pull requests or labels than a GitOps repository has.
const MAX_PAGES: usize = 100;
/// The color of labels this client creates (Gitea requires one).
const NEW_LABEL_COLOR: &str = "#ededed";

#[derive(Deserialize)]
struct Pull {
    number: u64,
    html_url: String,
    head: Branch,
    #[serde(default)]
    base: Option<Branch>,
}

#[derive(Deserialize)]
struct Branch {
    #[serde(rename = "ref")]
    branch: String,
    #[serde(default)]
    repo_id: Option<u64>,
}

#[derive(Deserialize)]
struct Label {
    id: u64,
    name: String,
}

#[derive(Serialize)]
struct CreatePull<'a> {
    head: &'a str,
    base: &'a str,
    title: &'a str,
    body: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<u64>,
}

#[derive(Serialize)]
struct UpdatePull<'a> {
    title: &'a str,
    body: &'a str,
    base: &'a str,
}

#[derive(Serialize)]
struct CreateLabel<'a> {
    name: &'a str,
    color: &'a str,
}

#[derive(Serialize)]
struct AddLabels<'a> {
    labels: &'a [u64],
}

fn repo_segments<'a>(repository: &'a Repository, rest: &[&'a str]) -> Vec<&'a str> {
    let (owner, name) = repository.owner_and_name();
    let mut segments = vec!["repos", owner, name];
    segments.extend_from_slice(rest);
    segments
}

/// Reads a paginated list page by page until `stop` picks an item or the list ends.
async fn scan_pages<T: DeserializeOwned, R>(
    api: &Api,
    segments: &[&str],
    extra_query: &[(&str, &str)],
    mut stop: impl FnMut(T) -> Option<R>,
) -> Result<Option<R>, ForgeError> {
    let limit = PAGE_SIZE.to_string();
    let mut seen = 0_u64;
    for page in 1..=MAX_PAGES {
        let page_text = page.to_string();
        let mut query = extra_query.to_vec();
        query.extend([("page", page_text.as_str()), ("limit", limit.as_str())]);
        let answer = api
            .call::<Vec<T>>(Method::GET, api.url(segments, &query), None::<&()>)
            .await?;
        if answer.body.is_empty() {
            return Ok(None);
        }
        seen += answer.body.len() as u64;
        for item in answer.body {
            if let Some(result) = stop(item) {
                return Ok(Some(result));
            }
        }
        // Gitea reports the total; a short page alone does not prove the end, as the
        // server may cap `limit` below what was asked.
        if answer.total_count.is_some_and(|total| seen >= total) {
            return Ok(None);
        }
    }
    tracing::warn!(
        forge = %api.forge,
        pages = MAX_PAGES,
        "stopped reading a list after {MAX_PAGES} pages"
    );
    Ok(None)
}

pub(crate) async fn find_open(
    api: &Api,
    repository: &Repository,
    head: &str,
) -> Result<Option<Found>, ForgeError> {
    scan_pages(
        api,
        &repo_segments(repository, &["pulls"]),
        &[("state", "open")],
        |pull: Pull| {
            let same_repository = pull
                .base
                .as_ref()
                .is_none_or(|base| base.repo_id == pull.head.repo_id);
            (pull.head.branch == head && same_repository).then_some(Found {
                number: pull.number,
                url: pull.html_url,
            })
        },
    )
    .await
}

pub(crate) async fn create(
    api: &Api,
    repository: &Repository,
    spec: &PullRequestSpec<'_>,
) -> Result<Found, ForgeError> {
    let labels = label_ids(api, repository, spec.labels).await?;
    let url = api.url(&repo_segments(repository, &["pulls"]), &[]);
    let request = CreatePull {
        head: spec.head,
        base: spec.base,
        title: spec.title,
        body: spec.body,
        labels,
    };
    let pull: Pull = api.call(Method::POST, url, Some(&request)).await?.body;
    Ok(Found {
        number: pull.number,
        url: pull.html_url,
    })
}

pub(crate) async fn update(
    api: &Api,
    repository: &Repository,
    index: u64,
    spec: &PullRequestSpec<'_>,
) -> Result<Found, ForgeError> {
    let index_text = index.to_string();
    let url = api.url(&repo_segments(repository, &["pulls", &index_text]), &[]);
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
    if !spec.labels.is_empty() {
        add_labels(api, repository, &found, spec.labels)
            .await
            .map_err(|source| {
                labels_failed(api.forge, &found, PullRequestAction::Updated, source)
            })?;
    }
    Ok(found)
}

async fn add_labels(
    api: &Api,
    repository: &Repository,
    found: &Found,
    names: &[String],
) -> Result<(), ForgeError> {
    let ids = label_ids(api, repository, names).await?;
    let number_text = found.number.to_string();
    let url = api.url(
        &repo_segments(repository, &["issues", &number_text, "labels"]),
        &[],
    );
    api.call::<serde_json::Value>(Method::POST, url, Some(&AddLabels { labels: &ids }))
        .await
        .map(drop)
}

/// The ids of the repository labels `names`, creating the missing ones.
async fn label_ids(
    api: &Api,
    repository: &Repository,
    names: &[String],
) -> Result<Vec<u64>, ForgeError> {
    let mut unique: Vec<&String> = Vec::with_capacity(names.len());
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    let names = unique;
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<Option<u64>> = vec![None; names.len()];
    let labels_path = repo_segments(repository, &["labels"]);
    scan_pages(api, &labels_path, &[], |label: Label| {
        for (name, id) in names.iter().zip(ids.iter_mut()) {
            if **name == label.name {
                *id = Some(label.id);
            }
        }
        // Stop early once every name is known.
        ids.iter().all(Option::is_some).then_some(())
    })
    .await?;
    let mut resolved = Vec::with_capacity(names.len());
    for (name, id) in names.iter().zip(ids) {
        let id = match id {
            Some(id) => id,
            None => {
                let request = CreateLabel {
                    name: name.as_str(),
                    color: NEW_LABEL_COLOR,
                };
                let label: Label = api
                    .call(Method::POST, api.url(&labels_path, &[]), Some(&request))
                    .await?
                    .body;
                tracing::info!(forge = %api.forge, label = %name, id = label.id, "created label");
                label.id
            }
        };
        resolved.push(id);
    }
    Ok(resolved)
}
