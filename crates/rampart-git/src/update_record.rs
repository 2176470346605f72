//! The record of a work-tree update in progress, and git's index lock held through it.
//!
//! Moving the checked-out branch and updating the work tree and index cannot be one atomic
//! step. So before the branch moves, Rampart writes (whole, flushed to disk) a record of the
//! update it is about to make — `<git dir>/rampart-update`: the branch, the commit it moves
//! from and to, and what it saw in the work tree — and takes git's own index lock
//! (`index.lock`), noting in the record which file that lock is (device, inode and a
//! nonce written into it). When the work tree and index are up to date, the lock is let go and the record
//! removed. A run killed in between leaves the record behind, and the next run finds it and
//! finishes the update ([`crate::finish_interrupted_update`]) before it reads any input.
//!
//! The index lock: git refuses to touch the index while `index.lock` exists, and never
//! removes one itself, because it cannot know whether the process that made it still runs.
//! Rampart can, for its own: the record names the exact file, and whoever finishes the
//! update holds the repository lock ([`crate::RepoLock`]), so the run that made it is gone.
//! Such a lock is removed. Any other `index.lock` belongs to a git command (running, or
//! killed): Rampart refuses before it commits anything, naming the file.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use git2::{Index, Oid, Repository};

use crate::GitError;

/// The record's file name in the git directory (one per work tree).
const RECORD: &str = "rampart-update";
/// Where the index is written before it replaces `index`.
const INDEX_TEMP: &str = "index.rampart";
/// The file made first and then linked as `index.lock` (so the record can name it first).
const LOCK_TEMP: &str = "index.rampart-lock";
/// First line of a record.
const HEADER: &str = "rampart work-tree update 1";

/// Which file a lock is: device and inode, and a nonce written into it (the inode number
/// of a removed file can be reused; its change time moves when the file is linked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId([u64; 4]);

impl FileId {
    /// A new identity for a file with the metadata `meta`: its nonce is to be written into it.
    fn new(meta: &fs::Metadata) -> FileId {
        let (dev, ino) = dev_ino(meta);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        FileId([
            dev,
            ino,
            u64::from(std::process::id()),
            now.as_nanos() as u64,
        ])
    }

    /// What the lock file holds.
    fn content(&self) -> String {
        format!("rampart {} {}\n", self.0[2], self.0[3])
    }

    /// Whether the file at `path`, with the metadata `meta`, is this one.
    fn is(&self, path: &Path, meta: &fs::Metadata) -> bool {
        let (dev, ino) = dev_ino(meta);
        [dev, ino] == self.0[..2] && fs::read_to_string(path).is_ok_and(|c| c == self.content())
    }
}

#[cfg(unix)]
fn dev_ino(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Without inode numbers the content alone tells.
#[cfg(not(unix))]
fn dev_ino(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// What kind of update a record describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Update {
    /// The branch moves from `from` (`None`: it had no commit) to the record's commit, and
    /// the work tree follows for every path the two commits differ in.
    Commit { from: Option<Oid> },
    /// Files are written in place (the branch does not move): the paths written.
    InPlace { paths: Vec<String> },
}

/// A work-tree update in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UpdateRecord {
    /// Full name of the checked-out branch.
    pub refname: String,
    /// The commit the work tree is brought to.
    pub commit: Oid,
    pub update: Update,
    /// Work-tree contents found before the update where they were neither the old nor the
    /// new commit's (the user's edits that the new commit took in): path and blob id.
    pub seen: Vec<(String, Oid)>,
    /// The `index.lock` this update holds.
    pub lock: Option<FileId>,
}

impl UpdateRecord {
    fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\nref {}\ncommit {}\n", self.refname, self.commit);
        let mut line = |key: &str, value: &str| {
            // A path with a line break cannot be recorded; it is left out, so a repair
            // treats its content as someone else's edit and keeps it.
            if !value.contains(['\n', '\r']) {
                text.push_str(&format!("{key} {value}\n"));
            }
        };
        match &self.update {
            Update::Commit { from } => {
                line(
                    "from",
                    &from.map_or_else(|| "none".to_owned(), |id| id.to_string()),
                );
            }
            Update::InPlace { paths } => {
                for path in paths {
                    line("path", path);
                }
            }
        }
        if let Some(FileId([dev, ino, secs, nanos])) = self.lock {
            line("lock", &format!("{dev} {ino} {secs} {nanos}"));
        }
        for (path, id) in &self.seen {
            line("seen", &format!("{id} {path}"));
        }
        text
    }

    fn parse(text: &str) -> Option<UpdateRecord> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let (mut refname, mut commit, mut from, mut lock) = (None, None, None, None);
        let (mut paths, mut seen) = (Vec::new(), Vec::new());
        for line in lines {
            let (key, value) = line.split_once(' ')?;
            match key {
                "ref" => refname = Some(value.to_owned()),
                "commit" => commit = Some(Oid::from_str(value).ok()?),
                "from" if value == "none" => from = Some(None),
                "from" => from = Some(Some(Oid::from_str(value).ok()?)),
                "path" => paths.push(value.to_owned()),
                "lock" => {
                    let numbers: Vec<u64> = value
                        .split(' ')
                        .map(str::parse)
                        .collect::<Result<_, _>>()
                        .ok()?;
                    lock = Some(FileId(numbers.try_into().ok()?));
                }
                "seen" => {
                    let (id, path) = value.split_once(' ')?;
                    seen.push((path.to_owned(), Oid::from_str(id).ok()?));
                }
                _ => return None,
            }
        }
        Some(UpdateRecord {
            refname: refname?,
            commit: commit?,
            update: match from {
                Some(from) => Update::Commit { from },
                None => Update::InPlace { paths },
            },
            seen,
            lock,
        })
    }
}

