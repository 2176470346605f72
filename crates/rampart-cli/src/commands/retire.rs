//! `rampart retire`: retire the previous PostgreSQL credential of alternating users once
//! every environment's cluster runs its pin (see [`rampart_rotate::retire_all`]). The
//! clusters are read as `rampart status` reads them; Git and the backends are only read.

use super::Result;
use super::status::rendered_at_base;
use super::{EXIT_INVALID_INPUT, lock_repository};
use crate::cli::{CommitArgs, RetireArgs};
use crate::output::outln;
use crate::rotation::{self, Planned};
use anyhow::Context;
use rampart_deliver::inputs::{self, Inputs};
use rampart_deliver::remote_pins::keep_remote_pins;
use rampart_git::FileSet;
use rampart_kube::status::namespace_status;
use rampart_rotate::{Policy, PostgresTarget, Retired, Retirement, SecretId};
use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

pub(super) fn run(args: RetireArgs) -> Result<ExitCode> {
    let repo = &args.repo.repo;
    // No rotation of this repository may write a version between the decision and the act.
    let lock_args = CommitArgs {
        branch: None,
        author: None,
        lock_timeout: args.lock_timeout,
    };
    let _lock = lock_repository(repo, "rampart retire", &lock_args)?;
    let local = inputs::read_worktree(repo, &FileSet::new())?;
    let inputs = Inputs::from_files(repo, &local)?;
    // Every environment and secret: a database is retired only with all of its users known.
    let mut planned = match rotation::plan(&inputs, None, &[], false) {
        Ok(planned) => planned,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(EXIT_INVALID_INPUT));
        }
    };
    // Every secret that names a database role counts, single-user ones too.
    planned.retain(|p| postgres(p).is_some());
    if !planned
        .iter()
        .filter_map(postgres)
        .any(PostgresTarget::retires_previous)
    {
        outln!(
            "nothing to retire: no secret has `rotation.postgres.retirePrevious: true` with alternating users"
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some((env, _)) = args
        .contexts
        .iter()
        .find(|(env, _)| !inputs.environments.iter().any(|e| e.name == *env))
    {
        eprintln!(
            "error: --context {env}=…: `{env}` is not an environment of rampart.yaml\nhelp: use one of {}",
            inputs
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::from(EXIT_INVALID_INPUT));
    }
    if let Some(at) = keep_remote_pins(repo, &inputs, &mut planned)? {
        tracing::info!(%at, "the versions the remote base branch pins are kept too");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let live = match live_versions(&args, &planned).await? {
            Ok(live) => live,
            Err(code) => return Ok(code),
        };
        let retirements = rampart_rotate::retire_all(&inputs.environments, &planned, &live).await;
        print(&retirements);
        Ok(if retirements.iter().all(|r| r.outcome.is_ok()) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

/// The PostgreSQL side of a secret's rotation, if it has one.
fn postgres(p: &Planned) -> Option<&PostgresTarget> {
    match &p.job.policy {
        Policy::Generate {
            postgres: Some(pg), ..
        } => Some(pg),
        _ => None,
    }
}

/// The version each planned secret runs, fully live, in its environment's cluster (the
/// kubeconfig context `--context` names, else the environment's name), against what the
/// base branch renders. Exit 2 when a cluster or the rendered files cannot be read.
async fn live_versions(
    args: &RetireArgs,
    planned: &[Planned],
) -> Result<std::result::Result<BTreeMap<SecretId, String>, ExitCode>> {
    let repo = args.repo.repo.as_path();
    let config = inputs::load_config(repo)?;
    let environments: BTreeSet<&str> = planned
        .iter()
        .map(|p| p.job.id.environment.as_str())
        .collect();
    let mut live = BTreeMap::new();
    for environment in environments {
        let context = args
            .contexts
            .iter()
            .find(|(env, _)| env == environment)
            .map_or(environment, |(_, context)| context.as_str());
        let client = match rampart_kube::connect(args.kubeconfig.as_deref(), Some(context)).await {
            Ok((client, _)) => client,
            Err(e) => {
                eprintln!("environment {environment} (kubeconfig context {context}):");
                return Ok(Err(super::audit::unreadable(&e)));
            }
        };
        let rendered =
            match rendered_at_base(repo, config.delivery.base_branch.as_deref(), environment)? {
                Ok((_, rendered)) => rendered,
                Err(e) => {
                    eprintln!("error: {e}\nhelp: `rampart render --check` names hand-edited files");
                    return Ok(Err(ExitCode::from(EXIT_INVALID_INPUT)));
                }
            };
        for namespace in &rendered {
            let ours: Vec<&Planned> = planned
                .iter()
                .filter(|p| {
                    p.job.id.environment == environment && p.job.id.namespace == namespace.namespace
                })
                .collect();
            if ours.is_empty() {
                continue;
            }
            let objects = match rampart_kube::read_live_objects(&client, &namespace.objects).await {
                Ok(objects) => objects,
                Err(e) => {
                    eprintln!("environment {environment} (kubeconfig context {context}):");
                    return Ok(Err(super::audit::unreadable(&e)));
                }
            };
            let status = namespace_status(namespace, &objects);
            for secret in status.secrets.iter().filter(|s| s.is_live()) {
                for p in ours.iter().filter(|p| p.job.id.secret == secret.name) {
                    if let Some(version) = &secret.live {
                        live.insert(p.job.id.clone(), version.clone());
                    }
                }
            }
        }
    }
    Ok(Ok(live))
}

fn print(retirements: &[Retirement]) {
    if retirements.is_empty() {
        outln!("nothing to retire");
    }
    for r in retirements {
        let users: Vec<String> = r.secrets.iter().map(ToString::to_string).collect();
        match &r.outcome {
            Ok(Retired::Retired { role }) => outln!(
                "retired      {role} of {}: a random password nobody stores (used by {})",
                r.database,
                users.join(", ")
            ),
            Ok(Retired::Absent { role }) => outln!(
                "absent       {role} of {}: no such role, nothing to retire",
                r.database
            ),
            Err(e) => outln!("not retired  {}: {e}", r.database),
        }
    }
}
