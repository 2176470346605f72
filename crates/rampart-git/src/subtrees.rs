//! Directories a commit leaves as they are, found by tree id rather than file by file.
//!
//! Below an owned prefix the requested files are the whole content, so the tree a commit
//! would write for a directory there can be computed from them alone; where it equals the
//! base tree's stored directory, nothing below it changes. A render with unchanged inputs
//! then compares one tree id per environment instead of 80,000 files, and a change to one
//! namespace looks at that namespace's files only.

use std::collections::{BTreeMap, HashSet};

use git2::{Oid, Repository};

use crate::GitError;
use crate::blobs::object_id;
use crate::content::FileContent;
use crate::tree::MODE_FILE;
use crate::tree::{Dir, MODE_TREE, encode_tree};

/// Directories at or below `prefixes` (normalised, no trailing `/`) whose tree, as `files`
/// make it, is the one `base` stores there: nothing below them changes.
pub(crate) fn unchanged_dirs<C: FileContent>(
    repo: &Repository,
    base: &mut Dir,
    files: &BTreeMap<String, C>,
    prefixes: &[String],
) -> Result<HashSet<String>, GitError> {
    let mut unchanged = HashSet::new();
    for prefix in prefixes {
        if base.stored_id_at(repo, prefix)?.is_none() {
            continue; // not in the base, or edited: nothing below it is as stored
        }
        let below = format!("{prefix}/");
        let entries: Vec<(&str, Oid)> = files
            .range(below.clone()..)
            .take_while(|(path, _)| path.starts_with(&below))
            .map(|(path, content)| (&path[below.len()..], content.id()))
            .collect();
        let mut wanted = Vec::new();
        tree_ids(prefix, &entries, &mut wanted);
        // Top-down, in path order: a directory below one found unchanged is not looked at.
        wanted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut found: Option<String> = None;
        for (dir, id) in wanted {
            if found.as_deref().is_some_and(|f| is_below(&dir, f)) {
                continue;
            }
            if base.stored_id_at(repo, &dir)? == Some(id) {
                found = Some(dir.clone());
                unchanged.insert(dir);
            }
        }
    }
    Ok(unchanged)
}

/// Whether `path` lies below the directory `dir`.
pub(crate) fn is_below(path: &str, dir: &str) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// The directory of `unchanged` that `path` lies below, if any.
pub(crate) fn unchanged_ancestor<'u>(
    unchanged: &'u HashSet<String>,
    path: &str,
) -> Option<&'u str> {
    if unchanged.is_empty() {
        return None;
    }
    path.rmatch_indices('/')
        .find_map(|(i, _)| unchanged.get(&path[..i]))
        .map(String::as_str)
}

/// Appends the tree id of the directory `dir` holding `entries` (paths relative to it, in
/// path order, each a regular file) and of every directory below it to `out`; returns the
/// id of `dir`.
fn tree_ids(dir: &str, entries: &[(&str, Oid)], out: &mut Vec<(String, Oid)>) -> Oid {
    let mut listed: Vec<(Vec<u8>, i32, Oid)> = Vec::new();
    let mut rest = entries;
    while let Some(&(path, id)) = rest.first() {
        match path.split_once('/') {
            None => {
                listed.push((path.as_bytes().to_vec(), MODE_FILE, id));
                rest = &rest[1..];
            }
            Some((name, _)) => {
                // Paths below `name` are consecutive in path order.
                let below = rest.iter().take_while(|(p, _)| is_below(p, name)).count();
                let sub: Vec<(&str, Oid)> = rest[..below]
                    .iter()
                    .map(|(p, id)| (&p[name.len() + 1..], *id))
                    .collect();
                let sub_id = tree_ids(&format!("{dir}/{name}"), &sub, out);
                let mut key = name.as_bytes().to_vec();
                key.push(b'/');
                listed.push((key, MODE_TREE, sub_id));
                rest = &rest[below..];
            }
        }
    }
    let data = encode_tree(&mut listed);
    let id = object_id("tree", &data);
    out.push((dir.to_owned(), id));
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::{base_tree, plan_changes, resolve_target};
    use crate::repo::open;
    use crate::test_files::{files, request};
    use crate::{ChangeKind, FileSet, commit_files, init_repository};

    fn unchanged(dir: &std::path::Path, files: &FileSet) -> Vec<String> {
        let repo = open(dir).unwrap();
        let target = resolve_target(&repo, None).unwrap();
        let (mut base, _) = base_tree(&repo, target.parent).unwrap();
        let mut found: Vec<String> = unchanged_dirs(&repo, &mut base, files, &["p".to_owned()])
            .unwrap()
            .into_iter()
            .collect();
        found.sort();
        found
    }

    fn changes(dir: &std::path::Path, files: &FileSet) -> Vec<(String, ChangeKind)> {
        plan_changes(dir, None, files, &["p/".to_owned()])
            .unwrap()
            .into_iter()
            .map(|c| (c.path, c.kind))
            .collect()
    }

    #[test]
    fn directories_are_compared_by_tree_id_and_skipped_when_equal() {
        let tmp = tempfile::tempdir().unwrap();
        init_repository(tmp.path()).unwrap();
        let first = files(&[
            ("p/a/x", "1"),
            ("p/a/y", "2"),
            ("p/a-b/w", "5"),
            ("p/b/z", "3"),
            ("top", "4"),
        ]);
        commit_files(tmp.path(), &request(None, &first, &["p/".to_owned()])).unwrap();
        // Nothing changed: the prefix itself is found equal, no file is compared.
        assert_eq!(unchanged(tmp.path(), &first), ["p"]);
        assert!(changes(tmp.path(), &first).is_empty());

        let mut edited = first.clone();
        edited.insert("p/b/z".into(), b"changed".to_vec());
        assert_eq!(unchanged(tmp.path(), &edited), ["p/a", "p/a-b"]);
        assert_eq!(
            changes(tmp.path(), &edited),
            [("p/b/z".to_owned(), ChangeKind::Modified)]
        );

        let mut removed = first.clone();
        removed.remove("p/a/y");
        removed.remove("p/b/z");
        assert_eq!(unchanged(tmp.path(), &removed), ["p/a-b"]);
        assert_eq!(
            changes(tmp.path(), &removed),
            [
                ("p/a/y".to_owned(), ChangeKind::Deleted),
                ("p/b/z".to_owned(), ChangeKind::Deleted)
            ]
        );

        // A file outside the prefixes is compared as before.
        let mut top = first.clone();
        top.insert("top".into(), b"new".to_vec());
        assert_eq!(
            changes(tmp.path(), &top),
            [("top".to_owned(), ChangeKind::Modified)]
        );
    }
}
