//! The pins on the remote base branch: in force until a local commit reaches the remote, so
//! a rotation must keep those versions too (a local commit not pushed yet must not make
//! the remote's pinned version disappear).

use crate::error::{Context, Result};
use crate::inputs::{self, INPUT_PATHS, Inputs};
use crate::pins::delivers_to_remote;
use rampart_git::FileSet;
use rampart_rotate::Planned;
use std::path::Path;

/// Adds to each of `planned` (planned from `inputs`) the pins of its key on its backend
/// that the remote base branch holds (see [`rampart_rotate::keep_other_pins`]). Returns
/// where they were read (`origin/main at 1a2b3c4`), or `None` without a remote base branch.
pub fn keep_remote_pins(
    repo: &Path,
    inputs: &Inputs,
    planned: &mut [Planned],
) -> Result<Option<String>> {
    let Some((on, tip)) = remote_base(repo, inputs)? else {
        return Ok(None);
    };
    let files: FileSet = rampart_git::read_commit_files(repo, tip, INPUT_PATHS)?
        .into_iter()
        .filter(|(path, _)| inputs::is_input(path))
        .collect();
    let short = tip.to_string();
    let at = format!("{on} at {}", &short[..7]);
    let theirs = Inputs::from_files(repo, &files)
        .with_context(|| format!("the pins on {at}, which a rotation must keep"))?;
    rampart_rotate::keep_other_pins(
        planned,
        &inputs.environments,
        theirs
            .requests
            .iter()
            .map(|r| (r.path.as_str(), &r.request)),
        &theirs.environments,
        Some(&on),
    );
    Ok(Some(at))
}

/// `origin/main` and its commit, when the repository has the delivery remote: fetched now
/// when rotations are delivered there (push or pull request), else as last fetched or
/// pushed (the remote-tracking branch; `None` if there is none).
fn remote_base(repo: &Path, inputs: &Inputs) -> Result<Option<(String, rampart_git::Oid)>> {
    let delivery = &inputs.config.delivery;
    let remote = delivery.remote.as_deref().unwrap_or("origin");
    if !rampart_git::has_remote(repo, remote)? {
        return Ok(None);
    }
    if delivers_to_remote(inputs) {
        let (base, tip) = crate::delivery::fetch_base(repo, delivery)?;
        return Ok(Some((format!("{remote}/{base}"), tip)));
    }
    let base = match &delivery.base_branch {
        Some(base) => base.clone(),
        None => match rampart_git::current_branch(repo)? {
            Some(branch) => branch,
            None => return Ok(None),
        },
    };
    Ok(
        rampart_git::tracking_tip(repo, remote, &base)?
            .map(|tip| (format!("{remote}/{base}"), tip)),
    )
}
