//! The error type of this crate: why the service could not start, or a pass failed.

use rampart_git::GitError;

/// The result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why the service could not start, or a rotation pass failed.
///
/// What was being done when it failed is a [`Error::Context`] around the cause; the
/// kind a caller decides on is [`Error::root`]'s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading, rendering or delivering the repository's inputs failed (invalid inputs among
    /// them: see [`rampart_deliver::Error`]).
    #[error(transparent)]
    Deliver(#[from] rampart_deliver::Error),
    /// The repository, its lock or its remote failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The Kubernetes API (the Lease) cannot be reached.
    #[error(transparent)]
    KubeConfig(#[from] kube::config::InferConfigError),
    /// The Kubernetes client cannot be built.
    #[error(transparent)]
    Kube(#[from] kube::Error),
    /// The rendered files of an environment cannot be read.
    #[error(transparent)]
    Rendered(#[from] rampart_kube::status::StatusError),
    /// A file, a socket or the async runtime failed (the message names what).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A task of the service ended without an answer (it panicked or was cancelled).
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
    /// Anything else, said in words: nothing for a caller to decide on but the message.
    #[error("{0}")]
    Failed(String),
    /// `source` happened while doing what `context` says.
    #[error("{context}")]
    Context {
        /// What was being done, e.g. `cannot listen on 0.0.0.0:8080 (--listen)`.
        context: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
}

rampart_deliver::context_layers!(Error);

/// `error` and each of its causes, joined by `: ` (one line for a log or a metric-free status).
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
