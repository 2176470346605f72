//! Building commits from an in-memory tree and publishing them atomically.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{Branch, ErrorCode, Oid, Repository, Signature};

use crate::content::{FileContent, NewBlob};
use crate::guard;
use crate::objects::{ObjectWriter, PACK_THRESHOLD};
use crate::plan::{self, Plan};
use crate::repo::open;
use crate::signing::Signer;
use crate::tree::{Dir, MODE_FILE};
use crate::update_record::{Update, UpdateGuard, UpdateRecord};
use crate::{Author, Change, CommitOutcome, CommitRequest, GitError, Message, paths, worktree};
use rayon::prelude::*;

/// Name and e-mail used when neither the request nor the configuration has one.
const DEFAULT_NAME: &str = "Rampart";
/// See [`DEFAULT_NAME`].
const DEFAULT_EMAIL: &str = "rampart@localhost";

/// The branch a commit goes to and what it builds on, as read at the start.
pub(crate) struct Target {
    /// Full reference name, e.g. `refs/heads/main`.
    pub refname: String,
    /// Current tip of the branch; `None` if the branch does not exist yet.
    pub expected: Option<Oid>,
    /// Commit the new commit builds on: the branch tip, or for a branch that
    /// does not exist yet, the `HEAD` commit (if any).
    pub parent: Option<Oid>,
    /// Whether the branch is the one checked out in the (non-bare) work tree.
    pub checked_out: bool,
}

/// The commit a reference currently points at, `None` if it does not exist or is unborn.
pub(crate) fn commit_of(repo: &Repository, refname: &str) -> Result<Option<Oid>, GitError> {
    let read_error = |source| GitError::ReadRef {
        refname: refname.to_owned(),
        source,
    };
    let reference = match repo.find_reference(refname) {
        Ok(reference) => reference,
        Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::UnbornBranch) => {
            return Ok(None);
        }
        Err(e) => return Err(read_error(e)),
    };
    let resolved = match reference.resolve() {
        Ok(resolved) => resolved,
        Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::UnbornBranch) => {
            return Ok(None);
        }
        Err(e) => return Err(read_error(e)),
    };
    let commit = resolved.peel_to_commit().map_err(read_error)?;
    Ok(Some(commit.id()))
}

/// Works out which branch `branch` (or `HEAD`'s branch) means and where it is now.
pub(crate) fn resolve_target(repo: &Repository, branch: Option<&str>) -> Result<Target, GitError> {
    let head = repo
        .find_reference("HEAD")
        .map_err(|source| GitError::ReadRef {
            refname: "HEAD".to_owned(),
            source,
        })?;
    let head_branch = head
        .symbolic_target_bytes()
        .map(|name| String::from_utf8_lossy(name).into_owned());
    let refname = match branch {
        Some(name) => {
            if !Branch::name_is_valid(name).unwrap_or(false) {
                return Err(GitError::InvalidBranch {
                    branch: name.to_owned(),
                });
            }
            format!("refs/heads/{name}")
        }
        None => head_branch.clone().ok_or_else(|| GitError::DetachedHead {
            path: repo.path().to_owned(),
        })?,
    };
    let checked_out = !repo.is_bare() && head_branch.as_deref() == Some(refname.as_str());
    let expected = commit_of(repo, &refname)?;
    let parent = match expected {
        Some(tip) => Some(tip),
        None if checked_out => None,
        None => commit_of(repo, "HEAD")?,
    };
    Ok(Target {
        refname,
        expected,
        parent,
        checked_out,
    })
}

/// The editable tree of `parent` (empty for none) and its id.
pub(crate) fn base_tree(
    repo: &Repository,
    parent: Option<Oid>,
) -> Result<(Dir, Option<Oid>), GitError> {
    let Some(parent) = parent else {
        return Ok((Dir::empty(), None));
    };
    let commit = repo
        .find_commit(parent)
        .map_err(|source| GitError::ReadObject {
            id: parent,
            path: String::new(),
            source,
        })?;
    let tree_id = commit.tree_id();
    Ok((Dir::stored(tree_id), Some(tree_id)))
}

