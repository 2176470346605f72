//! Parse-and-validate entry points: text in, typed value or located diagnostics out.

mod cluster;
mod context;
mod delivery;
mod environment;
mod gitops;
mod network_tests;
mod remote_key;
mod request;
mod rotation;
mod rotator;
mod secret_stores;
mod secrets;
mod service;
mod shares;
pub mod syntax;

pub use context::RequestContext;
pub use network_tests::check_network_tests;
pub use service::check_service;
pub use shares::{RequestSource, check_shared_keys};

use crate::config::RepoConfig;
use crate::diagnostic::Diagnostics;
use crate::environment::Environment;
use crate::load::{Report, parse_document};
use crate::request::NamespaceRequest;

/// Parses and validates a namespace request read from `file`.
pub fn parse_request(
    file: &str,
    text: &str,
    ctx: &RequestContext,
) -> Result<NamespaceRequest, Diagnostics> {
    if text.contains("secrets") {
        let mut inline = Report::new(file, text);
        secrets::check_inline_values(text, &mut inline);
        inline.finish()?;
    }
    let req = parse_document::<NamespaceRequest>(file, text)?;
    let mut report = Report::new(file, text);
    request::check_request(&req, ctx, &mut report);
    report.finish().map(|()| req)
}

/// Parses and validates `environments/<expected_name>.yaml`.
pub fn parse_environment(
    file: &str,
    text: &str,
    expected_name: &str,
) -> Result<Environment, Diagnostics> {
    let mut env = parse_document::<Environment>(file, text)?;
    let mut report = Report::new(file, text);
    environment::check_environment(&env, expected_name, &mut report);
    if env
        .secret_stores
        .vault
        .as_ref()
        .is_some_and(|v| v.rotator.is_some())
    {
        let (line, _) =
            crate::locate::SourceMap::new(text).locate("secretStores.vault.rotator.auth");
        env.rotator_auth_at = Some(format!("{file}:{line}"));
    }
    report.finish().map(|()| env)
}

/// Parses and validates `rampart.yaml`.
pub fn parse_repo_config(file: &str, text: &str) -> Result<RepoConfig, Diagnostics> {
    let cfg = parse_document::<RepoConfig>(file, text)?;
    let mut report = Report::new(file, text);
    environment::check_repo_config(&cfg, &mut report);
    delivery::check_delivery(&cfg.delivery, &mut report);
    gitops::check_gitops(&cfg, &mut report);
    report.finish().map(|()| cfg)
}
