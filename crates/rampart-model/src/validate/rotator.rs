//! Checks of an environment's rotation settings: `secretStores.vault.rotator` (how the
//! rotation engine logs in) and `secretStores.rotation`.

use super::syntax::{is_mount, is_role_name};
use crate::environment::Environment;
use crate::environment::secret_stores::{MIN_KEEP_VERSIONS, RotatorAuthMethod, VaultRotator};
use crate::load::Report;

/// Checks `secretStores.vault.rotator` and `secretStores.rotation` of an environment.
pub(crate) fn check_rotation_settings(env: &Environment, r: &mut Report) {
    let stores = &env.secret_stores;
    if let Some(rotator) = stores.vault.as_ref().and_then(|v| v.rotator.as_ref()) {
        check_rotator(rotator, r);
    }
    if let Some(keep) = stores.rotation.as_ref().and_then(|r| r.keep_versions)
        && keep < MIN_KEEP_VERSIONS
    {
        r.error(
            "secretStores.rotation.keepVersions",
            format!("{keep} is below {MIN_KEEP_VERSIONS}"),
            "keep at least 2 versions, the pinned one and the one a rotation writes; keep as many as your rollback window needs (default 5)",
        );
    }
}

fn check_rotator(rotator: &VaultRotator, r: &mut Report) {
    const P: &str = "secretStores.vault.rotator";
    let (unused, other): (&[(&str, bool)], &str) = match rotator.auth {
        RotatorAuthMethod::Token => (
            &[
                ("role", rotator.role.is_some()),
                ("mountPath", rotator.mount_path.is_some()),
            ],
            "kubernetes",
        ),
        RotatorAuthMethod::Kubernetes => (&[("tokenFile", rotator.token_file.is_some())], "token"),
    };
    for (field, set) in unused {
        if *set {
            r.error(
                &format!("{P}.{field}"),
                format!(
                    "`{field}` is not used with `auth: {}`",
                    auth_name(rotator.auth)
                ),
                format!("remove it, or set `auth: {other}`"),
            );
        }
    }
    if let Some(file) = &rotator.token_file {
        let ok = (file.starts_with('/') || file.starts_with("~/"))
            && file.len() > 2
            && !file.chars().any(char::is_control);
        if !ok {
            r.error(
                &format!("{P}.tokenFile"),
                format!("`{file}` is not an absolute file path"),
                "write the path of a file holding the token, e.g. `/run/secrets/vault-token`; never the token itself",
            );
        }
    }
    if rotator.auth == RotatorAuthMethod::Kubernetes {
        match &rotator.role {
            None => r.error(
                P,
                "`auth: kubernetes` without a `role`",
                "add `role: rampart-rotator` (the Vault role bound to the rotator's ServiceAccount)",
            ),
            Some(role) if !is_role_name(role) => r.error(
                &format!("{P}.role"),
                format!("`{role}` is not a Vault role name"),
                "use letters, digits, `-`, `_` and `.`, e.g. `rampart-rotator` (one rotator identity per environment)",
            ),
            Some(_) => {}
        }
        if let Some(mount) = rotator.mount_path.as_deref().filter(|m| !is_mount(m)) {
            r.error(
                &format!("{P}.mountPath"),
                format!("`{mount}` is not a Vault mount path"),
                "write the mount without slashes at either end, e.g. `kubernetes`",
            );
        }
    }
}

fn auth_name(auth: RotatorAuthMethod) -> &'static str {
    match auth {
        RotatorAuthMethod::Token => "token",
        RotatorAuthMethod::Kubernetes => "kubernetes",
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_environment;
    use crate::validate::secret_stores::tests::{PROD, stores_error};

    #[test]
    fn rotator_and_rotation_settings_are_checked() {
        let rotator = "      auth: kubernetes                    # the rotator's ServiceAccount, in the cluster\n      role: rampart-rotator               # Vault role allowed to write the rotated keys\n      mountPath: kubernetes\n";
        assert!(PROD.contains(rotator));
        for (to, want) in [
            (
                "      auth: kubernetes\n      mountPath: kubernetes\n",
                "environments/prod.yaml:48:5: error: secretStores.vault.rotator: `auth: kubernetes` without a `role`",
            ),
            (
                "      auth: kubernetes\n      role: \"rampart-{namespace}\"\n",
                "secretStores.vault.rotator.role: `rampart-{namespace}` is not a Vault role name",
            ),
            (
                "      auth: kubernetes\n      role: r\n      mountPath: /kubernetes/\n",
                "secretStores.vault.rotator.mountPath: `/kubernetes/` is not a Vault mount path",
            ),
            (
                "      auth: kubernetes\n      role: r\n      tokenFile: /run/t\n",
                "secretStores.vault.rotator.tokenFile: `tokenFile` is not used with `auth: kubernetes`",
            ),
            (
                "      auth: token\n      role: r\n",
                "secretStores.vault.rotator.role: `role` is not used with `auth: token`",
            ),
            (
                "      auth: token\n      tokenFile: run/token\n",
                "secretStores.vault.rotator.tokenFile: `run/token` is not an absolute file path",
            ),
            (
                "      auth: approle\n",
                "secretStores.vault.rotator.auth: unknown variant `approle`, expected `token` or `kubernetes`",
            ),
        ] {
            let err = stores_error(rotator, to);
            assert!(err.contains(want), "want {want}\n{err}");
        }
        assert_eq!(
            stores_error(
                rotator,
                "      auth: token\n      tokenFile: ~/.vault-token\n"
            ),
            ""
        );
        let err = stores_error("keepVersions: 5 ", "keepVersions: 1 ");
        assert!(
            err.contains("environments/prod.yaml:57:19: error: secretStores.rotation.keepVersions: 1 is below 2"),
            "{err}"
        );
        let err = stores_error("delivery: pull-request ", "delivery: email ");
        assert!(
            err.contains("secretStores.rotation.delivery: unknown variant `email`"),
            "{err}"
        );
    }

    #[test]
    fn rotation_settings_default_to_the_repository_s_delivery() {
        use crate::delivery::DeliveryMode;
        use crate::environment::secret_stores::{RotatorAuth, SecretStores};
        let prod = parse_environment("environments/prod.yaml", PROD, "prod").unwrap();
        let stores = &prod.secret_stores;
        assert_eq!(stores.keep_versions(), 5);
        assert_eq!(
            stores.rotation_delivery(DeliveryMode::Commit),
            DeliveryMode::PullRequest
        );
        assert_eq!(
            stores
                .vault
                .as_ref()
                .and_then(|v| v.rotator.as_ref())
                .map(|r| r.auth()),
            Some(RotatorAuth::Kubernetes {
                role: "rampart-rotator",
                mount_path: "kubernetes"
            })
        );
        let none = SecretStores::default();
        assert_eq!(none.keep_versions(), 5);
        assert_eq!(
            none.rotation_delivery(DeliveryMode::Push),
            DeliveryMode::Push
        );
        let dev = parse_environment(
            "environments/dev.yaml",
            include_str!("../../../../environments/dev.yaml"),
            "dev",
        )
        .unwrap();
        assert_eq!(
            dev.secret_stores
                .vault
                .as_ref()
                .and_then(|v| v.rotator.as_ref())
                .map(|r| r.auth()),
            Some(RotatorAuth::Token { token_file: None })
        );
    }
}
