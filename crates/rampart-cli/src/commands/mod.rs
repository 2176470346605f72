//! The subcommands, and the one place where errors become exit codes.

mod audit;
mod backend;
mod check;
mod check_fix;
mod cluster_config;
mod failure;
mod import;
mod init;
mod netmap;
mod new;
mod probe;
mod remove;
mod render;
mod request_change;
mod retire;
mod rotate;
mod scan;
mod serve;
mod status;

use crate::cli::{Command, CommitArgs, LogFormat};
use crate::output::outln;
use rampart_deliver::Event;
use rampart_git::{GitError, RepoLock};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

pub(crate) use failure::bail;
pub use failure::{Failure, Result, report};

/// Exit code of `render --check` when generated files are out of date.
pub const EXIT_DRIFT: u8 = 1;
/// Exit code for invalid input (requests, environments, flags).
pub const EXIT_INVALID_INPUT: u8 = 2;

/// Runs one subcommand; `log_format` is how `probe` writes its lines.
pub fn run(command: Command, log_format: LogFormat) -> Result<ExitCode> {
    match command {
        Command::Init(args) => init::run(args),
        Command::New(args) => new::run(args),
        Command::Remove(args) => remove::run(args),
        Command::Import(args) => import::run(args),
        Command::Render(args) => render::run(args),
        Command::Plan(args) => render::plan(args),
        Command::Netmap(args) => netmap::run(args),
        Command::Scan(args) => Ok(scan::run(args)?),
        Command::Check(args) => Ok(check::run(args)?),
        Command::Audit(args) => Ok(audit::run(args)?),
        Command::Status(args) => status::run(args),
        Command::ClusterConfig(args) => cluster_config::run(args),
        Command::Rotate(args) => rotate::run(args),
        Command::Retire(args) => retire::run(args),
        Command::Backend(crate::cli::BackendCommand::Apply(args)) => backend::apply(args),
        Command::Serve(args) => serve::run(args),
        Command::Probe(args) => Ok(probe::run(args, log_format)),
    }
}

/// Prints what a commit or delivery did: the CLI's [`rampart_deliver::Reporter`].
pub fn print_event(event: Event<'_>) {
    let short = |id: rampart_git::Oid| id.to_string()[..10].to_owned();
    match event {
        Event::LocalCommitUnsigned => eprintln!(
            "warning: delivery.signing applies to delivered commits (--push, --pr) only; this local commit is not signed"
        ),
        Event::Restored { path } => outln!("restored {path}"),
        Event::UpToDate => {
            outln!("up to date: rendered output matches the branch, nothing committed")
        }
        Event::Committed {
            commit,
            branch,
            changes,
            touched,
        } => {
            outln!(
                "committed {} on {branch}: {changes} file(s) changed",
                short(commit)
            );
            print_list(touched);
        }
        Event::CombinedInputsInvalid { on } => eprintln!(
            "the inputs of {on} with your changes laid over them do not validate (lines refer to that combination):"
        ),
        Event::NothingToDeliver { onto } => {
            outln!("nothing to deliver: {onto} already holds what your inputs render")
        }
        Event::Retrying {
            remote,
            attempt,
            max_retries,
            lost: None,
        } => eprintln!(
            "{remote} moved while pushing; fetching and rendering again onto its new head (retry {attempt} of {max_retries})"
        ),
        Event::Retrying {
            remote,
            attempt,
            max_retries,
            lost: Some(commit),
        } => eprintln!(
            "{remote} no longer holds {commit}, pushed a moment ago: another writer replaced it (lost update); fetching and rendering again onto its new head (retry {attempt} of {max_retries})"
        ),
        Event::Pushed {
            commit,
            remote,
            branch,
            changes,
        } => outln!(
            "pushed {} to {remote}/{branch}: {changes} file(s) changed",
            short(commit)
        ),
        Event::AlreadyThere {
            commit,
            remote,
            branch,
        } => outln!(
            "{remote}/{branch} already holds this change at {}",
            short(commit)
        ),
        Event::ReplacedOtherRun {
            replaced,
            remote,
            branch,
        } => eprintln!(
            "{remote}/{branch} held {}, another rampart run's delivery of the same change (another clone or replica): replacing it with this run's",
            short(replaced)
        ),
        Event::PushedPlain { remote, branch } => {
            outln!("your checkout is unchanged: `git pull` to bring {remote}/{branch} into it")
        }
        Event::LocalBranchCheckedOut { remote, branch } => eprintln!(
            "note: {branch} is checked out in a work tree, so it was left as it is; `git pull` there to bring {remote}/{branch} in"
        ),
        Event::LocalBranchDiverged {
            remote,
            branch,
            local,
        } => eprintln!(
            "note: your local {branch} (at {}) holds commits {remote}/{branch} does not, so it was left as it is; the delivered commit is {remote}/{branch}",
            short(local)
        ),
        Event::PushedForMerge { branch, base } => outln!(
            "your checkout is unchanged; merge {branch} into {base} (e.g. through a pull request, or deliver with --pr)"
        ),
        Event::PullRequest {
            opened,
            number,
            url,
        } => {
            let action = if opened { "opened" } else { "updated" };
            outln!("{action} pull request #{number}: {url}");
        }
    }
}

