//! What to open, and what was opened.

use crate::{ForgeError, ForgeKind, PullRequestAction};

/// The pull request (GitLab: merge request) to open from `head` into `base`, or to apply to
/// the open one from `head`.
#[derive(Debug, Clone, Copy)]
pub struct PullRequestSpec<'a> {
    /// The branch with the changes (GitLab: source branch), in the same repository.
    pub head: &'a str,
    /// The branch to merge into (GitLab: target branch).
    pub base: &'a str,
    /// The title.
    pub title: &'a str,
    /// The description (Markdown).
    pub body: &'a str,
    /// Labels to add; labels already on an existing pull request are kept. Missing labels
    /// are created (GitLab and Gitea; GitHub creates them on first use).
    pub labels: &'a [String],
}

/// A pull request that is open after [`Forge::open_or_update`](crate::Forge::open_or_update).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Its number (GitLab: the merge request's project-scoped iid, `!N`).
    pub number: u64,
    /// Its web page.
    pub url: String,
    /// Whether it was opened now or an open one was updated.
    pub action: PullRequestAction,
}

impl PullRequestSpec<'_> {
    /// Rejects what no forge accepts, before any request is sent.
    pub(crate) fn check(&self, forge: ForgeKind) -> Result<(), ForgeError> {
        let invalid = |reason: String| Err(ForgeError::InvalidPullRequest { forge, reason });
        for (what, value) in [("head branch", self.head), ("base branch", self.base)] {
            if value.trim().is_empty() {
                return invalid(format!("the {what} is empty"));
            }
            if value.starts_with("refs/") {
                return invalid(format!(
                    "the {what} {value:?} is a ref; give the branch name without refs/heads/"
                ));
            }
        }
        if self.head == self.base {
            return invalid(format!(
                "head and base are the same branch {:?}; push the changes to another branch",
                self.head
            ));
        }
        if self.title.trim().is_empty() {
            return invalid("the title is empty".to_owned());
        }
        for (index, label) in self.labels.iter().enumerate() {
            if label.trim().is_empty() {
                return invalid(format!("label {} is empty", index + 1));
            }
            // GitLab takes labels as one comma-separated string.
            if forge == ForgeKind::GitLab && label.contains(',') {
                return invalid(format!(
                    "label {label:?} contains a comma, which GitLab reads as a label separator"
                ));
            }
        }
        Ok(())
    }
}

/// The number and web URL of a pull request as a forge reports it.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) number: u64,
    pub(crate) url: String,
}
