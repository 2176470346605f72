//! Finishing a work-tree update that a killed run left behind (see [`crate::update_record`]).
//!
//! The rule for each path the interrupted commit changed — the commit is what Rampart knows
//! it wrote, and the work-tree file can only be in a few states that Rampart made:
//!
//! - the old commit's content (not written yet), the new commit's (written, index not), a
//!   truncated or empty file (written by a Rampart from before files were renamed into
//!   place), missing, a leftover temporary file — or the content the user had there before
//!   that run, which the run read as input and took into its commit (recorded as `seen`):
//!   the file is brought to the new commit. Nothing the user meant is lost: what they had is
//!   in the commit.
//! - anything else was written by someone after the run died — a hand edit of a request,
//!   say: it is kept as it is (an uncommitted change, as `git status` shows it), and only its
//!   index entry is brought to the commit.
//!
//! In every case the index entry of the path is brought to the new commit, so the index
//! never again claims the old content is staged (`git diff --cached` reverting the commit).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use git2::{IndexEntry, IndexTime, Oid, Repository};

use crate::commit::commit_of;
use crate::content::Content;
use crate::repo::open;
use crate::tree::MODE_FILE;
use crate::update_record::{
    Update, UpdateGuard, UpdateRecord, read_record, record_path, remove_own_lock,
    remove_own_ref_lock,
};
use crate::{Change, ChangeKind, GitError, RepoLock, blob_id, worktree};

/// What [`crate::finish_interrupted_update`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The commit the interrupted run was bringing the work tree to.
    pub commit: Oid,
    /// Full name of its branch.
    pub refname: String,
    /// What became of the update.
    pub outcome: RecoveryOutcome,
    /// Files brought to the commit (written or removed), repository-relative.
    pub restored: Vec<String>,
    /// Files kept as they were because someone changed them after the run died; their
    /// index entries are the commit's, so they show as uncommitted changes.
    pub kept: Vec<String>,
    /// The `index.lock` the interrupted run held, now removed.
    pub removed_lock: Option<PathBuf>,
    /// The branch's lock file the interrupted run held (killed while moving the branch),
    /// now removed.
    pub removed_ref_lock: Option<PathBuf>,
}

/// See [`Recovery::outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryOutcome {
    /// The branch was at the commit: the work tree and index are now brought to it.
    Finished,
    /// The run died before its branch moved, or wrote files in place only: nothing lagged.
    NothingLagged,
    /// The branch has moved, or another branch is checked out, since: the work tree is no
    /// longer Rampart's to update (`git status` shows where it stands).
    Superseded,
}

/// Whether a work-tree update of the repository at `repo_dir` was interrupted (a cheap
/// look, for commands that take the repository lock only when there is something to do).
pub fn update_interrupted(repo_dir: &Path) -> bool {
    Repository::open(repo_dir).is_ok_and(|repo| record_path(&repo).exists())
}

/// See [`crate::finish_interrupted_update`].
pub(crate) fn finish(repo_dir: &Path, _held: &RepoLock) -> Result<Option<Recovery>, GitError> {
    let repo = open(repo_dir)?;
    let Some(record) = read_record(&repo)? else {
        return Ok(None);
    };
    let removed_lock = remove_own_lock(&repo, &record)?.then(|| repo.path().join("index.lock"));
    let removed_ref_lock = remove_own_ref_lock(&repo, &record)?;
    let head_branch = repo.find_reference("HEAD").ok().and_then(|head| {
        head.symbolic_target_bytes()
            .map(|name| String::from_utf8_lossy(name).into_owned())
    });
    let on_branch = repo.workdir().is_some() && head_branch.as_deref() == Some(&record.refname);
    let now = commit_of(&repo, &record.refname)?;
    let mut recovery = Recovery {
        commit: record.commit,
        refname: record.refname.clone(),
        outcome: RecoveryOutcome::NothingLagged,
        restored: Vec::new(),
        kept: Vec::new(),
        removed_lock,
        removed_ref_lock,
    };
    match &record.update {
        Update::InPlace { paths } => sweep(&repo, paths.iter().map(String::as_str))?,
        Update::Commit { from } if on_branch && now == Some(record.commit) => {
            let changes = changes_between(&repo, *from, record.commit)?;
            let (restored, kept) = repair(&repo, &record, &changes)?;
            recovery.outcome = RecoveryOutcome::Finished;
            recovery.restored = restored;
            recovery.kept = kept;
            return Ok(Some(recovery));
        }
        Update::Commit { from } => {
            if now != *from || !on_branch {
                recovery.outcome = RecoveryOutcome::Superseded;
            }
            let changes = changes_between(&repo, *from, record.commit)?;
            sweep(&repo, changes.iter().map(|c| c.path.as_str()))?;
        }
    }
    let path = record_path(&repo);
    fs::remove_file(&path).map_err(|source| GitError::UpdateRecord { path, source })?;
    Ok(Some(recovery))
}

