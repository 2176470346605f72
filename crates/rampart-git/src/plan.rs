//! Working out which paths differ between a base tree and the desired files.

use std::borrow::Cow;
use std::collections::BTreeMap;

use git2::{Oid, Repository};

use crate::content::{FileContent, NewBlob};
use crate::subtrees::{is_below, unchanged_ancestor, unchanged_dirs};
use crate::tree::{Dir, Found, MODE_FILE};
use crate::{Change, ChangeKind, GitError};

/// How one path changes; at least one side is present.
pub(crate) struct Planned<'f> {
    /// Id of the (non-directory) entry in the base tree, `None` if the path
    /// is added.
    pub old: Option<Oid>,
    /// Desired content, `None` if the path is deleted.
    pub new: Option<NewBlob<'f>>,
}

/// Changed paths, in path order: borrowed from the requested files where they are there
/// (a render's 240,000 paths are not copied again).
pub(crate) type Plan<'f> = BTreeMap<Cow<'f, str>, Planned<'f>>;

/// `content` with its blob id.
fn new_blob<C: FileContent>(content: &C) -> NewBlob<'_> {
    NewBlob {
        content,
        id: content.id(),
    }
}

/// Compares `base` with the desired `files` (already validated) and the
/// normalised owned directory `prefixes`.
///
/// Directories below the prefixes whose tree is unchanged are skipped whole (see
/// [`crate::subtrees`]). A requested file replaces whatever is in its way in the base tree: a
/// directory at its path (all files below are deleted) or a file at one of
/// its parent paths (that file is deleted).
pub(crate) fn plan<'f, C: FileContent>(
    repo: &Repository,
    base: &mut Dir,
    files: &'f BTreeMap<String, C>,
    prefixes: &[String],
) -> Result<Plan<'f>, GitError> {
    let unchanged = unchanged_dirs(repo, base, files, prefixes)?;
    // Collected, then made a map at once (filled in key order one insert at a time, a map
    // keeps its nodes half empty); a later entry for a path replaces an earlier one.
    let mut plan: Vec<(Cow<'f, str>, Planned<'f>)> = Vec::new();
    let mut skipping: Option<&str> = None;
    for (path, content) in files {
        if skipping.is_some_and(|dir| is_below(path, dir)) {
            continue;
        }
        skipping = unchanged_ancestor(&unchanged, path);
        if skipping.is_some() {
            continue;
        }
        match base.find(repo, path)? {
            Found::Nothing => {
                let new = Some(new_blob(content));
                plan.push((Cow::Borrowed(path.as_str()), Planned { old: None, new }));
            }
            Found::Leaf { id, mode } => {
                let new = new_blob(content);
                if mode != MODE_FILE || new.id != id {
                    let old = Some(id);
                    plan.push((
                        Cow::Borrowed(path.as_str()),
                        Planned {
                            old,
                            new: Some(new),
                        },
                    ));
                }
            }
            Found::Dir => {
                for leaf in base.leaves_under(repo, path, &unchanged)? {
                    let old = Some(leaf.id);
                    plan.push((Cow::Owned(leaf.path), Planned { old, new: None }));
                }
                let new = Some(new_blob(content));
                plan.push((Cow::Borrowed(path.as_str()), Planned { old: None, new }));
            }
            Found::LeafAncestor { path: blocker, id } => {
                let old = Some(id);
                plan.push((Cow::Owned(blocker), Planned { old, new: None }));
                let new = Some(new_blob(content));
                plan.push((Cow::Borrowed(path.as_str()), Planned { old: None, new }));
            }
        }
    }
    for prefix in prefixes {
        for leaf in base.leaves_under(repo, prefix, &unchanged)? {
            if !files.contains_key(&leaf.path) {
                let old = Some(leaf.id);
                plan.push((Cow::Owned(leaf.path), Planned { old, new: None }));
            }
        }
    }
    Ok(plan.into_iter().collect())
}

/// The public form of `plan`: paths, kinds and object ids, no content.
pub(crate) fn changes(plan: &Plan<'_>) -> Vec<Change> {
    plan.iter()
        .map(|(path, planned)| {
            let kind = match (&planned.old, &planned.new) {
                (None, _) => ChangeKind::Added,
                (Some(_), Some(_)) => ChangeKind::Modified,
                (Some(_), None) => ChangeKind::Deleted,
            };
            Change {
                path: path.to_string(),
                kind,
                old_id: planned.old,
                new_id: planned.new.map(|blob| blob.id),
            }
        })
        .collect()
}
