//! Errors of the forge clients. None of them contains the token: requests carry it only in a
//! sensitive header, and no message formats headers.

use crate::{ForgeKind, PullRequestAction};

/// Why a token could not be read, a forge could not be set up, or a forge call failed.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// The environment variable that should hold the token is not set.
    #[error("environment variable {var} is not set; export the forge API token in it")]
    TokenEnvUnset {
        /// The variable's name.
        var: String,
    },
    /// The token file could not be read (the source names the path).
    #[error("cannot read the forge API token file")]
    TokenFile(#[source] std::io::Error),
    /// The token source holds only whitespace.
    #[error("the forge API token in {origin} is empty; put the token there")]
    TokenEmpty {
        /// Where the token was read from, e.g. `file /run/secrets/token`.
        origin: String,
    },
    /// The token source holds something that is not a single token.
    #[error(
        "the forge API token in {origin} is not valid UTF-8 or contains whitespace or control \
         characters; it must hold the token alone (one line)"
    )]
    TokenMalformed {
        /// Where the token was read from.
        origin: String,
    },
    /// The API base URL is not a usable http(s) URL.
    #[error("invalid {forge} API base URL {url:?}: {reason}")]
    InvalidApiBase {
        /// The forge the URL was given for.
        forge: ForgeKind,
        /// The URL as configured.
        url: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The repository path does not have the forge's shape.
    #[error("invalid {forge} repository {repository:?}: {reason}")]
    InvalidRepository {
        /// The forge the repository was given for.
        forge: ForgeKind,
        /// The repository as configured.
        repository: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The pull request cannot be expressed on this forge (empty title, bad label, ...).
    #[error("invalid {forge} pull request: {reason}")]
    InvalidPullRequest {
        /// The forge the pull request was meant for.
        forge: ForgeKind,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// TLS could not be set up (e.g. the system's root certificates cannot be loaded).
    #[error("cannot set up TLS for {forge}")]
    Tls {
        /// The forge the client was for.
        forge: ForgeKind,
        /// The underlying error.
        #[source]
        source: rustls::Error,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client for {forge}")]
    Client {
        /// The forge the client was for.
        forge: ForgeKind,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The request did not get an HTTP response (DNS, connect, TLS, timeout).
    #[error("{forge} API {method} {url}: no response ({hint})")]
    Transport {
        /// The forge called.
        forge: ForgeKind,
        /// The HTTP method.
        method: &'static str,
        /// The URL called (it never contains the token).
        url: String,
        /// What to check.
        hint: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The forge answered with an error status.
    #[error("{forge} API {method} {url} answered HTTP {status}: {message}; hint: {hint}")]
    Api {
        /// The forge called.
        forge: ForgeKind,
        /// The HTTP method.
        method: &'static str,
        /// The URL called (it never contains the token).
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The forge's own error message, shortened.
        message: String,
        /// What to check, given the status.
        hint: String,
    },
    /// The forge answered 2xx with a body this client does not understand.
    #[error(
        "{forge} API {method} {url}: unexpected response body; is the API base URL the \
         forge's API root ({example})?"
    )]
    Decode {
        /// The forge called.
        forge: ForgeKind,
        /// The HTTP method.
        method: &'static str,
        /// The URL called.
        url: String,
        /// An example API base URL for this forge.
        example: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The pull request was opened or updated, but its labels could not be set; running
    /// again finds it and retries the labels.
    #[error("{forge} pull request #{number} ({url}) was {action}, but setting its labels failed")]
    Labels {
        /// The forge called.
        forge: ForgeKind,
        /// The pull request's number (GitLab: the merge request's iid).
        number: u64,
        /// The pull request's web URL.
        url: String,
        /// What happened to the pull request.
        action: PullRequestAction,
        /// Why the labels failed.
        #[source]
        source: Box<ForgeError>,
    },
    /// Creating said the pull request exists, yet no open one from the branch was found.
    #[error(
        "{forge} refused to open a pull request from branch {head:?} because one already \
         exists, but no open pull request from that branch was found; it may come from a fork \
         or have a different base branch — close or retarget it, then run again ({forge} \
         said: {message})"
    )]
    ExistsButNotFound {
        /// The forge called.
        forge: ForgeKind,
        /// The head (source) branch.
        head: String,
        /// The forge's message when it refused to create.
        message: String,
    },
}

impl ForgeError {
    /// The HTTP status when the forge answered with an error, e.g. to tell 404 from 401.
    pub fn status(&self) -> Option<u16> {
        match self {
            ForgeError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// What to check for an error `status` from `forge`'s API at `api_base` for `repository`.
pub(crate) fn status_hint(
    forge: ForgeKind,
    status: u16,
    api_base: &str,
    repository: &str,
) -> String {
    match status {
        401 => format!(
            "the token was not accepted: check that it is valid and not expired ({})",
            token_scopes(forge)
        ),
        403 => format!(
            "the token lacks permission or hit a rate limit: {}",
            token_scopes(forge)
        ),
        404 => format!(
            "check the repository path {repository:?} and the API base URL {api_base:?} \
             (expected like {}); a token without access to a private repository also gets 404",
            forge.api_base_example()
        ),
        409 | 422 => "the forge rejected the pull request: check that the head and base \
                    branches exist, differ, and the head branch has been pushed"
            .to_owned(),
        429 => "rate limited: wait and run again".to_owned(),
        500..=599 => "the forge had a server error: run again later".to_owned(),
        300..=399 => format!(
            "the API redirected elsewhere: set the API base URL to the forge's API root \
             (expected like {})",
            forge.api_base_example()
        ),
        _ => format!(
            "check the API base URL {api_base:?} (expected like {})",
            forge.api_base_example()
        ),
    }
}

fn token_scopes(forge: ForgeKind) -> &'static str {
    match forge {
        ForgeKind::GitHub => {
            "a GitHub token needs Pull requests: write and Issues: write (fine-grained) or the \
             repo scope (classic), and SSO authorization for SAML organizations"
        }
        ForgeKind::GitLab => {
            "a GitLab token needs the api scope and at least the Developer role on the project"
        }
        ForgeKind::Gitea => {
            "a Gitea/Forgejo token needs the write:repository and write:issue scopes"
        }
    }
}
