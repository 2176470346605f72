//! `rampart serve`: the rotation service (see [`rampart_serve`]).

use crate::cli::ServeArgs;
use anyhow::Result;
use rampart_serve::{ServeOptions, Source, Timing};
use std::process::ExitCode;

pub(super) fn run(args: ServeArgs) -> Result<ExitCode> {
    let duration =
        |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let repo = match (&args.clone, &args.workdir) {
        (Some(url), Some(workdir)) => rampart_serve::prepare_clone(url, workdir)?,
        _ => args.repo.repo,
    };
    rampart_serve::run(ServeOptions {
        source: Source {
            repo,
            blueprints: args.repo.blueprints,
            lock_timeout: args.lock_timeout,
            concurrency: usize::from(args.concurrency),
        },
        listen: args.listen,
        refresh_interval: args.refresh_interval,
        timing: Timing {
            jitter: duration(args.jitter),
            follow_interval: duration(args.follow_interval),
            retry_interval: duration(args.retry_interval),
        },
        standby_retry: args.standby_retry,
        grace: args.grace,
    })?;
    Ok(ExitCode::SUCCESS)
}
