//! `rampart audit`: the checks of `rampart check`, run over a live cluster, read-only.

use crate::cli::AuditArgs;
use crate::cluster::{self, ClusterError, PAGE_SIZE};
use anyhow::Result;
use kube::Client;
use std::process::ExitCode;

use super::EXIT_INVALID_INPUT;
use super::check::{policy_options, report_findings};

pub(super) fn run(args: AuditArgs) -> Result<ExitCode> {
    // One request at a time: a current-thread runtime is all the client needs.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(async {
        match cluster::connect(args.kubeconfig.as_deref(), args.context.as_deref()).await {
            Ok((client, context)) => audit(&client, &context, &args).await,
            Err(e) => unreadable(&e),
        }
    }))
}

/// Reads the cluster behind `client` and reports like `check`; 2 when it cannot be read.
async fn audit(client: &Client, context: &str, args: &AuditArgs) -> ExitCode {
    audit_paged(client, context, args, PAGE_SIZE).await
}

async fn audit_paged(client: &Client, context: &str, args: &AuditArgs, page_size: u32) -> ExitCode {
    let location = format!("cluster:{context}");
    match cluster::read_documents(client, &location, page_size).await {
        Ok(docs) => {
            let options = policy_options(&args.report);
            let findings = rampart_policy::check(&docs, &options);
            report_findings(
                &findings,
                docs.len(),
                args.report.format,
                args.report.fail_on,
                &[],
            )
        }
        Err(e) => unreadable(&e),
    }
}

/// Prints why the cluster could not be read (each cause once) and returns exit code 2.
pub(super) fn unreadable(error: &ClusterError) -> ExitCode {
    eprintln!("error: {error}");
    let mut shown = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        let text = c.to_string();
        // kube's messages often end with their source's; print that only once.
        if !shown.contains(&text) {
            eprintln!("  caused by: {text}");
        }
        shown = text;
        cause = c.source();
    }
    eprintln!("nothing was checked");
    ExitCode::from(EXIT_INVALID_INPUT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{CheckFormat, FailOn, ReportArgs};
    use rampart_kube::testing::{
        PAGE, Page, cluster, mock_client, page, privileged_pod, unreachable_client,
    };
    use serde_json::json;

    fn args(fail_on: FailOn) -> AuditArgs {
        AuditArgs {
            kubeconfig: None,
            context: None,
            report: ReportArgs {
                format: CheckFormat::Json,
                fail_on,
                allowed_registries: Vec::new(),
                today: None,
                max_exception_days: None,
            },
        }
    }

    /// Runs `audit` against a mock API server serving `pages`, which asserts every request.
    async fn audit_with(pages: Vec<Page>, fail_on: FailOn) -> ExitCode {
        let (client, server) = mock_client(pages);
        let code = audit_paged(&client, "test", &args(fail_on), PAGE).await;
        drop(client);
        server.await.expect("the verifier passes");
        code
    }

    #[tokio::test]
    async fn a_clean_cluster_exits_0() {
        let namespace = json!({"metadata": {"name": "shop", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}});
        let deny = json!({"metadata": {"name": "default-deny-all", "namespace": "shop"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}});
        let pages = cluster(vec![
            page("/api/v1/namespaces", vec![namespace], None),
            page(
                "/apis/networking.k8s.io/v1/networkpolicies",
                vec![deny],
                None,
            ),
            page(
                "/api/v1/secrets",
                vec![json!({"name": "tls", "namespace": "shop"})],
                None,
            ),
        ]);
        assert_eq!(audit_with(pages, FailOn::Low).await, ExitCode::SUCCESS);
    }

    #[tokio::test]
    async fn a_finding_at_the_fail_on_severity_exits_1() {
        let pods = || {
            cluster(vec![page(
                "/api/v1/pods",
                vec![privileged_pod("web")],
                None,
            )])
        };
        assert_eq!(audit_with(pods(), FailOn::High).await, ExitCode::FAILURE);
    }

    #[tokio::test]
    async fn a_cluster_that_cannot_be_read_exits_2() {
        let code = audit_paged(&unreachable_client(), "test", &args(FailOn::Low), PAGE).await;
        assert_eq!(code, ExitCode::from(EXIT_INVALID_INPUT));
    }

    #[test]
    fn a_missing_kubeconfig_exits_2() {
        let mut args = args(FailOn::Low);
        args.kubeconfig = Some("/nonexistent/rampart/kubeconfig".into());
        let code = run(args).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code, ExitCode::from(EXIT_INVALID_INPUT));
    }
}
