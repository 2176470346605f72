//! Keeping the work tree and index in step with a commit, and comparing the
//! work tree with the desired files.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use git2::{IndexEntry, IndexTime, Oid, Repository};
use rayon::prelude::*;

use crate::content::FileContent;
use crate::index_file::{self, Record};
use crate::index_splice::{IndexEdit, Spliced};
use crate::tree::MODE_FILE;
use crate::update_record::{Update, UpdateGuard, UpdateRecord};
use crate::{Change, ChangeKind, Drift, DriftKind, GitError, blob_id, paths, repo};

/// Work-tree files written (in parallel) before their index entries are added, or looked
/// at (in parallel) before the index is consulted.
const WRITE_BATCH: usize = 2048;

/// Applies `changes` (just committed as `commit` on the checked-out branch
/// `refname`) to the work tree and the index, touching nothing else, under `guard` (which
/// holds git's index lock and the record a killed run leaves for the next one). Only the
/// `path` and `new_id` of each change are used: a path without `new_id` is removed, any
/// other is written with its content from `files`.
pub(crate) fn sync<C: FileContent>(
    repo: &Repository,
    guard: &UpdateGuard,
    commit: Oid,
    refname: &str,
    changes: &[Change],
    files: &BTreeMap<String, C>,
) -> Result<(), GitError> {
    if repo.workdir().is_none() {
        return Ok(());
    }
    let index_error = |source| GitError::IndexSync {
        commit,
        refname: refname.to_owned(),
        path: String::new(),
        source,
    };
    // The index file spliced where it can be, else edited by libgit2.
    if let Some(mut spliced) = Spliced::open(&repo.path().join("index")) {
        apply(repo, &mut spliced, commit, refname, changes, files)?;
        return guard.write_index_bytes(&spliced.finish());
    }
    let mut index = guard.index(index_error)?;
    apply(repo, &mut index, commit, refname, changes, files)?;
    guard.write_index(&mut index, index_error)
}

/// The work-tree half of [`sync`], and the changes to `index` (not written).
///
/// Deleted files are removed together with the directories this leaves
/// empty; written files get fresh index entries with their blob id
/// (`new_id`) and file-system metadata, so they show as clean. Each file is written whole
/// (see [`write_file`]); no write or delete goes through a symbolic link.
pub(crate) fn apply<C: FileContent, I: IndexEdit>(
    repo: &Repository,
    index: &mut I,
    commit: Oid,
    refname: &str,
    changes: &[Change],
    files: &BTreeMap<String, C>,
) -> Result<(), GitError> {
    let Some(workdir) = repo.workdir() else {
        return Ok(());
    };
    let io_error = |path: &Path, source| GitError::WorktreeSync {
        commit,
        refname: refname.to_owned(),
        path: path.to_owned(),
        source,
    };
    let index_error = |path: &str, source| GitError::IndexSync {
        commit,
        refname: refname.to_owned(),
        path: path.to_owned(),
        source,
    };
    let blocked_error = |blocked| match blocked {
        Blocked::Io(path, e) => io_error(&workdir.join(path), e),
        Blocked::NotDir(path) | Blocked::Link(path) => GitError::WorktreeBlocked {
            commit,
            refname: refname.to_owned(),
            path: workdir.join(path),
        },
    };

    let mut known_dirs = HashSet::new();
    for change in changes.iter().filter(|c| c.new_id.is_none()) {
        let rel = Path::new(&change.path);
        let parent = rel.parent().unwrap_or(Path::new(""));
        // A directory on the way that is missing or not a directory holds no file of the
        // work tree; one that is a link is not followed (refused before the commit: see
        // `check_dirs`).
        match walk_dirs(workdir, parent, &mut known_dirs, false) {
            Ok(true) => {}
            Ok(false) | Err(Blocked::NotDir(_) | Blocked::Link(_)) => continue,
            Err(Blocked::Io(path, e)) => return Err(io_error(&workdir.join(path), e)),
        }
        let file = workdir.join(rel);
        remove_temp(&file).map_err(|e| io_error(&file, e))?;
        match fs::symlink_metadata(&file) {
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error(&file, e)),
            Ok(meta) if meta.is_dir() => continue,
            // A link is removed itself, never what it points to.
            Ok(_) => fs::remove_file(&file).map_err(|e| io_error(&file, e))?,
        }
        // Like git, drop the directories this leaves empty; stop at the first non-empty one.
        let mut dir = file.parent();
        while let Some(d) = dir.filter(|d| *d != workdir && d.starts_with(workdir)) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            known_dirs.remove(d.strip_prefix(workdir).unwrap_or(d));
            dir = d.parent();
        }
    }

    // Removals first, so that no added path collides with a removed directory or file.
    let _trusted = TrustedIds::new();
    for change in changes.iter().filter(|c| c.new_id.is_none()) {
        index
            .remove(&change.path)
            .map_err(|e| index_error(&change.path, e))?;
    }
    let had_conflicts = index.has_conflicts();
    // In batches (bounding what is held at once): directories, and whatever is in the
    // way of a file, in order; then the files.
    let upserts: Vec<(&str, Oid, &C)> = changes
        .iter()
        .filter_map(|c| Some((c.path.as_str(), c.new_id?, files.get(&c.path)?)))
        .collect();
    for batch in upserts.chunks(WRITE_BATCH) {
        let mut writes = Vec::with_capacity(batch.len());
        for &(path, id, content) in batch {
            let rel = Path::new(path);
            let file = workdir.join(path);
            if let Some(parent) = rel.parent() {
                walk_dirs(workdir, parent, &mut known_dirs, true).map_err(blocked_error)?;
            }
            match fs::symlink_metadata(&file) {
                Ok(meta) if meta.is_dir() => {
                    fs::remove_dir(&file).map_err(|e| io_error(&file, e))?
                }
                _ => {}
            }
            writes.push((path, id, content, file));
        }
        // Contents in memory are decoded and written in parallel; the others are read
        // from the object database (not shared between threads) one by one.
        let written: Vec<Option<std::io::Result<fs::Metadata>>> = writes
            .par_iter()
            .map(|(_, _, content, file)| {
                let bytes = content.held_bytes()?;
                Some(bytes.and_then(|bytes| write_file(file, &bytes)))
            })
            .collect();
        for ((path, id, content, file), meta) in writes.iter().zip(written) {
            let meta = match meta {
                Some(meta) => meta.map_err(|e| io_error(file, e))?,
                None => {
                    let bytes = content.read(repo, path)?;
                    write_file(file, &bytes).map_err(|e| io_error(file, e))?
                }
            };
            if had_conflicts {
                index.remove(path).map_err(|e| index_error(path, e))?;
            }
            index
                .add(&index_entry(path, *id, &meta))
                .map_err(|e| index_error(path, e))?;
        }
    }
    Ok(())
}