/// Validates the request's paths, prefixes and branch; reads the target and
/// compares its tree with the request. Nothing is written.
pub(crate) fn plan_changes<C: FileContent>(
    repo_dir: &Path,
    branch: Option<&str>,
    files: &BTreeMap<String, C>,
    owned_prefixes: &[String],
) -> Result<Vec<Change>, GitError> {
    paths::validate_files(files)?;
    let prefixes = paths::normalize_prefixes(owned_prefixes)?;
    let repo = open(repo_dir)?;
    let target = resolve_target(&repo, branch)?;
    let (mut base, _) = base_tree(&repo, target.parent)?;
    let plan = plan::plan(&repo, &mut base, files, &prefixes)?;
    Ok(plan::changes(&plan))
}

/// A commit object that has been written but not yet referenced.
pub(crate) struct Prepared {
    /// Where it goes, as read before building it.
    pub target: Target,
    /// The new commit.
    pub commit: Oid,
    /// What it changes relative to its parent, in path order.
    pub changes: Vec<Change>,
    /// Its message (the reflog entry quotes the first line).
    pub message: String,
}

/// Validates the request, reads the target branch and writes the objects of
/// the new commit, without referencing them. `None`: nothing would change.
pub(crate) fn prepare<C: FileContent>(
    repo: &Repository,
    req: &CommitRequest<'_, C>,
) -> Result<Option<Prepared>, GitError> {
    paths::validate_files(req.files)?;
    let prefixes = paths::normalize_prefixes(req.owned_prefixes)?;
    let author = signature(repo, req.author)?;
    let target = resolve_target(repo, req.branch)?;
    if let Some(read) = req.read_at
        && (read.refname != target.refname || read.commit != target.expected)
    {
        return Err(GitError::MovedSinceRead {
            refname: target.refname,
            read: read.commit,
            now: target.expected,
        });
    }
    if target.checked_out
        && let Some(workdir) = repo.workdir()
    {
        // A link where the work tree gets a directory is refused before anything is
        // committed, even if this commit changes nothing below it: the work-tree check
        // after the commit would meet it.
        worktree::check_dirs(workdir, req.files.keys().map(String::as_str), None)?;
    }
    let (mut tree, base_id) = base_tree(repo, target.parent)?;
    let plan = plan::plan(repo, &mut tree, req.files, &prefixes)?;
    let meta = CommitMeta {
        author: &author,
        message: &req.message,
        parent: target.parent,
        signer: None,
    };
    let Some((commit, changes, message)) = write_planned(repo, &mut tree, base_id, &plan, &meta)?
    else {
        return Ok(None);
    };
    Ok(Some(Prepared {
        target,
        commit,
        changes,
        message,
    }))
}

/// Who and what a new commit records, and how it is signed.
pub(crate) struct CommitMeta<'a> {
    /// Author and committer.
    pub author: &'a Signature<'a>,
    /// Message, possibly written from the changes.
    pub message: &'a Message<'a>,
    /// Parent commit; `None` for a root commit.
    pub parent: Option<Oid>,
    /// Signs the commit when set.
    pub signer: Option<&'a Signer>,
}