/// Prints at most 20 entries of a long list, then how many more there are.
fn print_list(items: &BTreeSet<String>) {
    const SHOWN: usize = 20;
    for item in items.iter().take(SHOWN) {
        outln!("  {item}");
    }
    if items.len() > SHOWN {
        outln!("  … and {} more", items.len() - SHOWN);
    }
}

/// Takes the repository lock for a run that writes (see [`RepoLock`]), saying on stderr
/// whom it waits for. `None` when `repo` is no git repository: the command then fails with
/// its own message when it reads the repository.
pub fn lock_repository(repo: &Path, purpose: &str, args: &CommitArgs) -> Result<Option<RepoLock>> {
    let wait = Duration::from_secs(args.lock_timeout);
    let waiting = |holder: &rampart_git::LockHolder| {
        eprintln!(
            "waiting for another rampart run to finish ({holder}); at most {}s (--lock-timeout)",
            args.lock_timeout
        )
    };
    let lock = match RepoLock::acquire(repo, purpose, wait, waiting) {
        Ok(lock) => lock,
        Err(GitError::Open { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    finish_interrupted(repo, &lock)?;
    Ok(Some(lock))
}

/// How long a command that only reads waits for the repository lock, when it finds a
/// work-tree update to finish first.
const READ_LOCK_WAIT: Duration = Duration::from_secs(120);

/// For commands that read the work tree without committing (`plan`, `render --check`,
/// `netmap`, `cluster-config`): finishes a work-tree update a killed run left behind, so
/// they read what the branch holds. Takes the repository lock only when there is one.
pub fn finish_interrupted_unlocked(repo: &Path) -> Result<()> {
    if !rampart_git::update_interrupted(repo) {
        return Ok(());
    }
    let waiting = |holder: &rampart_git::LockHolder| {
        eprintln!("waiting for another rampart run to finish ({holder})")
    };
    let lock = RepoLock::acquire(
        repo,
        "rampart (finishing an interrupted update)",
        READ_LOCK_WAIT,
        waiting,
    )?;
    finish_interrupted(repo, &lock)
}

/// Finishes a work-tree update a killed run left behind (see
/// [`rampart_git::finish_interrupted_update`]) and says what it did on stderr.
fn finish_interrupted(repo: &Path, lock: &RepoLock) -> Result<()> {
    let Some(recovery) = rampart_git::finish_interrupted_update(repo, lock)? else {
        return Ok(());
    };
    let short = &recovery.commit.to_string()[..10];
    let branch = recovery
        .refname
        .strip_prefix("refs/heads/")
        .unwrap_or(&recovery.refname);
    if let Some(lock) = &recovery.removed_lock {
        eprintln!(
            "removed {}: the index lock of a rampart run that was killed while holding it",
            lock.display()
        );
    }
    if let Some(lock) = &recovery.removed_ref_lock {
        eprintln!(
            "removed {}: the branch lock of a rampart run that was killed while holding it",
            lock.display()
        );
    }
    match recovery.outcome {
        rampart_git::RecoveryOutcome::Finished => {
            eprintln!(
                "repaired the work tree and index: a rampart run stopped (killed, or failed) after committing {short} on {branch}; {} file(s) brought up to that commit",
                recovery.restored.len()
            );
            for path in &recovery.kept {
                eprintln!(
                    "  kept {}: changed since that run, so left as it is (an uncommitted change: `git diff -- {path}`)",
                    rampart_deliver::inputs::display(repo, path)
                );
            }
        }
        rampart_git::RecoveryOutcome::NothingLagged => {}
        rampart_git::RecoveryOutcome::Superseded => eprintln!(
            "note: a rampart run was killed while updating the work tree to {short} on {branch}, which has moved (or is no longer checked out) since; the work tree was left as it is: see `git status`"
        ),
    }
    Ok(())
}
