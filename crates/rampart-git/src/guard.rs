//! The secret guard (crate `rampart-guard`) as commits use it: a commit, and whatever shows
//! content a commit would hold, is refused when the guard finds a secret.

pub use rampart_guard::{Finding, Rule, scan_file, scan_files};

/// Refuses, as a commit refuses, when any of `files` (path, content) holds a secret: for
/// what shows content a commit would hold (`rampart plan`'s diff), so that nothing prints
/// what the guard keeps out of Git.
pub fn refuse_secrets(files: &[(&str, &[u8])]) -> Result<(), crate::GitError> {
    let findings = rampart_guard::find_secrets(files);
    if findings.is_empty() {
        return Ok(());
    }
    Err(crate::GitError::SecretsFound { findings })
}