/// Where the record of the repository `repo` is.
pub(crate) fn record_path(repo: &Repository) -> PathBuf {
    repo.path().join(RECORD)
}

/// The record left by an update that did not finish, if any.
pub(crate) fn read_record(repo: &Repository) -> Result<Option<UpdateRecord>, GitError> {
    let path = record_path(repo);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(GitError::UpdateRecord { path, source }),
    };
    UpdateRecord::parse(&text)
        .map(Some)
        .ok_or(GitError::UpdateRecordInvalid { path })
}

/// An update of the work tree and index in progress: holds `index.lock` and the record.
/// Dropped without [`UpdateGuard::finish`] (an error on the way), it lets the index lock go
/// and keeps the record, so the next run finishes the update.
#[derive(Debug)]
pub(crate) struct UpdateGuard {
    git_dir: PathBuf,
    lock: Option<PathBuf>,
}

impl UpdateGuard {
    /// Starts an update: takes `index.lock` (refused if anything holds it) and writes
    /// `record` with it. A record left by an unfinished update is refused
    /// ([`GitError::InterruptedUpdate`]): the inputs of this run may have been read from the
    /// work tree it left behind, so that update is finished first.
    pub(crate) fn begin(repo: &Repository, record: UpdateRecord) -> Result<UpdateGuard, GitError> {
        if let Some(left) = read_record(repo)? {
            return Err(GitError::InterruptedUpdate {
                path: record_path(repo),
                commit: left.commit,
                refname: left.refname,
            });
        }
        Self::start(repo, record, false)
    }

    /// Starts finishing the interrupted update `record` (read from the record, whose own
    /// index lock is gone): the record stays whatever happens.
    pub(crate) fn resume(repo: &Repository, record: UpdateRecord) -> Result<UpdateGuard, GitError> {
        Self::start(repo, record, true)
    }

    fn start(
        repo: &Repository,
        mut record: UpdateRecord,
        resuming: bool,
    ) -> Result<UpdateGuard, GitError> {
        let git_dir = repo.path().to_owned();
        let lock = git_dir.join("index.lock");
        let temp = git_dir.join(LOCK_TEMP);
        let record_error = |path: &Path, source| GitError::UpdateRecord {
            path: path.to_owned(),
            source,
        };
        remove_if_present(&temp).map_err(|e| record_error(&temp, e))?;
        let id = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .and_then(|mut file| {
                let id = FileId::new(&file.metadata()?);
                file.write_all(id.content().as_bytes())?;
                Ok(id)
            })
            .map_err(|e| record_error(&temp, e))?;
        record.lock = Some(id);
        let record_file = git_dir.join(RECORD);
        write_durably(&record_file, record.to_text().as_bytes())
            .map_err(|e| record_error(&record_file, e))?;
        // Linking fails if `index.lock` exists, and makes it in one step otherwise.
        let linked = fs::hard_link(&temp, &lock);
        let _ = fs::remove_file(&temp);
        if let Err(e) = linked {
            // Not taken: the record must not name a lock this run does not hold.
            let _ = if resuming {
                record.lock = None;
                write_durably(&record_file, record.to_text().as_bytes())
            } else {
                fs::remove_file(&record_file)
            };
            return Err(if e.kind() == ErrorKind::AlreadyExists {
                GitError::IndexLocked { path: lock }
            } else {
                record_error(&lock, e)
            });
        }
        Ok(UpdateGuard {
            git_dir,
            lock: Some(lock),
        })
    }

