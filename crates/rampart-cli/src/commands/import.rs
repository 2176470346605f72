//! `rampart import NAMESPACE… --from PATH…`: the CLI shell around `rampart-import`.

use super::EXIT_INVALID_INPUT;
use super::Result;
use super::request_change::add_requests;
use crate::cli::{ImportArgs, ImportFormat};
use crate::output::{out, outln};
use crate::walk::{inputs_under, is_manifest, read_stdin, shown};
use anyhow::Context;
use rampart_deliver::inputs::{SPECS_DIR, blueprint, display, load_config, load_environments};
use rampart_git::FileSet;
use rampart_import::diff::connectivity;
use rampart_import::summary::Summary;
use rampart_import::{Imported, Options};
use rampart_model::{Diagnostic, Diagnostics, Environment};
use rampart_policy::{Document, MAX_MANIFEST_BYTES, parse_documents, too_large};
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(args: ImportArgs) -> Result<ExitCode> {
    let read = if args.cluster {
        read_cluster(&args)?
    } else {
        read_manifests(&args.from)?
    };
    let docs = match read {
        Ok(docs) => docs,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "\nrefused: {} input error(s); nothing was written",
                errors.len()
            );
            return Ok(ExitCode::from(EXIT_INVALID_INPUT));
        }
    };
    let repo = &args.repo.repo;
    let config = load_config(repo)?;
    let environments = load_environments(repo, &config)?;
    let env = pick_environment(&environments, args.env.as_deref())?;
    let sources = if args.cluster {
        format!(
            "the cluster (context {})",
            args.context.as_deref().unwrap_or("current")
        )
    } else {
        args.from
            .iter()
            .map(|p| shown(p))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let options = Options {
        team: args.team.as_deref(),
        labels: &args.labels,
        required_labels: &config.governance.required_labels,
        env,
        sources: &sources,
    };
    let imported = rampart_import::import(&docs, &args.namespaces, &options)?;
    let names: Vec<&str> = imported.iter().map(|i| i.request.name.as_str()).collect();
    let _lock = if args.dry_run {
        None
    } else {
        super::lock_repository(
            repo,
            &format!("rampart import {}", names.join(" ")),
            &args.commit,
        )?
    };
    let mut pending = FileSet::new();
    for i in &imported {
        let rel = format!("{SPECS_DIR}/{}.yaml", i.request.name);
        if repo.join(&rel).exists() && !args.force && !args.dry_run {
            return Err(Diagnostics::from(Diagnostic::new(
                display(repo, &rel),
                1,
                1,
                &format!(
                    "the request of namespace `{}` already exists",
                    i.request.name
                ),
                "edit it and run `rampart render`, or pass --force to replace it with the import",
            ))
            .into());
        }
        pending.insert(rel, i.text.clone().into_bytes());
    }
    let reports = reports(&imported, env, args.repo.blueprints.as_ref())?;
    if args.dry_run {
        if args.format == ImportFormat::Text {
            for i in &imported {
                outln!("# specs/{}.yaml", i.request.name);
                out!("{}", i.text);
            }
        }
        print_reports(&reports, &imported, env, args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let title = format!("rampart: import namespace {}", names.join(", "));
    let delivered = add_requests(&pending, &title, &args.repo, &args.commit, &args.delivery)?;
    for rel in pending.keys() {
        match &args.commit.branch {
            Some(branch) if !delivered => {
                outln!("wrote {rel} on branch {branch} (the work tree is unchanged)")
            }
            _ => outln!("wrote {}", display(repo, rel)),
        }
    }
    print_reports(&reports, &imported, env, args.format)?;
    Ok(ExitCode::SUCCESS)
}

fn pick_environment<'e>(
    environments: &'e [Environment],
    name: Option<&str>,
) -> Result<&'e Environment> {
    match name {
        None => Ok(environments
            .first()
            .context("rampart.yaml lists no environment")?),
        Some(n) => match environments.iter().find(|e| e.name == n) {
            Some(e) => Ok(e),
            None => Err(Diagnostics::from(Diagnostic::new(
                "rampart.yaml",
                1,
                1,
                &format!("environment `{n}` is not listed"),
                "pass --env with one of rampart.yaml's environments",
            ))
            .into()),
        },
    }
}

