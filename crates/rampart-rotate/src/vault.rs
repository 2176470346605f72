//! Vault / OpenBao KV version 2 through vaultrs: check-and-set writes, versions read by
//! number, `cas_required` and `max_versions` set so no pinned version is pruned.

use crate::RotateError;
use crate::backend::{Backend, Remote};
use crate::error::{BackendError, BackendErrorKind};
use crate::value::SecretData;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use vaultrs::api::kv2::requests::{SetSecretMetadataRequest, SetSecretRequestOptions};
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};
use vaultrs::error::ClientError;

/// KV v2 keeps this many versions when neither the key nor the mount says.
const VAULT_DEFAULT_MAX_VERSIONS: u64 = 10;
/// Longest server error text quoted in a message.
const MESSAGE_MAX: usize = 300;

/// How the rotator proves who it is to Vault.
#[derive(Clone)]
pub enum VaultAuth {
    /// A token (from `VAULT_TOKEN`, `BAO_TOKEN` or a file; read by the caller).
    Token(String),
    /// Kubernetes auth: log in at `mount` as `role` with the pod's ServiceAccount token.
    Kubernetes {
        /// Auth mount, e.g. `kubernetes`.
        mount: String,
        /// Vault role.
        role: String,
        /// The ServiceAccount JWT.
        jwt: String,
    },
}

impl std::fmt::Debug for VaultAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VaultAuth::Token(_) => f.write_str("Token([redacted])"),
            VaultAuth::Kubernetes { mount, role, .. } => {
                write!(f, "Kubernetes {{ mount: {mount}, role: {role} }}")
            }
        }
    }
}

/// A KV v2 mount on one Vault or OpenBao server.
pub struct Vault {
    client: VaultClient,
    mount: String,
    /// The mount's `max_versions` (0 read as 10), read once per run: every key without a
    /// setting of its own needs it.
    mount_max_versions: std::sync::OnceLock<u64>,
}

/// A client for `server` that sends `token` (none yet: empty), with Rampart's TLS provider
/// and timeout.
pub(crate) fn client(server: &str, token: &str) -> Result<VaultClient, String> {
    crate::tls::install_ring_provider();
    let settings = VaultClientSettingsBuilder::default()
        .address(server)
        .token(token)
        .timeout(Some(Duration::from_secs(15)))
        .build()
        .map_err(|e| e.to_string())?;
    VaultClient::new(settings).map_err(|e| describe(&e).0)
}

impl Vault {
    /// Connects (and logs in, for Kubernetes auth) to `server`'s KV v2 `mount`.
    pub async fn connect(
        server: &str,
        mount: &str,
        auth: VaultAuth,
    ) -> Result<Vault, BackendError> {
        let fail = |message: String, kind| BackendError {
            backend: "vault",
            operation: "connect to",
            key: server.to_owned(),
            message,
            kind,
        };
        let token = match &auth {
            VaultAuth::Token(t) => t.as_str(),
            VaultAuth::Kubernetes { .. } => "",
        };
        let mut client =
            client(server, token).map_err(|message| fail(message, BackendErrorKind::Other))?;
        if let VaultAuth::Kubernetes { mount, role, jwt } = &auth {
            let login = vaultrs::auth::kubernetes::login(&client, mount, role, jwt)
                .await
                .map_err(|e| {
                    let (message, kind) = describe(&e);
                    fail(format!("Kubernetes login as role {role}: {message}"), kind)
                })?;
            vaultrs::client::Client::set_token(&mut client, &login.client_token);
        }
        Ok(Vault {
            client,
            mount: mount.to_owned(),
            mount_max_versions: std::sync::OnceLock::new(),
        })
    }

    fn error(&self, operation: &'static str, key: &str, e: &ClientError) -> BackendError {
        let (message, kind) = describe(e);
        BackendError {
            backend: "vault",
            operation,
            key: format!("{}/{key}", self.mount),
            message,
            kind,
        }
    }

    /// `max_versions` in effect for a key whose own setting is `key_max` (0: the mount's).
    async fn effective_max_versions(&self, key: &str, key_max: u64) -> Result<u64, BackendError> {
        if key_max > 0 {
            return Ok(key_max);
        }
        if let Some(&cached) = self.mount_max_versions.get() {
            return Ok(cached);
        }
        let config = vaultrs::kv2::config::read(&self.client, &self.mount)
            .await
            .map_err(|e| self.error("read the mount configuration for", key, &e))?;
        let max = match config.max_versions {
            0 => VAULT_DEFAULT_MAX_VERSIONS,
            n => n,
        };
        // Concurrent first reads may race; they read the same value.
        Ok(*self.mount_max_versions.get_or_init(|| max))
    }
}

