//! The one interface both secrets managers implement, in the terms of a rotation:
//! inspect, read, protect the pin, stage a new version, finish it.

use crate::error::BackendError;
use crate::value::SecretData;
use std::future::Future;

/// What a backend holds for one key, relative to nothing: the engine compares it with the
/// pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// The version readers get by default (Vault `current_version`, AWS `AWSCURRENT`).
    pub current: String,
    /// When the current version was written (RFC 3339), if the backend says.
    pub current_written: Option<String>,
    /// A version staged but not made current (AWS `AWSPENDING` on another version).
    pub pending: Option<String>,
    /// Vault: `max_versions` in effect (the key's, else the mount's, else 10).
    pub max_versions: Option<u64>,
    /// Vault: whether writes need check-and-set.
    pub cas_required: bool,
    /// AWS: every version id with its staging labels, as listed by `inspect` (so that
    /// protecting the pin needs no second listing).
    pub labels: Vec<(String, Vec<String>)>,
    /// The versions a reader can still get (Vault: neither pruned, deleted nor destroyed;
    /// AWS: every listed version), so a pin already gone is told apart from one at risk.
    pub held: Vec<String>,
    /// AWS: `AWSPENDING` sits on the current version too — a rotation that moved
    /// `AWSCURRENT` but was stopped before it removed `AWSPENDING`.
    pub pending_on_current: bool,
    /// The current version's properties when `inspect` had to read that version anyway
    /// (AWS: its write time comes from there), so the engine need not read it again.
    pub current_data: Option<SecretData>,
}

/// A secrets manager, as the rotation engine uses it.
pub trait Backend: Send + Sync {
    /// `vault` or `aws`, for messages and the summary.
    fn name(&self) -> &'static str;

    /// Reads where `key` stands.
    fn inspect(&self, key: &str) -> impl Future<Output = Result<Remote, BackendError>> + Send;

    /// Reads one version, by its id (never "latest").
    fn read(
        &self,
        key: &str,
        version: &str,
    ) -> impl Future<Output = Result<SecretData, BackendError>> + Send;

    /// Makes sure writing one more version cannot destroy the job's pin nor any other
    /// version Git pins for the key ([`crate::Job::also_pinned`]) (Vault: `cas_required` and
    /// a `max_versions` of at least `keep_versions`, never lowered; AWS: a staging label on
    /// every pin, so none is deprecated). Refuses, changing nothing, when it cannot (see
    /// [`crate::RotateError::PinWouldBeDropped`], [`crate::RotateError::PinGone`]).
    fn protect(
        &self,
        remote: &Remote,
        job: &crate::Job,
    ) -> impl Future<Output = Result<(), crate::RotateError>> + Send;

    /// Writes `data` as a new version built on `remote.current` (Vault: check-and-set on
    /// it; AWS: `AWSPENDING`, with a request token a rerun reproduces). Returns its id.
    fn stage(
        &self,
        key: &str,
        remote: &Remote,
        data: &SecretData,
    ) -> impl Future<Output = Result<String, BackendError>> + Send;

    /// Makes a staged version the one default readers get (AWS: moves `AWSCURRENT`,
    /// removes `AWSPENDING`; Vault: nothing, the write already did).
    fn finish(
        &self,
        key: &str,
        remote: &Remote,
        version: &str,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
}
