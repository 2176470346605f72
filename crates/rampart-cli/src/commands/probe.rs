//! `rampart probe`: the checks of a network probe Job, run from the pod's network
//! namespace (the work is `rampart_probe`'s).

use crate::cli::{LogFormat, ProbeArgs};
use crate::output::outln;
use rampart_probe::{Check, Options, run as run_checks};
use std::process::ExitCode;

/// Runs the checks and prints a line each, then the summary; exit 0 when every check holds.
pub fn run(args: ProbeArgs, format: LogFormat) -> ExitCode {
    let checks: Vec<Check> = args
        .resolve
        .into_iter()
        .map(Check::Resolve)
        .chain(args.open.into_iter().map(Check::Open))
        .chain(args.closed.into_iter().map(Check::Closed))
        .collect();
    let options = Options {
        timeout: args.timeout,
        wait: args.wait,
        delay: args.delay,
    };
    let from = args.from.as_deref();
    let reports = run_checks(&checks, &options);
    for report in &reports {
        match format {
            LogFormat::Text => outln!("{}", report.line(from)),
            LogFormat::Json => outln!("{}", report.json(from)),
        }
    }
    for note in &args.unprobed {
        match format {
            LogFormat::Text => outln!("{}", rampart_probe::unprobed_line(from, note)),
            LogFormat::Json => outln!("{}", rampart_probe::unprobed_json(from, note)),
        }
    }
    match format {
        LogFormat::Text => outln!("{}", rampart_probe::summary_line(from, &reports)),
        LogFormat::Json => outln!("{}", rampart_probe::summary_json(from, &reports)),
    }
    if reports.iter().all(|r| r.holds) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
