//! The error type of this crate.

/// Input that cannot be checked. Other documents and files are still checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A YAML (or JSON) document could not be parsed.
    #[error("{file}:{line}: error: {message}")]
    Parse {
        /// File as shown to the user.
        file: String,
        /// 1-based line of the problem (or of the document's start).
        line: usize,
        /// What the parser reported.
        message: String,
    },
    /// A file is not UTF-8 text.
    #[error("{file}:{line}: error: not UTF-8 text\n  help: save it as UTF-8")]
    NotUtf8 {
        /// File as shown to the user.
        file: String,
        /// 1-based line of the first byte that is not UTF-8.
        line: usize,
    },
}
