//! `rampart`: hardened Kubernetes namespaces, rendered from short requests into a GitOps
//! repository.

// Command output goes through `output::outln!`, which does not panic on a closed pipe.
#![warn(clippy::print_stdout)]

mod cli;
// The live-cluster reader lives in `rampart-kube` (the service uses it too); commands keep
// calling it `cluster`.
use rampart_kube as cluster;
mod commands;
mod output;
mod rotation;
mod scaffold;
mod walk;

use clap::Parser;
use std::process::ExitCode;

// Rendering allocates many small values on every core; glibc malloc spent a third of the
// render time in malloc/free (perf), mimalloc roughly halves that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let service = matches!(cli.command, cli::Command::Serve(_));
    cli::init_logging(cli.verbose, cli.log_format, service);
    let code = match commands::run(cli.command, cli.log_format) {
        Ok(code) => code,
        Err(failure) => commands::report(&failure),
    };
    output::finish(code)
}
