//! `rampart new NAME --team TEAM --app APP…`.

use super::request_change::add_requests;
use super::{Result, bail};
use crate::cli::NewArgs;
use crate::output::outln;
use crate::scaffold::{NewRequest, PLACEHOLDER, image_prefix, new_request};
use rampart_deliver::inputs::{SPECS_DIR, display, load_config, load_environments};
use rampart_git::FileSet;
use std::process::ExitCode;

pub(super) fn run(args: NewArgs) -> Result<ExitCode> {
    let rel = format!("{SPECS_DIR}/{}.yaml", args.name);
    // The name becomes a path: clap refused anything but a plain label (cli::namespace_name).
    let repo = &args.repo.repo;
    // Held from the existence check until the request is in the work tree.
    let _lock = super::lock_repository(repo, &format!("rampart new {}", args.name), &args.commit)?;
    if repo.join(&rel).exists() {
        bail!(
            "{} already exists; edit it and run `rampart render`",
            display(repo, &rel)
        );
    }
    let config = load_config(repo)?;
    let registry = image_prefix(&load_environments(repo, &config)?);
    let placeholders: Vec<String> = config
        .governance
        .required_labels
        .iter()
        .filter(|key| !args.labels.iter().any(|(k, _)| k == *key))
        .cloned()
        .collect();
    let text = new_request(&NewRequest {
        name: &args.name,
        team: &args.team,
        apps: &args.apps,
        labels: &args.labels,
        placeholders: &placeholders,
        admins: &args.admin_groups,
        developers: &args.developer_groups,
        viewers: &args.viewer_groups,
        registry: &registry,
    });
    let request = FileSet::from([(rel.clone(), text.into_bytes())]);
    let title = format!("rampart: new namespace {}", args.name);
    let delivered = add_requests(&request, &title, &args.repo, &args.commit, &args.delivery)?;
    if !placeholders.is_empty() {
        outln!(
            "note: required label(s) {} are `{PLACEHOLDER}`: set them in {} (or pass --label KEY=VALUE)",
            placeholders.join(", "),
            display(repo, &rel)
        );
    }
    match &args.commit.branch {
        _ if delivered => outln!(
            "delivered {rel}; it is also in the work tree, staged and not committed: edit it and deliver again (e.g. `rampart render --pr`) to update the same branch, `git pull` once it is merged"
        ),
        None => outln!("wrote {}", display(repo, &rel)),
        Some(branch) => outln!("wrote {rel} on branch {branch} (the work tree is unchanged)"),
    }
    Ok(ExitCode::SUCCESS)
}
