//! Checks of the `gitops:` section of rampart.yaml and of a request's `gitops:`.

use super::syntax::is_dns_label;
use crate::config::RepoConfig;
use crate::gitops::{Controller, RequestGitOps};
use crate::load::Report;

pub(crate) fn check_gitops(cfg: &RepoConfig, r: &mut Report) {
    let g = &cfg.gitops;
    if g.controller != Controller::None && g.repository_url(cfg).is_none() {
        r.error(
            "gitops.controller",
            "no repository URL for the controller to clone",
            "set `gitops.repository: https://git.example.com/platform/gitops.git` (or `service.repository`)",
        );
    }
    if let Some(url) = &g.repository
        && !is_repository_url(url)
    {
        r.error(
            "gitops.repository",
            format!("`{url}` is not a Git URL the controller can clone"),
            "use an https://, ssh:// or git@host:path URL without spaces",
        );
    }
    if let Some(rev) = &g.revision
        && !super::delivery::is_ref_component(rev)
    {
        r.error(
            "gitops.revision",
            format!("`{rev}` is not a branch name"),
            "name the branch the controller follows, e.g. `main`",
        );
    }
    for (field, ns) in [
        ("gitops.argocd.namespace", g.argocd.namespace.as_deref()),
        ("gitops.flux.namespace", g.flux.namespace.as_deref()),
        ("gitops.flux.secretName", g.flux.secret_name.as_deref()),
    ] {
        if let Some(ns) = ns
            && !is_dns_label(ns)
        {
            r.error(
                field,
                format!("`{ns}` is not an RFC 1123 label"),
                "use lowercase letters, digits and `-`",
            );
        }
    }
    for (env, server) in &g.argocd.destinations {
        let field = format!("gitops.argocd.destinations.{env}");
        if !cfg.environments.contains(env) {
            r.error(
                &field,
                format!("`{env}` is not an environment of this repository"),
                format!("use one of: {}", cfg.environments.join(", ")),
            );
        }
        if !server.starts_with("https://") || server.contains(char::is_whitespace) {
            r.error(
                &field,
                format!("`{server}` is not a cluster API server URL"),
                "use the URL Argo CD knows the cluster by (`argocd cluster list`), e.g. https://kubernetes.default.svc",
            );
        }
    }
}

/// Checks a request's `gitops:`.
pub(crate) fn check_request_gitops(g: &RequestGitOps, r: &mut Report) {
    for (i, repo) in g.source_repos.iter().enumerate() {
        if !is_repository_url(repo) {
            r.error(
                &format!("gitops.sourceRepos[{i}]"),
                format!("`{repo}` is not a Git URL"),
                "list the team's repositories as https://, ssh:// or git@host:path URLs (no wildcards)",
            );
        }
    }
}

/// Whether `url` is a cloneable Git URL: https, ssh or scp-like, no spaces, no wildcard.
fn is_repository_url(url: &str) -> bool {
    let scp_like = url
        .strip_prefix("git@")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(host, path)| !host.is_empty() && !path.is_empty());
    let with_scheme = ["https://", "ssh://"].iter().any(|scheme| {
        url.strip_prefix(scheme)
            .is_some_and(|rest| rest.split('/').next().is_some_and(|host| !host.is_empty()))
    });
    (scp_like || with_scheme) && !url.contains(char::is_whitespace) && !url.contains('*')
}

#[cfg(test)]
mod tests {
    use crate::parse_repo_config;

    const HEAD: &str =
        "apiVersion: rampart.dev/v1alpha1\nkind: RepoConfig\nenvironments: [dev, prod]\n";

    fn errors(text: &str) -> String {
        parse_repo_config("rampart.yaml", text)
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn an_argocd_section_parses_with_its_defaults() {
        let text = format!(
            "{HEAD}gitops:\n  controller: argocd\n  repository: https://git.example.com/gitops.git\n  argocd:\n    destinations: {{prod: https://prod.example.com:6443}}\n"
        );
        let cfg = parse_repo_config("rampart.yaml", &text).expect("valid");
        assert_eq!(cfg.gitops.argocd.namespace(), "argocd");
        assert_eq!(
            cfg.gitops.argocd.destination("dev"),
            crate::gitops::IN_CLUSTER
        );
        assert_eq!(
            cfg.gitops.argocd.destination("prod"),
            "https://prod.example.com:6443"
        );
        assert_eq!(cfg.gitops.revision_name(&cfg), "main");
        assert!(!cfg.offboarding.delete_namespace);
    }

    #[test]
    fn bad_gitops_settings_are_located() {
        let text = format!(
            "{HEAD}gitops:\n  controller: flux\n  revision: a..b\n  flux:\n    namespace: Flux_System\n  argocd:\n    destinations:\n      qa: http://qa\n"
        );
        let err = errors(&text);
        for expected in [
            "rampart.yaml:5:",
            "no repository URL",
            "rampart.yaml:6:",
            "`a..b` is not a branch name",
            "rampart.yaml:8:",
            "`Flux_System` is not an RFC 1123 label",
            "rampart.yaml:11:",
            "`qa` is not an environment",
            "not a cluster API server URL",
        ] {
            assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
        }
    }

    #[test]
    fn an_unknown_controller_or_field_is_refused_with_its_line() {
        let err = errors(&format!("{HEAD}gitops:\n  controller: jenkins\n"));
        assert!(err.contains("rampart.yaml:5"), "{err}");
        let err = errors(&format!("{HEAD}offboarding:\n  deleteNamespaces: true\n"));
        assert!(err.contains("rampart.yaml:5"), "{err}");
    }

    #[test]
    fn repository_urls() {
        for ok in [
            "https://git.example.com/a/b.git",
            "ssh://git@git.example.com/a/b.git",
            "git@github.com:acme/gitops.git",
        ] {
            assert!(super::is_repository_url(ok), "{ok}");
        }
        for bad in [
            "",
            "git.example.com/a",
            "https://",
            "https://x/*",
            "file:///tmp/x",
            "git@:x",
        ] {
            assert!(!super::is_repository_url(bad), "{bad}");
        }
    }
}
