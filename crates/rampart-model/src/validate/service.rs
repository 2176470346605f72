//! Checks of the rotation service's namespace: `service:` in `rampart.yaml` (against the
//! environments and requests) and `service:` in an environment.

use super::remote_key::check_remote_key;
use super::request::{check_egress, check_image, check_labels, is_system_namespace};
use super::secret_stores::is_role_arn;
use super::syntax::{is_dns_label, is_label_key, is_label_value};
use crate::config::RepoConfig;
use crate::diagnostic::Diagnostics;
use crate::environment::Environment;
use crate::load::Report;
use crate::secret::SecretBackend;
use crate::service::{EnvironmentService, ServiceConfig};
use crate::validate::RequestContext;
use std::collections::BTreeMap;

/// Checks `service:` of `rampart.yaml` (`file`, whose text is `text`) against the
/// environments it renders into and the namespaces teams request.
pub fn check_service(
    file: &str,
    text: &str,
    config: &RepoConfig,
    environments: &[Environment],
    requested: &[&str],
) -> Result<(), Diagnostics> {
    let Some(svc) = config.service() else {
        return Ok(());
    };
    let mut r = Report::new(file, text);
    check_namespace(svc, requested, &mut r);
    if !is_dns_label(&svc.team) {
        r.error(
            "service.team",
            format!("`{}` is not an RFC 1123 label", svc.team),
            "use lowercase letters, digits and `-`, e.g. `platform`",
        );
    }
    check_labels(
        "service.labels",
        &svc.labels,
        &config.governance.required_labels,
        &mut r,
    );
    let ctx = RequestContext {
        file_stem: &svc.namespace,
        required_labels: &config.governance.required_labels,
        environments,
        delivery_mode: config.delivery.mode,
    };
    check_image("service.image", &svc.image, &ctx, &mut r);
    check_repository(&svc.repository, &mut r);
    check_alert_after(svc, &mut r);
    check_git_token(svc, environments, &mut r);
    for (i, rule) in svc.egress.iter().enumerate() {
        check_egress(
            &format!("service.egress[{i}]"),
            rule,
            &BTreeMap::new(),
            &mut r,
        );
    }
    let from = &svc.metrics_from;
    if !is_dns_label(&from.namespace) {
        r.error(
            "service.metricsFrom.namespace",
            format!("`{}` is not a namespace name", from.namespace),
            "name the namespace Prometheus runs in, e.g. `monitoring`",
        );
    }
    for (key, value) in &from.pod_labels {
        if !is_label_key(key) || !is_label_value(value) {
            r.error(
                &format!("service.metricsFrom.podLabels.{key}"),
                format!("`{key}: {value}` is not a valid label selector entry"),
                "use valid label keys and values",
            );
        }
    }
    r.finish()
}

/// The shortest and longest `pinNotLiveAlertAfter`: a rollout takes minutes; past a week
/// the alert says nothing a person would act on.
const ALERT_AFTER_SECONDS: std::ops::RangeInclusive<u64> = 300..=168 * 3600;

fn check_alert_after(svc: &ServiceConfig, r: &mut Report) {
    let text = &svc.pin_not_live_alert_after;
    match crate::service::alert_after_seconds(text) {
        Some(seconds) if ALERT_AFTER_SECONDS.contains(&seconds) => {}
        Some(_) => r.error(
            "service.pinNotLiveAlertAfter",
            format!("`{text}` is outside 5m to 168h"),
            "give the rollout time to finish and the alert a point: e.g. `30m` (the default) or `2h`",
        ),
        None => r.error(
            "service.pinNotLiveAlertAfter",
            format!("`{text}` is not a number of minutes or hours"),
            "write minutes or hours, e.g. `30m` (the default) or `2h`",
        ),
    }
}

fn check_namespace(svc: &ServiceConfig, requested: &[&str], r: &mut Report) {
    let ns = svc.namespace.as_str();
    if !is_dns_label(ns) {
        r.error(
            "service.namespace",
            format!("`{ns}` is not an RFC 1123 label"),
            "use lowercase letters, digits and `-`, e.g. `rampart-system`",
        );
    } else if is_system_namespace(ns) {
        r.error(
            "service.namespace",
            format!("`{ns}` is a system namespace"),
            "give the service a namespace of its own, e.g. `rampart-system`",
        );
    } else if requested.contains(&ns) {
        r.error(
            "service.namespace",
            format!("`{ns}` is also requested by specs/{ns}.yaml"),
            "give the service another namespace, or rename the request: one namespace cannot be both",
        );
    }
}

fn check_repository(url: &str, r: &mut Report) {
    let Some(rest) = url.strip_prefix("https://") else {
        r.error(
            "service.repository",
            format!("`{url}` is not an HTTPS URL"),
            "write the repository's HTTPS clone URL, e.g. https://github.com/acme/gitops.git: the service authenticates with the token of service.gitToken",
        );
        return;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        r.error(
            "service.repository",
            "the URL carries user information",
            "remove `user[:password]@`: the token comes from service.gitToken, never from Git",
        );
    } else if authority.is_empty() || rest.len() == authority.len() {
        r.error(
            "service.repository",
            format!("`{url}` names no repository"),
            "write the clone URL with its path, e.g. https://github.com/acme/gitops.git",
        );
    }
}

fn check_git_token(svc: &ServiceConfig, environments: &[Environment], r: &mut Report) {
    let token = &svc.git_token;
    check_remote_key(
        "service.gitToken.remoteKey",
        token.backend,
        &token.remote_key,
        r,
    );
    if !is_label_key(&token.property) || token.property.contains('/') {
        r.error(
            "service.gitToken.property",
            format!("`{}` is not a secret key", token.property),
            "name the key that holds the token, e.g. `token`",
        );
    }
    for env in environments {
        let configured = match token.backend {
            SecretBackend::Vault => env.secret_stores.vault.is_some(),
            SecretBackend::Aws => env.secret_stores.aws.is_some(),
        };
        if !configured {
            r.error(
                "service.gitToken.backend",
                format!(
                    "environment `{}` has no secretStores.{}",
                    env.name,
                    token.backend.as_str()
                ),
                format!(
                    "configure it in environments/{}.yaml or keep the token in a backend every environment has",
                    env.name
                ),
            );
        }
        if token.version.for_environment(&env.name).is_none() {
            r.error(
                "service.gitToken.version",
                format!("no version pinned for environment `{}`", env.name),
                format!("add `{}: <version>` under version", env.name),
            );
        }
    }
}

/// Checks `service:` of an environment.
pub(super) fn check_environment_service(svc: &EnvironmentService, r: &mut Report) {
    for (i, rule) in svc.egress.iter().enumerate() {
        check_egress(&format!("service.egress[{i}]"), rule, &BTreeMap::new(), r);
    }
    if svc.replicas == Some(0) {
        r.error(
            "service.replicas",
            "0 replicas run no service",
            "keep 2 (one active, one on standby) or remove `service` from rampart.yaml",
        );
    }
    if let Some(arn) = svc.aws_role_arn.as_ref().filter(|a| !is_role_arn(a)) {
        r.error(
            "service.awsRoleArn",
            format!("`{arn}` is not an IAM role ARN"),
            "write arn:aws:iam::<12-digit account>:role/<name>",
        );
    }
}
