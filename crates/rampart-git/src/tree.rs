//! A lazily loaded, editable in-memory copy of a git tree.
//!
//! Only the directories that are looked at are read from the object database,
//! and only the directories that were changed are written back, bottom-up, so
//! the cost of a commit grows with the size of the change, not of the repository.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use git2::{ObjectType, Oid, Repository};

use crate::GitError;
use crate::objects::ObjectWriter;

/// File mode of the regular, non-executable files this crate writes.
pub(crate) const MODE_FILE: i32 = 0o100_644;
/// Mode of a sub-directory entry.
pub(crate) const MODE_TREE: i32 = 0o040_000;

/// One entry of a directory.
enum Entry {
    /// A blob, symlink or submodule commit, with its raw git file mode.
    Leaf { id: Oid, mode: i32 },
    /// A sub-directory.
    Dir(Dir),
}

/// A directory: either an untouched stored tree or an edited one.
pub(crate) struct Dir {
    /// Id of the stored tree this directory is identical to; `None` once edited.
    id: Option<Oid>,
    /// Entries by name; `None` until read from the object database.
    entries: Option<BTreeMap<Vec<u8>, Entry>>,
}

/// What a base tree holds at a path.
pub(crate) enum Found {
    /// Nothing, and no ancestor is a file.
    Nothing,
    /// A non-directory entry.
    Leaf { id: Oid, mode: i32 },
    /// A directory.
    Dir,
    /// Nothing, because the ancestor at this path is a non-directory entry.
    LeafAncestor { path: String, id: Oid },
}

/// A non-directory entry found by [`Dir::leaves_under`].
pub(crate) struct Leaf {
    /// Repository path.
    pub path: String,
    /// Object id.
    pub id: Oid,
}

impl Dir {
    /// The stored tree `id`, to be read on demand.
    pub(crate) fn stored(id: Oid) -> Self {
        Dir {
            id: Some(id),
            entries: None,
        }
    }

    /// A new, empty directory.
    pub(crate) fn empty() -> Self {
        Dir {
            id: None,
            entries: Some(BTreeMap::new()),
        }
    }

    /// The entries, read from the object database if not yet loaded.
    /// `path` is this directory's repository path, for error messages.
    fn load(
        &mut self,
        repo: &Repository,
        path: &str,
    ) -> Result<&mut BTreeMap<Vec<u8>, Entry>, GitError> {
        if self.entries.is_none() {
            let mut entries = BTreeMap::new();
            if let Some(id) = self.id {
                let read_error = |source| GitError::ReadObject {
                    id,
                    path: path.to_owned(),
                    source,
                };
                let tree = repo.find_tree(id).map_err(read_error)?;
                for entry in tree.iter() {
                    let value = if entry.kind() == Some(ObjectType::Tree) {
                        Entry::Dir(Dir::stored(entry.id()))
                    } else {
                        Entry::Leaf {
                            id: entry.id(),
                            mode: entry.filemode(),
                        }
                    };
                    entries.insert(entry.name_bytes().to_vec(), value);
                }
            }
            self.entries = Some(entries);
        }
        Ok(self.entries.get_or_insert_with(BTreeMap::new))
    }

    /// What this tree (as root) holds at `path`.
    pub(crate) fn find(&mut self, repo: &Repository, path: &str) -> Result<Found, GitError> {
        let mut dir = self;
        let mut dir_path = "";
        let mut segments = path.split('/').peekable();
        while let Some(segment) = segments.next() {
            let end = dir_path.len() + usize::from(!dir_path.is_empty()) + segment.len();
            let entry_path = &path[..end];
            let is_last = segments.peek().is_none();
            dir = match dir.load(repo, dir_path)?.get_mut(segment.as_bytes()) {
                None => return Ok(Found::Nothing),
                Some(&mut Entry::Leaf { id, mode }) if is_last => {
                    return Ok(Found::Leaf { id, mode });
                }
                Some(&mut Entry::Leaf { id, .. }) => {
                    return Ok(Found::LeafAncestor {
                        path: entry_path.to_owned(),
                        id,
                    });
                }
                Some(Entry::Dir(_)) if is_last => return Ok(Found::Dir),
                Some(Entry::Dir(sub)) => sub,
            };
            dir_path = entry_path;
        }
        Ok(Found::Dir)
    }

    /// The directory at `path`, if there is one.
    fn dir_at(&mut self, repo: &Repository, path: &str) -> Result<Option<&mut Dir>, GitError> {
        let mut dir = self;
        let mut dir_path = "";
        for segment in path.split('/') {
            dir = match dir.load(repo, dir_path)?.get_mut(segment.as_bytes()) {
                Some(Entry::Dir(sub)) => sub,
                _ => return Ok(None),
            };
            dir_path = &path[..dir_path.len() + usize::from(!dir_path.is_empty()) + segment.len()];
        }
        Ok(Some(dir))
    }

    /// The id of the directory at `path` when it is a stored tree not edited since.
    pub(crate) fn stored_id_at(
        &mut self,
        repo: &Repository,
        path: &str,
    ) -> Result<Option<Oid>, GitError> {
        Ok(self.dir_at(repo, path)?.and_then(|dir| dir.id))
    }

    /// Every non-directory entry below the directory at `path` (none if there
    /// is no directory there), except below the directories `skip`.
    pub(crate) fn leaves_under(
        &mut self,
        repo: &Repository,
        path: &str,
        skip: &HashSet<String>,
    ) -> Result<Vec<Leaf>, GitError> {
        let mut out = Vec::new();
        if !skip.contains(path)
            && let Some(dir) = self.dir_at(repo, path)?
        {
            dir.collect_leaves(repo, path, skip, &mut out)?;
        }
        Ok(out)
    }