/// While alive, libgit2 adds index entries without looking their blobs up in the object
/// database: every blob [`sync`] adds is in a commit just written (or in `HEAD`), and those
/// lookups read the header of each object in the new pack, mapping all of it — 220 MB of
/// resident memory for a render of 240,000 files.
struct TrustedIds;

impl TrustedIds {
    fn new() -> Self {
        git2::opts::strict_object_creation(false);
        TrustedIds
    }
}

impl Drop for TrustedIds {
    fn drop(&mut self) {
        git2::opts::strict_object_creation(true);
    }
}

/// Where [`write_file`] writes `file` before renaming it into place: beside it, hidden.
pub(crate) fn temp_path(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    file.with_file_name(format!(".{name}.rampart-tmp"))
}

/// Removes what a killed [`write_file`] of `file` may have left.
pub(crate) fn remove_temp(file: &Path) -> std::io::Result<()> {
    crate::update_record::remove_if_present(&temp_path(file))
}

/// Writes `content` to `file` as a regular, non-executable file and returns its metadata.
/// The file is written whole or not at all: to a new file beside it (never through a link
/// left there), then renamed over it, so no reader — and no run after a kill — sees it
/// half-written. Not flushed to disk, as git does not flush the files of a checkout.
fn write_file(file: &Path, content: &[u8]) -> std::io::Result<fs::Metadata> {
    let temp = temp_path(file);
    remove_temp(file)?;
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut out| out.write_all(content))
        .and_then(|()| fs::rename(&temp, file));
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    fs::symlink_metadata(file)
}

/// Why a directory on the way to a work-tree path cannot be used (repository-relative).
pub(crate) enum Blocked {
    /// The file system refused.
    Io(PathBuf, std::io::Error),
    /// Something other than a directory or a link is in the way.
    NotDir(PathBuf),
    /// A symbolic link is in the way.
    Link(PathBuf),
}

