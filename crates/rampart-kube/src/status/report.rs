//! `rampart status`'s text: per namespace what is not live, then one summary line.

use super::{NamespaceStatus, ObjectState, Rollout, SecretStatus};
use std::fmt::Write;

/// The text report of `statuses`, rendered from `commit`: every object not in sync, every
/// secret, and one summary line per namespace.
pub fn format_text(statuses: &[NamespaceStatus], commit: &str) -> String {
    let mut out = String::new();
    for status in statuses {
        let _ = writeln!(
            out,
            "{}/{} @ {commit}",
            status.environment, status.namespace
        );
        for object in &status.objects {
            match &object.state {
                ObjectState::InSync => {}
                ObjectState::Missing => {
                    let _ = writeln!(out, "  missing  {}", object.object);
                }
                ObjectState::Differs { fields } => {
                    let _ = writeln!(out, "  differs  {}", object.object);
                    for field in fields {
                        let live = match (&field.live, field.present) {
                            (_, false) => "absent".to_owned(),
                            (Some(value), true) => value.to_string(),
                            (None, true) => "other".to_owned(),
                        };
                        let _ = writeln!(
                            out,
                            "           {}: git {}, live {live}",
                            field.path, field.git
                        );
                    }
                }
            }
        }
        for secret in &status.secrets {
            secret_lines(&mut out, secret);
        }
        let _ = writeln!(out, "{}", summary(status));
    }
    out
}

fn secret_lines(out: &mut String, secret: &SecretStatus) {
    let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    let state = if secret.is_live() { "live" } else { "NOT LIVE" };
    let _ = write!(
        out,
        "  secret   {}: {state}; git version {}, live spec {}, Ready {}",
        secret.name,
        version(&secret.pinned),
        version(&secret.live),
        secret.ready.as_deref().unwrap_or("-"),
    );
    if let Some(reason) = &secret.reason {
        let _ = write!(out, " ({reason})");
    }
    if secret.live.is_some() && !secret.synced {
        let _ = write!(out, ", spec not yet synced");
    }
    if let Some(refreshed) = &secret.refreshed {
        let _ = write!(out, ", refreshed {refreshed}");
    }
    out.push('\n');
    for workload in &secret.workloads {
        let rollout = match &workload.rollout {
            Rollout::Rolled => "rolled".to_owned(),
            Rollout::Missing => "missing".to_owned(),
            Rollout::OldTemplate => "old pod template (pinned-versions differs)".to_owned(),
            Rollout::NotObserved => "new spec not yet observed".to_owned(),
            Rollout::InProgress {
                replicas,
                updated,
                ready,
                total,
            } => format!(
                "rolling: {updated}/{replicas} updated, {ready}/{replicas} ready, {total} pods"
            ),
        };
        let _ = writeln!(out, "           {}: {rollout}", workload.object);
    }
}

/// `prod/shop: live — 14 objects in sync, 2 secrets live` or what is not.
pub fn summary(status: &NamespaceStatus) -> String {
    let count =
        |want: fn(&ObjectState) -> bool| status.objects.iter().filter(|o| want(&o.state)).count();
    let in_sync = count(|s| *s == ObjectState::InSync);
    let missing = count(|s| *s == ObjectState::Missing);
    let differs = status.objects.len() - in_sync - missing;
    let live_secrets = status.secrets.iter().filter(|s| s.is_live()).count();
    format!(
        "{}/{}: {} — objects: {in_sync} in sync, {differs} differ, {missing} missing; secrets: {live_secrets} of {} live",
        status.environment,
        status.namespace,
        if status.is_live() { "live" } else { "NOT LIVE" },
        status.secrets.len(),
    )
}
