//! What opening or updating a pull request did: a leaf the errors and the pull requests
//! both name.

use std::fmt;

/// What [`Forge::open_or_update`](crate::Forge::open_or_update) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullRequestAction {
    /// No open pull request from the head branch existed; one was opened.
    Opened,
    /// An open pull request from the head branch existed; its title, body, base and labels
    /// were updated.
    Updated,
}

impl fmt::Display for PullRequestAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PullRequestAction::Opened => "opened",
            PullRequestAction::Updated => "updated",
        })
    }
}