/// Walks the directories of `rel` (repository-relative) below `workdir`, never following a
/// link: `Ok(true)` when each is a real directory, `Ok(false)` when one is missing (unless
/// `create`: then it is made). `known` caches directories already checked.
pub(crate) fn walk_dirs(
    workdir: &Path,
    rel: &Path,
    known: &mut HashSet<PathBuf>,
    create: bool,
) -> Result<bool, Blocked> {
    if rel.as_os_str().is_empty() || known.contains(rel) {
        return Ok(true);
    }
    if let Some(parent) = rel.parent()
        && !walk_dirs(workdir, parent, known, create)?
    {
        return Ok(false);
    }
    let dir = workdir.join(rel);
    match fs::symlink_metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(meta) if meta.file_type().is_symlink() => return Err(Blocked::Link(rel.to_owned())),
        Ok(_) => return Err(Blocked::NotDir(rel.to_owned())),
        Err(e) if e.kind() == ErrorKind::NotFound && !create => return Ok(false),
        Err(e) if e.kind() == ErrorKind::NotFound => match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(e) => return Err(Blocked::Io(rel.to_owned(), e)),
        },
        Err(e) => return Err(Blocked::Io(rel.to_owned(), e)),
    }
    known.insert(rel.to_owned());
    Ok(true)
}

/// [`check_dirs`] for the paths of `changes`, the files they delete going away first.
pub(crate) fn check_dirs_of(workdir: &Path, changes: &[Change]) -> Result<(), GitError> {
    let deleted: HashSet<&str> = changes
        .iter()
        .filter(|c| c.new_id.is_none())
        .map(|c| c.path.as_str())
        .collect();
    check_dirs(
        workdir,
        changes.iter().map(|c| c.path.as_str()),
        Some(&deleted),
    )
}

/// Refuses, before anything is committed, a symbolic link or another non-directory where
/// the directory of one of `paths` belongs in the work tree ([`GitError::OutputBlocked`]),
/// except a file that `deleted` says goes away first (`None`: links only, before the
/// deletions are known). A link is never written or deleted
/// through (it may point anywhere on the machine) nor silently replaced (someone put it
/// there, maybe to send the output elsewhere): the user removes it, and rampart writes
/// the directory.
pub(crate) fn check_dirs<'p>(
    workdir: &Path,
    paths: impl IntoIterator<Item = &'p str>,
    deleted: Option<&HashSet<&str>>,
) -> Result<(), GitError> {
    let mut known = HashSet::new();
    let mut last_parent = "";
    for path in paths {
        let parent = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        if parent == last_parent {
            continue;
        }
        last_parent = parent;
        match walk_dirs(workdir, Path::new(parent), &mut known, false) {
            Ok(_) => {}
            Err(Blocked::Link(rel)) => {
                return Err(GitError::OutputBlocked {
                    path: rel.to_string_lossy().into_owned(),
                    link: true,
                });
            }
            Err(Blocked::NotDir(rel)) => {
                let rel = rel.to_string_lossy().into_owned();
                if deleted.is_some_and(|deleted| !deleted.contains(rel.as_str())) {
                    return Err(GitError::OutputBlocked {
                        path: rel,
                        link: false,
                    });
                }
            }
            Err(Blocked::Io(rel, source)) => {
                return Err(GitError::ReadWorktree {
                    path: workdir.join(rel),
                    source,
                });
            }
        }
    }
    Ok(())
}

