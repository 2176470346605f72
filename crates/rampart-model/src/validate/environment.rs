//! Checks of environment values and of `rampart.yaml`.

use super::request::{check_quota_entry, check_resources};
use super::syntax::{is_dns_label, is_label_key, is_label_value};
use crate::config::RepoConfig;
use crate::environment::Environment;
use crate::load::Report;
use crate::request::API_VERSION;
use std::collections::BTreeSet;
use std::net::IpAddr;

const LEVELS: &[&str] = &["privileged", "baseline", "restricted"];

pub(crate) fn check_environment(env: &Environment, expected_name: &str, r: &mut Report) {
    super::service::check_environment_service(&env.service, r);
    check_header(&env.api_version, &env.kind, "Environment", r);
    if env.name != expected_name {
        r.error(
            "name",
            format!(
                "name `{}` differs from the file name `{expected_name}.yaml`",
                env.name
            ),
            format!("set `name: {expected_name}`"),
        );
    }
    let version_ok = env
        .kubernetes_version
        .strip_prefix("1.")
        .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()));
    if !version_ok {
        r.error(
            "kubernetesVersion",
            format!(
                "`{}` is not a Kubernetes minor version",
                env.kubernetes_version
            ),
            "write the cluster's version as a quoted string, e.g. \"1.34\"",
        );
    }
    let ps = &env.pod_security;
    for (field, level) in [
        ("enforce", &ps.enforce),
        ("audit", &ps.audit),
        ("warn", &ps.warn),
    ] {
        if !LEVELS.contains(&level.as_str()) {
            r.error(
                &format!("podSecurity.{field}"),
                format!("unknown Pod Security level `{level}`"),
                "use `baseline` or `restricted`",
            );
        }
    }
    if ps.enforce == "privileged" {
        r.error(
            "podSecurity.enforce",
            "`privileged` enforces nothing",
            "enforce `baseline` at least, `restricted` for production (checklist 3.1)",
        );
    }
    let production = matches!(env.name.as_str(), "prod" | "production");
    if production && ps.enforce != "restricted" {
        r.error("podSecurity.enforce", format!("production enforces `{}`", ps.enforce), "set `enforce: restricted` (checklist 3.2: use the restricted profile for production workloads)");
    }
    let expected_version = format!("v{}", env.kubernetes_version);
    if ps.enforce_version != expected_version {
        r.error("podSecurity.enforceVersion", format!("`{}` is not pinned to the cluster version {}", ps.enforce_version, env.kubernetes_version), format!("set `enforceVersion: {expected_version}` so upgrades never change what is enforced silently"));
    }
    for (key, value) in &env.defaults.quota {
        check_quota_entry(&format!("defaults.quota.{key}"), key, value, r);
    }
    check_resources("defaults.limits", &env.defaults.limits, r);
    if env.defaults.replicas < 2 {
        r.error(
            "defaults.replicas",
            "fewer than 2 replicas cannot survive a node drain",
            "use at least 2",
        );
    }
    if env.allowed_registries.is_empty() {
        r.error(
            "allowedRegistries",
            "no registry is allowed",
            "list the registries workloads may pull from, e.g. `registry.corp.example/`",
        );
    }
    for (i, reg) in env.allowed_registries.iter().enumerate() {
        if !reg.ends_with('/') || reg.len() < 2 {
            r.error(
                &format!("allowedRegistries[{i}]"),
                format!("`{reg}` does not end with `/`, so `{reg}.evil.io/...` would match it too"),
                format!("write `{}/`", reg.trim_end_matches('/')),
            );
        }
    }
    if !is_dns_label(&env.dns.namespace) {
        r.error(
            "dns.namespace",
            format!("`{}` is not a namespace name", env.dns.namespace),
            "usually `kube-system`",
        );
    }
    if env.dns.pod_labels.is_empty() {
        r.error(
            "dns.podLabels",
            "no DNS pod labels",
            "CoreDNS keeps `k8s-app: kube-dns`",
        );
    }
    for (key, value) in &env.dns.pod_labels {
        if !is_label_key(key) || !is_label_value(value) {
            r.error(
                &format!("dns.podLabels.{key}"),
                "invalid label",
                "use valid label keys and values",
            );
        }
    }
    super::cluster::check_cluster(&env.cluster, r);
    if let Some(addr) = &env.dns.node_local_dns_cache
        && addr.parse::<IpAddr>().is_err()
    {
        r.error(
            "dns.nodeLocalDnsCache",
            format!("`{addr}` is not an IP address"),
            "the NodeLocal DNSCache address is usually 169.254.20.10",
        );
    }
    super::secret_stores::check_secret_stores(env, r);
}

pub(crate) fn check_repo_config(cfg: &RepoConfig, r: &mut Report) {
    check_header(&cfg.api_version, &cfg.kind, "RepoConfig", r);
    if cfg.environments.is_empty() {
        r.error(
            "environments",
            "no environment listed",
            "list e.g. `[dev, staging, prod]`, each with environments/<name>.yaml",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, env) in cfg.environments.iter().enumerate() {
        if !is_dns_label(env) {
            r.error(
                &format!("environments[{i}]"),
                format!("`{env}` is not an RFC 1123 label"),
                "use lowercase letters, digits and `-`",
            );
        } else if !seen.insert(env) {
            r.error(
                &format!("environments[{i}]"),
                format!("duplicate environment `{env}`"),
                "list each environment once",
            );
        }
    }
    for (i, key) in cfg.governance.required_labels.iter().enumerate() {
        if !is_label_key(key) {
            r.error(
                &format!("governance.requiredLabels[{i}]"),
                format!("`{key}` is not a label key"),
                "use `[prefix/]name`",
            );
        }
    }
}

fn check_header(api_version: &str, kind: &str, expected_kind: &str, r: &mut Report) {
    if api_version != API_VERSION {
        r.error(
            "apiVersion",
            format!("unsupported apiVersion `{api_version}`"),
            format!("write `apiVersion: {API_VERSION}`"),
        );
    }
    if kind != expected_kind {
        r.error(
            "kind",
            format!("expected kind {expected_kind}, found `{kind}`"),
            format!("write `kind: {expected_kind}`"),
        );
    }
}
