//! `rampart status`: what the base branch renders against what the cluster runs, read-only.

use super::EXIT_INVALID_INPUT;
use super::audit::unreadable;
use super::{Result, bail};
use crate::cli::{StatusArgs, StatusFormat};
use crate::output::out;
use kube::Client;
use rampart_kube::status::{
    NamespaceStatus, RenderedNamespace, StatusError, format_text, namespace_status,
    rendered_namespaces,
};
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(args: StatusArgs) -> Result<ExitCode> {
    // With --env the repository side is read before the cluster is contacted, so a wrong
    // environment or namespace is named even when no kubeconfig can be loaded.
    let chosen = match args.env.as_deref() {
        Some(env) => match select(&args, env)? {
            Ok(selection) => Some(selection),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    // One request at a time: a current-thread runtime is all the client needs.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match rampart_kube::connect(args.kubeconfig.as_deref(), args.context.as_deref()).await {
            Ok((client, context)) => match chosen {
                Some(selection) => compare(&client, selection, &args).await,
                None => status(&client, &context, &args).await,
            },
            Err(e) => Ok(unreadable(&e)),
        }
    })
}

/// What the base branch renders for one environment, narrowed to the namespaces asked for.
struct Selection {
    commit: String,
    environment: String,
    namespaces: Vec<RenderedNamespace>,
}

