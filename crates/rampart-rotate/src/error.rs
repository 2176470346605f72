//! Errors of rotation. No message ever holds a secret value: backend errors are reduced to
//! the status, the server's error text and the operation, and values are never formatted.

/// What kind of failure a backend reported; decides whether a retry can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendErrorKind {
    /// No answer (connection refused, timeout, 5xx): try again later.
    Unavailable,
    /// Someone else wrote a new version first (Vault check-and-set): plan again.
    Conflict,
    /// The key or version does not exist.
    NotFound,
    /// The credential may not do this (403, AccessDenied).
    Denied,
    /// Anything else (bad request, unexpected answer).
    Other,
}

/// A failed backend call.
#[derive(Debug, thiserror::Error)]
#[error("{backend} {operation} {key}: {message}")]
pub struct BackendError {
    /// `vault` or `aws`.
    pub backend: &'static str,
    /// What was being done, e.g. `read metadata of`.
    pub operation: &'static str,
    /// The remote key.
    pub key: String,
    /// What went wrong, from the status and the server's error text (never a value).
    pub message: String,
    /// How to react.
    pub kind: BackendErrorKind,
}

/// Why one secret could not be rotated. Nothing here names a value.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// A backend call failed.
    #[error(transparent)]
    Backend(#[from] BackendError),

    /// The next version would make the backend drop a version Git pins.
    #[error(
        "writing version {next} of {key} would make the backend drop version {pinned}, which Git still pins ({by}; max_versions {max_versions}); nothing was written — raise the key's max_versions or deliver newer pins there first"
    )]
    PinWouldBeDropped {
        /// Remote key.
        key: String,
        /// The pinned version.
        pinned: String,
        /// Who pins it, e.g. `environment staging in specs/shop.yaml`.
        by: String,
        /// The version that would be written.
        next: u64,
        /// The key's `max_versions`.
        max_versions: u64,
    },

    /// Rotating would leave a version Git pins without any AWS staging label.
    #[error(
        "{key}: rotating would leave version {pinned}, which Git still pins ({by}), without a staging label, and AWS deletes such versions; nothing was written — deliver the newer pins there first (e.g. git push) and run again"
    )]
    PinWouldLoseLabel {
        /// Remote key.
        key: String,
        /// The pinned version.
        pinned: String,
        /// Who pins it.
        by: String,
    },

    /// The version Git pins is already gone (pruned, deleted or destroyed by whoever wrote
    /// the newer versions).
    #[error(
        "{key}: version {pinned}, which Git pins ({by}), is already gone from the backend (pruned by max_versions, deleted or destroyed); version {current} is current, written by {writer}; nothing was written — pin a version the backend holds (the current one is {current})"
    )]
    PinGone {
        /// Remote key.
        key: String,
        /// The pinned version.
        pinned: String,
        /// Who pins it.
        by: String,
        /// The current version.
        current: String,
        /// Who wrote the current version: rampart (and from which version, when) or
        /// another writer.
        writer: String,
    },

    /// The backend does not hold what Git pins.
    #[error("{key}: Git pins version {pinned}, which the backend does not hold ({reason})")]
    PinMissing {
        /// Remote key.
        key: String,
        /// The pinned version.
        pinned: String,
        /// What the backend holds instead.
        reason: String,
    },

    /// Someone else is rotating the secret (e.g. an AWS rotation Lambda left AWSPENDING).
    #[error("{key}: {what}; rampart will not interfere — finish or cancel that rotation first")]
    ForeignRotation {
        /// Remote key.
        key: String,
        /// What was found.
        what: String,
    },

    /// The current version lacks a property the rotation needs.
    #[error("{key}: version {version} has no property `{property}`")]
    MissingProperty {
        /// Remote key.
        key: String,
        /// Version read.
        version: String,
        /// The property.
        property: String,
    },

    /// What was read back differs from what was written.
    #[error("{key}: version {version} reads back different from what was written")]
    ReadBack {
        /// Remote key.
        key: String,
        /// The new version.
        version: String,
    },

    /// The PostgreSQL step failed.
    #[error("PostgreSQL {operation} (role {role} on {host}:{port}): {message}")]
    Postgres {
        /// What was being done.
        operation: &'static str,
        /// The login role concerned.
        role: String,
        /// Server.
        host: String,
        /// Port.
        port: u16,
        /// The server's or client's error text.
        message: String,
    },

    /// The operating system's random source failed.
    #[error("no random bytes from the operating system: {0}")]
    Random(String),

    /// The environment's backend could not be connected (missing token, no such store).
    #[error("cannot connect: {0}")]
    Connect(String),

    /// The run was asked to stop before this secret started.
    #[error("not started: the run was stopped")]
    Stopped,
}

impl RotateError {
    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RotateError::Backend(BackendError {
                kind: BackendErrorKind::Unavailable,
                ..
            })
        )
    }
}