/// Brings the paths of `changes` to `record.commit` (see the module's rule); returns the
/// paths restored and those kept.
fn repair(
    repo: &Repository,
    record: &UpdateRecord,
    changes: &[Change],
) -> Result<(Vec<String>, Vec<String>), GitError> {
    let Some(workdir) = repo.workdir() else {
        return Ok((Vec::new(), Vec::new()));
    };
    worktree::check_dirs_of(workdir, changes)?;
    let guard = UpdateGuard::resume(repo, record.clone())?;
    let seen: HashMap<&str, Oid> = record
        .seen
        .iter()
        .map(|(path, id)| (path.as_str(), *id))
        .collect();
    let mut ours = Vec::new();
    let mut kept = Vec::new();
    for change in changes {
        let file = workdir.join(&change.path);
        worktree::remove_temp(&file).map_err(|source| GitError::ReadWorktree {
            path: file.clone(),
            source,
        })?;
        if rampart_made(repo, &file, change, seen.get(change.path.as_str()).copied())? {
            ours.push(change.clone());
        } else {
            kept.push(change);
        }
    }
    let files: BTreeMap<String, Content> = ours
        .iter()
        .filter_map(|c| Some((c.path.clone(), Content::stored(c.new_id?))))
        .collect();
    let refname = &record.refname;
    let commit = record.commit;
    let index_error = |source| GitError::IndexSync {
        commit,
        refname: refname.clone(),
        path: String::new(),
        source,
    };
    let mut index = guard.index(index_error)?;
    worktree::apply(repo, &mut index, commit, refname, &ours, &files)?;
    for change in &kept {
        let path = Path::new(&change.path);
        let result = match change.new_id {
            // Stat data that match no file: git reads the file and shows the change.
            Some(id) => index.add(&unmatched_entry(&change.path, id)),
            None => index.remove_path(path),
        };
        result.map_err(|source| GitError::IndexSync {
            commit,
            refname: refname.clone(),
            path: change.path.clone(),
            source,
        })?;
    }
    guard.write_index(&mut index, index_error)?;
    guard.finish()?;
    Ok((
        ours.into_iter().map(|c| c.path).collect(),
        kept.into_iter().map(|c| c.path.clone()).collect(),
    ))
}

/// Whether the work-tree `file` is in a state Rampart left it in (see the module's rule).
fn rampart_made(
    repo: &Repository,
    file: &Path,
    change: &Change,
    seen: Option<Oid>,
) -> Result<bool, GitError> {
    let read_error = |source| GitError::ReadWorktree {
        path: file.to_owned(),
        source,
    };
    let meta = match fs::symlink_metadata(file) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(read_error(e)),
    };
    if !meta.is_file() {
        // A link or directory where the commit has a file: replaced as a commit would.
        return Ok(true);
    }
    let bytes = fs::read(file).map_err(read_error)?;
    if bytes.is_empty() {
        return Ok(true);
    }
    let id = blob_id(&bytes);
    if [change.old_id, change.new_id, seen].contains(&Some(id)) {
        return Ok(true);
    }
    // Truncated: a beginning of what was, or was being, written.
    for blob in [change.old_id, change.new_id].into_iter().flatten() {
        if let Ok(blob) = repo.find_blob(blob)
            && blob.content().starts_with(&bytes)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An index entry for blob `id` whose stat data match no file.
fn unmatched_entry(path: &str, id: Oid) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: MODE_FILE as u32,
        uid: 0,
        gid: 0,
        file_size: 0,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// Removes the temporary files a killed run may have left beside `paths`.
fn sweep<'p>(repo: &Repository, paths: impl Iterator<Item = &'p str>) -> Result<(), GitError> {
    let Some(workdir) = repo.workdir() else {
        return Ok(());
    };
    let mut known = HashSet::new();
    for path in paths {
        let rel = Path::new(path);
        let parent = rel.parent().unwrap_or(Path::new(""));
        if !matches!(
            worktree::walk_dirs(workdir, parent, &mut known, false),
            Ok(true)
        ) {
            continue;
        }
        let file = workdir.join(rel);
        worktree::remove_temp(&file)
            .map_err(|source| GitError::ReadWorktree { path: file, source })?;
    }
    Ok(())
}

