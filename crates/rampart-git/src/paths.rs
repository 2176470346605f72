//! Validation of repository-relative paths and owned prefixes.

use std::collections::BTreeMap;

use crate::GitError;

/// Why `path` is not a clean repository-relative path, if it is not.
fn path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("path is empty");
    }
    if path.starts_with('/') {
        return Some("path must be relative (no leading '/')");
    }
    if path.contains('\0') {
        return Some("path contains a NUL byte");
    }
    if path.contains('\\') {
        return Some("path must use '/' separators, not '\\'");
    }
    for segment in path.split('/') {
        match segment {
            "" => return Some("path has an empty segment"),
            "." | ".." => return Some("path has a '.' or '..' segment"),
            s if s.eq_ignore_ascii_case(".git") => return Some("path is inside '.git'"),
            _ => {}
        }
    }
    None
}

/// Checks that every file path is valid and that no requested file would
/// have to be a directory for another requested file.
pub(crate) fn validate_files<C>(files: &BTreeMap<String, C>) -> Result<(), GitError> {
    for path in files.keys() {
        if let Some(reason) = path_problem(path) {
            return Err(GitError::InvalidPath {
                path: path.clone(),
                reason,
            });
        }
        let dir = format!("{path}/");
        let nested = files.range(dir.clone()..).next().map(|(p, _)| p);
        if let Some(nested) = nested.filter(|p| p.starts_with(&dir)) {
            return Err(GitError::PathConflict {
                file: path.clone(),
                nested: nested.clone(),
            });
        }
    }
    Ok(())
}

/// Validates owned prefixes and returns them as directory paths without the
/// trailing `/` (`"clusters/dev/"` becomes `"clusters/dev"`).
pub(crate) fn normalize_prefixes(prefixes: &[String]) -> Result<Vec<String>, GitError> {
    prefixes
        .iter()
        .map(|prefix| {
            let dir = prefix.strip_suffix('/').unwrap_or(prefix);
            match path_problem(dir) {
                Some(reason) => Err(GitError::InvalidPrefix {
                    prefix: prefix.clone(),
                    reason,
                }),
                None => Ok(dir.to_owned()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileSet;

    #[test]
    fn rejects_bad_paths() {
        for bad in [
            "",
            "/abs",
            "../x",
            "a/../b",
            "a//b",
            "a/",
            "./a",
            ".git/config",
            "a/.GIT/x",
            "a\\b",
            "a\0b",
        ] {
            assert!(path_problem(bad).is_some(), "{bad:?} should be rejected");
        }
        for good in ["a", "a/b.yaml", ".gitignore", "a/.github/x", "x..y/z"] {
            assert_eq!(path_problem(good), None, "{good:?} should be accepted");
        }
    }

    #[test]
    fn detects_file_directory_conflicts() {
        let mut files = FileSet::new();
        files.insert("a".into(), vec![]);
        files.insert("a-b".into(), vec![]);
        files.insert("a.b".into(), vec![]);
        assert!(validate_files(&files).is_ok());
        files.insert("a/b".into(), vec![]);
        let err = validate_files(&files).err();
        assert!(
            matches!(err, Some(GitError::PathConflict { ref file, ref nested }) if file == "a" && nested == "a/b"),
            "{err:?}"
        );
    }

    #[test]
    fn prefixes_are_directories() {
        let dirs = normalize_prefixes(&["c/dev/".into(), "c/prod".into()]).ok();
        assert_eq!(dirs, Some(vec!["c/dev".to_owned(), "c/prod".to_owned()]));
        for bad in ["", "/", "/abs/", "a//b/", "../x/"] {
            assert!(
                normalize_prefixes(&[bad.to_owned()]).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
