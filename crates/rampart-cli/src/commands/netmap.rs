//! `rampart netmap`: the connectivity map of the requests' NetworkPolicies.

use super::Result;
use crate::cli::{NetmapArgs, NetmapFormat};
use crate::output::out;
use rampart_deliver::netmap::{format_json, format_mermaid, format_text, network_maps};
use std::process::ExitCode;

pub(super) fn run(args: NetmapArgs) -> Result<ExitCode> {
    super::finish_interrupted_unlocked(&args.repo.repo)?;
    let maps = network_maps(
        &args.repo.repo,
        args.repo.blueprints.as_ref(),
        args.env.as_deref(),
        args.namespace.as_deref(),
    )?;
    let text = match args.format {
        NetmapFormat::Text => format_text(&maps),
        NetmapFormat::Json => format_json(&maps),
        NetmapFormat::Mermaid => format_mermaid(&maps),
    };
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}
