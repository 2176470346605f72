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
    if all_valid(files) {
        return Ok(());
    }
    first_problem(files)
}

/// Whether every path is clean and no path is a directory of another: each path's
/// problems, and each directory once (paths in order share their directories), looked up
/// without an allocation — a render's 240,000 paths are checked on every commit.
fn all_valid<C>(files: &BTreeMap<String, C>) -> bool {
    let mut checked_dir = "";
    for path in files.keys() {
        if path_problem(path).is_some() {
            return false;
        }
        let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        if dir == checked_dir {
            continue;
        }
        // Every ancestor of `dir` that is not one of `checked_dir`'s (nor `checked_dir`).
        let shared = common_dir(dir, checked_dir);
        for (i, _) in dir.match_indices('/').filter(|(i, _)| *i > shared) {
            if files.contains_key(&dir[..i]) {
                return false;
            }
        }
        if files.contains_key(dir) {
            return false;
        }
        checked_dir = dir;
    }
    true
}

/// The length of the longest directory both `a` and `b` are (or lie below); 0 for none.
fn common_dir(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let whole = |s: &[u8]| s.len() == same || s.get(same) == Some(&b'/');
    if whole(a) && whole(b) {
        return same;
    }
    a[..same].iter().rposition(|&c| c == b'/').unwrap_or(0)
}

/// The first problem of `files`, in path order, as the error it makes.
fn first_problem<C>(files: &BTreeMap<String, C>) -> Result<(), GitError> {
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
    fn conflicts_are_found_at_any_depth_and_after_siblings() {
        let set =
            |paths: &[&str]| -> FileSet { paths.iter().map(|p| (p.to_string(), vec![])).collect() };
        let clean = set(&[
            "c/d/ns-1/a",
            "c/d/ns-1/b",
            "c/d/ns-10/a",
            "c/d/ns-2/a",
            "c/e",
        ]);
        assert!(all_valid(&clean));
        for (conflicting, file, nested) in [
            (&["c/d/ns-1", "c/d/ns-1/a"][..], "c/d/ns-1", "c/d/ns-1/a"),
            (
                &["c/d/ns-1/a", "c/d/ns-1/b", "c/d/ns-2/a", "c/d"],
                "c/d",
                "c/d/ns-1/a",
            ),
            (&["x/a", "x/b/c", "x/b"], "x/b", "x/b/c"),
            (&["c", "c-d/e", "c/f"], "c", "c/f"),
            (&["a/b/c", "a/b/d", "a/b/d/e"], "a/b/d", "a/b/d/e"),
        ] {
            let files = set(conflicting);
            assert!(!all_valid(&files), "{conflicting:?}");
            let err = validate_files(&files).err();
            assert!(
                matches!(&err, Some(GitError::PathConflict { file: f, nested: n }) if f == file && n == nested),
                "{conflicting:?}: {err:?}"
            );
        }
        assert!(!all_valid(&set(&["a/./b"])));
        assert_eq!(common_dir("a/bc/d", "a/b"), 1);
        assert_eq!(common_dir("a/b/d", "a/b"), 3);
        assert_eq!(common_dir("a/b", "a/b"), 3);
        assert_eq!(common_dir("ab", "a"), 0);
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
