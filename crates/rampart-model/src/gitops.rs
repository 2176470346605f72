//! Which GitOps controller applies the rendered repository (`gitops:` in `rampart.yaml`),
//! and what a removal leaves behind (`offboarding:`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Argo CD's name for the cluster it runs in.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// `gitops:` of rampart.yaml. Without it nothing is rendered for a controller.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitOps {
    /// The controller whose objects are rendered into `clusters/<env>/gitops/`.
    #[serde(default)]
    pub controller: Controller,
    /// The URL the controller clones (default: `service.repository`).
    #[serde(default)]
    pub repository: Option<String>,
    /// The branch it follows (default: `delivery.baseBranch`, else `main`).
    #[serde(default)]
    pub revision: Option<String>,
    /// Argo CD's values.
    #[serde(default)]
    pub argocd: ArgoCdSettings,
    /// Flux's values.
    #[serde(default)]
    pub flux: FluxSettings,
}

/// A GitOps controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Controller {
    /// Argo CD: AppProjects and Applications.
    Argocd,
    /// Flux: a GitRepository and Kustomizations.
    Flux,
    /// Nothing rendered; whoever applies the repository wires it by hand.
    #[default]
    None,
}

/// `gitops.argocd`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoCdSettings {
    /// The namespace Argo CD runs in (default `argocd`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// The API server URL of each environment's cluster, as Argo CD knows it (default: the
    /// cluster Argo CD runs in).
    #[serde(default)]
    pub destinations: BTreeMap<String, String>,
}

impl ArgoCdSettings {
    /// Argo CD's namespace.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("argocd")
    }

    /// The cluster `env` is applied to.
    pub fn destination(&self, env: &str) -> &str {
        self.destinations
            .get(env)
            .map(String::as_str)
            .unwrap_or(IN_CLUSTER)
    }
}

/// `gitops.flux`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FluxSettings {
    /// The namespace Flux runs in (default `flux-system`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// The Secret (in that namespace) with the Git credentials; none for a public repository.
    #[serde(default)]
    pub secret_name: Option<String>,
}

impl FluxSettings {
    /// Flux's namespace.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("flux-system")
    }
}

/// `offboarding:` of rampart.yaml.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Offboarding {
    /// Let the controller delete a removed request's Namespace (and with it its
    /// PersistentVolumeClaims). Default false: rendered Namespaces are protected from pruning.
    #[serde(default)]
    pub delete_namespace: bool,
}

/// `gitops:` of a namespace request.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestGitOps {
    /// Repositories the team's own Argo CD Applications may deploy from (default: none).
    #[serde(default)]
    pub source_repos: Vec<String>,
}
