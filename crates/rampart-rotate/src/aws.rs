//! AWS Secrets Manager through aws-sdk-secretsmanager: the four rotation steps run by
//! Rampart itself (never `RotateSecret`, which needs a Lambda): put `AWSPENDING` with a
//! request token a rerun reproduces, test, move `AWSCURRENT`, remove `AWSPENDING`. Every
//! read names a version id; the pinned version keeps a label of its own.

use crate::RotateError;
use crate::backend::{Backend, Remote};
use crate::error::{BackendError, BackendErrorKind};
use crate::value::SecretData;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

mod labels;

use labels::LabelPlan;

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";
const PREVIOUS: &str = "AWSPREVIOUS";

/// One region's Secrets Manager.
pub struct Aws {
    client: Client,
}

/// A version as `ListSecretVersionIds` shows it.
struct Version {
    id: String,
    stages: Vec<String>,
}

impl Aws {
    /// A client for `region` with the SDK's default credential chain; `AWS_ENDPOINT_URL`
    /// and `AWS_ENDPOINT_URL_SECRETS_MANAGER` are honoured (a local emulator, a VPC
    /// endpoint). HTTPS through rustls with ring.
    pub async fn connect(region: &str) -> Aws {
        Aws::load(
            aws_config::defaults(aws_config::BehaviorVersion::latest()),
            region,
        )
        .await
    }

    /// A client for `endpoint` (e.g. a local emulator) with static credentials, instead of
    /// the default chain: for tests, which cannot set process-wide variables.
    pub async fn connect_with_endpoint(
        region: &str,
        endpoint: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Aws {
        let credentials = aws_sdk_secretsmanager::config::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "rampart-static",
        );
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .credentials_provider(credentials);
        Aws::load(loader, region).await
    }

    async fn load(loader: aws_config::ConfigLoader, region: &str) -> Aws {
        crate::tls::install_ring_provider();
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let config = loader
            .http_client(http)
            .region(aws_config::Region::new(region.to_owned()))
            .load()
            .await;
        Aws {
            client: Client::new(&config),
        }
    }

    /// Every version of `key` (deprecated ones too), with its labels.
    async fn versions(&self, key: &str) -> Result<Vec<Version>, BackendError> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .list_secret_version_ids()
                .secret_id(key)
                .include_deprecated(true)
                .max_results(100)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| error("list the versions of", key, e))?;
            for v in page.versions() {
                let Some(id) = v.version_id() else { continue };
                out.push(Version {
                    id: id.to_owned(),
                    stages: v.version_stages().to_vec(),
                });
            }
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    /// One version by its id: when it was written, and its properties (an error when its
    /// value is not a JSON object of properties). The write time comes from here, not from
    /// the listing: `ListSecretVersionIds`' `CreatedDate` is right on AWS, but moto reports
    /// the time of the call there, so a schedule would never come due against it.
    async fn get(
        &self,
        key: &str,
        version: &str,
    ) -> Result<(Option<String>, Result<SecretData, BackendError>), BackendError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(key)
            .version_id(version)
            .send()
            .await
            .map_err(|e| error("read a version of", key, e))?;
        let written = out.created_date().map(|d| {
            d.fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_default()
        });
        let invalid = |message: &str| BackendError {
            backend: "aws",
            operation: "read a version of",
            key: key.to_owned(),
            message: message.to_owned(),
            kind: BackendErrorKind::Other,
        };
        let data = match out.secret_string() {
            None => Err(invalid(
                "the version has no SecretString (binary secrets are not rotated)",
            )),
            // The value is never quoted: serde_json's message names only line and column.
            Some(text) => serde_json::from_str::<BTreeMap<String, serde_json::Value>>(text)
                .map_err(|_| invalid("the SecretString is not a JSON object of properties"))
                .map(|json| {
                    SecretData::new(
                        json.into_iter()
                            .map(|(k, v)| match v {
                                serde_json::Value::String(s) => (k, s),
                                other => (k, other.to_string()),
                            })
                            .collect(),
                    )
                }),
        };
        Ok((written, data))
    }

    async fn move_label(
        &self,
        key: &str,
        label: &str,
        to: Option<&str>,
        from: Option<&str>,
    ) -> Result<(), BackendError> {
        self.client
            .update_secret_version_stage()
            .secret_id(key)
            .version_stage(label)
            .set_move_to_version_id(to.map(str::to_owned))
            .set_remove_from_version_id(from.map(str::to_owned))
            .send()
            .await
            .map_err(|e| error("move a staging label of", key, e))?;
        Ok(())
    }
}