/// The namespaces `args` asks for in `environment`, as the base branch renders them; or
/// the exit code after saying why not (an unknown environment or namespace, an unreadable
/// rendered file).
fn select(args: &StatusArgs, environment: &str) -> Result<Result<Selection, ExitCode>> {
    let repo = args.repo.repo.as_path();
    let config = rampart_deliver::inputs::load_config(repo)?;
    if !config.environments.iter().any(|e| e == environment) {
        let how = if args.env.is_some() {
            "--env"
        } else {
            "the kubeconfig context"
        };
        eprintln!(
            "error: {how} names environment `{environment}`, which rampart.yaml does not list ({})\nhelp: pass --env with one of them",
            config.environments.join(", ")
        );
        return Ok(Err(ExitCode::from(EXIT_INVALID_INPUT)));
    }
    let (commit, rendered) = match rendered_at_base(
        repo,
        config.delivery.base_branch.as_deref(),
        environment,
    )? {
        Ok(found) => found,
        Err(e) => {
            eprintln!(
                "error: {e}\n  caused by: {}\nhelp: `rampart render --check` names hand-edited files; `rampart render` repairs them",
                std::error::Error::source(&e)
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
            return Ok(Err(ExitCode::from(EXIT_INVALID_INPUT)));
        }
    };
    if let Some(name) = args
        .namespaces
        .iter()
        .find(|name| !rendered.iter().any(|n| &n.namespace == *name))
    {
        eprintln!(
            "error: namespace `{name}` is not rendered for environment `{environment}` at {commit}\nhelp: list the namespaces with `ls clusters/{environment}/namespaces`"
        );
        return Ok(Err(ExitCode::from(EXIT_INVALID_INPUT)));
    }
    let namespaces = if args.namespaces.is_empty() {
        rendered
    } else {
        rendered
            .into_iter()
            .filter(|n| args.namespaces.contains(&n.namespace))
            .collect()
    };
    Ok(Ok(Selection {
        commit,
        environment: environment.to_owned(),
        namespaces,
    }))
}

/// Compares the base branch's rendering with the cluster behind `client` (kubeconfig
/// context `context`) and prints the report: 0 all live, 1 not, 2 bad input or unreadable.
async fn status(client: &Client, context: &str, args: &StatusArgs) -> Result<ExitCode> {
    let environment = args.env.as_deref().unwrap_or(context);
    match select(args, environment)? {
        Ok(selection) => compare(client, selection, args).await,
        Err(code) => Ok(code),
    }
}

/// Reads the live copies of `selection`'s objects and prints the report.
async fn compare(client: &Client, selection: Selection, args: &StatusArgs) -> Result<ExitCode> {
    let Selection {
        commit,
        environment,
        namespaces,
    } = selection;
    let mut statuses: Vec<NamespaceStatus> = Vec::new();
    for namespace in &namespaces {
        match rampart_kube::read_live_objects(client, &namespace.objects).await {
            Ok(live) => statuses.push(namespace_status(namespace, &live)),
            Err(e) => return Ok(unreadable(&e)),
        }
    }
    match args.format {
        StatusFormat::Text => out!("{}", format_text(&statuses, &commit)),
        StatusFormat::Json => {
            let report = serde_json::json!({"commit": commit, "environment": environment, "namespaces": statuses});
            out!("{}\n", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(if statuses.iter().all(NamespaceStatus::is_live) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The commit at the tip of the base branch (`delivery.baseBranch`, else the checked-out
/// branch) and the namespaces it renders for `environment` (or why a rendered file cannot
/// be read).
pub(super) fn rendered_at_base(
    repo: &Path,
    base_branch: Option<&str>,
    environment: &str,
) -> Result<Result<(String, Vec<RenderedNamespace>), StatusError>> {
    let tip = rampart_git::branch_tip(repo, base_branch)?;
    let Some(commit) = tip.commit else {
        bail!(
            "{} has no commit yet: run `rampart render` first",
            tip.refname
        );
    };
    let dir = format!("clusters/{environment}/namespaces/");
    let files = rampart_git::read_commit_files(repo, commit, &[dir.as_str()])?;
    let rendered = rendered_namespaces(
        environment,
        files
            .iter()
            .map(|(path, content)| (path.as_str(), content.as_slice())),
    );
    Ok(rendered.map(|namespaces| (commit.to_string(), namespaces)))
}

#[cfg(test)]
mod tests {
    //! `status` over the repository `rampart init` creates, against a fake API server that
    //! holds what the base branch renders for prod.

    use super::*;
    use crate::cli::{Cli, LogFormat, RepoArgs};
    use clap::Parser;
    use rampart_kube::testing::{applied, fake_cluster, unreachable_client};
    use serde_json::{Value, json};

    fn init_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temp dir");
        let repo = dir.path().join("gitops");
        let cli = Cli::try_parse_from(["rampart", "init", repo.to_str().unwrap_or_default()])
            .unwrap_or_else(|e| panic!("{e}"));
        let code =
            super::super::run(cli.command, LogFormat::Text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code, ExitCode::SUCCESS);
        dir
    }

    fn args(dir: &tempfile::TempDir, env: Option<&str>, namespaces: &[&str]) -> StatusArgs {
        StatusArgs {
            repo: RepoArgs {
                repo: dir.path().join("gitops"),
                blueprints: None,
            },
            env: env.map(str::to_owned),
            namespaces: namespaces.iter().map(|n| (*n).to_owned()).collect(),
            kubeconfig: None,
            context: None,
            format: StatusFormat::Json,
        }
    }

    /// Every object prod renders, as the API server holds it once Argo CD applied it, ESO
    /// synced each ExternalSecret and every Deployment rolled.
    fn applied_prod(dir: &tempfile::TempDir) -> Vec<Value> {
        let repo = dir.path().join("gitops");
        let (_, rendered) = rendered_at_base(&repo, None, "prod")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        applied(rendered.into_iter().flat_map(|n| n.objects))
    }

    async fn status_against(live: Vec<Value>, args: &StatusArgs) -> (ExitCode, Vec<String>) {
        let (client, server) = fake_cluster(live);
        let code = status(&client, "prod", args)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        drop(client);
        (code, server.await.expect("the fake API server"))
    }

    #[tokio::test]
    async fn everything_applied_and_rolled_exits_0_and_a_missing_deployment_exits_1() {
        let dir = init_repo();
        let live = applied_prod(&dir);
        let secrets = live
            .iter()
            .filter(|o| o["kind"] == "ExternalSecret")
            .count();
        assert!(secrets >= 2, "the example renders secrets for prod");
        let (code, asked) = status_against(live.clone(), &args(&dir, None, &[])).await;
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(asked.len(), live.len(), "one GET per rendered object");

        let without_api: Vec<Value> = live
            .into_iter()
            .filter(|o| !(o["kind"] == "Deployment" && o["metadata"]["name"] == "api"))
            .collect();
        let (code, _) = status_against(without_api, &args(&dir, Some("prod"), &["shop"])).await;
        assert_eq!(code, ExitCode::FAILURE);
    }

    #[tokio::test]
    async fn an_unknown_environment_or_namespace_exits_2_before_asking_the_cluster() {
        let dir = init_repo();
        for (env, namespaces) in [(Some("qa"), vec![]), (None, vec!["nope"])] {
            let (code, asked) = status_against(Vec::new(), &args(&dir, env, &namespaces)).await;
            assert_eq!(
                code,
                ExitCode::from(EXIT_INVALID_INPUT),
                "{env:?} {namespaces:?}"
            );
            assert_eq!(asked, Vec::<String>::new());
        }
    }

    #[tokio::test]
    async fn a_cluster_that_cannot_be_read_exits_2() {
        let dir = init_repo();
        let code = status(&unreachable_client(), "prod", &args(&dir, None, &[]))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code, ExitCode::from(EXIT_INVALID_INPUT));
    }

    #[tokio::test]
    async fn the_text_report_names_what_is_not_live_and_sums_up_each_namespace() {
        let dir = init_repo();
        let mut live = applied_prod(&dir);
        for object in &mut live {
            let name = object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            match (object["kind"].as_str().unwrap_or_default(), name.as_str()) {
                ("Deployment", "api") => {
                    object["status"]["updatedReplicas"] = json!(1);
                    object["status"]["readyReplicas"] = json!(2);
                    object["status"]["replicas"] = json!(4);
                }
                ("ExternalSecret", "web-oauth-client") => {
                    let older = json!("uuid/0b7e2f41-9a3c-4d58-8e16-5c2a9f0d7b34");
                    for item in object["spec"]["data"].as_array_mut().into_iter().flatten() {
                        item["remoteRef"]["version"] = older.clone();
                    }
                    object["status"]["conditions"][0] = json!({"type": "Ready", "status": "False",
                        "reason": "SecretSyncedError", "message": "could not get secret data from provider"});
                }
                _ => {}
            }
        }
        let repo = dir.path().join("gitops");
        let (commit, rendered) = rendered_at_base(&repo, None, "prod")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let (client, server) = fake_cluster(live);
        let mut statuses = Vec::new();
        for namespace in rendered.iter().filter(|n| n.namespace == "shop") {
            let observed = rampart_kube::read_live_objects(&client, &namespace.objects)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            statuses.push(namespace_status(namespace, &observed));
        }
        drop(client);
        server.await.expect("the fake API server");
        let text = format_text(&statuses, &commit);
        // The README shows this output (`--nocapture`).
        eprintln!("{text}");
        for line in [
            "  differs  ExternalSecret/web-oauth-client",
            "  secret   web-oauth-client: NOT LIVE; git version uuid/",
            "live spec uuid/0b7e2f41-9a3c-4d58-8e16-5c2a9f0d7b34, Ready False (SecretSyncedError: could not get secret data from provider)",
            "  secret   api-db: NOT LIVE; git version 3, live spec 3, Ready True",
            "           Deployment/api: rolling: 1/3 updated, 2/3 ready, 4 pods",
            "prod/shop: NOT LIVE — objects: ",
            "secrets: 0 of 2 live",
        ] {
            assert!(text.contains(line), "{line}\n{text}");
        }
    }
}
