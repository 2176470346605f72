//! The error type of this crate: one enum whose variants are what a caller decides on
//! (`rampart`'s exit code and message), each keeping its cause as its source.

use rampart_git::{GitError, Oid};
use rampart_model::Diagnostics;

/// The result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why reading, rendering, committing or delivering failed.
///
/// What was being done when it failed is a [`Error::Context`] around the cause; the
/// kind a caller decides on is [`Error::root`]'s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Inputs that do not validate: every problem, at file:line:column; nothing was written.
    #[error(transparent)]
    Invalid(#[from] Diagnostics),
    /// An input that is a symbolic link or not a regular file; it was not read.
    #[error(transparent)]
    Refused(#[from] RefusedInput),
    /// Delivery settings that cannot work as given; nothing was committed or pushed.
    #[error(transparent)]
    Settings(#[from] InvalidSettings),
    /// The repository or the remote failed or refused (secrets found, remote moved, a commit
    /// that stands while its work tree lags: see [`GitError`]).
    #[error(transparent)]
    Git(#[from] GitError),
    /// The forge API (pull requests) failed.
    #[error(transparent)]
    Forge(#[from] rampart_forge::ForgeError),
    /// A blueprint could not be loaded or a namespace rendered.
    #[error(transparent)]
    Render(#[from] rampart_render::RenderError),
    /// A file or directory could not be read or written (the message names it).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A file that must be text (a blueprint template) is not UTF-8.
    #[error(transparent)]
    NotUtf8(#[from] std::string::FromUtf8Error),
    /// Anything else, said in words: nothing for a caller to decide on but the message.
    #[error("{0}")]
    Failed(String),
    /// `source` happened while doing what `context` says.
    #[error("{context}")]
    Context {
        /// What was being done, e.g. `the pins on origin/main, which a rotation must keep`.
        context: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
}

crate::context_layers!(Error);

impl Error {
    /// The commit on the branch when this error means that a commit was made but the work
    /// tree or index was not fully brought to it (the next run finishes that).
    pub fn committed(&self) -> Option<(Oid, &str)> {
        match self.root() {
            Error::Git(e) => e.committed(),
            _ => None,
        }
    }
}

/// Delivery settings that cannot work as given (exit status 2, like other invalid input).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSettings(pub String);

/// An input that is not a regular file (or directory) inside the repository.
#[derive(Debug, thiserror::Error)]
pub enum RefusedInput {
    /// The input, or a directory on its way, is a symbolic link.
    #[error(
        "{file}: error: this input {kind} is a symbolic link; Rampart never follows links among its inputs\n  help: replace the link with the {kind} itself, so its content is part of the repository and reviewed with it (a link could point Rampart at any file on this machine)"
    )]
    Link {
        /// The link, as the user would type it.
        file: String,
        /// `file` or `directory`.
        kind: &'static str,
    },
    /// The input is a device, socket or pipe.
    #[error(
        "{file}: error: this input is not a regular file\n  help: replace it with a regular file"
    )]
    NotAFile {
        /// The path, as the user would type it.
        file: String,
    },
}

/// Gives an error enum with a variant `Context { context: String, source: Box<Self> }` its
/// `root` (the error below every context: the kind a caller decides on) and `context`
/// methods, and a crate-private trait `Context` that adds context to a result's error, as
/// `anyhow::Context` does. This crate's [`Error`] and `rampart-serve`'s share them this way.
#[macro_export]
macro_rules! context_layers {
    ($error:ident) => {
        impl $error {
            /// The error below every context: the kind to decide on.
            pub fn root(&self) -> &$error {
                match self {
                    $error::Context { source, .. } => source.root(),
                    other => other,
                }
            }

            /// `self`, with what was being done when it happened.
            pub fn context(self, context: impl ::std::fmt::Display) -> $error {
                $error::Context {
                    context: context.to_string(),
                    source: ::std::boxed::Box::new(self),
                }
            }
        }

        /// Adds what was being done to the error of a result.
        pub(crate) trait Context<T> {
            /// The error, if any, under `context`.
            fn context(self, context: impl ::std::fmt::Display)
            -> ::std::result::Result<T, $error>;
            /// The error, if any, under what `context` returns.
            fn with_context<C: ::std::fmt::Display>(
                self,
                context: impl FnOnce() -> C,
            ) -> ::std::result::Result<T, $error>;
        }

        impl<T, E: Into<$error>> Context<T> for ::std::result::Result<T, E> {
            fn context(
                self,
                context: impl ::std::fmt::Display,
            ) -> ::std::result::Result<T, $error> {
                self.map_err(|e| e.into().context(context))
            }

            fn with_context<C: ::std::fmt::Display>(
                self,
                context: impl FnOnce() -> C,
            ) -> ::std::result::Result<T, $error> {
                self.map_err(|e| e.into().context(context()))
            }
        }
    };
}

/// Returns an [`Error::Failed`] with the formatted message.
macro_rules! bail {
    ($($message:tt)*) => {
        return Err($crate::error::Error::Failed(format!($($message)*)))
    };
}
pub(crate) use bail;
