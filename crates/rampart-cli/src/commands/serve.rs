//! `rampart serve`: the rotation service (see [`rampart_serve`]).

use super::Result;
use crate::cli::ServeArgs;
use rampart_serve::watch::WatchSettings;
use rampart_serve::{LeaseSettings, ServeOptions, Source, Timing};
use std::process::ExitCode;

pub(super) fn run(args: ServeArgs) -> Result<ExitCode> {
    let duration =
        |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let lease = match &args.lease {
        None => None,
        Some(text) => {
            let Some((namespace, name)) = text
                .split_once('/')
                .filter(|(ns, n)| !ns.is_empty() && !n.is_empty())
            else {
                eprintln!(
                    "error: --lease `{text}`: expected NAMESPACE/NAME, e.g. rampart-system/rampart-serve"
                );
                return Ok(ExitCode::from(super::EXIT_INVALID_INPUT));
            };
            Some(LeaseSettings {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                duration: args.lease_duration,
            })
        }
    };
    let repo = match (&args.clone, &args.workdir) {
        (Some(url), Some(workdir)) => {
            rampart_serve::prepare_clone(url, workdir, args.git_token_file.as_deref())?
        }
        _ => args.repo.repo,
    };
    rampart_serve::run(ServeOptions {
        source: Source {
            repo,
            blueprints: args.repo.blueprints,
            lock_timeout: args.lock_timeout,
            concurrency: usize::from(args.concurrency),
            env: args.env,
            git_token_file: args.git_token_file,
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
        lease,
        watch: WatchSettings {
            kubeconfig: args.kubeconfig,
            context: args.context,
            interval: args.watch_interval,
        },
    })?;
    Ok(ExitCode::SUCCESS)
}
