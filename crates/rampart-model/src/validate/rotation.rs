//! Checks of a secret's `rotation`: the schedule, the generated properties and the
//! PostgreSQL target, and against the environments how its rotations are delivered.

use super::context::RequestContext;
use super::remote_key::check_remote_key;
use crate::delivery::DeliveryMode;
use crate::load::Report;
use crate::rotation::{
    CronSchedule, MAX_LENGTH, MIN_ALPHABET, MIN_LENGTH, PostgresRotation, PostgresStrategy,
    Rotation,
};
use crate::secret::AppSecret;
use std::collections::BTreeSet;

/// Checks `rotation` of the secret at `path` (`apps[i].secrets[j]`), if it has one.
pub(crate) fn check_rotation(path: &str, s: &AppSecret, ctx: &RequestContext, r: &mut Report) {
    let Some(rot) = &s.rotation else {
        return;
    };
    let p = format!("{path}.rotation");
    match &rot.schedule {
        Some(text) => {
            if let Err(e) = CronSchedule::parse(text) {
                r.error(&format!("{p}.schedule"), e.to_string(), e.help());
            }
        }
        None if !rot.follow => r.error(
            &p,
            "no `schedule` says when a rotation is due",
            "add e.g. `schedule: \"0 3 * * 1\"` (5-field cron, UTC: Mondays 03:00), or `follow: true` to pin the versions another writer creates",
        ),
        None => {}
    }
    if rot.follow {
        for (field, set) in [
            ("generate", !rot.generate.is_empty()),
            ("postgres", rot.postgres.is_some()),
        ] {
            if set {
                r.error(
                    &format!("{p}.{field}"),
                    format!("`{field}` together with `follow: true`"),
                    "a followed secret is written by someone else and Rampart only pins its newest version: remove `follow` to let Rampart write new versions, or remove this field",
                );
            }
        }
        return;
    }
    if rot.generate.is_empty() {
        r.error(
            &format!("{p}.generate"),
            "the rotation generates no property",
            "list under `generate` the properties that get new random values, e.g. `generate: {password: {length: 40}}`, or set `follow: true` to pin versions another writer creates",
        );
    }
    check_generate(&p, s, rot, r);
    if let Some(pg) = &rot.postgres {
        check_postgres(&format!("{p}.postgres"), s, rot, pg, ctx, r);
    }
}

fn check_generate(p: &str, s: &AppSecret, rot: &Rotation, r: &mut Report) {
    for (name, g) in &rot.generate {
        let gp = format!("{p}.generate.{name}");
        if !s.properties.contains(name) {
            r.error(
                &gp,
                format!("`{name}` is not one of the secret's properties"),
                format!(
                    "generate only properties listed in `properties` ({}), or add it there",
                    s.properties.join(", ")
                ),
            );
        }
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&g.length) {
            r.error(
                &format!("{gp}.length"),
                format!(
                    "length {} is outside {MIN_LENGTH}..{MAX_LENGTH}",
                    g.length
                ),
                format!(
                    "generate at least {MIN_LENGTH} characters (e.g. `length: 40`) and at most {MAX_LENGTH}"
                ),
            );
        }
        let Some(alphabet) = &g.alphabet else {
            continue;
        };
        let ap = format!("{gp}.alphabet");
        if alphabet
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            r.error(
                &ap,
                "the alphabet contains whitespace or non-printable characters",
                "use printable characters only, e.g. `0123456789abcdef`; whitespace and control characters break files, shells and connection strings",
            );
        } else if alphabet.chars().collect::<BTreeSet<_>>().len() < MIN_ALPHABET {
            r.error(
                &ap,
                format!("the alphabet has fewer than {MIN_ALPHABET} distinct characters"),
                "use at least 10 distinct characters, e.g. `0123456789abcdef`, or leave `alphabet` out for letters, digits and `-_.`",
            );
        }
    }
}