/// Scans the planned files with the secret guard, then writes their blobs, the edited
/// `tree` (read from `base_id`) and a commit on `parent`, without referencing it.
/// `None`: the plan changes nothing.
pub(crate) fn write_planned(
    repo: &Repository,
    tree: &mut Dir,
    base_id: Option<Oid>,
    plan: &Plan<'_>,
    meta: &CommitMeta<'_>,
) -> Result<Option<(Oid, Vec<Change>, String)>, GitError> {
    if plan.is_empty() {
        return Ok(None);
    }
    // The guard sees every added or changed file before any object is written.
    let findings = scan_planned(repo, plan)?;
    if !findings.is_empty() {
        return Err(GitError::SecretsFound { findings });
    }

    let upserts = plan.values().filter(|p| p.new.is_some()).count();
    let pack = upserts >= PACK_THRESHOLD;
    let mut writer = ObjectWriter::new(repo, pack, upserts)?;
    for (path, planned) in plan {
        if planned.new.is_none() {
            tree.remove(repo, "", path)?;
        }
    }
    for (path, planned) in plan {
        if let Some(blob) = planned.new {
            let id = writer.write_blob(blob, path)?;
            tree.upsert(repo, "", path, id, MODE_FILE)?;
        }
    }
    let tree_id = tree.write_root(&mut writer)?;
    if Some(tree_id) == base_id {
        return Ok(None);
    }
    writer.finish()?;
    let changes = plan::changes(plan);
    let message = meta.message.text(&changes);
    let commit = write_commit(repo, meta, &message, tree_id)?;
    Ok(Some((commit, changes, message)))
}

