//! The GitOps repository's own configuration (`rampart.yaml`, `kind: RepoConfig`).

use crate::gitops::GitOps;
use serde::{Deserialize, Serialize};

/// Settings for the repository Rampart writes into.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepoConfig {
    /// Must be `rampart.dev/v1alpha1`.
    pub api_version: String,
    /// Must be `RepoConfig`.
    pub kind: String,
    /// Environments rendered, each with `environments/<name>.yaml`.
    pub environments: Vec<String>,
    /// Governance rules every request must satisfy.
    #[serde(default)]
    pub governance: Governance,
    /// Commit settings.
    #[serde(default)]
    pub git: GitSettings,
    /// How commits reach the remote (push, pull request).
    #[serde(default)]
    pub delivery: crate::delivery::Delivery,
    /// The rotation service's own namespace, rendered into every environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<crate::service::ServiceConfig>,
    /// The GitOps controller that applies `clusters/<env>/` (none by default).
    #[serde(default)]
    pub gitops: GitOps,
    /// What removing a request leaves in the cluster.
    #[serde(default)]
    pub offboarding: crate::gitops::Offboarding,
}

impl RepoConfig {
    /// The service section when it is enabled.
    pub fn service(&self) -> Option<&crate::service::ServiceConfig> {
        self.service.as_ref().filter(|s| s.enabled)
    }
}

// GitOps's defaults come from the rest of rampart.yaml, so they live beside it.
impl GitOps {
    /// The repository URL the controller clones, if any is known.
    pub fn repository_url<'a>(&'a self, config: &'a RepoConfig) -> Option<&'a str> {
        self.repository
            .as_deref()
            .or(config.service.as_ref().map(|s| s.repository.as_str()))
    }

    /// The branch the controller follows.
    pub fn revision_name<'a>(&'a self, config: &'a RepoConfig) -> &'a str {
        self.revision
            .as_deref()
            .or(config.delivery.base_branch.as_deref())
            .unwrap_or("main")
    }
}

/// Governance rules.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Governance {
    /// Label keys every request must set under `labels`.
    #[serde(default)]
    pub required_labels: Vec<String>,
}

/// How commits are made.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitSettings {
    /// Commit author name (default: git config user.name, else "Rampart").
    #[serde(default)]
    pub author_name: Option<String>,
    /// Commit author email (default: git config user.email, else rampart@localhost).
    #[serde(default)]
    pub author_email: Option<String>,
}
