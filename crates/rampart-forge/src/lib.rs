//! Open a pull request — or update the open one — on GitHub, GitLab or Gitea/Forgejo.
//!
//! Rampart pushes its changes to a branch and then calls [`Forge::open_or_update`]. That looks
//! for an open pull request from the same branch first and, when one exists, updates its
//! title, description, base and labels instead of opening a second one. When two runs race,
//! the forge's "already exists" answer (GitHub 422, GitLab and Gitea 409) leads to a second
//! look-up and an update.
//!
//! The [`Token`] comes from an environment variable or a file; it is sent only in the forge's
//! authentication header, never logged, and never part of an error.
//!
//! ```no_run
//! use rampart_forge::{Forge, ForgeKind, PullRequestSpec, Token};
//!
//! # async fn run() -> Result<(), rampart_forge::ForgeError> {
//! let token = Token::from_env("GITHUB_TOKEN")?;
//! let api_base = Forge::default_api_base(ForgeKind::GitHub).unwrap_or_default();
//! let forge = Forge::new(ForgeKind::GitHub, api_base, "acme/gitops", token)?;
//! let labels = vec!["rampart".to_owned()];
//! let pr = forge
//!     .open_or_update(&PullRequestSpec {
//!         head: "rampart/payments",
//!         base: "main",
//!         title: "rampart: render namespace payments",
//!         body: "Rendered by rampart.",
//!         labels: &labels,
//!     })
//!     .await?;
//! println!("{} #{}: {}", pr.action, pr.number, pr.url);
//! # Ok(())
//! # }
//! ```

mod action;
mod api;
mod error;
mod gitea;
mod github;
mod gitlab;
mod kind;
mod message;
mod pull_request;
mod repository;
mod token;

pub use action::PullRequestAction;
pub use error::ForgeError;
pub use kind::ForgeKind;
pub use pull_request::{PullRequest, PullRequestSpec};
pub use token::Token;

use api::Api;
use pull_request::Found;
use repository::Repository;

/// A client for one repository on one forge.
pub struct Forge {
    api: Api,
    repository: Repository,
}

impl std::fmt::Debug for Forge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forge")
            .field("kind", &self.api.forge)
            .field("repository", &self.repository.path)
            .finish_non_exhaustive()
    }
}

impl Forge {
    /// A client for `repository` on the forge of `kind` whose API root is `api_base`.
    ///
    /// `api_base` is the API root: `https://api.github.com` or `https://HOST/api/v3` (GitHub
    /// Enterprise Server), `https://HOST/api/v4` (GitLab), `https://HOST/api/v1` (Gitea and
    /// Forgejo). It must be https (plain http only to a loopback address) and carry no
    /// credentials. `repository` is `owner/repo`, or for GitLab `group/sub/project` or a
    /// numeric project id. Nothing is sent yet.
    pub fn new(
        kind: ForgeKind,
        api_base: &str,
        repository: &str,
        token: Token,
    ) -> Result<Forge, ForgeError> {
        let repository = Repository::parse(kind, repository)?;
        let api = Api::new(kind, api_base, &repository.path, token)?;
        Ok(Forge { api, repository })
    }