/// Every object `rampart audit` reads, from the live cluster (read-only), or why it could
/// not be read.
fn read_cluster(args: &ImportArgs) -> Result<std::result::Result<Vec<Document>, Vec<String>>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime
        .block_on(async {
            let (client, context) =
                crate::cluster::connect(args.kubeconfig.as_deref(), args.context.as_deref())
                    .await?;
            crate::cluster::read_documents(
                &client,
                &format!("cluster:{context}"),
                crate::cluster::PAGE_SIZE,
            )
            .await
        })
        .map_err(|e| vec![cluster_error(&e)]))
}

/// A cluster error with each of its causes once (kube's messages often repeat their source).
fn cluster_error(error: &crate::cluster::ClusterError) -> String {
    let mut out = format!("error: {error}");
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(&format!("\n  caused by: {text}"));
        }
        cause = c.source();
    }
    out
}

/// Every document of the inputs, or every input error (file:line).
fn read_manifests(
    paths: &[std::path::PathBuf],
) -> Result<std::result::Result<Vec<Document>, Vec<String>>> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        if root == Path::new("-") {
            match read_stdin(MAX_MANIFEST_BYTES as u64)? {
                Some(bytes) => files.push(("<stdin>".to_owned(), bytes)),
                None => errors.push(too_large("<stdin>").to_string()),
            }
        } else {
            let inputs = match inputs_under(root, |path| is_manifest(path, MANIFESTS)) {
                Ok(inputs) => inputs,
                Err(e) => {
                    errors.push(format!("{}: error: {e}\n  help: name a manifest file or directory, or `-` for standard input", shown(root)));
                    continue;
                }
            };
            for input in inputs {
                match input.read(MAX_MANIFEST_BYTES as u64) {
                    Ok(Some(bytes)) => files.push((shown(&input.path), bytes)),
                    Ok(None) => errors.push(too_large(&shown(&input.path)).to_string()),
                    Err(e) => errors.push(format!("{}: error: {e}", shown(&input.path))),
                }
            }
        }
        for (file, bytes) in &files {
            let (found, bad) = parse_documents(file, bytes);
            docs.extend(found);
            errors.extend(bad.iter().map(ToString::to_string));
        }
    }
    Ok(if errors.is_empty() {
        Ok(docs)
    } else {
        Err(errors)
    })
}

/// What `import` reads below a directory: Kubernetes YAML or JSON.
const MANIFESTS: &[&str] = &["yaml", "yml", "json"];

/// Renders each imported request for `env` and compares its flows with today's.
fn reports(
    imported: &[Imported],
    env: &Environment,
    blueprints: Option<&std::path::PathBuf>,
) -> Result<Vec<rampart_import::diff::Connectivity>> {
    let blueprint = blueprint(blueprints)?;
    let reports: anyhow::Result<Vec<_>> = imported
        .iter()
        .map(|i| {
            let source = format!("{SPECS_DIR}/{}.yaml", i.request.name);
            let files = rampart_render::render_namespace(&blueprint, &i.request, env, &source)
                .with_context(|| {
                    format!(
                        "the imported request of namespace {} does not render",
                        i.request.name
                    )
                })?;
            let policies: Vec<serde_json::Value> = files
                .iter()
                .flat_map(|(name, text)| parse_documents(name, text.as_bytes()).0)
                .map(|d| d.value)
                .filter(|v| v["kind"] == "NetworkPolicy")
                .collect();
            connectivity(&i.existing, &i.request, env, &policies).map_err(anyhow::Error::msg)
        })
        .collect();
    Ok(reports?)
}

