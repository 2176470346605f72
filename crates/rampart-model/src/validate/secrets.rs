//! Checks of an app's `secrets` (checklist 4: external secrets, pinned versions, files not
//! environment variables, RBAC on Secrets).

use super::context::RequestContext;
use super::remote_key::check_remote_key;
use super::syntax::is_dns_label;
use crate::environment::Environment;
use crate::environment::secret_stores::for_namespace;
use crate::load::Report;
use crate::request::{App, NamespaceRequest};
use crate::secret::{AppSecret, INLINE_VALUE_FIELDS, PinnedVersions, SecretBackend};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The sample workload's scratch volume and mount; secrets may not take them.
const SCRATCH_VOLUME: &str = "tmp";
const SCRATCH_MOUNT: &str = "/tmp";
/// Staging labels move on every rotation: pinning one would let a value change without Git.
const AWS_STAGING_LABELS: &[&str] = &["AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"];
const INLINE_HELP: &str = "secret values never go into Git (checklist 4.7): write the value into the backend (e.g. `bao kv put -mount=secret shop/api/db password=...` or `aws secretsmanager put-secret-value`), then reference it here with `remoteKey`, `properties` and the `version` the write returned";

/// Refuses a request that carries secret content inline: a value-like field in a secret
/// entry, or `properties` written as a map of names to values. Runs on the raw YAML,
/// before typed parsing, so the dedicated message wins over "unknown field"; the
/// value itself is never repeated.
pub(crate) fn check_inline_values(text: &str, r: &mut Report) {
    // Read within the input limits (an alias bomb or deep nesting stops here); the typed
    // parse reports what is refused.
    let Ok(doc) = rampart_yaml::read_value(text, &crate::limits::INPUT) else {
        return;
    };
    let Some(apps) = doc.get("apps").and_then(Value::as_array) else {
        return;
    };
    for (i, app) in apps.iter().enumerate() {
        let Some(secrets) = app.get("secrets").and_then(Value::as_array) else {
            continue;
        };
        for (j, secret) in secrets.iter().enumerate() {
            let path = format!("apps[{i}].secrets[{j}]");
            let Some(fields) = secret.as_object() else {
                continue;
            };
            for key in fields.keys() {
                if INLINE_VALUE_FIELDS.contains(&key.as_str()) {
                    r.error(
                        &format!("{path}.{key}"),
                        "a secret value is written inline in the request",
                        INLINE_HELP,
                    );
                }
            }
            match fields.get("properties") {
                Some(Value::Object(_)) => r.error(
                    &format!("{path}.properties"),
                    "properties maps names to inline values",
                    format!("list only the key names, e.g. `properties: [username, password]`; {INLINE_HELP}"),
                ),
                Some(Value::Array(items)) => {
                    for (k, item) in items.iter().enumerate() {
                        if !item.is_string() {
                            r.error(
                                &format!("{path}.properties[{k}]"),
                                "a property is not a plain key name (inline values are refused)",
                                format!("write the key name only, e.g. `password`; {INLINE_HELP}"),
                            );
                        }
                    }
                }
                Some(Value::Null) | None => {}
                Some(_) => r.error(
                    &format!("{path}.properties"),
                    "properties is not a list of key names",
                    "write e.g. `properties: [username, password]`",
                ),
            }
        }
    }
}

/// Checks every app's secrets, their names across the namespace, the backends the
/// environments offer, and that an app's RBAC rules reach only its own Secrets.
pub(crate) fn check_secrets(req: &NamespaceRequest, ctx: &RequestContext, r: &mut Report) {
    let mut owners: BTreeMap<&str, &str> = BTreeMap::new();
    for (i, app) in req.apps.iter().enumerate() {
        for backend in [SecretBackend::Vault, SecretBackend::Aws] {
            if app.name == backend.service_account() {
                r.error(
                    &format!("apps[{i}].name"),
                    format!(
                        "`{}` is the ServiceAccount of the {} SecretStore",
                        app.name,
                        backend.as_str()
                    ),
                    "choose another app name",
                );
            }
        }
        for (j, secret) in app.secrets.iter().enumerate() {
            let path = format!("apps[{i}].secrets[{j}]");
            if let Some(first) = owners.insert(&secret.name, &app.name) {
                r.error(
                    &format!("{path}.name"),
                    format!(
                        "Secret `{}` is already declared by app `{first}`",
                        secret.name
                    ),
                    "give every secret of the namespace its own name",
                );
            }
            check_secret(&path, req, secret, ctx, r);
        }
        check_mount_paths(&format!("apps[{i}]"), app, r);
        check_secret_rules(&format!("apps[{i}]"), app, r);
    }
}

