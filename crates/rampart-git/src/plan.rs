//! Working out which paths differ between a base tree and the desired files.

use std::collections::BTreeMap;

use git2::{ObjectType, Oid, Repository};

use crate::tree::{Dir, Found};
use crate::{Change, FileSet, GitError};

/// File mode of the regular, non-executable files this crate writes.
pub(crate) const MODE_FILE: i32 = 0o100_644;

/// Mode of submodule (gitlink) entries, which have no blob to read.
const MODE_GITLINK: i32 = 0o160_000;

/// A non-directory entry of the base tree.
#[derive(Clone, Copy)]
pub(crate) struct BaseLeaf {
    /// Object id.
    pub id: Oid,
    /// Raw git file mode.
    pub mode: i32,
}

/// How one path changes; at least one side is present.
pub(crate) struct Planned<'f> {
    /// Entry in the base tree, `None` if the path is added.
    pub old: Option<BaseLeaf>,
    /// Desired content, `None` if the path is deleted.
    pub new: Option<&'f [u8]>,
}

/// Changed paths, in path order.
pub(crate) type Plan<'f> = BTreeMap<String, Planned<'f>>;

/// Compares `base` with the desired `files` (already validated) and the
/// normalised owned directory `prefixes`.
///
/// A requested file replaces whatever is in its way in the base tree: a
/// directory at its path (all files below are deleted) or a file at one of
/// its parent paths (that file is deleted).
pub(crate) fn plan<'f>(
    repo: &Repository,
    base: &mut Dir,
    files: &'f FileSet,
    prefixes: &[String],
) -> Result<Plan<'f>, GitError> {
    let mut plan = Plan::new();
    for (path, content) in files {
        let new = Some(content.as_slice());
        match base.find(repo, path)? {
            Found::Nothing => {
                plan.insert(path.clone(), Planned { old: None, new });
            }
            Found::Leaf { id, mode } => {
                let same = mode == MODE_FILE
                    && Oid::hash_object(ObjectType::Blob, content)
                        .map_err(|source| GitError::WriteObject {
                            path: path.clone(),
                            source,
                        })?
                        == id;
                if !same {
                    let old = Some(BaseLeaf { id, mode });
                    plan.insert(path.clone(), Planned { old, new });
                }
            }
            Found::Dir => {
                for leaf in base.leaves_under(repo, path)? {
                    let old = Some(BaseLeaf {
                        id: leaf.id,
                        mode: leaf.mode,
                    });
                    plan.insert(leaf.path, Planned { old, new: None });
                }
                plan.insert(path.clone(), Planned { old: None, new });
            }
            Found::LeafAncestor {
                path: blocker,
                id,
                mode,
            } => {
                let old = Some(BaseLeaf { id, mode });
                plan.insert(blocker, Planned { old, new: None });
                plan.insert(path.clone(), Planned { old: None, new });
            }
        }
    }
    for prefix in prefixes {
        for leaf in base.leaves_under(repo, prefix)? {
            if !files.contains_key(&leaf.path) {
                let old = Some(BaseLeaf {
                    id: leaf.id,
                    mode: leaf.mode,
                });
                plan.insert(leaf.path, Planned { old, new: None });
            }
        }
    }
    Ok(plan)
}

/// The public form of `plan`, with the old contents read from the repository.
pub(crate) fn changes(repo: &Repository, plan: &Plan<'_>) -> Result<Vec<Change>, GitError> {
    plan.iter()
        .map(|(path, planned)| {
            let old = match planned.old {
                None => None,
                Some(leaf) if leaf.mode == MODE_GITLINK => Some(Vec::new()),
                Some(leaf) => {
                    let blob = repo
                        .find_blob(leaf.id)
                        .map_err(|source| GitError::ReadObject {
                            id: leaf.id,
                            path: path.clone(),
                            source,
                        })?;
                    Some(blob.content().to_vec())
                }
            };
            Ok(Change {
                path: path.clone(),
                old,
                new: planned.new.map(<[u8]>::to_vec),
            })
        })
        .collect()
}