fn print_reports(
    reports: &[rampart_import::diff::Connectivity],
    imported: &[Imported],
    env: &Environment,
    format: ImportFormat,
) -> Result<()> {
    let summaries: Vec<Summary> = imported
        .iter()
        .zip(reports)
        .map(|(i, c)| Summary {
            namespace: &i.request.name,
            environment: &env.name,
            changes: &i.notes,
            connectivity: c,
        })
        .collect();
    match format {
        ImportFormat::Json => outln!("{}", serde_json::to_string_pretty(&summaries)?),
        ImportFormat::Text => summaries.iter().for_each(|s| out!("{}", s.text())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rampart_import::Options;
    use rampart_kube::testing::{PAGE, cluster, mock_client, page};
    use serde_json::json;

    /// `import --cluster` reads what `audit` reads: a namespace served by a mock API server
    /// (which asserts every list request) imports like its manifests.
    #[tokio::test]
    async fn a_live_namespace_imports_from_the_objects_audit_reads() {
        let labels = json!({"app.kubernetes.io/name": "api"});
        let pages = cluster(vec![
            page(
                "/api/v1/namespaces",
                vec![
                    json!({"metadata": {"name": "shop", "labels": {"rampart.dev/team": "web-shop", "cost-center": "cc-1"}}}),
                ],
                None,
            ),
            page(
                "/apis/rbac.authorization.k8s.io/v1/rolebindings",
                vec![json!({"metadata": {"name": "admins", "namespace": "shop"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:shop-admins"}]})],
                None,
            ),
            page(
                "/apis/networking.k8s.io/v1/networkpolicies",
                vec![json!({"metadata": {"name": "api", "namespace": "shop"},
                "spec": {"podSelector": {"matchLabels": labels}, "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}], "ports": [{"port": 9090}]}]}})],
                None,
            ),
            page(
                "/apis/apps/v1/deployments",
                vec![json!({"metadata": {"name": "api", "namespace": "shop"},
                "spec": {"replicas": 3, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "api", "image": "registry.example.com/shop/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                        "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}],
                        "volumeMounts": [{"name": "api-db", "mountPath": "/var/run/secrets/api-db", "readOnly": true}]}],
                        "volumes": [{"name": "api-db", "secret": {"secretName": "api-db"}}]}}}})],
                None,
            ),
            page(
                "/apis/external-secrets.io/v1/externalsecrets",
                vec![json!({"metadata": {"name": "api-db", "namespace": "shop"},
                "spec": {"secretStoreRef": {"name": "vault", "kind": "SecretStore"}, "target": {"name": "api-db"},
                    "data": [{"secretKey": "password", "remoteRef": {"key": "shop/api-db", "property": "password", "version": "4"}}]}})],
                None,
            ),
            page(
                "/apis/external-secrets.io/v1/secretstores",
                vec![json!({"metadata": {"name": "vault", "namespace": "shop"},
                "spec": {"provider": {"vault": {"server": "https://vault.example.com", "path": "secret", "version": "v2"}}}})],
                None,
            ),
            page(
                "/api/v1/secrets",
                vec![json!({"name": "api-token", "namespace": "shop"})],
                None,
            ),
        ]);
        let (client, server) = mock_client(pages);
        let docs = crate::cluster::read_documents(&client, "cluster:test", PAGE)
            .await
            .expect("read");
        drop(client);
        server.await.expect("the verifier passes");
        let env = rampart_model::parse_environment(
            "environments/dev.yaml",
            include_str!("../../../../environments/dev.yaml"),
            "dev",
        )
        .expect("dev environment");
        let required = ["cost-center".to_owned(), "data-classification".to_owned()];
        let options = Options {
            team: None,
            labels: &[],
            required_labels: &required,
            env: &env,
            sources: "the cluster",
        };
        let imported =
            rampart_import::import(&docs, &["shop".to_owned()], &options).expect("import");
        let request = &imported[0].request;
        assert_eq!(request.team, "web-shop");
        assert_eq!(request.owners.admins, ["oidc:shop-admins"]);
        assert_eq!(request.labels["data-classification"], "unassigned");
        let api = &request.apps[0];
        assert_eq!(api.name, "api");
        assert_eq!(api.workload.as_ref().and_then(|w| w.replicas), Some(3));
        assert_eq!(api.ingress.len(), 1);
        assert_eq!(api.ingress[0].from_namespace.as_deref(), Some("monitoring"));
        assert!(
            imported[0].text.contains("ports: [{port: \"metrics\"}]"),
            "{}",
            imported[0].text
        );
        // The ExternalSecret the live cluster holds becomes the app's pinned secret.
        assert_eq!(api.secrets.len(), 1, "{}", imported[0].text);
        assert!(
            imported[0].text.contains("shop/api-db"),
            "{}",
            imported[0].text
        );
    }
}