fn check_secret(
    path: &str,
    req: &NamespaceRequest,
    s: &AppSecret,
    ctx: &RequestContext,
    r: &mut Report,
) {
    if !is_dns_label(&s.name) {
        r.error(
            &format!("{path}.name"),
            format!("`{}` is not an RFC 1123 label", s.name),
            "use lowercase letters, digits and `-` (at most 63), e.g. `api-db`",
        );
    } else if s.name == SCRATCH_VOLUME {
        r.error(
            &format!("{path}.name"),
            "`tmp` is the sample workload's scratch volume",
            "choose another name, e.g. `api-tmp-credentials`",
        );
    }
    for env in ctx.environments {
        check_backend_configured(path, req, s.backend, env, r);
    }
    check_remote_key(&format!("{path}.remoteKey"), s.backend, &s.remote_key, r);
    check_properties(&format!("{path}.properties"), &s.properties, r);
    check_versions(&format!("{path}.version"), s, ctx, r);
    super::rotation::check_rotation(path, s, ctx, r);
    for (k, ns) in s.shared_with.iter().enumerate() {
        if !is_dns_label(ns) || *ns == req.name {
            r.error(
                &format!("{path}.sharedWith[{k}]"),
                format!("`{ns}` is not another namespace"),
                "name the namespace that reads the same remote key, e.g. `sharedWith: [billing]`",
            );
        }
    }
}

fn check_backend_configured(
    path: &str,
    req: &NamespaceRequest,
    backend: SecretBackend,
    env: &Environment,
    r: &mut Report,
) {
    let stores = &env.secret_stores;
    let configured = match backend {
        SecretBackend::Vault => stores.vault.is_some(),
        SecretBackend::Aws => stores.aws.is_some(),
    };
    if !configured {
        r.error(
            &format!("{path}.backend"),
            format!(
                "environment `{}` configures no `{}` secret store",
                env.name,
                backend.as_str()
            ),
            format!(
                "add `secretStores.{}` to environments/{}.yaml, or use a backend it configures",
                backend.as_str(),
                env.name
            ),
        );
    }
    if let (SecretBackend::Aws, Some(aws)) = (backend, &stores.aws) {
        let arn = for_namespace(&aws.role_arn, &req.name);
        let role = arn.rsplit('/').next().unwrap_or_default();
        if role.len() > 64 {
            r.error(
                &format!("{path}.backend"),
                format!(
                    "the IAM role name `{role}` of environment `{}` is longer than AWS's 64 characters",
                    env.name
                ),
                format!(
                    "shorten `secretStores.aws.roleArn` in environments/{}.yaml or the namespace name",
                    env.name
                ),
            );
        }
    }
}

/// Secret data keys: they become file names in the mounted directory.
pub(super) fn is_secret_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k != "."
        && k != ".."
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn check_properties(path: &str, properties: &[String], r: &mut Report) {
    if properties.is_empty() {
        r.error(
            path,
            "no property is listed",
            "list the keys of the remote secret the app needs, e.g. `[username, password]`",
        );
    }
    let mut seen = BTreeSet::new();
    for (k, p) in properties.iter().enumerate() {
        if !is_secret_key(p) {
            r.error(
                &format!("{path}[{k}]"),
                format!("`{p}` cannot be a Secret key or file name"),
                "use letters, digits, `-`, `_` and `.` (not `.` or `..` alone)",
            );
        } else if !seen.insert(p) {
            r.error(
                &format!("{path}[{k}]"),
                format!("property `{p}` is listed twice"),
                "list each property once",
            );
        }
    }
}