impl Backend for Vault {
    fn name(&self) -> &'static str {
        "vault"
    }

    async fn inspect(&self, key: &str) -> Result<Remote, BackendError> {
        let meta = vaultrs::kv2::read_metadata(&self.client, &self.mount, key)
            .await
            .map_err(|e| self.error("read metadata of", key, &e))?;
        let current = meta.current_version;
        let written = meta
            .versions
            .get(&current.to_string())
            .map(|v| v.created_time.clone());
        let held = meta
            .versions
            .iter()
            .filter(|(_, v)| !v.destroyed && !deleted(&v.deletion_time))
            .map(|(number, _)| number.clone())
            .collect();
        Ok(Remote {
            current: current.to_string(),
            current_written: written,
            pending: None,
            max_versions: Some(self.effective_max_versions(key, meta.max_versions).await?),
            cas_required: meta.cas_required,
            labels: Vec::new(),
            held,
            pending_on_current: false,
            current_data: None,
        })
    }

    async fn read(&self, key: &str, version: &str) -> Result<SecretData, BackendError> {
        let number: u64 = version.parse().map_err(|_| BackendError {
            backend: "vault",
            operation: "read",
            key: format!("{}/{key}", self.mount),
            message: format!("`{version}` is not a KV v2 version number"),
            kind: BackendErrorKind::Other,
        })?;
        let data: HashMap<String, serde_json::Value> =
            vaultrs::kv2::read_version(&self.client, &self.mount, key, number)
                .await
                .map_err(|e| self.error("read a version of", key, &e))?;
        let map: BTreeMap<String, String> = data
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect();
        Ok(SecretData::new(map))
    }

    async fn protect(&self, remote: &Remote, job: &crate::Job) -> Result<(), RotateError> {
        let key = job.remote_key.as_str();
        let current: u64 = remote.current.parse().unwrap_or(0);
        let pin: u64 = job.pinned.parse().map_err(|_| RotateError::PinMissing {
            key: key.to_owned(),
            pinned: job.pinned.clone(),
            reason: "not a KV v2 version number".to_owned(),
        })?;
        if pin == 0 || pin > current {
            return Err(RotateError::PinMissing {
                key: key.to_owned(),
                pinned: job.pinned.clone(),
                reason: format!("its current version is {current}"),
            });
        }
        if !remote.held.contains(&job.pinned) {
            let writer = crate::value::writer_of(self.read(key, &remote.current).await.ok());
            return Err(RotateError::PinGone {
                key: key.to_owned(),
                pinned: job.pinned.clone(),
                by: format!("environment {}", job.id.environment),
                current: remote.current.clone(),
                writer,
            });
        }
        let in_effect = remote.max_versions.unwrap_or(VAULT_DEFAULT_MAX_VERSIONS);
        let wanted = in_effect.max(u64::from(job.keep_versions));
        let next = current + 1;
        // After writing `next`, KV v2 keeps versions next-max+1 ..= next. Every pin still
        // held must stay: the job's own and every other one of this key on this backend.
        let oldest_kept = (next + 1).saturating_sub(wanted);
        let own = (pin, format!("environment {}", job.id.environment));
        let others = job.also_pinned.iter().filter_map(|other| {
            if !remote.held.contains(&other.version) {
                tracing::warn!(key, version = %other.version, by = %other.by, "a version Git pins is already gone from the backend");
                return None;
            }
            Some((other.version.parse::<u64>().ok()?, other.by.clone()))
        });
        if let Some((pinned, by)) = std::iter::once(own)
            .chain(others)
            .filter(|(v, _)| *v < oldest_kept)
            .min_by_key(|(v, _)| *v)
        {
            return Err(RotateError::PinWouldBeDropped {
                key: key.to_owned(),
                pinned: pinned.to_string(),
                by,
                next,
                max_versions: wanted,
            });
        }
        if !remote.cas_required || wanted != in_effect {
            let mut request = SetSecretMetadataRequest::builder();
            request.max_versions(wanted).cas_required(true);
            vaultrs::kv2::set_metadata(&self.client, &self.mount, key, Some(&mut request))
                .await
                .map_err(|e| self.error("set cas_required and max_versions on", key, &e))?;
        }
        Ok(())
    }

    async fn stage(
        &self,
        key: &str,
        remote: &Remote,
        data: &SecretData,
    ) -> Result<String, BackendError> {
        let cas: u32 = remote.current.parse().unwrap_or(0);
        let written = vaultrs::kv2::set_with_options(
            &self.client,
            &self.mount,
            key,
            data.as_map(),
            SetSecretRequestOptions { cas },
        )
        .await
        .map_err(|e| self.error("write a new version of", key, &e))?;
        Ok(written.version.to_string())
    }

    async fn finish(
        &self,
        _key: &str,
        _remote: &Remote,
        _version: &str,
    ) -> Result<(), BackendError> {
        // A KV v2 write is current at once; readers that matter pin versions.
        Ok(())
    }
}

/// Whether a version's `deletion_time` has passed (it may lie ahead, with
/// `delete_version_after`; empty when the version was never deleted).
fn deleted(deletion_time: &str) -> bool {
    match chrono::DateTime::parse_from_rfc3339(deletion_time) {
        Ok(at) => at <= chrono::Utc::now(),
        Err(_) => false,
    }
}

/// A message (never a request body) and a kind for a vaultrs error.
pub(crate) fn describe(e: &ClientError) -> (String, BackendErrorKind) {
    match e {
        ClientError::APIError { code, errors } => {
            let text = errors.join("; ");
            let kind = match code {
                400 if text.contains("check-and-set") => BackendErrorKind::Conflict,
                403 => BackendErrorKind::Denied,
                404 => BackendErrorKind::NotFound,
                429 | 500.. => BackendErrorKind::Unavailable,
                _ => BackendErrorKind::Other,
            };
            (format!("HTTP {code}: {}", cut(&text)), kind)
        }
        ClientError::RestClientError { source } => (
            format!("no usable answer ({})", cut(&source.to_string())),
            BackendErrorKind::Unavailable,
        ),
        other => (cut(&other.to_string()), BackendErrorKind::Other),
    }
}

/// At most [`MESSAGE_MAX`] characters of one line.
fn cut(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(MESSAGE_MAX) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}
