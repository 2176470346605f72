//! Rampart's own error types for reading YAML, so that no YAML library's type reaches a
//! public signature: the reference parser's error is kept as its text and location.

use std::fmt;

use crate::limits::Refusal;

/// The reference parser's (serde_yaml_ng's) error: its message, exactly as that library
/// words it (with " at line L column C" and any context), and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    text: String,
    location: Option<(usize, usize)>,
}

impl YamlError {
    /// 1-based line and column, where known.
    pub fn location(&self) -> Option<(usize, usize)> {
        self.location
    }

    /// The message without the location the parser appends (" at line L column C, while
    /// parsing …"), for callers that name the place themselves.
    pub fn message(&self) -> &str {
        match self.text.find(" at line ") {
            Some(i) => &self.text[..i],
            None => &self.text,
        }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for YamlError {}

/// Converts the library's error (a private function, not a `From` impl, so the library's
/// type stays out of this crate's public API).
pub(crate) fn from_library(e: serde_yaml_ng::Error) -> YamlError {
    YamlError {
        location: e.location().map(|l| (l.line(), l.column())),
        text: e.to_string(),
    }
}

/// Why an untrusted text could not be read: refused by a limit or a duplicate key before
/// the parser built anything from it, or the parser's own error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Over a limit, or a key given twice (see [`crate::limits`]).
    Refused(Refusal),
    /// The parser's error, with its location.
    Yaml(YamlError),
}

impl Error {
    /// 1-based line and column, where known.
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            Error::Refused(r) => Some((r.line, r.column)),
            Error::Yaml(e) => e.location(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Refused(r) => write!(f, "{r}"),
            Error::Yaml(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}