    /// The public API root of `kind`, if it has one: `https://api.github.com` for GitHub.
    /// GitLab and Gitea are often self-hosted, so their API root must be configured.
    pub fn default_api_base(kind: ForgeKind) -> Option<&'static str> {
        match kind {
            ForgeKind::GitHub => Some("https://api.github.com"),
            ForgeKind::GitLab | ForgeKind::Gitea => None,
        }
    }

    /// Opens a pull request from `spec.head` into `spec.base`, or, if one from `spec.head`
    /// is already open, updates its title, body and base and adds `spec.labels`.
    pub async fn open_or_update(
        &self,
        spec: &PullRequestSpec<'_>,
    ) -> Result<PullRequest, ForgeError> {
        spec.check(self.api.forge)?;
        if let Some(existing) = self.find(spec.head).await? {
            return self.update(existing, spec).await;
        }
        match self.create(spec).await {
            Ok(found) => Ok(self.done(found, PullRequestAction::Opened)),
            Err(error) if self.already_exists(&error) => {
                // Another run opened it between our look-up and our create.
                tracing::debug!(
                    forge = %self.api.forge,
                    head = spec.head,
                    "pull request appeared concurrently; updating it"
                );
                match self.find(spec.head).await? {
                    Some(existing) => self.update(existing, spec).await,
                    None => Err(ForgeError::ExistsButNotFound {
                        forge: self.api.forge,
                        head: spec.head.to_owned(),
                        message: match error {
                            ForgeError::Api { message, .. } => message,
                            other => other.to_string(),
                        },
                    }),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The open pull request whose head (source) branch is `head_branch` in this repository,
    /// if any. Pull requests from forks are not considered. Nothing is changed; the returned
    /// `action` is [`PullRequestAction::Updated`], meaning "already open".
    pub async fn find_open(&self, head_branch: &str) -> Result<Option<PullRequest>, ForgeError> {
        Ok(self.find(head_branch).await?.map(|found| PullRequest {
            number: found.number,
            url: found.url,
            // Found as it is: nothing was changed.
            action: PullRequestAction::Updated,
        }))
    }

    async fn find(&self, head: &str) -> Result<Option<Found>, ForgeError> {
        match self.api.forge {
            ForgeKind::GitHub => github::find_open(&self.api, &self.repository, head).await,
            ForgeKind::GitLab => gitlab::find_open(&self.api, &self.repository, head).await,
            ForgeKind::Gitea => gitea::find_open(&self.api, &self.repository, head).await,
        }
    }

    async fn create(&self, spec: &PullRequestSpec<'_>) -> Result<Found, ForgeError> {
        match self.api.forge {
            ForgeKind::GitHub => github::create(&self.api, &self.repository, spec).await,
            ForgeKind::GitLab => gitlab::create(&self.api, &self.repository, spec).await,
            ForgeKind::Gitea => gitea::create(&self.api, &self.repository, spec).await,
        }
    }

    async fn update(
        &self,
        existing: Found,
        spec: &PullRequestSpec<'_>,
    ) -> Result<PullRequest, ForgeError> {
        let number = existing.number;
        let found = match self.api.forge {
            ForgeKind::GitHub => github::update(&self.api, &self.repository, number, spec).await,
            ForgeKind::GitLab => gitlab::update(&self.api, &self.repository, number, spec).await,
            ForgeKind::Gitea => gitea::update(&self.api, &self.repository, number, spec).await,
        }?;
        Ok(self.done(found, PullRequestAction::Updated))
    }

    fn already_exists(&self, error: &ForgeError) -> bool {
        match (self.api.forge, error) {
            // GitHub answers 422 for any validation failure; only this one means "exists".
            (
                ForgeKind::GitHub,
                ForgeError::Api {
                    status: 422,
                    message,
                    ..
                },
            ) => message.to_ascii_lowercase().contains("already exists"),
            (ForgeKind::GitLab | ForgeKind::Gitea, ForgeError::Api { status: 409, .. }) => true,
            _ => false,
        }
    }

    fn done(&self, found: Found, action: PullRequestAction) -> PullRequest {
        tracing::info!(
            forge = %self.api.forge,
            repository = %self.repository.path,
            number = found.number,
            url = %found.url,
            %action,
            "pull request {action}"
        );
        PullRequest {
            number: found.number,
            url: found.url,
            action,
        }
    }
}

/// Wraps a label failure after the pull request itself was opened or updated.
pub(crate) fn labels_failed(
    forge: ForgeKind,
    found: &Found,
    action: PullRequestAction,
    source: ForgeError,
) -> ForgeError {
    ForgeError::Labels {
        forge,
        number: found.number,
        url: found.url.clone(),
        action,
        source: Box::new(source),
    }
}