fn check_versions(path: &str, s: &AppSecret, ctx: &RequestContext, r: &mut Report) {
    match &s.version {
        PinnedVersions::All(v) => check_version(path, s.backend, v.as_str(), r),
        PinnedVersions::PerEnvironment(map) => {
            for (env, v) in map {
                let p = format!("{path}.{env}");
                if ctx.environments.iter().all(|e| &e.name != env) {
                    r.error(
                        &p,
                        format!("`{env}` is not an environment of this repository"),
                        format!(
                            "use the environments rampart.yaml lists ({})",
                            ctx.environments
                                .iter()
                                .map(|e| e.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
                check_version(&p, s.backend, v.as_str(), r);
            }
            for env in ctx.environments {
                if !map.contains_key(&env.name) {
                    r.error(
                        path,
                        format!("no version is pinned for environment `{}`", env.name),
                        format!(
                            "add `{}: <version>` under `version`, or pin one version for every environment",
                            env.name
                        ),
                    );
                }
            }
        }
    }
}

fn check_version(path: &str, backend: SecretBackend, v: &str, r: &mut Report) {
    match backend {
        SecretBackend::Vault => {
            let ok = !v.is_empty()
                && v.len() <= 19
                && v.bytes().all(|b| b.is_ascii_digit())
                && !v.starts_with('0');
            if !ok {
                r.error(
                    path,
                    format!("`{v}` is not a KV v2 version number"),
                    "pin the version the write returned, e.g. `version: 3` (`bao kv metadata get` lists them); an unpinned secret could change without a Git commit",
                );
            }
        }
        SecretBackend::Aws => {
            if AWS_STAGING_LABELS.contains(&v) {
                r.error(
                    path,
                    format!("`{v}` is a staging label, which moves on every rotation"),
                    "pin the VersionId instead (`aws secretsmanager list-secret-version-ids --secret-id <name>`), so a new value reaches the cluster only through Git",
                );
            } else if v.starts_with("uuid/") {
                r.error(
                    path,
                    "the version carries the `uuid/` prefix",
                    "write the VersionId alone; Rampart adds `uuid/` for ESO",
                );
            } else if !(32..=64).contains(&v.len())
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                r.error(
                    path,
                    format!("`{v}` is not a Secrets Manager VersionId"),
                    "pin the VersionId (32-64 characters, usually a UUID) that `put-secret-value` returned",
                );
            }
        }
    }
}

fn check_mount_paths(path: &str, app: &App, r: &mut Report) {
    let mut mounts: Vec<(usize, String)> = Vec::new();
    for (j, s) in app.secrets.iter().enumerate() {
        let p = format!("{path}.secrets[{j}].mountPath");
        let mount = s.mount_path();
        let segments_ok = mount.strip_prefix('/').is_some_and(|rest| {
            rest.split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        });
        if !segments_ok
            || mount
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b':')
        {
            r.error(
                &p,
                format!("`{mount}` is not an absolute directory path"),
                "write e.g. `/etc/secrets/db` (no `..`, `:`, spaces or trailing `/`)",
            );
            continue;
        }
        if nested(&mount, SCRATCH_MOUNT) {
            r.error(
                &p,
                format!("`{mount}` overlaps the workload's writable /tmp"),
                "mount secrets outside /tmp, e.g. under /etc/secrets",
            );
        }
        for (other, m) in &mounts {
            if nested(&mount, m) {
                r.error(
                    &p,
                    format!("`{mount}` overlaps the mount of secrets[{other}] (`{m}`)"),
                    "give every secret its own directory, e.g. /etc/secrets/<name>",
                );
            }
        }
        mounts.push((j, mount));
    }
}

/// True when one path is the other or lies below it.
fn nested(a: &str, b: &str) -> bool {
    let below =
        |x: &str, y: &str| x == y || x.strip_prefix(y).is_some_and(|rest| rest.starts_with('/'));
    below(a, b) || below(b, a)
}

/// An app's ServiceAccount may only `get` Secrets it declares itself (checklist 4.5).
fn check_secret_rules(path: &str, app: &App, r: &mut Report) {
    let own: BTreeSet<&str> = app.secrets.iter().map(|s| s.name.as_str()).collect();
    for (k, rule) in app.rules.iter().enumerate() {
        if !rule.resources.iter().any(|res| res == "secrets") {
            continue;
        }
        let p = format!("{path}.rules[{k}]");
        for (n, verb) in rule.verbs.iter().enumerate() {
            // list/watch are refused with their own message by the RBAC checks.
            if !matches!(verb.as_str(), "get" | "list" | "watch") {
                r.error(
                    &format!("{p}.verbs[{n}]"),
                    format!("verb `{verb}` on Secrets"),
                    "an app may only `get` its own Secrets; they are written by External Secrets from Git (checklist 4.5)",
                );
            }
        }
        for (n, name) in rule.resource_names.iter().enumerate() {
            if !own.contains(name.as_str()) {
                r.error(
                    &format!("{p}.resourceNames[{n}]"),
                    format!("Secret `{name}` is not one of app `{}`'s secrets", app.name),
                    format!(
                        "an app may only read Secrets it declares under its own `secrets` ({}); checklist 4.5",
                        if own.is_empty() { "none declared".to_string() } else { own.iter().copied().collect::<Vec<_>>().join(", ") }
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RequestContext, parse_environment, parse_request};

    const PROD: &str = include_str!("../../../../environments/prod.yaml");
    const REQUEST: &str = "apiVersion: rampart.dev/v1alpha1
kind: NamespaceRequest
name: shop
team: t
apps:
  - name: api
    secrets:
      - name: api-db
        backend: vault
        remoteKey: shop/api/db
        properties: [username, password]
        version: 3
";

    fn check(text: &str) -> Result<(), String> {
        let env = parse_environment("environments/prod.yaml", PROD, "prod").unwrap();
        let envs = [env];
        let ctx = RequestContext {
            file_stem: "shop",
            required_labels: &[],
            environments: &envs,
            delivery_mode: Default::default(),
        };
        parse_request("specs/shop.yaml", text, &ctx)
            .map(|_| ())
            .map_err(|d| d.to_string())
    }

    #[test]
    fn a_valid_secret_passes() {
        check(REQUEST).unwrap();
        check(&REQUEST.replace("version: 3", "version: \"12\"")).unwrap();
    }

    #[test]
    fn inline_values_are_refused_first_and_never_repeated() {
        let err = check(&format!(
            "{REQUEST}        data: {{password: s3cr3t-Value-42}}\n        stringData: x\n"
        ))
        .unwrap_err();
        assert!(err.contains("specs/shop.yaml:13:9: error: apps[0].secrets[0].data: a secret value is written inline"), "{err}");
        assert!(
            err.contains("specs/shop.yaml:14:21: error: apps[0].secrets[0].stringData:"),
            "{err}"
        );
        assert!(
            !err.contains("unknown field"),
            "the dedicated message wins: {err}"
        );
        assert!(!err.contains("s3cr3t"), "{err}");
        let listed = check(&REQUEST.replace(
            "[username, password]",
            "[username, {password: s3cr3t-Value-42}]",
        ))
        .unwrap_err();
        assert!(
            listed.contains("apps[0].secrets[0].properties[1]: a property is not a plain key name"),
            "{listed}"
        );
        assert!(!listed.contains("s3cr3t"), "{listed}");
    }

    #[test]
    fn versions_must_be_pinned_in_the_backend_s_own_format() {
        for (version, problem) in [
            ("0", "not a KV v2 version number"),
            ("v3", "not a KV v2 version number"),
            ("-1", "not a KV v2 version number"),
        ] {
            let err =
                check(&REQUEST.replace("version: 3", &format!("version: {version}"))).unwrap_err();
            assert!(err.contains(problem), "{version}: {err}");
        }
        let aws = REQUEST.replace("backend: vault", "backend: aws");
        check(&aws.replace(
            "version: 3",
            "version: 3f9c2b7e-8d41-4c6a-9e5b-2a7d1c0f4e86",
        ))
        .unwrap();
        for (version, problem) in [
            ("AWSPREVIOUS", "staging label"),
            ("3", "not a Secrets Manager VersionId"),
            (
                "uuid/3f9c2b7e-8d41-4c6a-9e5b-2a7d1c0f4e86",
                "`uuid/` prefix",
            ),
        ] {
            let err =
                check(&aws.replace("version: 3", &format!("version: {version}"))).unwrap_err();
            assert!(err.contains(problem), "{version}: {err}");
        }
    }

    #[test]
    fn names_keys_and_mounts_are_checked() {
        for (from, to, problem) in [
            ("name: api-db", "name: tmp", "scratch volume"),
            ("name: api-db", "name: Api_DB", "not an RFC 1123 label"),
            (
                "remoteKey: shop/api/db",
                "remoteKey: shop/../db",
                "not a KV v2 secret path",
            ),
            (
                "[username, password]",
                "[username, username]",
                "listed twice",
            ),
            (
                "[username, password]",
                "[\"../etc\"]",
                "cannot be a Secret key",
            ),
            (
                "version: 3",
                "version: 3\n        mountPath: etc/db",
                "not an absolute directory path",
            ),
            (
                "version: 3",
                "version: 3\n        mountPath: /etc/secrets/",
                "not an absolute directory path",
            ),
            (
                "  - name: api\n",
                "  - name: secret-store-vault\n",
                "ServiceAccount of the vault SecretStore",
            ),
        ] {
            let err = check(&REQUEST.replace(from, to)).unwrap_err();
            assert!(err.contains(problem), "{to}: {err}");
        }
        let two = format!(
            "{REQUEST}      - {{name: api-cache, backend: vault, remoteKey: a/b, properties: [p], version: 1, mountPath: /etc/secrets/api-db/cache}}\n"
        );
        assert!(
            check(&two)
                .unwrap_err()
                .contains("overlaps the mount of secrets[0]")
        );
    }

    #[test]
    fn per_environment_versions_name_known_environments_and_cover_each() {
        check(&REQUEST.replace("version: 3", "version: {prod: 3}")).unwrap();
        let err = check(&REQUEST.replace("version: 3", "version: {prod: 3, qa: 4}")).unwrap_err();
        assert!(
            err.contains(
                "apps[0].secrets[0].version.qa: `qa` is not an environment of this repository"
            ),
            "{err}"
        );
        let err = check(&REQUEST.replace("version: 3", "version: {dev: 3}")).unwrap_err();
        assert!(
            err.contains("no version is pinned for environment `prod`"),
            "{err}"
        );
        let err = check(&REQUEST.replace("version: 3", "version: {prod: latest}")).unwrap_err();
        assert!(err.contains("specs/shop.yaml:12:25: error: apps[0].secrets[0].version.prod: `latest` is not a KV v2 version number"), "{err}");
    }

    #[test]
    fn aws_role_names_fit_iam_s_limit() {
        let long = "n".repeat(60);
        let text = REQUEST
            .replace("backend: vault", "backend: aws")
            .replace(
                "version: 3",
                "version: 3f9c2b7e-8d41-4c6a-9e5b-2a7d1c0f4e86",
            )
            .replace("name: shop", &format!("name: {long}"));
        let env = parse_environment("environments/prod.yaml", PROD, "prod").unwrap();
        let envs = [env];
        let ctx = RequestContext {
            file_stem: &long,
            required_labels: &[],
            environments: &envs,
            delivery_mode: Default::default(),
        };
        let err = parse_request("specs/x.yaml", &text, &ctx)
            .unwrap_err()
            .to_string();
        assert!(err.contains("longer than AWS's 64 characters"), "{err}");
    }

    #[test]
    fn nesting_is_by_path_segment() {
        assert!(nested("/tmp", "/tmp"));
        assert!(nested("/tmp/x", "/tmp"));
        assert!(nested("/etc", "/etc/secrets/db"));
        assert!(!nested("/tmpfiles", "/tmp"));
        assert!(!nested("/etc/secrets/a", "/etc/secrets/ab"));
    }
}
