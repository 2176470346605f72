//! The backends of an environment, connected as the rotator: Vault/OpenBao with a token
//! (`VAULT_TOKEN`, `BAO_TOKEN` or a file) or Kubernetes auth; AWS through the SDK's
//! default credential chain.

use crate::any::AnyBackend;
use crate::aws::Aws;
use crate::vault::{Vault, VaultAuth};
use rampart_model::Environment;
use rampart_model::environment::secret_stores::RotatorAuth;
use rampart_model::secret::SecretBackend;

/// Where a pod's ServiceAccount token is mounted.
const SERVICE_ACCOUNT_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// Connects to `backend` of `env`. The error says what is missing and how to provide it;
/// it never holds a credential.
pub async fn connect(env: &Environment, backend: SecretBackend) -> Result<AnyBackend, String> {
    let stores = &env.secret_stores;
    match backend {
        SecretBackend::Vault => {
            let Some(vault) = &stores.vault else {
                return Err(format!(
                    "environment {} has no secretStores.vault",
                    env.name
                ));
            };
            let auth = match vault.rotator.as_ref().map(|r| r.auth()) {
                None | Some(RotatorAuth::Token { token_file: None }) => {
                    VaultAuth::Token(token_from_env().ok_or_else(|| {
                        format!(
                            "no Vault/OpenBao token for environment {}: set VAULT_TOKEN (or BAO_TOKEN), or secretStores.vault.rotator.tokenFile",
                            env.name
                        )
                    })?)
                }
                Some(RotatorAuth::Token {
                    token_file: Some(file),
                }) => VaultAuth::Token(read_token(file)?),
                Some(RotatorAuth::Kubernetes { role, mount_path }) => VaultAuth::Kubernetes {
                    mount: mount_path.to_owned(),
                    role: role.to_owned(),
                    jwt: read_token(SERVICE_ACCOUNT_TOKEN)
                        .map_err(|e| outside_a_cluster(env, &e))?,
                },
            };
            Vault::connect(&vault.server, &vault.kv_mount, auth)
                .await
                .map(|v| AnyBackend::Vault(Box::new(v)))
                .map_err(|e| e.to_string())
        }
        SecretBackend::Aws => {
            let Some(aws) = &stores.aws else {
                return Err(format!("environment {} has no secretStores.aws", env.name));
            };
            Ok(AnyBackend::Aws(Aws::connect(&aws.region).await))
        }
    }
}

/// Why Kubernetes auth cannot log in here (no ServiceAccount token: not in a pod), where
/// the setting is and how to log in outside a cluster.
fn outside_a_cluster(env: &Environment, cause: &str) -> String {
    let at = env
        .rotator_auth_at
        .clone()
        .unwrap_or_else(|| format!("environments/{}.yaml", env.name));
    format!(
        "{at}: secretStores.vault.rotator.auth of environment {} is `kubernetes`, which logs in with the ServiceAccount token of a pod in the cluster, and {cause}; to run rampart outside the cluster, set `auth: token` there and provide VAULT_TOKEN (or BAO_TOKEN) or `tokenFile`",
        env.name
    )
}

/// The token in `VAULT_TOKEN` or `BAO_TOKEN`, trimmed, if either holds one.
pub(crate) fn token_from_env() -> Option<String> {
    ["VAULT_TOKEN", "BAO_TOKEN"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|t| t.trim().to_owned())
        .find(|t| !t.is_empty())
}

fn read_token(path: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the token file {path}: {}", e.kind()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("the token file {path} is empty"));
    }
    Ok(token.to_owned())
}
