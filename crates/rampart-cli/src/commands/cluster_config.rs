//! `rampart cluster-config`: an environment's control-plane and runtime-detection files,
//! written to a directory (`render` commits the same files into `clusters/<env>/cluster/`).

use super::{Result, bail};
use crate::cli::ClusterConfigArgs;
use crate::output::outln;
use anyhow::Context;
use rampart_deliver::cluster_config::cluster_files;
use rampart_deliver::inputs;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(super) fn run(args: ClusterConfigArgs) -> Result<ExitCode> {
    let repo = &args.repo;
    super::finish_interrupted_unlocked(repo)?;
    let config = inputs::load_config(repo)?;
    if !config.environments.contains(&args.env) {
        bail!(
            "unknown environment `{}`; rampart.yaml lists: {}",
            args.env,
            config.environments.join(", ")
        );
    }
    // The requests too: the secrets backend's policies grant what they reference.
    let inputs = inputs::Inputs::load(repo, &rampart_git::FileSet::new())?;
    let env = inputs.selected(Some(&args.env))?.remove(0);
    // Everything is rendered and checked before the first byte is written.
    let files = cluster_files(&env, &inputs.config, &inputs.requests)?;
    write_all(&args.out, &files)?;
    for path in files.keys() {
        outln!("wrote {}", args.out.join(path).display());
    }
    outln!(
        "{} files for environment {}; install them as {} describes",
        files.len(),
        env.name,
        args.out.join("control-plane/README.md").display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes every file next to its destination first, then renames them all into place, so
/// an IO error leaves no half-written file (and removes the temporary ones).
fn write_all(out: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| -> Result<()> {
        for (rel, bytes) in files {
            let dest = out.join(rel);
            let dir = dest.parent().context("output path has no directory")?;
            fs_err::create_dir_all(dir)?;
            let tmp = dir.join(format!(
                ".{}.rampart-tmp",
                dest.file_name().unwrap_or_default().to_string_lossy()
            ));
            staged.push((tmp.clone(), dest));
            fs_err::write(&tmp, bytes)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _) in &staged {
            let _ = fs_err::remove_file(tmp);
        }
        return Err(e);
    }
    for (tmp, dest) in staged {
        fs_err::rename(&tmp, &dest)?;
    }
    Ok(())
}
