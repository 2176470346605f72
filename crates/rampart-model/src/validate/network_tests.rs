//! Checks of `networkTests` in an environment: what the probe Jobs need from rampart.yaml.

use crate::config::RepoConfig;
use crate::diagnostic::Diagnostics;
use crate::environment::Environment;
use crate::load::Report;

/// Checks that `env` (read from `file`, whose text is `text`), when it sets `networkTests`,
/// has the image its probe Jobs run: the Rampart image, `service.image` of `config`. With
/// the service enabled, [`crate::check_service`] already holds that image to every
/// environment's rules; with `enabled: false` this does, for this environment.
pub fn check_network_tests(
    file: &str,
    text: &str,
    env: &Environment,
    config: &RepoConfig,
) -> Result<(), Diagnostics> {
    if !env.network_tests {
        return Ok(());
    }
    let mut r = Report::new(file, text);
    match &config.service {
        None => r.error(
            "networkTests",
            "the probe Jobs run `rampart probe` from the Rampart image, and rampart.yaml names none",
            "add a `service:` section with `image: <registry>/rampart@sha256:<digest>` to rampart.yaml (`enabled: false` renders no rotation service; see docs/network-tests.md), or set `networkTests: false`",
        ),
        Some(svc) if !svc.enabled => {
            let image = &svc.image;
            if !super::request::is_pinned(image) {
                r.error(
                    "networkTests",
                    format!("the probe image `{image}` (service.image of rampart.yaml) is not pinned by digest"),
                    "pin it in rampart.yaml: `registry/repo@sha256:<digest>`",
                );
            }
            if !env
                .allowed_registries
                .iter()
                .any(|prefix| image.starts_with(prefix.as_str()))
            {
                r.error(
                    "networkTests",
                    format!("the probe image `{image}` (service.image of rampart.yaml) is not from a registry this environment allows"),
                    format!(
                        "use an image under one of {} or allow its registry in allowedRegistries",
                        env.allowed_registries.join(", ")
                    ),
                );
            }
        }
        Some(_) => {}
    }
    r.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_environment, parse_repo_config};

    const STAGING: &str = include_str!("../../../../environments/staging.yaml");
    const CONFIG: &str = include_str!("../../../../examples/rampart.yaml");

    fn problems(env_text: &str, config_text: &str) -> Vec<String> {
        let env = parse_environment("environments/staging.yaml", env_text, "staging").unwrap();
        let config = parse_repo_config("rampart.yaml", config_text).unwrap();
        match check_network_tests("environments/staging.yaml", env_text, &env, &config) {
            Ok(()) => Vec::new(),
            Err(d) => d.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn network_tests_need_the_rampart_image() {
        let line = STAGING
            .lines()
            .position(|l| l.starts_with("networkTests:"))
            .unwrap()
            + 1;
        let without_service = CONFIG.split("\nservice:\n").next().unwrap().to_owned();
        let disabled = CONFIG.replace(
            "service:\n  namespace:",
            "service:\n  enabled: false\n  namespace:",
        );
        let unpinned = disabled.replace(
            "@sha256:6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            ":1.0",
        );
        let elsewhere = disabled.replace(
            "registry.example.com/platform/rampart",
            "ghcr.io/acme/rampart",
        );
        let off = STAGING.replace("networkTests: true", "networkTests: false");
        for (case, env, config, expected) in [
            ("the example", STAGING, CONFIG, vec![]),
            (
                "service disabled, its image still names the Rampart image",
                STAGING,
                disabled.as_str(),
                vec![],
            ),
            (
                "no tests, no image needed",
                off.as_str(),
                without_service.as_str(),
                vec![],
            ),
            (
                "no service section",
                STAGING,
                without_service.as_str(),
                vec!["rampart.yaml names none"],
            ),
            (
                "unpinned",
                STAGING,
                unpinned.as_str(),
                vec!["is not pinned by digest"],
            ),
            (
                "another registry",
                STAGING,
                elsewhere.as_str(),
                vec!["not from a registry this environment allows"],
            ),
        ] {
            let found = problems(env, config);
            assert_eq!(found.len(), expected.len(), "{case}: {found:?}");
            for (problem, text) in found.iter().zip(expected) {
                assert!(problem.contains(text), "{case}: {problem}");
                assert!(
                    problem.starts_with(&format!("environments/staging.yaml:{line}:")),
                    "{case}: located at networkTests: {problem}"
                );
            }
        }
    }
}
