//! The subcommands, and the one place where errors become exit codes.

mod audit;
mod check;
mod cluster_config;
mod init;
mod new;
pub(crate) mod render;
mod rotate;
mod scan;

use crate::cli::{Command, CommitArgs};
use anyhow::{Result, bail};
use rampart_git::{Author, GitError, RepoLock};
use rampart_model::{Diagnostics, RepoConfig};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code of `render --check` when generated files are out of date.
pub const EXIT_DRIFT: u8 = 1;
/// Exit code for invalid input (requests, environments, flags).
pub const EXIT_INVALID_INPUT: u8 = 2;

/// Runs one subcommand.
pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Init(args) => init::run(args),
        Command::New(args) => new::run(args),
        Command::Render(args) => render::run(args),
        Command::Plan(args) => render::plan(args),
        Command::Scan(args) => scan::run(args),
        Command::Check(args) => check::run(args),
        Command::Audit(args) => audit::run(args),
        Command::ClusterConfig(args) => cluster_config::run(args),
        Command::Rotate(args) => rotate::run(args),
    }
}

/// Prints `error` and returns its exit code: 2 for input the user must fix, 1 otherwise.
pub fn report(error: &anyhow::Error) -> ExitCode {
    if let Some(d) = error.downcast_ref::<Diagnostics>() {
        eprintln!("{d}");
        let n = d.0.len();
        eprintln!(
            "\nrefused: {n} problem{} found; nothing was written",
            if n == 1 { "" } else { "s" }
        );
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    if let Some(refused) = error.downcast_ref::<crate::no_follow::RefusedInput>() {
        eprintln!("{refused}\n\nrefused: nothing was written");
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    if let Some(invalid) = error.downcast_ref::<crate::delivery::InvalidSettings>() {
        eprintln!("error: {invalid}\nrefused: nothing was committed or pushed");
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    if let Some(rampart_git::GitError::SecretsFound { findings }) = error.downcast_ref() {
        for finding in findings {
            eprintln!("{finding}");
        }
        eprintln!(
            "\nrefused: {} secret(s) would have been committed; nothing was written",
            findings.len()
        );
        return ExitCode::FAILURE;
    }
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    eprintln!("nothing was committed");
    ExitCode::FAILURE
}

/// The commit author: the flag, then rampart.yaml, then git's own configuration.
pub fn author(args: &CommitArgs, config: Option<&RepoConfig>) -> Result<Option<Author>> {
    if let Some(spec) = &args.author {
        let Some((name, rest)) = spec.split_once('<') else {
            bail!("--author `{spec}` is not \"Name <email>\"");
        };
        let Some(email) = rest.strip_suffix('>') else {
            bail!("--author `{spec}` is not \"Name <email>\"");
        };
        return Ok(Some(Author {
            name: name.trim().to_string(),
            email: email.trim().to_string(),
        }));
    }
    let git = config.map(|c| &c.git);
    Ok(
        match (
            git.and_then(|g| g.author_name.clone()),
            git.and_then(|g| g.author_email.clone()),
        ) {
            (Some(name), Some(email)) => Some(Author { name, email }),
            _ => None,
        },
    )
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
    match RepoLock::acquire(repo, purpose, wait, waiting) {
        Ok(lock) => Ok(Some(lock)),
        Err(GitError::Open { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