    /// Appends every non-directory entry below this directory (at `path`) to `out`,
    /// except below the directories `skip`.
    fn collect_leaves(
        &mut self,
        repo: &Repository,
        path: &str,
        skip: &HashSet<String>,
        out: &mut Vec<Leaf>,
    ) -> Result<(), GitError> {
        for (name, entry) in self.load(repo, path)? {
            let Ok(name) = std::str::from_utf8(name) else {
                return Err(GitError::NonUtf8Path {
                    path: format!("{path}/{}", String::from_utf8_lossy(name)),
                });
            };
            let child = format!("{path}/{name}");
            match entry {
                Entry::Leaf { id, .. } => out.push(Leaf {
                    path: child,
                    id: *id,
                }),
                Entry::Dir(_) if skip.contains(&child) => {}
                Entry::Dir(sub) => sub.collect_leaves(repo, &child, skip, out)?,
            }
        }
        Ok(())
    }

    /// Removes the entry at `path` (relative to this directory, which is at
    /// `dir_path`), and any directory that becomes empty.
    pub(crate) fn remove(
        &mut self,
        repo: &Repository,
        dir_path: &str,
        path: &str,
    ) -> Result<(), GitError> {
        self.id = None;
        let entries = self.load(repo, dir_path)?;
        match path.split_once('/') {
            None => {
                entries.remove(path.as_bytes());
            }
            Some((first, rest)) => {
                if let Some(Entry::Dir(sub)) = entries.get_mut(first.as_bytes()) {
                    let sub_path = join(dir_path, first);
                    sub.remove(repo, &sub_path, rest)?;
                    if sub.entries.as_ref().is_some_and(BTreeMap::is_empty) {
                        entries.remove(first.as_bytes());
                    }
                }
            }
        }
        Ok(())
    }

    /// Sets the entry at `path` (relative to this directory, which is at
    /// `dir_path`) to a leaf, replacing whatever is in the way.
    pub(crate) fn upsert(
        &mut self,
        repo: &Repository,
        dir_path: &str,
        path: &str,
        id: Oid,
        mode: i32,
    ) -> Result<(), GitError> {
        self.id = None;
        let entries = self.load(repo, dir_path)?;
        match path.split_once('/') {
            None => {
                entries.insert(path.as_bytes().to_vec(), Entry::Leaf { id, mode });
            }
            Some((first, rest)) => {
                let entry = entries
                    .entry(first.as_bytes().to_vec())
                    .or_insert_with(|| Entry::Dir(Dir::empty()));
                if let Entry::Leaf { .. } = entry {
                    *entry = Entry::Dir(Dir::empty());
                }
                if let Entry::Dir(sub) = entry {
                    sub.upsert(repo, &join(dir_path, first), rest, id, mode)?;
                }
            }
        }
        Ok(())
    }

    /// Writes every edited directory (this one at `dir_path` included) to
    /// `objects`, bottom-up; returns this directory's tree id, `None` if empty.
    fn write(
        &mut self,
        objects: &mut ObjectWriter<'_, '_>,
        dir_path: &str,
    ) -> Result<Option<Oid>, GitError> {
        if let Some(id) = self.id {
            return Ok(Some(id));
        }
        let Some(entries) = self.entries.as_mut() else {
            return Ok(None);
        };
        // Git orders entries by name, comparing a directory's name as if it ended in '/'.
        let mut sorted: Vec<(Vec<u8>, i32, Oid)> = Vec::with_capacity(entries.len());
        for (name, entry) in entries.iter_mut() {
            match entry {
                Entry::Leaf { id, mode } => sorted.push((name.clone(), *mode, *id)),
                Entry::Dir(sub) => {
                    let sub_path = join(dir_path, &String::from_utf8_lossy(name));
                    if let Some(id) = sub.write(objects, &sub_path)? {
                        let mut key = name.clone();
                        key.push(b'/');
                        sorted.push((key, MODE_TREE, id));
                    }
                }
            }
        }
        if sorted.is_empty() {
            return Ok(None);
        }
        let data = encode_tree(&mut sorted);
        let id = objects.write(ObjectType::Tree, Cow::Owned(data), dir_path)?;
        self.id = Some(id);
        Ok(Some(id))
    }
}

impl Dir {
    /// Writes every edited directory to `odb` and returns the id of this
    /// directory, taken as the root tree (which may be empty).
    pub(crate) fn write_root(
        &mut self,
        objects: &mut ObjectWriter<'_, '_>,
    ) -> Result<Oid, GitError> {
        match self.write(objects, "")? {
            Some(id) => Ok(id),
            None => objects.write(ObjectType::Tree, Cow::Borrowed(&[]), ""),
        }
    }
}

/// A tree object's content: `entries` (name — with a `/` appended for a directory, so that
/// sorting gives git's order —, mode, id) sorted and written as git stores them.
pub(crate) fn encode_tree(entries: &mut [(Vec<u8>, i32, Oid)]) -> Vec<u8> {
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut data = Vec::with_capacity(entries.len() * 48);
    for (key, mode, id) in entries.iter() {
        let name = if *mode == MODE_TREE {
            &key[..key.len() - 1]
        } else {
            &key[..]
        };
        data.extend_from_slice(format!("{mode:o} ").as_bytes());
        data.extend_from_slice(name);
        data.push(0);
        data.extend_from_slice(id.as_bytes());
    }
    data
}

/// `dir/name`, or `name` at the root.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}