/// An index entry for a freshly written regular file.
fn index_entry(path: &str, id: Oid, meta: &fs::Metadata) -> IndexEntry {
    // The index stores 32-bit fields; git truncates the same way.
    #[cfg(unix)]
    let (ctime, mtime, dev, ino, uid, gid) = {
        use std::os::unix::fs::MetadataExt;
        (
            IndexTime::new(meta.ctime() as i32, meta.ctime_nsec() as u32),
            IndexTime::new(meta.mtime() as i32, meta.mtime_nsec() as u32),
            meta.dev() as u32,
            meta.ino() as u32,
            meta.uid(),
            meta.gid(),
        )
    };
    #[cfg(not(unix))]
    let (ctime, mtime, dev, ino, uid, gid) = {
        let since_epoch = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        let time = IndexTime::new(since_epoch.as_secs() as i32, since_epoch.subsec_nanos());
        (time, time, 0, 0, 0, 0)
    };
    IndexEntry {
        ctime,
        mtime,
        dev,
        ino,
        mode: MODE_FILE as u32,
        uid,
        gid,
        file_size: meta.len() as u32,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// See [`crate::worktree_drift`].
pub(crate) fn drift<C: FileContent>(
    repo_dir: &Path,
    files: &BTreeMap<String, C>,
    owned_prefixes: &[String],
) -> Result<Vec<Drift>, GitError> {
    paths::validate_files(files)?;
    let prefixes = paths::normalize_prefixes(owned_prefixes)?;
    let repo = repo::open(repo_dir)?;
    let workdir = repo.workdir().ok_or_else(|| GitError::BareRepository {
        path: repo_dir.to_owned(),
    })?;
    let read_error = |path: PathBuf, source| GitError::ReadWorktree { path, source };
    let wanted: Vec<(&String, &C)> = files.iter().collect();
    let paths: Vec<&str> = wanted.iter().map(|(path, _)| path.as_str()).collect();
    let recorded = Recorded::read(&repo, &paths);
    drop(paths);

    let mut found = BTreeMap::new();
    let mut known_dirs = HashSet::new();
    for (batch_no, batch) in wanted.chunks(WRITE_BATCH).enumerate() {
        // The file system answers in parallel; the index (not shared between threads) is
        // consulted in order.
        let stats: Vec<(PathBuf, std::io::Result<fs::Metadata>)> = batch
            .par_iter()
            .map(|(path, _)| {
                let file = workdir.join(path);
                let meta = fs::symlink_metadata(&file);
                (file, meta)
            })
            .collect();
        for (i, ((path, content), (file, meta))) in batch.iter().zip(stats).enumerate() {
            let n = batch_no * WRITE_BATCH + i;
            let kind = match meta {
                Err(e) if e.kind() == ErrorKind::NotFound => Some(DriftKind::Missing),
                Err(e) => return Err(read_error(file, e)),
                Ok(meta)
                    if !meta.is_file()
                        || content.len_hint().is_some_and(|len| len != meta.len()) =>
                {
                    Some(DriftKind::Modified)
                }
                Ok(meta) if recorded.holds(n, path, content.id(), &meta) => None,
                // Not read through a link on the way (what it points to is no file of
                // the work tree).
                Ok(_)
                    if !matches!(
                        walk_dirs(
                            workdir,
                            Path::new(path).parent().unwrap_or(Path::new("")),
                            &mut known_dirs,
                            false
                        ),
                        Ok(true)
                    ) =>
                {
                    Some(DriftKind::Modified)
                }
                Ok(_) => {
                    let on_disk = fs::read(&file).map_err(|e| read_error(file, e))?;
                    (blob_id(&on_disk) != content.id()).then_some(DriftKind::Modified)
                }
            };
            if let Some(kind) = kind {
                found.insert((*path).clone(), kind);
            }
        }
    }
    // Missing prefixes, and links that are not followed, hold no files of the work tree.
    let walked: Vec<&String> = prefixes
        .iter()
        .filter(|prefix| {
            let dir = Path::new(prefix.trim_end_matches('/'));
            matches!(walk_dirs(workdir, dir, &mut known_dirs, false), Ok(true))
        })
        .collect();
    // Listed in parallel, one prefix (an environment's namespaces, say) a task.
    let unexpected: Vec<Vec<String>> = walked
        .par_iter()
        .map(|prefix| {
            let mut on_disk = Vec::new();
            list_files(&workdir.join(prefix), prefix, &mut on_disk)
                .map_err(|(path, e)| read_error(path, e))?;
            on_disk.retain(|path| !files.contains_key(path));
            Ok(on_disk)
        })
        .collect::<Result<_, GitError>>()?;
    for path in unexpected.into_iter().flatten() {
        found.insert(path, DriftKind::Unexpected);
    }
    Ok(found
        .into_iter()
        .map(|(path, kind)| Drift { path, kind })
        .collect())
}

/// The work-tree contents of the paths `changes` write or delete (`changes` about to be
/// committed on the checked-out branch) that are neither the old nor the new commit's: the
/// user's edits that the new commit took in, which a repair after a kill may overwrite
/// (see [`crate::finish_interrupted_update`]). Files whose stat data match their index
/// entry hold the old blob and are not read.
pub(crate) fn seen_before(
    repo: &Repository,
    changes: &[Change],
) -> Result<Vec<(String, Oid)>, GitError> {
    let Some(workdir) = repo.workdir() else {
        return Ok(Vec::new());
    };
    let mut order: Vec<&Change> = changes.iter().collect();
    order.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    order.dedup_by(|a, b| a.path == b.path);
    let paths: Vec<&str> = order.iter().map(|c| c.path.as_str()).collect();
    let recorded = Recorded::read(repo, &paths);
    let stats: Vec<Option<fs::Metadata>> = order
        .par_iter()
        .map(|c| fs::symlink_metadata(workdir.join(&c.path)).ok())
        .collect();
    let mut known = HashSet::new();
    let mut seen = Vec::new();
    for (n, (change, meta)) in order.iter().zip(stats).enumerate() {
        let Some(meta) = meta.filter(fs::Metadata::is_file) else {
            continue;
        };
        if change
            .old_id
            .is_some_and(|old| recorded.holds(n, &change.path, old, &meta))
        {
            continue;
        }
        let parent = Path::new(&change.path).parent().unwrap_or(Path::new(""));
        if !matches!(walk_dirs(workdir, parent, &mut known, false), Ok(true)) {
            continue;
        }
        let file = workdir.join(&change.path);
        let bytes = fs::read(&file).map_err(|source| GitError::ReadWorktree {
            path: file.clone(),
            source,
        })?;
        let id = blob_id(&bytes);
        if Some(id) != change.old_id && Some(id) != change.new_id {
            seen.push((change.path.clone(), id));
        }
    }
    Ok(seen)
}

/// What the index records of the work tree: a file whose stat data still match its entry
/// holds the entry's blob, without being read — as `git status` decides. An entry written
/// in the same instant as the index itself may predate a later edit with the same stat
/// data ("racy git"), so it is not trusted, nor is anything without an index.
struct Recorded {
    /// The entries of the files asked about, in their order (see [`crate::index_file`]), or
    /// libgit2's index where that reader does not take the file.
    entries: Entries,
    /// The index file's modification time (seconds, nanoseconds).
    written: (i64, i64),
}

enum Entries {
    Read(Vec<Option<Record>>),
    Libgit2(Option<git2::Index>),
}

impl Recorded {
    /// What the index of `repo` records of `paths` (sorted).
    fn read(repo: &Repository, paths: &[&str]) -> Recorded {
        let file = repo.path().join("index");
        let written = fs::metadata(&file)
            .ok()
            .and_then(|meta| stat_times(&meta))
            .map_or((0, 0), |(mtime, _)| mtime);
        let entries = match index_file::records(&file, paths) {
            Some(records) => Entries::Read(records),
            None => Entries::Libgit2(repo.index().ok()),
        };
        Recorded { entries, written }
    }

    /// Whether the `n`th path asked about, `path`, with the metadata `meta`, is recorded as
    /// the blob `id`.
    fn holds(&self, n: usize, path: &str, id: Oid, meta: &fs::Metadata) -> bool {
        let entry = match &self.entries {
            Entries::Read(records) => records.get(n).copied().flatten(),
            Entries::Libgit2(index) => index
                .as_ref()
                .and_then(|i| i.get_path(Path::new(path), 0))
                .map(|e| Record::of(&e)),
        };
        let Some(entry) = entry else {
            return false;
        };
        let Some((mtime, ctime)) = stat_times(meta) else {
            return false;
        };
        let recorded = |(secs, nanos): (i32, u32)| (i64::from(secs), i64::from(nanos));
        // Times as the index stores them: 32-bit seconds (see `index_entry`).
        let stored = |(secs, nanos): (i64, i64)| (i64::from(secs as i32), nanos);
        entry.id == id
            && entry.mode == MODE_FILE as u32
            && u64::from(entry.size) == meta.len() & 0xffff_ffff
            && recorded(entry.mtime) == stored(mtime)
            && recorded(entry.ctime) == stored(ctime)
            && stored(mtime) < stored(self.written)
            && inode_matches(entry.ino, meta)
    }
}

/// Modification and change times (seconds, nanoseconds) of `meta`.
#[cfg(unix)]
fn stat_times(meta: &fs::Metadata) -> Option<((i64, i64), (i64, i64))> {
    use std::os::unix::fs::MetadataExt;
    Some((
        (meta.mtime(), meta.mtime_nsec()),
        (meta.ctime(), meta.ctime_nsec()),
    ))
}

/// Without change times the index's record is never trusted.
#[cfg(not(unix))]
fn stat_times(_meta: &fs::Metadata) -> Option<((i64, i64), (i64, i64))> {
    None
}

#[cfg(unix)]
fn inode_matches(ino: u32, meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    ino == meta.ino() as u32
}

#[cfg(not(unix))]
fn inode_matches(_ino: u32, _meta: &fs::Metadata) -> bool {
    false
}

/// Appends the repository path (`rel` + name) of every non-directory below
/// `dir` to `out`, skipping nested `.git` directories and not following
/// symlinks. A missing `dir` has no files.
fn list_files(
    dir: &Path,
    rel: &str,
    out: &mut Vec<String>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(());
        }
        Err(e) => return Err((dir.to_owned(), e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| (dir.to_owned(), e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let child = format!("{rel}/{name}");
        let file_type = entry.file_type().map_err(|e| (entry.path(), e))?;
        if file_type.is_dir() {
            if !name.eq_ignore_ascii_case(".git") {
                list_files(&entry.path(), &child, out)?;
            }
        } else {
            out.push(child);
        }
    }
    Ok(())
}

/// The checked-out branch's full name and tip, for [`sync`]'s messages.
fn checked_out(repo: &Repository, repo_dir: &Path) -> Result<(String, Oid), GitError> {
    let head = repo.head().map_err(|source| GitError::Open {
        path: repo_dir.to_owned(),
        source,
    })?;
    let refname = head.name().unwrap_or("HEAD").to_owned();
    Ok((refname, head.target().unwrap_or(Oid::ZERO_SHA1)))
}

/// See [`crate::restore_worktree`].
pub(crate) fn restore<C: FileContent>(
    repo_dir: &Path,
    files: &BTreeMap<String, C>,
    owned_prefixes: &[String],
) -> Result<Vec<Drift>, GitError> {
    let found = drift(repo_dir, files, owned_prefixes)?;
    if found.is_empty() {
        return Ok(found);
    }
    let repo = repo::open(repo_dir)?;
    let (refname, commit) = checked_out(&repo, repo_dir)?;
    // What `sync` needs: the path and, for a file to write, its blob id. The
    // old side is the work tree, not a git object, so it has no id.
    let mut changes = Vec::with_capacity(found.len());
    for d in &found {
        let (kind, new_id) = match d.kind {
            DriftKind::Unexpected => (ChangeKind::Deleted, None),
            DriftKind::Missing | DriftKind::Modified => {
                let id = files[&d.path].id();
                let kind = match d.kind {
                    DriftKind::Missing => ChangeKind::Added,
                    _ => ChangeKind::Modified,
                };
                (kind, Some(id))
            }
        };
        changes.push(Change {
            path: d.path.clone(),
            kind,
            old_id: None,
            new_id,
        });
    }
    in_place(&repo, commit, &refname, &changes, files)?;
    Ok(found)
}

/// Writes `changes` into the work tree and index without moving the branch, refusing a
/// link on the way first, and recording the update while it runs.
fn in_place<C: FileContent>(
    repo: &Repository,
    commit: Oid,
    refname: &str,
    changes: &[Change],
    files: &BTreeMap<String, C>,
) -> Result<(), GitError> {
    let Some(workdir) = repo.workdir() else {
        return Ok(());
    };
    check_dirs(
        workdir,
        changes.iter().map(|c| c.path.as_str()),
        Some(&HashSet::new()),
    )?;
    let record = UpdateRecord {
        refname: refname.to_owned(),
        commit,
        update: Update::InPlace {
            paths: changes.iter().map(|c| c.path.clone()).collect(),
        },
        seen: Vec::new(),
        lock: None,
    };
    let guard = UpdateGuard::begin(repo, record)?;
    sync(repo, &guard, commit, refname, changes, files)?;
    guard.finish()
}

/// See [`crate::stage_files`].
pub(crate) fn stage<C: FileContent>(
    repo_dir: &Path,
    files: &BTreeMap<String, C>,
) -> Result<(), GitError> {
    let repo = repo::open(repo_dir)?;
    let (refname, commit) = checked_out(&repo, repo_dir)?;
    paths::validate_files(files)?;
    let mut changes = Vec::with_capacity(files.len());
    for (path, content) in files {
        let bytes = content.read(&repo, path)?;
        let id = repo.blob(&bytes).map_err(|source| GitError::WriteObject {
            path: path.clone(),
            source,
        })?;
        changes.push(Change {
            path: path.clone(),
            kind: ChangeKind::Added,
            old_id: None,
            new_id: Some(id),
        });
    }
    in_place(&repo, commit, &refname, &changes, files)
}
