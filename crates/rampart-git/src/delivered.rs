//! What Rampart remembers about its own branches: the commit it last pushed to each
//! remote branch, and the local copy of that branch, which it moves only when no one
//! else's work would be lost.

use std::path::Path;

use git2::{Oid, Repository};

use crate::GitError;
use crate::commit::commit_of;
use crate::repo::open;

/// Where the last commit Rampart pushed to `remote`'s `branch` is recorded
/// (`refs/rampart/delivered/<remote>/<branch>`, shared by all work trees).
fn record_ref(remote: &str, branch: &str) -> String {
    format!("refs/rampart/delivered/{remote}/{branch}")
}

/// The commit Rampart last pushed to `branch` on `remote` from this repository, if any.
pub fn delivered_tip(repo_dir: &Path, remote: &str, branch: &str) -> Result<Option<Oid>, GitError> {
    let repo = open(repo_dir)?;
    commit_of(&repo, &record_ref(remote, branch))
}

/// Records that `branch` on `remote` now holds `commit`, pushed by Rampart.
pub fn record_delivered(
    repo_dir: &Path,
    remote: &str,
    branch: &str,
    commit: Oid,
) -> Result<(), GitError> {
    let repo = open(repo_dir)?;
    let refname = record_ref(remote, branch);
    repo.reference(&refname, commit, true, "rampart: delivered")
        .map_err(|source| GitError::UpdateRef { refname, source })?;
    Ok(())
}

/// What [`update_local_branch`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalBranch {
    /// The branch did not exist and now points at the commit.
    Created,
    /// The branch was at the previous remote tip or an ancestor of the commit, and moved.
    Moved,
    /// The branch already pointed at the commit.
    Unchanged,
    /// The branch is checked out in a work tree: left alone.
    CheckedOut,
    /// The branch holds something else (e.g. a local commit not pushed): left alone.
    Diverged {
        /// Where the local branch is.
        local: Oid,
    },
}

/// Points the local branch `branch` at `commit` when that loses nothing: when it does not
/// exist, is at `previous` (the remote tip before the push) or at an ancestor of
/// `commit`. A branch checked out in any work tree, or holding other commits, is left
/// alone. The update is a compare-and-swap on the value read.
pub fn update_local_branch(
    repo_dir: &Path,
    branch: &str,
    commit: Oid,
    previous: Option<Oid>,
) -> Result<LocalBranch, GitError> {
    if !git2::Branch::name_is_valid(branch).unwrap_or(false) {
        return Err(GitError::InvalidBranch {
            branch: branch.to_owned(),
        });
    }
    let repo = open(repo_dir)?;
    let refname = format!("refs/heads/{branch}");
    if checked_out(&repo, &refname) {
        return Ok(LocalBranch::CheckedOut);
    }
    let update_error = |source| GitError::UpdateRef {
        refname: refname.clone(),
        source,
    };
    match commit_of(&repo, &refname)? {
        None => {
            repo.reference(&refname, commit, false, "rampart: delivered")
                .map_err(update_error)?;
            Ok(LocalBranch::Created)
        }
        Some(local) if local == commit => Ok(LocalBranch::Unchanged),
        Some(local)
            if Some(local) == previous
                || repo.graph_descendant_of(commit, local).unwrap_or(false) =>
        {
            repo.reference_matching(&refname, commit, true, local, "rampart: delivered")
                .map_err(update_error)?;
            Ok(LocalBranch::Moved)
        }
        Some(local) => Ok(LocalBranch::Diverged { local }),
    }
}

