//! Either backend behind the one interface, so one pass can rotate secrets of both.

use crate::RotateError;
use crate::aws::Aws;
use crate::backend::{Backend, Remote};
use crate::error::BackendError;
use crate::value::SecretData;
use crate::vault::Vault;

/// A Vault/OpenBao mount or an AWS region.
pub enum AnyBackend {
    /// Vault or OpenBao KV v2 (boxed: its client is much larger than AWS's).
    Vault(Box<Vault>),
    /// AWS Secrets Manager.
    Aws(Aws),
}

impl Backend for AnyBackend {
    fn name(&self) -> &'static str {
        match self {
            AnyBackend::Vault(b) => b.name(),
            AnyBackend::Aws(b) => b.name(),
        }
    }

    async fn inspect(&self, key: &str) -> Result<Remote, BackendError> {
        match self {
            AnyBackend::Vault(b) => b.inspect(key).await,
            AnyBackend::Aws(b) => b.inspect(key).await,
        }
    }

    async fn read(&self, key: &str, version: &str) -> Result<SecretData, BackendError> {
        match self {
            AnyBackend::Vault(b) => b.read(key, version).await,
            AnyBackend::Aws(b) => b.read(key, version).await,
        }
    }

    async fn protect(&self, remote: &Remote, job: &crate::Job) -> Result<(), RotateError> {
        match self {
            AnyBackend::Vault(b) => b.protect(remote, job).await,
            AnyBackend::Aws(b) => b.protect(remote, job).await,
        }
    }

    async fn stage(
        &self,
        key: &str,
        remote: &Remote,
        data: &SecretData,
    ) -> Result<String, BackendError> {
        match self {
            AnyBackend::Vault(b) => b.stage(key, remote, data).await,
            AnyBackend::Aws(b) => b.stage(key, remote, data).await,
        }
    }

    async fn finish(&self, key: &str, remote: &Remote, version: &str) -> Result<(), BackendError> {
        match self {
            AnyBackend::Vault(b) => b.finish(key, remote, version).await,
            AnyBackend::Aws(b) => b.finish(key, remote, version).await,
        }
    }
}
