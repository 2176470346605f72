//! `rampart backend apply --env ENV [--dry-run]` (see [`rampart_rotate::access`]).

use super::Result;
use crate::cli::BackendApplyArgs;
use crate::output::outln;
use anyhow::{Context, anyhow};
use rampart_deliver::inputs::Inputs;
use rampart_render::backend::{MANAGED_MARKER, vault_access};
use rampart_rotate::access::{DesiredAccess, admin_client, apply as apply_changes, plan};
use std::process::ExitCode;

pub(super) fn apply(args: BackendApplyArgs) -> Result<ExitCode> {
    let inputs = Inputs::load(&args.repo, &rampart_git::FileSet::new())?;
    let env = inputs.selected(Some(&args.env))?.remove(0);
    let Some(vault) = &env.secret_stores.vault else {
        outln!(
            "environment {} has no secretStores.vault: nothing to apply (AWS documents are rendered into clusters/{}/cluster/secrets-backend/aws/ for your infrastructure tooling)",
            env.name,
            env.name
        );
        return Ok(ExitCode::SUCCESS);
    };
    let access = vault_access(&env, &inputs.requests, inputs.config.service());
    let desired = DesiredAccess {
        policies: &access.policies,
        roles: &access.roles,
        marker: MANAGED_MARKER,
        auth_mount: &vault.auth.mount_path,
        kv_mount: &vault.kv_mount,
        keep_versions: env.secret_stores.keep_versions(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let client = admin_client(&vault.server).map_err(|e| anyhow!("{}: {e}", vault.server))?;
    let changes = match runtime.block_on(plan(&client, &desired)) {
        Ok(changes) => changes,
        Err(e) => {
            // Nothing is committed by this command: the message says what was applied.
            eprintln!("error: {} ({}): {e}", vault.server, env.name);
            return Ok(ExitCode::FAILURE);
        }
    };
    if changes.is_empty() {
        outln!(
            "{} ({}) already holds Rampart's {} policies and {} roles: nothing changed",
            vault.server,
            env.name,
            access.policies.len(),
            access.roles.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for change in &changes {
        if args.dry_run {
            outln!("would {change}");
            let detail = change.detail();
            if !detail.is_empty() {
                outln!("{}", detail.trim_end());
            }
        }
    }
    if args.dry_run {
        outln!("dry run: {} change(s), nothing applied", changes.len());
        return Ok(ExitCode::SUCCESS);
    }
    if let Err(e) = runtime.block_on(apply_changes(&client, &desired, &changes)) {
        for change in &changes[..e.applied] {
            outln!("{change}");
        }
        eprintln!("error: {} ({}): {}", vault.server, env.name, e.message);
        let (done, not_done) = changes.split_at(e.applied);
        eprintln!(
            "applied {} of {} change(s){}; not applied: {}",
            done.len(),
            changes.len(),
            if done.is_empty() {
                ""
            } else {
                " (listed above)"
            },
            not_done
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    for change in &changes {
        outln!("{change}");
    }
    outln!(
        "{} change(s) applied to {} ({})",
        changes.len(),
        vault.server,
        env.name
    );
    Ok(ExitCode::SUCCESS)
}