/// The request token (and so the VersionId) of the version that replaces `current`:
/// the same on every rerun, so a retry after a crash finds the version it already wrote.
pub fn request_token(key: &str, current: &str) -> String {
    let hash = Sha256::new()
        .chain_update(b"rampart-rotation\0")
        .chain_update(key.as_bytes())
        .chain_update(b"\0")
        .chain_update(current.as_bytes())
        .finalize();
    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl Backend for Aws {
    fn name(&self) -> &'static str {
        "aws"
    }

    async fn inspect(&self, key: &str) -> Result<Remote, BackendError> {
        let versions = self.versions(key).await?;
        let holding = |label: &str| {
            versions
                .iter()
                .find(|v| v.stages.iter().any(|s| s == label))
        };
        let current = holding(CURRENT).ok_or_else(|| BackendError {
            backend: "aws",
            operation: "inspect",
            key: key.to_owned(),
            message: "no version is labelled AWSCURRENT".to_owned(),
            kind: BackendErrorKind::Other,
        })?;
        let pending_on_current = current.stages.iter().any(|s| s == PENDING);
        let pending = versions
            .iter()
            .find(|v| v.id != current.id && v.stages.iter().any(|s| s == PENDING))
            .map(|p| p.id.clone());
        let (written, data) = self.get(key, &current.id).await?;
        Ok(Remote {
            current: current.id.clone(),
            current_written: written,
            current_data: data.ok(),
            pending,
            max_versions: None,
            cas_required: false,
            held: versions.iter().map(|v| v.id.clone()).collect(),
            pending_on_current,
            labels: versions.into_iter().map(|v| (v.id, v.stages)).collect(),
        })
    }

    async fn read(&self, key: &str, version: &str) -> Result<SecretData, BackendError> {
        self.get(key, version).await?.1
    }

    async fn protect(&self, remote: &Remote, job: &crate::Job) -> Result<(), RotateError> {
        let key = job.remote_key.as_str();
        // As inspected just before. A label moved since makes a move below fail (its
        // RemoveFromVersionId no longer holds it): the secret fails before anything is
        // staged, and the next run reads afresh.
        if !remote.held.contains(&job.pinned) {
            return Err(RotateError::PinMissing {
                key: key.to_owned(),
                pinned: job.pinned.clone(),
                reason: "no such VersionId".to_owned(),
            });
        }
        let plan = LabelPlan::new(remote, job);
        if let Some((pinned, by)) = plan.unlabelled_after_rotation() {
            return Err(RotateError::PinWouldLoseLabel {
                key: key.to_owned(),
                pinned: pinned.to_owned(),
                by: by.to_owned(),
            });
        }
        for m in plan.moves {
            self.move_label(key, &m.label, Some(&m.to), m.from.as_deref())
                .await?;
        }
        Ok(())
    }

    async fn stage(
        &self,
        key: &str,
        remote: &Remote,
        data: &SecretData,
    ) -> Result<String, BackendError> {
        let token = request_token(key, &remote.current);
        let text = serde_json::to_string(data.as_map()).unwrap_or_default();
        let out = self
            .client
            .put_secret_value()
            .secret_id(key)
            .client_request_token(&token)
            .secret_string(text)
            .version_stages(PENDING)
            .send()
            .await
            .map_err(|e| error("put the pending version of", key, e))?;
        Ok(out.version_id().unwrap_or(&token).to_owned())
    }

    async fn finish(&self, key: &str, remote: &Remote, version: &str) -> Result<(), BackendError> {
        // `remote` is as read before the version was staged (or found pending).
        let staged_now = remote.current != version;
        if staged_now {
            self.move_label(key, CURRENT, Some(version), Some(&remote.current))
                .await?;
        }
        // Also when a stopped run moved AWSCURRENT but left AWSPENDING on the version.
        let pending_left = remote
            .labels
            .iter()
            .any(|(id, stages)| id == version && stages.iter().any(|s| s == PENDING));
        if staged_now || remote.pending.as_deref() == Some(version) || pending_left {
            self.move_label(key, PENDING, None, Some(version)).await?;
        }
        Ok(())
    }
}

/// A message and kind for an SDK error: the service's code and message, or the transport's
/// failure; never a request body.
fn error<E: ProvideErrorMetadata + std::fmt::Debug>(
    operation: &'static str,
    key: &str,
    e: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> BackendError {
    let (message, kind) = match &e {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => (
            "the service could not be reached".to_owned(),
            BackendErrorKind::Unavailable,
        ),
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("Unknown");
            let kind = match code {
                "ResourceNotFoundException" => BackendErrorKind::NotFound,
                "AccessDeniedException" | "UnrecognizedClientException" => BackendErrorKind::Denied,
                "InternalServiceError" | "ThrottlingException" => BackendErrorKind::Unavailable,
                _ if service.raw().status().as_u16() >= 500 => BackendErrorKind::Unavailable,
                _ => BackendErrorKind::Other,
            };
            let message = err.message().unwrap_or_default();
            (
                format!("{code}: {}", message.lines().next().unwrap_or_default()),
                kind,
            )
        }
        _ => (
            "no usable answer from the service".to_owned(),
            BackendErrorKind::Unavailable,
        ),
    };
    BackendError {
        backend: "aws",
        operation,
        key: key.to_owned(),
        message,
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tokens_are_stable_uuid_shaped_and_per_base() {
        let a = request_token("shop/db", "v1");
        assert_eq!(a, request_token("shop/db", "v1"));
        assert_ne!(a, request_token("shop/db", "v2"));
        assert_ne!(a, request_token("shop/other", "v1"));
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
