//! `rampart init DIR`.

use super::Result;
use super::print_event;
use crate::cli::InitArgs;
use crate::output::outln;
use crate::scaffold::{ENVIRONMENTS, EXAMPLE_REQUEST, REPO_CONFIG};
use rampart_deliver::inputs::CONFIG_FILE;
use rampart_deliver::{CacheUse, Title, author, commit, render_repo};
use rampart_git::{CommitOutcome, CommitRequest, FileSet};
use std::process::ExitCode;

pub(super) fn run(args: InitArgs) -> Result<ExitCode> {
    let dir = &args.dir;
    if dir.join(CONFIG_FILE).exists() {
        // A usage error, like a request `rampart new` finds existing: nothing was written.
        eprintln!(
            "error: {} already holds {CONFIG_FILE}: it is a Rampart repository; use `rampart render --repo {}`",
            dir.display(),
            dir.display()
        );
        return Ok(ExitCode::from(super::EXIT_INVALID_INPUT));
    }
    fs_err::create_dir_all(dir)?;
    rampart_git::init_repository(dir)?;
    let mut files = FileSet::new();
    files.insert(CONFIG_FILE.to_string(), REPO_CONFIG.as_bytes().to_vec());
    for (path, text) in ENVIRONMENTS.iter().chain([&EXAMPLE_REQUEST]) {
        files.insert(path.to_string(), text.as_bytes().to_vec());
    }
    // Validate and render before writing anything, so a failure leaves the directory empty.
    let rendered = render_repo(dir, None, None, &files, CacheUse::ReadWrite)?;
    let author = author(&args.commit.options(), Some(&rendered.inputs.config))?;
    let outcome = rampart_git::commit_files(
        dir,
        &CommitRequest {
            branch: args.commit.branch.as_deref(),
            files: &files,
            owned_prefixes: &[],
            message: "rampart: initialise repository\n\nrampart.yaml, environments and an example request (specs/shop.yaml).\n".into(),
            author: author.as_ref(),
read_at: None,
        },
    )?;
    if let CommitOutcome::Committed { commit, branch, .. } = outcome {
        outln!(
            "initialised {} ({} on {branch})",
            dir.display(),
            &commit.to_string()[..10]
        );
    }
    let order = rendered.inputs.config.environments.clone();
    commit(
        dir,
        rendered,
        &args.commit.options(),
        Title::Touched {
            verb: "rampart: render",
            order: &order,
        },
        None,
        &mut print_event,
    )?;
    outln!(
        "next: edit {}/{} or run `rampart new`, then `rampart render --repo {}`",
        dir.display(),
        EXAMPLE_REQUEST.0,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
