//! `rampart`: hardened Kubernetes namespaces, rendered from short requests into a GitOps
//! repository.

mod cli;
mod commands;
mod inputs;
mod scaffold;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(cli.verbose);
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(e) => commands::report(&e),
    }
}
