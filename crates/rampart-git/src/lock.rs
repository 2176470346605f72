//! The repository lock: one Rampart run at a time changes a checkout.
//!
//! A run that writes (`render`, `new`, a delivery, a rotation) holds the lock from reading
//! its inputs until the work tree is updated, so a second run never reads inputs that the
//! first is about to replace, and never commits a tree that drops what the first committed.
//! It is an advisory lock (`flock`) on `<git common dir>/rampart/lock`: the kernel releases
//! it when the process ends, however it ends, so a killed run leaves no stale lock behind.
//! The file itself stays; it records who holds the lock, for the message a waiter prints.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::GitError;
use crate::repo::open;

/// How often a waiting run tries the lock again.
const RETRY_EVERY: Duration = Duration::from_millis(20);
/// The holder description is cut at this many bytes when read back.
const HOLDER_MAX: u64 = 512;

/// The held repository lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RepoLock {
    file: File,
    path: PathBuf,
}

impl RepoLock {
    /// Takes the lock of the repository at `repo_dir` for `purpose` (e.g. `rampart render`),
    /// waiting at most `wait` for a run that holds it. `on_wait` is called once, with who
    /// holds it, if the lock is busy. Worktrees of one repository share the lock.
    pub fn acquire(
        repo_dir: &Path,
        purpose: &str,
        wait: Duration,
        on_wait: impl FnOnce(&LockHolder),
    ) -> Result<RepoLock, GitError> {
        Self::acquire_named(repo_dir, "lock", purpose, wait, on_wait)
    }

    /// [`RepoLock::acquire`] for another lock of the repository, the file `name` beside
    /// the repository lock (e.g. `serve.lock`: one active `rampart serve` per repository).
    pub fn acquire_named(
        repo_dir: &Path,
        name: &str,
        purpose: &str,
        wait: Duration,
        on_wait: impl FnOnce(&LockHolder),
    ) -> Result<RepoLock, GitError> {
        let repo = open(repo_dir)?;
        let dir = repo.commondir().join("rampart");
        let path = dir.join(name);
        let io_error = |source| GitError::Lock {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        let started = Instant::now();
        let mut on_wait = Some(on_wait);
        let mut holder = None;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::Error(source)) => return Err(io_error(source)),
                Err(TryLockError::WouldBlock) => {}
            }
            let seen = holder.get_or_insert_with(|| LockHolder::read(&mut file));
            if started.elapsed() >= wait {
                return Err(GitError::Locked {
                    path,
                    holder: seen.to_string(),
                    waited: started.elapsed(),
                });
            }
            if let Some(notify) = on_wait.take() {
                notify(seen);
            }
            std::thread::sleep(RETRY_EVERY.min(wait.saturating_sub(started.elapsed())));
        }
        let record = format!("pid {}: {purpose}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(record.as_bytes()))
            .map_err(io_error)?;
        Ok(RepoLock { file, path })
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it explicit.
        let _ = self.file.unlock();
    }
}

/// Who holds the lock, as the holder recorded it (`pid 1234: rampart render`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder(String);

impl LockHolder {
    fn read(file: &mut File) -> LockHolder {
        let mut text = String::new();
        let read = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.take(HOLDER_MAX).read_to_string(&mut text));
        let line = text.lines().next().unwrap_or_default().trim();
        if read.is_err() || line.is_empty() {
            return LockHolder("another rampart run".to_owned());
        }
        // Printable characters only: the file is ours, but a message is no place for
        // control characters whoever wrote them.
        LockHolder(line.chars().filter(|c| !c.is_control()).collect())
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init_repository;

    fn repo() -> tempfile::TempDir {
        let tmp = tempfile::TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
        init_repository(tmp.path()).unwrap_or_else(|e| panic!("init: {e}"));
        tmp
    }

    #[test]
    fn a_second_holder_waits_then_gives_up_naming_the_first() {
        let tmp = repo();
        let first = RepoLock::acquire(tmp.path(), "rampart render", Duration::ZERO, |_| {})
            .unwrap_or_else(|e| panic!("first lock: {e}"));
        let mut told = None;
        let err = RepoLock::acquire(
            tmp.path(),
            "rampart new x",
            Duration::from_millis(100),
            |h| told = Some(h.to_string()),
        )
        .err();
        let want = format!("pid {}: rampart render", std::process::id());
        assert_eq!(told.as_deref(), Some(want.as_str()));
        match err {
            Some(GitError::Locked { holder, waited, .. }) => {
                assert_eq!(holder, want);
                assert!(waited >= Duration::from_millis(100), "{waited:?}");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        let again = RepoLock::acquire(tmp.path(), "rampart new x", Duration::ZERO, |_| {
            panic!("the lock is free: nobody to wait for")
        });
        assert!(again.is_ok(), "{again:?}");
    }

    #[test]
    fn a_waiter_gets_the_lock_when_the_holder_lets_go() {
        let tmp = repo();
        let first = RepoLock::acquire(tmp.path(), "first", Duration::ZERO, |_| {})
            .unwrap_or_else(|e| panic!("first lock: {e}"));
        let path = tmp.path().to_owned();
        let waiter = std::thread::spawn(move || {
            RepoLock::acquire(&path, "second", Duration::from_secs(30), |_| {}).map(|_| ())
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        let joined = waiter.join().unwrap_or_else(|_| panic!("waiter panicked"));
        assert!(joined.is_ok(), "{joined:?}");
    }

    #[test]
    fn worktrees_share_one_lock() {
        let tmp = repo();
        let path = tmp.path();
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(["commit", "--allow-empty", "-qm", "base"])
            .current_dir(path)
            .status();
        assert!(matches!(status, Ok(s) if s.success()), "{status:?}");
        let linked = path.join("linked");
        let status = std::process::Command::new("git")
            .args(["worktree", "add", "-q", "-b", "other"])
            .arg(&linked)
            .current_dir(path)
            .status();
        assert!(matches!(status, Ok(s) if s.success()), "{status:?}");
        let _held = RepoLock::acquire(path, "main checkout", Duration::ZERO, |_| {})
            .unwrap_or_else(|e| panic!("lock: {e}"));
        let err = RepoLock::acquire(&linked, "linked", Duration::ZERO, |_| {}).err();
        assert!(matches!(err, Some(GitError::Locked { .. })), "{err:?}");
    }
}
