//! One commit to push, and how a push's answer is read: shared by the network push and
//! the local `git receive-pack` push.

use git2::Oid;

/// One commit to push.
#[derive(Debug, Clone, Copy)]
pub struct PushRequest<'a> {
    /// Remote name, e.g. `origin`.
    pub remote: &'a str,
    /// The commit to push (it need not be referenced locally).
    pub commit: Oid,
    /// Branch on the remote (short name).
    pub branch: &'a str,
    /// The lease: where the remote branch must still be (`None`: it must not exist).
    /// Checked against what the server advertises when the push starts, and sent as the
    /// old value of the update, so the server refuses it if the branch moves meanwhile.
    pub expected: Option<Oid>,
    /// Allow a non-fast-forward update (still only from `expected`).
    pub force: bool,
}

/// Whether a per-reference rejection means the branch moved (fetch and retry helps).
pub(crate) fn is_stale(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    [
        "non-fast-forward",
        "fetch first",
        "stale info",
        "failed to update ref",
        "failed to lock",
        "cannot lock ref",
        // A branch created by another push meanwhile (libgit2's own wording).
        "already exists",
    ]
    .iter()
    .any(|needle| reason.contains(needle))
}

/// Server output without progress noise, each line as the server printed it.
pub(crate) fn clean_output(output: &str) -> String {
    output
        .split(['\n', '\r'])
        .map(str::trim_end)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
