//! Which forge a repository lives on.

use std::fmt;

/// The forge (Git hosting service) whose API opens the pull request.
///
/// Serialized lowercase (`github`, `gitlab`, `gitea`) for configuration files; Forgejo (and
/// Codeberg) speak the Gitea API, so they are `gitea`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForgeKind {
    /// GitHub.com or GitHub Enterprise Server.
    GitHub,
    /// GitLab.com or self-managed GitLab (merge requests).
    GitLab,
    /// Gitea or Forgejo.
    Gitea,
}

impl ForgeKind {
    /// What a correct API base URL looks like, for error hints.
    pub(crate) fn api_base_example(self) -> &'static str {
        match self {
            ForgeKind::GitHub => {
                "https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server"
            }
            ForgeKind::GitLab => "https://gitlab.com/api/v4 or https://HOST/api/v4",
            ForgeKind::Gitea => "https://HOST/api/v1",
        }
    }
}

impl fmt::Display for ForgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForgeKind::GitHub => "GitHub",
            ForgeKind::GitLab => "GitLab",
            ForgeKind::Gitea => "Gitea",
        })
    }
}
