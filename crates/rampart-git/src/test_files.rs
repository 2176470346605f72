//! Files and commit requests for this crate's unit tests.

use crate::{CommitRequest, FileSet};

/// `(path, text)` pairs as a [`FileSet`].
pub(crate) fn files(entries: &[(&str, &str)]) -> FileSet {
    entries
        .iter()
        .map(|(path, text)| ((*path).to_owned(), text.as_bytes().to_vec()))
        .collect()
}

/// A request to commit `files` to `branch` (`None`: the checked-out one), owning
/// `owned_prefixes`, with message "m" and the configured author.
pub(crate) fn request<'a>(
    branch: Option<&'a str>,
    files: &'a FileSet,
    owned_prefixes: &'a [String],
) -> CommitRequest<'a> {
    CommitRequest {
        branch,
        files,
        owned_prefixes,
        message: "m".into(),
        author: None,
        read_at: None,
    }
}