fn check_postgres(
    pp: &str,
    s: &AppSecret,
    rot: &Rotation,
    pg: &PostgresRotation,
    ctx: &RequestContext,
    r: &mut Report,
) {
    check_remote_key(&format!("{pp}.adminSecret"), s.backend, &pg.admin_secret, r);
    if pg.admin_secret == s.remote_key {
        r.error(
            &format!("{pp}.adminSecret"),
            "the admin secret is the rotated secret itself",
            "name the remote key that holds the admin connection's username and password, e.g. `shop/db-admin`",
        );
    }
    if !rot.generate.contains_key(&pg.password_property) {
        r.error(
            &format!("{pp}.passwordProperty"),
            format!(
                "the password property `{}` is not under `generate`",
                pg.password_property
            ),
            format!(
                "add `{}: {{length: 40}}` under `rotation.generate` (the new password is generated), or set `passwordProperty` to the property that holds it",
                pg.password_property
            ),
        );
    }
    for (field, property) in pg.connection_properties() {
        if !s.properties.iter().any(|p| p == property) {
            r.error(
                &format!("{pp}.{field}"),
                format!("`{property}` ({field}) is not one of the secret's properties"),
                format!(
                    "list `{property}` in `properties` (the rotation connects with it), or set `{field}` to the property that holds it"
                ),
            );
        }
        if rot.generate.contains_key(property) {
            r.error(
                &format!("{}.generate.{property}", pp.trim_end_matches(".postgres")),
                format!("`{property}` ({field}) is generated"),
                format!(
                    "only the password is generated; `{property}` is copied from the current version, so remove it from `generate`"
                ),
            );
        }
    }
    if pg.strategy == PostgresStrategy::SingleUser && pg.retire_previous {
        r.error(
            &format!("{pp}.retirePrevious"),
            "`retirePrevious` with `strategy: single-user`",
            "single-user has no previous role to retire (its one role's password changes in place): remove `retirePrevious`, or use `strategy: alternating-users`",
        );
    }
    if pg.strategy == PostgresStrategy::SingleUser {
        for env in ctx.environments {
            if env.secret_stores.rotation_delivery(ctx.delivery_mode) == DeliveryMode::PullRequest {
                r.error(
                    &format!("{pp}.strategy"),
                    format!(
                        "`single-user` in environment `{}`, where rotations are delivered by pull request",
                        env.name
                    ),
                    format!(
                        "single-user changes the password the pinned version holds while the pull request waits for review, so the pods lose the database: use `strategy: alternating-users`, or deliver rotations of environments/{}.yaml with `secretStores.rotation.delivery: push`",
                        env.name
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::delivery::DeliveryMode;
    use crate::{RequestContext, parse_environment, parse_request};

    const DEV: &str = include_str!("../../../../environments/dev.yaml");
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
        properties: [username, password, host, port, dbname]
        version: 3
        rotation:
          schedule: \"0 3 * * 1\"
          generate:
            password: {length: 40}
";

    fn check_with(text: &str, env_text: &str, env: &str, mode: DeliveryMode) -> Result<(), String> {
        let env = parse_environment(&format!("environments/{env}.yaml"), env_text, env).unwrap();
        let envs = [env];
        let ctx = RequestContext {
            file_stem: "shop",
            required_labels: &[],
            environments: &envs,
            delivery_mode: mode,
        };
        parse_request("specs/shop.yaml", text, &ctx)
            .map(|_| ())
            .map_err(|d| d.to_string())
    }

    fn check(text: &str) -> Result<(), String> {
        check_with(text, PROD, "prod", DeliveryMode::Commit)
    }

    const POSTGRES: &str = "          postgres:\n            adminSecret: shop/db-admin\n";

    #[test]
    fn valid_policies_pass() {
        check(REQUEST).unwrap();
        check(&format!("{REQUEST}{POSTGRES}")).unwrap();
        let follow = REQUEST.replace(
            "          schedule: \"0 3 * * 1\"\n          generate:\n            password: {length: 40}\n",
            "          follow: true\n",
        );
        check(&follow).unwrap();
        check(
            &follow
                .replace("follow: true", "{follow: true, schedule: \"*/30 * * * *\"}")
                .replace("rotation:\n          {", "rotation: {"),
        )
        .unwrap();
        let single = format!("{REQUEST}{POSTGRES}            strategy: single-user\n");
        check_with(&single, DEV, "dev", DeliveryMode::PullRequest).unwrap();
    }

    #[test]
    fn each_problem_is_located_with_a_fix() {
        for (from, to, want, help) in [
            (
                "\"0 3 * * 1\"",
                "\"0 0 3 * * 1\"",
                "specs/shop.yaml:14:21: error: apps[0].secrets[0].rotation.schedule: `0 0 3 * * 1` has 6 fields; schedules are 5-field cron, without seconds",
                "write a 5-field cron schedule in UTC",
            ),
            (
                "          schedule: \"0 3 * * 1\"\n",
                "",
                "specs/shop.yaml:13:9: error: apps[0].secrets[0].rotation: no `schedule` says when a rotation is due",
                "or `follow: true`",
            ),
            (
                "password: {length: 40}",
                "secret: {length: 40}",
                "specs/shop.yaml:16:13: error: apps[0].secrets[0].rotation.generate.secret: `secret` is not one of the secret's properties",
                "generate only properties listed in `properties` (username, password, host, port, dbname)",
            ),
            (
                "{length: 40}",
                "{length: 15}",
                "specs/shop.yaml:16:32: error: apps[0].secrets[0].rotation.generate.password.length: length 15 is outside 16..4096",
                "at least 16 characters",
            ),
            (
                "{length: 40}",
                "{length: 4097}",
                "apps[0].secrets[0].rotation.generate.password.length: length 4097 is outside 16..4096",
                "at most 4096",
            ),
            (
                "{length: 40}",
                "{length: 40, alphabet: \"abcdefghi\"}",
                "specs/shop.yaml:16:46: error: apps[0].secrets[0].rotation.generate.password.alphabet: the alphabet has fewer than 10 distinct characters",
                "at least 10 distinct characters",
            ),
            (
                "{length: 40}",
                "{length: 40, alphabet: \"abcdefghijk \"}",
                "apps[0].secrets[0].rotation.generate.password.alphabet: the alphabet contains whitespace or non-printable characters",
                "printable characters only",
            ),
            (
                "          generate:\n            password: {length: 40}\n",
                "          follow: true\n          generate:\n            password: {length: 40}\n",
                "specs/shop.yaml:16:11: error: apps[0].secrets[0].rotation.generate: `generate` together with `follow: true`",
                "a followed secret is written by someone else",
            ),
            (
                "          generate:\n            password: {length: 40}\n",
                "          generate: {}\n",
                "specs/shop.yaml:15:11: error: apps[0].secrets[0].rotation.generate: the rotation generates no property",
                "list under `generate`",
            ),
        ] {
            let text = REQUEST.replace(from, to);
            assert_ne!(text, REQUEST, "{to}");
            let err = check(&text).unwrap_err();
            assert!(err.contains(want), "want {want}\n{err}");
            assert!(err.contains(help), "want {help}\n{err}");
        }
    }

    #[test]
    fn postgres_targets_are_checked() {
        let pg = format!("{REQUEST}{POSTGRES}");
        for (from, to, want) in [
            (
                "password: {length: 40}",
                "username: {length: 40}",
                "apps[0].secrets[0].rotation.postgres.passwordProperty: the password property `password` is not under `generate`",
            ),
            (
                "password: {length: 40}",
                "password: {length: 40}\n            username: {length: 20}",
                "specs/shop.yaml:17:13: error: apps[0].secrets[0].rotation.generate.username: `username` (usernameProperty) is generated",
            ),
            (
                "[username, password, host, port, dbname]",
                "[username, password, port, dbname]",
                "specs/shop.yaml:17:11: error: apps[0].secrets[0].rotation.postgres.hostProperty: `host` (hostProperty) is not one of the secret's properties",
            ),
            (
                "adminSecret: shop/db-admin\n",
                "adminSecret: shop/db-admin\n            databaseProperty: database\n",
                "specs/shop.yaml:19:31: error: apps[0].secrets[0].rotation.postgres.databaseProperty: `database` (databaseProperty) is not one of the secret's properties",
            ),
            (
                "adminSecret: shop/db-admin",
                "adminSecret: shop/../admin",
                "apps[0].secrets[0].rotation.postgres.adminSecret: `shop/../admin` is not a KV v2 secret path",
            ),
            (
                "adminSecret: shop/db-admin",
                "adminSecret: shop/api/db",
                "apps[0].secrets[0].rotation.postgres.adminSecret: the admin secret is the rotated secret itself",
            ),
        ] {
            let text = pg.replace(from, to);
            assert_ne!(text, pg, "{to}");
            let err = check(&text).unwrap_err();
            assert!(err.contains(want), "want {want}\n{err}");
        }
        let err = check(&pg.replace(
            "adminSecret",
            "strategy: blue-green\n            adminSecret",
        ))
        .unwrap_err();
        assert!(err.contains("specs/shop.yaml:18:23: error: apps[0].secrets[0].rotation.postgres.strategy: unknown variant `blue-green`, expected `alternating-users` or `single-user`"), "{err}");
        let follow = pg.replace(
            "          schedule",
            "          follow: true\n          schedule",
        );
        let err = check(&follow).unwrap_err();
        assert!(
            err.contains(
                "apps[0].secrets[0].rotation.postgres: `postgres` together with `follow: true`"
            ),
            "{err}"
        );
    }

    #[test]
    fn single_user_is_refused_where_rotations_wait_for_review() {
        let single = format!("{REQUEST}{POSTGRES}            strategy: single-user\n");
        // prod.yaml delivers rotations by pull request itself.
        let err = check(&single).unwrap_err();
        assert!(err.contains("specs/shop.yaml:19:23: error: apps[0].secrets[0].rotation.postgres.strategy: `single-user` in environment `prod`, where rotations are delivered by pull request"), "{err}");
        assert!(err.contains("secretStores.rotation.delivery: push` in environments/prod.yaml") || err.contains("rotations of environments/prod.yaml with `secretStores.rotation.delivery: push`"), "{err}");
        // dev.yaml says push, whatever rampart.yaml's mode is.
        check_with(&single, DEV, "dev", DeliveryMode::PullRequest).unwrap();
        let retiring = format!("{single}            retirePrevious: true\n");
        let err = check_with(&retiring, DEV, "dev", DeliveryMode::PullRequest).unwrap_err();
        assert!(err.contains("specs/shop.yaml:20:29: error: apps[0].secrets[0].rotation.postgres.retirePrevious: `retirePrevious` with `strategy: single-user`"), "{err}");
        assert!(err.contains("use `strategy: alternating-users`"), "{err}");
        let alternating = format!("{REQUEST}{POSTGRES}            retirePrevious: true\n");
        check(&alternating).unwrap();
        // Without an environment setting, rampart.yaml's delivery.mode decides.
        let plain_dev = DEV.replace("    delivery: push ", "    # delivery: push ");
        check_with(&single, &plain_dev, "dev", DeliveryMode::Push).unwrap();
        let err = check_with(&single, &plain_dev, "dev", DeliveryMode::PullRequest).unwrap_err();
        assert!(err.contains("`single-user` in environment `dev`"), "{err}");
    }
}
