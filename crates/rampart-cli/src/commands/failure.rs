//! Why a command failed, and the one place where that becomes a message and an exit code:
//! the libraries' typed errors are matched on, never downcast.

use super::EXIT_INVALID_INPUT;
use rampart_git::{GitError, Oid};
use rampart_model::Diagnostics;
use std::process::ExitCode;

/// The result of a command.
pub type Result<T, E = Failure> = std::result::Result<T, E>;

/// Why a command failed: an error of a library as that library typed it, or the CLI's own
/// (argument and file handling) in words.
#[derive(Debug)]
pub enum Failure {
    /// Input the CLI itself found invalid (file:line:column).
    Invalid(Diagnostics),
    /// Reading, rendering, committing or delivering failed.
    Deliver(rampart_deliver::Error),
    /// The rotation service could not start.
    Serve(rampart_serve::Error),
    /// The repository failed or refused.
    Git(GitError),
    /// Anything else: the message and its causes are all there is to say.
    Other(anyhow::Error),
}

/// The failure's own message, without its causes (those [`report`] prints).
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Invalid(e) => e.fmt(f),
            Failure::Deliver(e) => e.fmt(f),
            Failure::Serve(e) => e.fmt(f),
            Failure::Git(e) => e.fmt(f),
            Failure::Other(e) => e.fmt(f),
        }
    }
}

impl From<Diagnostics> for Failure {
    fn from(e: Diagnostics) -> Failure {
        Failure::Invalid(e)
    }
}

impl From<rampart_deliver::Error> for Failure {
    fn from(e: rampart_deliver::Error) -> Failure {
        Failure::Deliver(e)
    }
}

impl From<rampart_serve::Error> for Failure {
    fn from(e: rampart_serve::Error) -> Failure {
        Failure::Serve(e)
    }
}

impl From<GitError> for Failure {
    fn from(e: GitError) -> Failure {
        Failure::Git(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Other(e.into())
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Failure {
        Failure::Other(e.into())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Other(e)
    }
}

/// Returns an [`Failure::Other`] with the formatted message (`anyhow::bail!` for a
/// [`Result`]).
macro_rules! bail {
    ($($message:tt)*) => {
        return Err($crate::commands::Failure::Other(anyhow::anyhow!($($message)*)))
    };
}
pub(crate) use bail;

/// What a failure means for the user: the decision [`report`] makes.
#[derive(Debug)]
enum Kind<'e> {
    /// Invalid input: every problem at file:line (exit 2).
    Invalid(&'e Diagnostics),
    /// An input that is a link or not a regular file (exit 2).
    Refused(&'e rampart_deliver::no_follow::RefusedInput),
    /// Delivery settings that cannot work (exit 2).
    Settings(&'e rampart_deliver::InvalidSettings),
    /// The secret guard refused the commit (exit 1).
    Secrets(&'e [rampart_guard::Finding]),
    /// Anything else (exit 1): the error, its causes, and whether a commit stands.
    Failed {
        error: &'e (dyn std::error::Error + 'static),
        committed: Option<(Oid, &'e str)>,
    },
}

impl Failure {
    /// The exit code: 2 for input the user must fix, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self.kind() {
            Kind::Invalid(_) | Kind::Refused(_) | Kind::Settings(_) => EXIT_INVALID_INPUT,
            Kind::Secrets(_) | Kind::Failed { .. } => 1,
        }
    }

    fn kind(&self) -> Kind<'_> {
        match self {
            Failure::Invalid(d) => Kind::Invalid(d),
            Failure::Deliver(e) => deliver_kind(e),
            Failure::Serve(e) => match e.root() {
                rampart_serve::Error::Deliver(root) => match deliver_kind(root) {
                    Kind::Failed { committed, .. } => Kind::Failed {
                        error: e,
                        committed,
                    },
                    kind => kind,
                },
                rampart_serve::Error::Git(root) => match git_kind(root) {
                    Kind::Failed { committed, .. } => Kind::Failed {
                        error: e,
                        committed,
                    },
                    kind => kind,
                },
                _ => Kind::Failed {
                    error: e,
                    committed: None,
                },
            },
            Failure::Git(e) => git_kind(e),
            Failure::Other(e) => Kind::Failed {
                error: e.as_ref(),
                committed: None,
            },
        }
    }
}

fn deliver_kind(e: &rampart_deliver::Error) -> Kind<'_> {
    use rampart_deliver::Error;
    match e.root() {
        Error::Invalid(d) => Kind::Invalid(d),
        Error::Refused(r) => Kind::Refused(r),
        Error::Settings(s) => Kind::Settings(s),
        Error::Git(GitError::SecretsFound { findings }) => Kind::Secrets(findings),
        _ => Kind::Failed {
            error: e,
            committed: e.committed(),
        },
    }
}

fn git_kind(e: &GitError) -> Kind<'_> {
    match e {
        GitError::SecretsFound { findings } => Kind::Secrets(findings),
        _ => Kind::Failed {
            error: e,
            committed: e.committed(),
        },
    }
}

/// Prints `failure` and returns its exit code ([`Failure::exit_code`]).
pub fn report(failure: &Failure) -> ExitCode {
    eprint!("{}", message(failure));
    ExitCode::from(failure.exit_code())
}

/// What [`report`] prints: the problems or the error with its causes, and what was written.
fn message(failure: &Failure) -> String {
    let mut text = String::new();
    let mut line = |l: &dyn std::fmt::Display| text.push_str(&format!("{l}\n"));
    match failure.kind() {
        Kind::Invalid(d) => {
            line(d);
            let n = d.0.len();
            line(&format!(
                "\nrefused: {n} problem{} found; nothing was written",
                if n == 1 { "" } else { "s" }
            ));
        }
        Kind::Refused(refused) => line(&format!("{refused}\n\nrefused: nothing was written")),
        Kind::Settings(invalid) => line(&format!(
            "error: {invalid}\nrefused: nothing was committed or pushed"
        )),
        Kind::Secrets(findings) => {
            for finding in findings {
                line(finding);
            }
            line(&format!(
                "\nrefused: {} secret(s) would have been committed; nothing was written",
                findings.len()
            ));
        }
        Kind::Failed { error, committed } => {
            line(&format!("error: {error}"));
            let mut cause = error.source();
            while let Some(e) = cause {
                line(&format!("  caused by: {e}"));
                cause = e.source();
            }
            match committed {
                // The commit stands; the work tree and index lag it, which the next run repairs.
                Some((commit, refname)) => line(&format!(
                    "the commit {} on {} stands, but the work tree and index were not fully updated to it: fix the cause above and run `rampart render` (or any rampart command that commits), which finishes the update first",
                    &commit.to_string()[..10],
                    refname.strip_prefix("refs/heads/").unwrap_or(refname)
                )),
                None => line(&"nothing was committed"),
            }
        }
    }
    text
}

#[cfg(test)]
#[path = "failure_tests.rs"]
mod tests;