    /// The index as it is now, to be changed and then written with [`Self::write_index`]:
    /// a copy (git's own `index.lock` is this run's, so libgit2 writes elsewhere).
    /// `index_error` says what libgit2's errors mean for the caller.
    pub(crate) fn index(
        &self,
        index_error: impl Fn(git2::Error) -> GitError,
    ) -> Result<Index, GitError> {
        let index = self.git_dir.join("index");
        let temp = self.git_dir.join(INDEX_TEMP);
        let error = |source| GitError::IndexFile {
            path: temp.clone(),
            source,
        };
        remove_if_present(&temp).map_err(error)?;
        remove_if_present(&self.git_dir.join(format!("{INDEX_TEMP}.lock"))).map_err(error)?;
        match fs::copy(&index, &temp) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(error(e)),
        }
        Index::open(&temp).map_err(index_error)
    }

    /// Writes `index` (from [`Self::index`]) and puts it in place of the index, in one
    /// rename.
    pub(crate) fn write_index(
        &self,
        index: &mut Index,
        index_error: impl Fn(git2::Error) -> GitError,
    ) -> Result<(), GitError> {
        index.write().map_err(index_error)?;
        let temp = self.git_dir.join(INDEX_TEMP);
        fs::rename(&temp, self.git_dir.join("index"))
            .map_err(|source| GitError::IndexFile { path: temp, source })
    }

    /// Puts `bytes` (a whole index file) in place of the index, in one rename.
    pub(crate) fn write_index_bytes(&self, bytes: &[u8]) -> Result<(), GitError> {
        let temp = self.git_dir.join(INDEX_TEMP);
        let error = |source| GitError::IndexFile {
            path: temp.clone(),
            source,
        };
        remove_if_present(&temp).map_err(error)?;
        fs::write(&temp, bytes).map_err(error)?;
        fs::rename(&temp, self.git_dir.join("index")).map_err(error)
    }

    /// The update is done: the index lock goes, then the record.
    pub(crate) fn finish(mut self) -> Result<(), GitError> {
        self.release();
        let record = self.git_dir.join(RECORD);
        fs::remove_file(&record).map_err(|source| GitError::UpdateRecord {
            path: record,
            source,
        })
    }

    /// Nothing was or will be written (the branch did not move): lock and record go.
    pub(crate) fn abandon(self) {
        let _ = self.finish();
    }

    fn release(&mut self) {
        if let Some(lock) = self.lock.take() {
            let _ = fs::remove_file(lock);
        }
    }
}

impl Drop for UpdateGuard {
    fn drop(&mut self) {
        self.release();
    }
}

/// Removes `index.lock` of `repo` if it is the one `record` names: made by a run that did
/// not finish. Returns whether it did; another `index.lock` is refused.
pub(crate) fn remove_own_lock(repo: &Repository, record: &UpdateRecord) -> Result<bool, GitError> {
    let lock = repo.path().join("index.lock");
    let meta = match fs::symlink_metadata(&lock) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(GitError::IndexFile { path: lock, source }),
    };
    if !record.lock.is_some_and(|id| id.is(&lock, &meta)) {
        return Err(GitError::IndexLocked { path: lock });
    }
    fs::remove_file(&lock).map_err(|source| GitError::IndexFile { path: lock, source })?;
    Ok(true)
}

/// Removes the lock file of `record`'s branch (`<gitdir>/<refname>.lock`) if the run that
/// `record` describes left it: killed while moving the branch, after libgit2 created the
/// lock and before it renamed it over the branch. The lock is that run's when it holds the
/// commit the run was moving to, or nothing yet (killed between creating and writing it);
/// the repository lock the caller holds proves that run is gone. Any other content is a
/// git command's and is left for the commit to report. Returns the path removed.
pub(crate) fn remove_own_ref_lock(
    repo: &Repository,
    record: &UpdateRecord,
) -> Result<Option<PathBuf>, GitError> {
    let lock = repo.path().join(format!("{}.lock", record.refname));
    let content = match fs::read(&lock) {
        Ok(content) => content,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(GitError::UpdateRecord { path: lock, source }),
    };
    let ours = content.trim_ascii().is_empty()
        || content.trim_ascii() == record.commit.to_string().as_bytes();
    if !ours {
        return Ok(None);
    }
    fs::remove_file(&lock).map_err(|source| GitError::UpdateRecord {
        path: lock.clone(),
        source,
    })?;
    Ok(Some(lock))
}

/// Writes `bytes` to `path` whole: to a temporary file beside it, flushed, then renamed over
/// it, and the directory flushed.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = path.with_extension("tmp");
    remove_if_present(&temp)?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Removes the file (or link) at `path` unless there is none.
pub(crate) fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let id = |n: u8| Oid::from_bytes(&[n; 20]).unwrap();
        let records = [
            UpdateRecord {
                refname: "refs/heads/main".into(),
                commit: id(1),
                update: Update::Commit { from: Some(id(2)) },
                seen: vec![("specs/a b.yaml".into(), id(3))],
                lock: Some(FileId([1, 2, 3, 4])),
            },
            UpdateRecord {
                refname: "refs/heads/x".into(),
                commit: id(1),
                update: Update::Commit { from: None },
                seen: vec![],
                lock: None,
            },
            UpdateRecord {
                refname: "refs/heads/x".into(),
                commit: id(1),
                update: Update::InPlace {
                    paths: vec!["a".into(), "d/e f".into()],
                },
                seen: vec![],
                lock: Some(FileId([5, 6, 7, 8])),
            },
        ];
        for record in records {
            assert_eq!(UpdateRecord::parse(&record.to_text()), Some(record));
        }
        assert_eq!(UpdateRecord::parse("something else\n"), None);
        assert_eq!(UpdateRecord::parse(&format!("{HEADER}\nref x\n")), None);
    }
}