/// Whether `refname` is the checked-out branch of the main work tree or of any linked one.
fn checked_out(repo: &Repository, refname: &str) -> bool {
    let common = repo.commondir();
    let mut heads = vec![common.join("HEAD"), repo.path().join("HEAD")];
    if let Ok(entries) = std::fs::read_dir(common.join("worktrees")) {
        heads.extend(entries.flatten().map(|e| e.path().join("HEAD")));
    }
    heads.iter().any(|head| {
        std::fs::read_to_string(head)
            .is_ok_and(|text| text.trim().strip_prefix("ref: ") == Some(refname))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn git(dir: &Path, args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
        let out = Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()?;
        if !out.status.success() {
            return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn commit(dir: &Path, name: &str) -> Result<Oid, Box<dyn std::error::Error>> {
        std::fs::write(dir.join(name), name)?;
        git(dir, &["add", name])?;
        git(dir, &["commit", "-q", "-m", name])?;
        Ok(Oid::from_str(&git(dir, &["rev-parse", "HEAD"])?)?)
    }

    #[test]
    fn the_local_branch_moves_only_when_nothing_is_lost() -> TestResult {
        let tmp = tempfile::TempDir::new()?;
        let dir = tmp.path().join("r");
        std::fs::create_dir(&dir)?;
        git(&dir, &["init", "-q", "-b", "main"])?;
        let base = commit(&dir, "a")?;
        let pushed = commit(&dir, "b")?;
        git(&dir, &["reset", "-q", "--hard", &base.to_string()])?;
        let replacement = commit(&dir, "c")?;
        git(&dir, &["reset", "-q", "--hard", &base.to_string()])?;

        let update = |commit, previous| update_local_branch(&dir, "rampart/x", commit, previous);
        assert_eq!(update(pushed, None)?, LocalBranch::Created);
        assert_eq!(update(pushed, Some(pushed))?, LocalBranch::Unchanged);
        // Rampart replaced its commit on the remote: the local copy was at the old tip.
        assert_eq!(update(replacement, Some(pushed))?, LocalBranch::Moved);
        // An ancestor of the new commit moves forward.
        git(&dir, &["branch", "-f", "rampart/x", &base.to_string()])?;
        assert_eq!(update(replacement, None)?, LocalBranch::Moved);

        // A local commit the user made on the branch is kept.
        git(&dir, &["checkout", "-q", "rampart/x"])?;
        let mine = commit(&dir, "mine")?;
        git(&dir, &["checkout", "-q", "main"])?;
        assert_eq!(
            update(pushed, Some(replacement))?,
            LocalBranch::Diverged { local: mine }
        );
        assert_eq!(git(&dir, &["rev-parse", "rampart/x"])?, mine.to_string());

        // A branch checked out here or in another work tree is left alone.
        git(
            &dir,
            &["branch", "-f", "rampart/x", &replacement.to_string()],
        )?;
        git(
            &dir,
            &[
                "worktree",
                "add",
                "-q",
                &tmp.path().join("wt").display().to_string(),
                "rampart/x",
            ],
        )?;
        assert_eq!(update(pushed, Some(replacement))?, LocalBranch::CheckedOut);
        assert_eq!(
            update_local_branch(
                &tmp.path().join("wt"),
                "rampart/x",
                pushed,
                Some(replacement)
            )?,
            LocalBranch::CheckedOut
        );
        git(&dir, &["checkout", "-q", "-b", "work"])?;
        assert_eq!(
            update_local_branch(&dir, "work", pushed, None)?,
            LocalBranch::CheckedOut
        );
        assert_eq!(
            git(&dir, &["rev-parse", "rampart/x"])?,
            replacement.to_string()
        );
        Ok(())
    }

    #[test]
    fn delivered_tips_are_recorded_per_remote_and_branch() -> TestResult {
        let tmp = tempfile::TempDir::new()?;
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"])?;
        let first = commit(dir, "a")?;
        assert_eq!(delivered_tip(dir, "origin", "rampart/x")?, None);
        record_delivered(dir, "origin", "rampart/x", first)?;
        assert_eq!(delivered_tip(dir, "origin", "rampart/x")?, Some(first));
        assert_eq!(delivered_tip(dir, "upstream", "rampart/x")?, None);
        Ok(())
    }
}
