//! The forge API token: read from an environment variable or a file, never printed.

use std::fmt;
use std::path::Path;

use crate::ForgeError;

/// A forge API token (GitHub/Gitea personal access token, GitLab private token).
///
/// It comes from an environment variable or a file only — a command-line value would land in
/// shell history and process listings. `Debug` and `Display` print `[redacted]`, it has no
/// `Serialize`, and no error message of this crate contains it.
///
/// ```no_run
/// # fn main() -> Result<(), rampart_forge::ForgeError> {
/// let token = rampart_forge::Token::from_env("GITHUB_TOKEN")?;
/// assert_eq!(format!("{token} {token:?}"), "[redacted] [redacted]");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Reads the token from the environment variable `var`.
    ///
    /// Surrounding whitespace (a trailing newline from `$(cat file)`) is trimmed; an unset,
    /// non-UTF-8, empty or whitespace-containing value is an error that names `var` but never
    /// contains the value. `var` itself is named only when it is a conventional upper-case
    /// variable name: anything else may be a token pasted where the name belongs.
    pub fn from_env(var: &str) -> Result<Token, ForgeError> {
        let shown = shown_variable(var);
        let origin = || format!("environment variable {shown}");
        match std::env::var(var) {
            Ok(value) => Token::parse(value, origin()),
            Err(std::env::VarError::NotPresent) => Err(ForgeError::TokenEnvUnset {
                var: shown.to_owned(),
            }),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(ForgeError::TokenMalformed { origin: origin() })
            }
        }
    }

    /// Reads the token from the file at `path` (e.g. a mounted Kubernetes secret).
    ///
    /// Surrounding whitespace, such as the trailing newline most editors add, is trimmed; an
    /// empty file or one with whitespace inside the token is an error.
    pub fn from_file(path: &Path) -> Result<Token, ForgeError> {
        let bytes = fs_err::read(path).map_err(ForgeError::TokenFile)?;
        let origin = format!("file {}", path.display());
        let value = String::from_utf8(bytes).map_err(|_| ForgeError::TokenMalformed {
            origin: origin.clone(),
        })?;
        Token::parse(value, origin)
    }

    /// A token the caller has already read (e.g. once, for both `git push` and the forge
    /// API), checked like [`Token::from_env`] checks a variable's value.
    pub fn from_value(value: String) -> Result<Token, ForgeError> {
        Token::parse(value, "the given token".to_owned())
    }

    fn parse(value: String, origin: String) -> Result<Token, ForgeError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ForgeError::TokenEmpty { origin });
        }
        // A token goes into an HTTP header: whitespace or control characters inside mean
        // the source holds something else (several lines, a `KEY=value` file, ...).
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ForgeError::TokenMalformed { origin });
        }
        Ok(Token(trimmed.to_owned()))
    }

    /// The secret itself, for the one place that builds the authentication header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

/// `var` for a message when it is an upper-case variable name (letters, digits, `_`), else
/// a placeholder that does not repeat it.
fn shown_variable(var: &str) -> &str {
    let conventional = !var.is_empty()
        && var.len() <= 64
        && var
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if conventional {
        var
    } else {
        "named in delivery.tokenEnv (the name is not shown: it is not an upper-case variable name and may be a token)"
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn token_file(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents).unwrap();
        file
    }

    #[test]
    fn file_token_is_trimmed_and_redacted() {
        let file = token_file(b"ghp_secretvalue123\n");
        let token = Token::from_file(file.path()).unwrap();
        assert_eq!(token.expose(), "ghp_secretvalue123");
        assert_eq!(format!("{token}"), "[redacted]");
        assert_eq!(format!("{token:?}"), "[redacted]");
    }

    #[test]
    fn empty_file_is_an_error_naming_the_file() {
        let file = token_file(b"\n  \n");
        let error = Token::from_file(file.path()).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("empty"), "{message}");
        assert!(
            message.contains(&file.path().display().to_string()),
            "{message}"
        );
    }

    #[test]
    fn multi_line_file_is_rejected_without_echoing_it() {
        let file = token_file(b"GITHUB_TOKEN=ghp_secretvalue123\nother\n");
        let error = Token::from_file(file.path()).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("whitespace"), "{shown}");
        assert!(!shown.contains("ghp_secretvalue123"), "{shown}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent-token");
        let error = Token::from_file(&path).unwrap_err();
        let shown = format!("{error}: {}", std::error::Error::source(&error).unwrap());
        assert!(shown.contains("absent-token"), "{shown}");
    }

    #[test]
    fn env_token_is_read_and_unset_variable_is_named() {
        // Cargo sets CARGO_PKG_NAME for test processes; setting variables needs `unsafe`.
        let token = Token::from_env("CARGO_PKG_NAME").unwrap();
        assert_eq!(token.expose(), "rampart-forge");

        let error = Token::from_env("RAMPART_FORGE_TEST_SURELY_UNSET_VAR").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("RAMPART_FORGE_TEST_SURELY_UNSET_VAR"),
            "{error}"
        );
        // A token written where the variable name belongs is not repeated.
        let error = Token::from_env("glpat-R4mpartSurelyUnset").unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains("not shown"), "{shown}");
        assert!(!shown.contains("R4mpart"), "{shown}");
    }
}
