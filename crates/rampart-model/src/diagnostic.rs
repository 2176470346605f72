//! Diagnostics: what is wrong, where (file:line:column) and how to fix it.

use crate::excerpt::{MAX_HELP_EXCERPT_CHARS, quote_excerpts, quote_excerpts_within};
use std::fmt;

/// One refusal of an input file, located precisely enough for an editor to jump to it.
/// Build it with [`Diagnostic::new`], which keeps the values it quotes short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Path of the input file as the user would type it (relative to the repository).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, naming the field.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl Diagnostic {
    /// A diagnostic whose message and help quote input values only as short, single-line,
    /// secret-free excerpts ([`quote_excerpts`]; help examples may run to
    /// [`MAX_HELP_EXCERPT_CHARS`]): an error never echoes a file's content.
    pub fn new(
        file: impl Into<String>,
        line: usize,
        column: usize,
        message: &str,
        help: &str,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            line,
            column,
            message: quote_excerpts(message),
            help: quote_excerpts_within(help, MAX_HELP_EXCERPT_CHARS),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}\n  help: {}",
            self.file, self.line, self.column, self.message, self.help
        )
    }
}

/// Every diagnostic found in one or more input files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// True when nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}
