//! What can go wrong talking to a remote: the part of [`GitError`](crate::GitError) a
//! delivery decides on (fetch again and retry, fix credentials, or leave it to a human).

use git2::Oid;

/// Fetching from or pushing to a remote failed. Every variant left the remote as the
/// message says; none changed the local repository.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// A remote is not configured, or its URL cannot be used.
    #[error("remote `{remote}`: {reason}")]
    RemoteConfig {
        /// Remote name.
        remote: String,
        /// What is wrong.
        reason: String,
    },

    /// Talking to the remote failed (network, protocol or server error).
    #[error("cannot {action} {url}")]
    Transport {
        /// `fetch from` or `push to`.
        action: &'static str,
        /// Remote URL, without any user information.
        url: String,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// The remote refused the credentials Rampart has, or asked for some it does not have.
    #[error("authentication to {url} failed: {reason}")]
    Authentication {
        /// Remote URL, without any user information.
        url: String,
        /// What was offered and refused, never the secret itself.
        reason: String,
    },

    /// The SSH host key of the remote is unknown or does not match.
    #[error("host key of {host} not trusted: {reason}")]
    HostKey {
        /// Host name.
        host: String,
        /// Why it is not trusted.
        reason: String,
    },

    /// A credential file or variable could not be read.
    #[error("cannot read credential {what}: {reason}")]
    CredentialSource {
        /// `environment variable NAME` or `file PATH`.
        what: String,
        /// Why (never the value).
        reason: String,
    },

    /// The remote branch is not where the push expected it (someone pushed in between,
    /// or the update is not a fast-forward); nothing was changed on the remote.
    #[error(
        "{refname} on the remote moved (expected {}, found {}); nothing was pushed",
        expected.map_or_else(|| "no branch".to_owned(), |id| id.to_string()),
        found.map_or_else(|| "another commit".to_owned(), |id| id.to_string())
    )]
    RemoteMoved {
        /// Full remote reference name.
        refname: String,
        /// Where the push expected it (`None`: absent).
        expected: Option<Oid>,
        /// Where it was found, when known.
        found: Option<Oid>,
    },

    /// The server refused to update the reference (e.g. a hook or branch protection declined
    /// it); nothing was changed on the remote.
    #[error(
        "the remote rejected the update of {refname}: {reason}{}",
        server_output(output)
    )]
    PushRejected {
        /// Full remote reference name.
        refname: String,
        /// The server's status for the reference.
        reason: String,
        /// What the server printed (hook output), trimmed.
        output: String,
    },

    /// A push to a remote on this machine (a path or `file://` URL, pushed through
    /// `git push`) could not be run or reported nothing for the reference.
    #[error("cannot push to {url}: {reason}")]
    LocalPush {
        /// The remote's path.
        url: String,
        /// What went wrong.
        reason: String,
    },

    /// A push went through, but the remote now holds neither the pushed commit nor a
    /// commit built on it: another writer replaced it (a remote that does not compare the
    /// old value under lock). Fetch and deliver again.
    #[error(
        "pushed {commit} to {refname}, but the remote now holds {}, which does not contain it: another writer replaced the update (lost update)",
        found.map_or_else(|| "no branch".to_owned(), |id| id.to_string())
    )]
    LostUpdate {
        /// Full remote reference name.
        refname: String,
        /// The commit pushed.
        commit: Oid,
        /// Where the remote reference is now.
        found: Option<Oid>,
    },

    /// A push went through, but the server reports it replaced something else than the
    /// commit the push expected: that commit is no longer on the branch.
    #[error(
        "{refname} on the remote was updated, but the server reports it replaced `{replaced}` instead of {}: recover that commit from the remote's reflog or its author",
        expected.map_or_else(|| "no branch".to_owned(), |id| id.to_string())
    )]
    UnexpectedReplace {
        /// Full remote reference name.
        refname: String,
        /// What the push expected to replace.
        expected: Option<Oid>,
        /// The server's summary of the update.
        replaced: String,
    },

    /// A branch Rampart would update carries commits Rampart did not make.
    #[error(
        "someone else committed on {branch} ({}); rampart will not touch it",
        commits.iter().map(|c| c.to_string()[..10].to_owned()).collect::<Vec<_>>().join(", ")
    )]
    ForeignCommits {
        /// Branch name.
        branch: String,
        /// The commits without Rampart's trailer or author.
        commits: Vec<Oid>,
    },

    /// A Rampart branch on the remote is not at the commit Rampart last pushed there:
    /// someone rewrote it (e.g. amended and force-pushed), so it is not replaced.
    #[error(
        "{branch} is at {}, not at {} where rampart last pushed it: someone rewrote it; rampart will not touch it",
        &found.to_string()[..10],
        &expected.to_string()[..10]
    )]
    BranchRewritten {
        /// Branch name.
        branch: String,
        /// The commit Rampart last pushed.
        expected: Oid,
        /// Where the branch is.
        found: Oid,
    },
}

impl RemoteError {
    /// Whether the remote branch moved under the push (another writer pushed in between,
    /// or replaced what was pushed): fetching, building on the new head and pushing again
    /// may succeed. Every other failure repeats until its cause is fixed.
    pub fn moved(&self) -> bool {
        matches!(
            self,
            RemoteError::RemoteMoved { .. } | RemoteError::LostUpdate { .. }
        )
    }
}

fn server_output(output: &str) -> String {
    if output.trim().is_empty() {
        String::new()
    } else {
        format!("\nthe remote said:\n{}", output.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GitError;

    #[test]
    fn only_a_moved_branch_is_worth_fetching_and_pushing_again() {
        let refname = || "refs/heads/main".to_owned();
        let moved = [
            RemoteError::RemoteMoved {
                refname: refname(),
                expected: None,
                found: Some(Oid::ZERO_SHA1),
            },
            RemoteError::LostUpdate {
                refname: refname(),
                commit: Oid::ZERO_SHA1,
                found: None,
            },
        ];
        let not = [
            RemoteError::PushRejected {
                refname: refname(),
                reason: "hook declined".into(),
                output: String::new(),
            },
            RemoteError::Authentication {
                url: "https://git.example.com/x.git".into(),
                reason: "401".into(),
            },
        ];
        assert!(moved.iter().all(RemoteError::moved));
        assert!(!not.iter().any(RemoteError::moved));
        // Wrapped in a GitError, the message is the remote error's own.
        for e in not {
            let text = e.to_string();
            assert_eq!(GitError::from(e).to_string(), text);
        }
    }
}