/// The regular files that differ between the trees of `from` (none: empty) and `to`.
fn changes_between(repo: &Repository, from: Option<Oid>, to: Oid) -> Result<Vec<Change>, GitError> {
    let tree_of = |id: Oid| {
        repo.find_commit(id)
            .and_then(|c| c.tree())
            .map_err(|source| GitError::ReadObject {
                id,
                path: String::new(),
                source,
            })
    };
    let old = from.map(tree_of).transpose()?;
    let new = tree_of(to)?;
    let diff = repo
        .diff_tree_to_tree(old.as_ref(), Some(&new), None)
        .map_err(|source| GitError::ReadObject {
            id: to,
            path: String::new(),
            source,
        })?;
    let blob = |file: git2::DiffFile<'_>| {
        matches!(
            file.mode(),
            git2::FileMode::Blob | git2::FileMode::BlobExecutable
        )
        .then(|| file.id())
    };
    let mut changes = Vec::new();
    for delta in diff.deltas() {
        let (old_id, new_id) = (blob(delta.old_file()), blob(delta.new_file()));
        let Some(path) = delta.new_file().path().or(delta.old_file().path()) else {
            continue;
        };
        let kind = match (old_id, new_id) {
            (None, None) => continue,
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Deleted,
            (Some(_), Some(_)) => ChangeKind::Modified,
        };
        changes.push(Change {
            path: path.to_string_lossy().into_owned(),
            kind,
            old_id,
            new_id,
        });
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::{prepare, publish};
    use crate::test_files::{files, request};
    use crate::update_record::{UpdateGuard, UpdateRecord};
    use crate::{CommitOutcome, commit_files, init_repository};
    use std::time::Duration;

    /// A repository at commit A (`specs/a.yaml`, `out/x`, `out/gone`), and the owned prefix.
    fn at_a() -> (tempfile::TempDir, Vec<String>) {
        let tmp = tempfile::tempdir().unwrap();
        init_repository(tmp.path()).unwrap();
        let owned = vec!["out/".to_owned()];
        let a = files(&[
            ("specs/a.yaml", "a1\n"),
            ("out/x", "x1\n"),
            ("out/gone", "g\n"),
        ]);
        commit_files(tmp.path(), &request(None, &a, &owned)).unwrap();
        (tmp, owned)
    }

    /// What `publish` does up to moving the branch to a commit of `to`, then the run dies:
    /// the record and the index lock stay, the work tree and index are not touched.
    fn killed_after_the_branch_moved(dir: &Path, to: &crate::FileSet, owned: &[String]) -> Oid {
        let repo = open(dir).unwrap();
        let prepared = prepare(&repo, &request(None, to, owned)).unwrap().unwrap();
        let record = UpdateRecord {
            refname: prepared.target.refname.clone(),
            commit: prepared.commit,
            update: Update::Commit {
                from: prepared.target.expected,
            },
            seen: crate::worktree::seen_before(&repo, &prepared.changes).unwrap(),
            lock: None,
        };
        let guard = UpdateGuard::begin(&repo, record).unwrap();
        repo.reference_matching(
            &prepared.target.refname,
            prepared.commit,
            true,
            prepared.target.expected.unwrap(),
            "test",
        )
        .unwrap();
        std::mem::forget(guard);
        prepared.commit
    }

    fn read(dir: &Path, rel: &str) -> Option<String> {
        fs::read_to_string(dir.join(rel)).ok()
    }

    /// The tree the index describes equals the commit's.
    fn index_matches(dir: &Path, commit: Oid) -> bool {
        let repo = open(dir).unwrap();
        let mut index = repo.index().unwrap();
        index.read(true).unwrap();
        let tree = index.write_tree().unwrap();
        tree == repo.find_commit(commit).unwrap().tree_id()
    }

    fn lock(dir: &Path) -> RepoLock {
        RepoLock::acquire(dir, "test", Duration::ZERO, |_| {}).unwrap()
    }

    #[test]
    fn a_run_killed_after_moving_the_branch_is_finished_by_the_next() {
        let (tmp, owned) = at_a();
        let dir = tmp.path();
        let b = files(&[
            ("specs/a.yaml", "a2\n"),
            ("out/x", "x2\n"),
            ("out/new", "n\n"),
        ]);
        let commit = killed_after_the_branch_moved(dir, &b, &owned);
        assert!(dir.join(".git/index.lock").exists());
        // Cut short, as a run writing in place left files.
        fs::write(dir.join("out/x"), "x").unwrap();
        fs::write(dir.join("out/.new.rampart-tmp"), "half").unwrap();
        assert!(!index_matches(dir, commit));

        // A commit before the update is finished is refused: its inputs were read from a
        // work tree that lags.
        let c = files(&[("specs/a.yaml", "a3\n")]);
        let err = commit_files(dir, &request(None, &c, &owned)).err();
        assert!(
            matches!(err, Some(GitError::InterruptedUpdate { commit: c, .. }) if c == commit),
            "{err:?}"
        );

        let held = lock(dir);
        let recovery = finish(dir, &held).unwrap().unwrap();
        assert_eq!(recovery.outcome, RecoveryOutcome::Finished);
        assert_eq!(recovery.commit, commit);
        assert_eq!(
            recovery.restored,
            ["out/gone", "out/new", "out/x", "specs/a.yaml"]
        );
        assert!(recovery.kept.is_empty());
        assert_eq!(
            recovery.removed_lock,
            Some(open(dir).unwrap().path().join("index.lock"))
        );
        assert_eq!(read(dir, "specs/a.yaml").as_deref(), Some("a2\n"));
        assert_eq!(read(dir, "out/x").as_deref(), Some("x2\n"));
        assert_eq!(read(dir, "out/new").as_deref(), Some("n\n"));
        assert_eq!(read(dir, "out/gone"), None);
        assert!(!dir.join("out/.new.rampart-tmp").exists());
        assert!(index_matches(dir, commit));
        assert!(!dir.join(".git/index.lock").exists());
        assert!(!dir.join(".git/rampart-update").exists());
        assert_eq!(finish(dir, &held).unwrap(), None, "done once");
        // And the next commit goes through.
        let outcome = commit_files(dir, &request(None, &c, &owned)).unwrap();
        assert!(matches!(outcome, CommitOutcome::Committed { .. }));
    }

    #[test]
    fn what_the_user_had_is_brought_to_the_commit_and_a_later_edit_is_kept() {
        let (tmp, owned) = at_a();
        let dir = tmp.path();
        // Uncommitted edits the run reads as input and commits (with a pin added).
        fs::write(dir.join("specs/a.yaml"), "a-user\n").unwrap();
        let b = files(&[
            ("specs/a.yaml", "a-user\npin: 2\n"),
            ("out/x", "x2\n"),
            ("out/gone", "g\n"),
        ]);
        let commit = killed_after_the_branch_moved(dir, &b, &owned);
        // After the kill, someone edits out/x.
        fs::write(dir.join("out/x"), "x-later\n").unwrap();

        let recovery = finish(dir, &lock(dir)).unwrap().unwrap();
        assert_eq!(recovery.restored, ["specs/a.yaml"]);
        assert_eq!(recovery.kept, ["out/x"]);
        assert_eq!(
            read(dir, "specs/a.yaml").as_deref(),
            Some("a-user\npin: 2\n")
        );
        assert_eq!(read(dir, "out/x").as_deref(), Some("x-later\n"));
        assert!(index_matches(dir, commit), "the index is the commit's");
        let repo = open(dir).unwrap();
        let status = repo.status_file(Path::new("out/x")).unwrap();
        assert_eq!(status, git2::Status::WT_MODIFIED);
    }

    #[test]
    fn a_run_killed_before_moving_the_branch_left_nothing_to_repair() {
        let (tmp, owned) = at_a();
        let dir = tmp.path();
        let repo = open(dir).unwrap();
        let b = files(&[("specs/a.yaml", "a2\n")]);
        let prepared = prepare(&repo, &request(None, &b, &owned)).unwrap().unwrap();
        let record = UpdateRecord {
            refname: prepared.target.refname.clone(),
            commit: prepared.commit,
            update: Update::Commit {
                from: prepared.target.expected,
            },
            seen: Vec::new(),
            lock: None,
        };
        std::mem::forget(UpdateGuard::begin(&repo, record).unwrap());
        let head = repo.refname_to_id("refs/heads/main").unwrap();
        // Killed while libgit2 held the branch's lock, the new commit written into it.
        let ref_lock = repo.path().join("refs/heads/main.lock");
        fs::write(&ref_lock, format!("{}\n", prepared.commit)).unwrap();

        let recovery = finish(dir, &lock(dir)).unwrap().unwrap();
        assert_eq!(recovery.outcome, RecoveryOutcome::NothingLagged);
        assert!(recovery.restored.is_empty());
        assert!(recovery.removed_lock.is_some());
        assert_eq!(recovery.removed_ref_lock, Some(ref_lock.clone()));
        assert!(!ref_lock.exists());
        assert_eq!(read(dir, "specs/a.yaml").as_deref(), Some("a1\n"));
        assert_eq!(repo.refname_to_id("refs/heads/main").unwrap(), head);
        assert!(index_matches(dir, head));
        // The prepared commit can still be published.
        publish(&repo, prepared, &b).unwrap();
        assert_eq!(read(dir, "specs/a.yaml").as_deref(), Some("a2\n"));
    }
}