/// What the secret guard finds in the added and changed files of `plan`: those held in
/// memory scanned in parallel (unless scanned clean as they were made), those only in the
/// object database read one by one.
fn scan_planned<'f>(
    repo: &Repository,
    plan: &'f Plan<'f>,
) -> Result<Vec<guard::Finding>, GitError> {
    fn new<'f>(
        (path, planned): (&'f std::borrow::Cow<'f, str>, &'f plan::Planned<'f>),
    ) -> Option<(&'f str, NewBlob<'f>)> {
        Some((path, planned.new?))
    }
    let mut findings: Vec<_> = plan
        .par_iter()
        .filter_map(new)
        .filter(|(_, blob)| blob.content.held() && !blob.content.guarded())
        .map(|(path, blob)| match blob.content.held_bytes() {
            Some(Ok(bytes)) => Ok(guard::scan_file(path, &bytes)),
            Some(Err(source)) => Err(GitError::Spool {
                path: path.to_owned(),
                source,
            }),
            None => Ok(Vec::new()),
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    for (path, blob) in plan.iter().filter_map(new) {
        if !blob.content.held() {
            findings.extend(guard::scan_file(path, &blob.content.read(repo, path)?));
        }
    }
    Ok(findings)
}

/// Writes a commit object (not referenced by anything).
fn write_commit(
    repo: &Repository,
    meta: &CommitMeta<'_>,
    message: &str,
    tree_id: Oid,
) -> Result<Oid, GitError> {
    let author = meta.author;
    let commit_error = |source| GitError::WriteObject {
        path: String::new(),
        source,
    };
    let tree = repo.find_tree(tree_id).map_err(commit_error)?;
    let parent = match meta.parent {
        Some(id) => Some(repo.find_commit(id).map_err(commit_error)?),
        None => None,
    };
    let parents: Vec<_> = parent.iter().collect();
    let Some(signer) = meta.signer else {
        return repo
            .commit(None, author, author, message, &tree, &parents)
            .map_err(commit_error);
    };
    let buffer = repo
        .commit_create_buffer(author, author, message, &tree, &parents)
        .map_err(commit_error)?;
    let signature = signer.sign(&buffer)?;
    let content = std::str::from_utf8(&buffer).map_err(|_| GitError::Signing {
        program: "rampart",
        reason: "the commit is not UTF-8".to_owned(),
    })?;
    repo.commit_signed(content, &signature, None)
        .map_err(commit_error)
}

/// Moves the branch to the prepared commit if it is still where it was read,
/// then brings the work tree and index up to date if it is checked out.
/// `files` is the request's content, which the work tree gets.
pub(crate) fn publish<C: FileContent>(
    repo: &Repository,
    prepared: Prepared,
    files: &BTreeMap<String, C>,
) -> Result<CommitOutcome, GitError> {
    let Prepared {
        target,
        commit,
        changes,
        message,
    } = prepared;
    let summary = message.lines().next().unwrap_or_default();
    let log_message = match target.parent {
        Some(_) => format!("commit: {summary}"),
        None => format!("commit (initial): {summary}"),
    };
    // Before the branch moves: no link or file in the way of the work tree's update, git's
    // index lock taken, and the update recorded for the next run should this one be killed.
    let guard = match repo.workdir() {
        Some(workdir) if target.checked_out => {
            worktree::check_dirs_of(workdir, &changes)?;
            let record = UpdateRecord {
                refname: target.refname.clone(),
                commit,
                update: Update::Commit {
                    from: target.expected,
                },
                seen: worktree::seen_before(repo, &changes)?,
                lock: None,
            };
            Some(UpdateGuard::begin(repo, record)?)
        }
        _ => None,
    };
    let update = match target.expected {
        Some(old) => repo.reference_matching(&target.refname, commit, true, old, &log_message),
        None => repo.reference(&target.refname, commit, false, &log_message),
    };
    if let Err(source) = update {
        if let Some(guard) = guard {
            guard.abandon();
        }
        return Err(match source.code() {
            ErrorCode::Modified | ErrorCode::Exists | ErrorCode::NotFound | ErrorCode::Locked => {
                GitError::ConcurrentUpdate {
                    refname: target.refname,
                    expected: target.expected,
                    source,
                }
            }
            _ => GitError::UpdateRef {
                refname: target.refname,
                source,
            },
        });
    }
    if let Some(guard) = guard {
        worktree::sync(repo, &guard, commit, &target.refname, &changes, files)?;
        guard.finish()?;
    }
    let branch = target
        .refname
        .strip_prefix("refs/heads/")
        .unwrap_or(&target.refname)
        .to_owned();
    Ok(CommitOutcome::Committed {
        commit,
        branch,
        changes,
    })
}

/// See [`crate::commit_files`].
pub(crate) fn commit_files<C: FileContent>(
    repo_dir: &Path,
    req: &CommitRequest<'_, C>,
) -> Result<CommitOutcome, GitError> {
    let repo = open(repo_dir)?;
    match prepare(&repo, req)? {
        None => Ok(CommitOutcome::Unchanged),
        Some(prepared) => publish(&repo, prepared, req.files),
    }
}

/// The author (and committer) of a new commit.
pub(crate) fn signature(
    repo: &Repository,
    author: Option<&Author>,
) -> Result<Signature<'static>, GitError> {
    let (name, email) = match author {
        Some(author) => (author.name.clone(), author.email.clone()),
        None => {
            let config = repo.config().map_err(|source| GitError::Config {
                path: repo.path().to_owned(),
                source,
            })?;
            let get = |key: &str, default: &str| {
                config
                    .get_string(key)
                    .ok()
                    .filter(|value| !value.trim().is_empty())
                    .unwrap_or_else(|| default.to_owned())
            };
            (
                get("user.name", DEFAULT_NAME),
                get("user.email", DEFAULT_EMAIL),
            )
        }
    };
    Signature::now(&name, &email).map_err(|source| GitError::InvalidAuthor {
        name,
        email,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init_repository;
    use crate::test_files::files;

    fn request<'a>(branch: Option<&'a str>, files: &'a crate::FileSet) -> CommitRequest<'a> {
        crate::test_files::request(branch, files, &[])
    }

    fn setup() -> Result<(tempfile::TempDir, Repository), GitError> {
        let tmp = tempfile::TempDir::new().map_err(|source| GitError::ReadWorktree {
            path: std::env::temp_dir(),
            source,
        })?;
        init_repository(tmp.path())?;
        let repo = open(tmp.path())?;
        Ok((tmp, repo))
    }

    #[test]
    fn branch_moved_behind_our_back_is_not_clobbered() -> Result<(), GitError> {
        let (tmp, repo) = setup()?;
        commit_files(tmp.path(), &request(None, &files(&[("a", "1")])))?;

        let ours = files(&[("a", "ours")]);
        let prepared =
            prepare(&repo, &request(None, &ours))?.ok_or_else(|| GitError::InvalidBranch {
                branch: "expected a prepared commit".into(),
            })?;
        // Someone else commits while ours is being built.
        let theirs = commit_files(tmp.path(), &request(None, &files(&[("a", "theirs")])))?;
        let CommitOutcome::Committed {
            commit: their_commit,
            ..
        } = theirs
        else {
            panic!("expected their commit");
        };

        let err = publish(&repo, prepared, &ours).err();
        assert!(
            matches!(err, Some(GitError::ConcurrentUpdate { ref refname, .. }) if refname == "refs/heads/main"),
            "{err:?}"
        );
        assert_eq!(
            repo.refname_to_id("refs/heads/main").ok(),
            Some(their_commit)
        );
        assert_eq!(
            std::fs::read(tmp.path().join("a")).ok().as_deref(),
            Some(&b"theirs"[..])
        );
        Ok(())
    }

    #[test]
    fn inputs_read_before_another_commit_are_not_committed_over_it() -> Result<(), GitError> {
        let (tmp, repo) = setup()?;
        commit_files(tmp.path(), &request(None, &files(&[("a", "1")])))?;
        let read_at = crate::branch_tip(tmp.path(), None)?;
        // Another run commits `b` after ours read its inputs (which have no `b`).
        commit_files(tmp.path(), &request(None, &files(&[("b", "2")])))?;
        let theirs = repo.refname_to_id("refs/heads/main").ok();

        let ours = files(&[("a", "ours")]);
        let mut req = request(None, &ours);
        req.read_at = Some(&read_at);
        let err = commit_files(tmp.path(), &req).err();
        assert!(
            matches!(&err, Some(GitError::MovedSinceRead { read, now, .. })
                if *read == read_at.commit && *now == theirs),
            "{err:?}"
        );
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with(
                "refs/heads/main was changed by someone else after rampart read its inputs"
            ),
            "{message}"
        );
        assert_eq!(repo.refname_to_id("refs/heads/main").ok(), theirs);
        assert!(tmp.path().join("b").is_file(), "their file stays");
        Ok(())
    }

    #[test]
    fn branch_created_behind_our_back_is_not_clobbered() -> Result<(), GitError> {
        let (tmp, repo) = setup()?;
        let ours = files(&[("x", "ours")]);
        let prepared = prepare(&repo, &request(Some("feature"), &ours))?.ok_or_else(|| {
            GitError::InvalidBranch {
                branch: "expected a prepared commit".into(),
            }
        })?;
        assert_eq!(prepared.target.expected, None);
        commit_files(
            tmp.path(),
            &request(Some("feature"), &files(&[("x", "theirs")])),
        )?;
        let their_tip = repo.refname_to_id("refs/heads/feature").ok();

        let err = publish(&repo, prepared, &ours).err();
        assert!(
            matches!(err, Some(GitError::ConcurrentUpdate { expected: None, .. })),
            "{err:?}"
        );
        assert_eq!(repo.refname_to_id("refs/heads/feature").ok(), their_tip);
        Ok(())
    }

    #[test]
    fn unborn_branch_born_behind_our_back_is_not_clobbered() -> Result<(), GitError> {
        let (tmp, repo) = setup()?;
        let ours = files(&[("x", "ours")]);
        let prepared =
            prepare(&repo, &request(None, &ours))?.ok_or_else(|| GitError::InvalidBranch {
                branch: "expected a prepared commit".into(),
            })?;
        commit_files(tmp.path(), &request(None, &files(&[("x", "theirs")])))?;
        let err = publish(&repo, prepared, &ours).err();
        assert!(
            matches!(err, Some(GitError::ConcurrentUpdate { .. })),
            "{err:?}"
        );
        assert_eq!(
            std::fs::read(tmp.path().join("x")).ok().as_deref(),
            Some(&b"theirs"[..])
        );
        Ok(())
    }
}
