//! How rendered commits reach the GitOps remote (`delivery:` in `rampart.yaml`).

use serde::{Deserialize, Serialize};

/// Delivery settings. Every field has a default, so `delivery:` may be omitted.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Delivery {
    /// What `render` and `new` do with the commit (flags override it).
    #[serde(default)]
    pub mode: DeliveryMode,
    /// Git remote to fetch from and push to (default `origin`).
    #[serde(default)]
    pub remote: Option<String>,
    /// Branch that pushes go to and pull requests target (default: the checked-out branch).
    #[serde(default)]
    pub base_branch: Option<String>,
    /// Prefix of the branches pushes and pull requests use (default `rampart/`).
    #[serde(default)]
    pub branch_prefix: Option<String>,
    /// Labels added to pull requests.
    #[serde(default)]
    pub labels: Vec<String>,
    /// How often a change is rendered again onto a remote branch that moved (default 3).
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// Environment variable holding the access token (HTTPS pushes and the forge API).
    #[serde(default)]
    pub token_env: Option<String>,
    /// File holding the access token instead (e.g. a mounted secret).
    #[serde(default)]
    pub token_file: Option<String>,
    /// The forge that pull requests are opened on (required for `pull-request`).
    #[serde(default)]
    pub forge: Option<ForgeSettings>,
    /// SSH remotes: key and host-key checking.
    #[serde(default)]
    pub ssh: SshSettings,
    /// Sign delivered commits (default: unsigned).
    #[serde(default)]
    pub signing: Option<SigningSettings>,
}

/// How delivered commits are signed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigningSettings {
    /// `ssh` (`ssh-keygen -Y sign`) or `gpg`.
    pub format: SigningFormat,
    /// SSH: the private key file. GPG: the key id, fingerprint or user id.
    pub key: String,
}

/// A signature format, as git's `gpg.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SigningFormat {
    /// SSH signatures.
    Ssh,
    /// OpenPGP signatures.
    Gpg,
}

/// What happens to a render's commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryMode {
    /// Commit on the local branch (no network).
    #[default]
    Commit,
    /// Commit on a `rampart/…` branch (or the `--branch` given) and push it.
    Push,
    /// Push a `rampart/…` branch and open (or update) a pull request.
    PullRequest,
}

/// A forge kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForgeKindSetting {
    /// GitHub or GitHub Enterprise Server.
    Github,
    /// GitLab.
    Gitlab,
    /// Gitea or Forgejo.
    Gitea,
}

/// Where pull requests are opened.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForgeSettings {
    /// Which API.
    pub kind: ForgeKindSetting,
    /// API root (default for GitHub: `https://api.github.com`).
    #[serde(default)]
    pub api_base: Option<String>,
    /// `owner/repo` (GitLab: `group/…/project`).
    pub repository: String,
}

/// SSH settings.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SshSettings {
    /// OpenSSH known_hosts file to check host keys against (default `~/.ssh/known_hosts`).
    #[serde(default)]
    pub known_hosts: Option<String>,
    /// Pinned host-key fingerprint, `SHA256:…` as `ssh-keygen -lf` prints it.
    #[serde(default)]
    pub host_key_fingerprint: Option<String>,
    /// Private key file (default: the SSH agent).
    #[serde(default)]
    pub key_file: Option<String>,
}
