use super::format::plain_reads_back;
use super::*;

const ALL: &[&str] = &["dev", "staging", "prod"];
const HEAD: &str =
    "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: shop\nteam: t\n";

/// A request whose app `api` has one secret `db` with `version` written as `version`
/// (the text after `version:`, comment included).
fn request(version: &str) -> String {
    format!(
        "{HEAD}apps:\n  - name: api\n    secrets:\n      # the database\n      - name: db\n        backend: vault\n        remoteKey: shop/api/db\n        properties: [username, password]\n        version:{version}\n        mountPath: /etc/secrets/db\n  # next app\n"
    )
}

fn edit<'a>(version: &'a str, environments: &'a [&'a str]) -> VersionEdit<'a> {
    VersionEdit {
        app: "api",
        secret: "db",
        version,
        environments,
        all_environments: ALL,
    }
}

#[test]
fn only_the_version_changes() {
    for (name, before, version, envs, after) in [
        ("plain, all", " 3   # pinned", "4", ALL, " 4   # pinned"),
        ("double-quoted, all", " \"3\"", "12", ALL, " \"12\""),
        ("single-quoted, all", " '3' # c", "4", ALL, " '4' # c"),
        (
            "aws plain stays plain",
            " 3f9c2b7e-8d41-4c6a-9e5b-2a7d1c0f4e86",
            "0a1b2c3d-8d41-4c6a-9e5b-2a7d1c0f4e86",
            ALL,
            " 0a1b2c3d-8d41-4c6a-9e5b-2a7d1c0f4e86",
        ),
        (
            "plain that would read as a number is quoted",
            " 3f9c2b7e-8d41-4c6a-9e5b-2a7d1c0f4e86",
            "12345678901234567890123456789012",
            ALL,
            " \"12345678901234567890123456789012\"",
        ),
        (
            "plain, one environment: a flow map in rampart.yaml's order",
            " 3  # pinned",
            "8",
            &["dev"],
            " {dev: 8, staging: 3, prod: 3}  # pinned",
        ),
        (
            "quoted, two environments",
            " \"3\"",
            "8",
            &["prod", "dev"],
            " {dev: \"8\", staging: \"3\", prod: \"8\"}",
        ),
        (
            "flow map entry",
            " {dev: 7, staging: 5, prod: \"3\"} # per env",
            "4",
            &["prod"],
            " {dev: 7, staging: 5, prod: \"4\"} # per env",
        ),
        (
            "flow map, missing entry appended",
            " {dev: 7, prod: 3 }",
            "9",
            &["staging"],
            " {dev: 7, prod: 3, staging: 9 }",
        ),
        (
            "flow map, every environment stays a map",
            " {dev: 7, staging: 5, prod: 3}",
            "9",
            ALL,
            " {dev: 9, staging: 9, prod: 9}",
        ),
        (
            "block map entry",
            "\n          dev: 7     # dev\n          prod: '3'  # prod\n          staging: 5\n",
            "4",
            &["prod"],
            "\n          dev: 7     # dev\n          prod: '4'  # prod\n          staging: 5\n",
        ),
        (
            "block map, missing entry on its own line after the last one's comment",
            "\n          dev: 7\n          prod: 3  # prod\n        # about the mount\n",
            "8",
            &["staging"],
            "\n          dev: 7\n          prod: 3  # prod\n          staging: 8\n        # about the mount\n",
        ),
    ] {
        let text = request(before);
        let out = set_secret_version(&text, &edit(version, envs))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out, request(after), "{name}");
    }
}

#[test]
fn crlf_line_endings_are_kept() {
    let text = request("\n          dev: 7\n          prod: 3\n").replace('\n', "\r\n");
    let out = set_secret_version(&text, &edit("8", &["staging", "prod"])).unwrap();
    assert_eq!(
        out,
        request("\n          dev: 7\n          prod: 8\n          staging: 8\n")
            .replace('\n', "\r\n")
    );
    let text = request(" 3 # c").replace('\n', "\r\n");
    let out = set_secret_version(&text, &edit("4", ALL)).unwrap();
    assert_eq!(out, request(" 4 # c").replace('\n', "\r\n"));
}

#[test]
fn the_right_app_is_edited_when_secret_names_repeat() {
    let text = format!(
        "{HEAD}apps:\n  - name: web\n    secrets:\n      - {{name: db, backend: vault, remoteKey: shop/web/db, properties: [p], version: 3}}\n  - secrets:\n      - {{name: db, backend: vault, remoteKey: shop/api/db, properties: [p], version: 3}}\n    name: api\n"
    );
    let out = set_secret_version(&text, &edit("4", &["dev"])).unwrap();
    assert_eq!(
        out,
        text.replace(
            "shop/api/db, properties: [p], version: 3}",
            "shop/api/db, properties: [p], version: {dev: 4, staging: 3, prod: 3}}"
        )
    );
    let web = VersionEdit {
        app: "web",
        ..edit("5", ALL)
    };
    let out = set_secret_version(&text, &web).unwrap();
    assert_eq!(
        out,
        text.replace(
            "shop/web/db, properties: [p], version: 3}",
            "shop/web/db, properties: [p], version: 5}"
        )
    );
}

#[test]
fn several_pins_of_one_file_combine_and_fail_all_or_nothing() {
    let text = format!(
        "{HEAD}apps:\n  - name: web\n    secrets:\n      - {{name: db, backend: vault, remoteKey: shop/web/db, properties: [p], version: 3}}\n  - name: api\n    secrets:\n      - name: db  # main\n        backend: vault\n        remoteKey: shop/api/db\n        properties: [p]\n        version: \"3\"\n"
    );
    let web = VersionEdit {
        app: "web",
        ..edit("5", ALL)
    };
    // Two environments of one scalar pin, with different versions, and another secret.
    let edits = [edit("8", &["dev"]), edit("9", &["prod"]), web];
    let out = set_secret_versions(&text, &edits).unwrap();
    let sequential = edits
        .iter()
        .fold(text.clone(), |t, e| set_secret_version(&t, e).unwrap());
    assert_eq!(out, sequential);
    assert_eq!(
        out,
        text.replace("version: 3}", "version: 5}").replace(
            "version: \"3\"",
            "version: {dev: \"8\", staging: \"3\", prod: \"9\"}"
        )
    );
    // One edit that cannot be made: nothing is returned, not even the others.
    let missing = VersionEdit {
        secret: "cache",
        ..edit("4", ALL)
    };
    assert!(matches!(
        set_secret_versions(&text, &[web, missing]),
        Err(EditError::Secret { found: 0, .. })
    ));
}

#[test]
fn offsets_are_bytes_although_columns_count_characters() {
    let text = format!(
        "{HEAD}description: \"Störfront ✓ 日本語\"\napps:\n  - name: api\n    secrets:\n      - {{name: db, backend: vault, remoteKey: shop/db, properties: [pässwörd, 日本], version: \"3\"}}  # ✓\n"
    );
    let out = set_secret_version(&text, &edit("4", &["prod"])).unwrap();
    assert_eq!(
        out,
        text.replace(
            "version: \"3\"}",
            "version: {dev: \"3\", staging: \"3\", prod: \"4\"}}"
        )
    );
}

#[test]
fn unsupported_input_is_refused_and_nothing_is_returned() {
    let anchored = format!(
        "{HEAD}apps:\n  - name: api\n    secrets:\n      - name: db\n        backend: vault\n        remoteKey: shop/db\n        properties: [p]\n        version: &v 3\n  - name: web\n    secrets:\n      - {{name: w, backend: vault, remoteKey: shop/w, properties: [p], version: *v}}\n"
    );
    for (name, text, e, want) in [
        (
            "anchor and alias",
            anchored,
            edit("4", ALL),
            "line 12, column 21: anchors and aliases are not supported in a request Rampart edits; write the values out",
        ),
        (
            "two documents",
            format!("{}---\n{}", request(" 3"), request(" 3")),
            edit("4", ALL),
            "the file holds more than one YAML document; a request file holds exactly one",
        ),
        (
            "secret not found",
            request(" 3"),
            VersionEdit {
                secret: "cache",
                ..edit("4", ALL)
            },
            "0 secrets of app `api` are named `cache`; expected one",
        ),
        (
            "app not found",
            request(" 3"),
            VersionEdit {
                app: "web",
                ..edit("4", ALL)
            },
            "0 apps are named `web`; expected one",
        ),
        (
            "unknown environment",
            request(" 3"),
            edit("4", &["qa"]),
            "`qa` is not an environment of rampart.yaml",
        ),
        (
            "no environment",
            request(" 3"),
            edit("4", &[]),
            "no environment was given to set the version in",
        ),
        (
            "block scalar",
            request(" |\n          3"),
            edit("4", ALL),
            "line 14, column 11: the version of secret `db` is a block scalar, which Rampart does not edit; write it as a plain or quoted scalar or a map of them",
        ),
        (
            "tagged",
            request(" !!str 3"),
            edit("4", ALL),
            "line 13, column 24: the version of secret `db` is tagged, which Rampart does not edit; write it as a plain or quoted scalar or a map of them",
        ),
        (
            "not a request",
            format!("{HEAD}apps: 3\n"),
            edit("4", ALL),
            "the file is not a namespace request: apps: invalid type: integer `3`, expected a sequence at line 5 column 7",
        ),
    ] {
        let err = set_secret_version(&text, &e).unwrap_err();
        assert_eq!(err.to_string(), want, "{name}");
    }
    let syntax = set_secret_version(&request(" \"3"), &edit("4", ALL)).unwrap_err();
    assert!(matches!(syntax, EditError::Syntax { .. }), "{syntax:?}");
}

#[test]
fn plain_values_are_kept_only_where_yaml_reads_them_back() {
    for (value, plain) in [
        ("3", true),
        ("0a1b2c3d-8d41", true),
        ("1e5", false),
        ("true", false),
        ("null", false),
        (".inf", false),
        ("a b", false),
        ("x:y", false),
        ("", false),
    ] {
        assert_eq!(plain_reads_back(value, true), plain, "{value}");
    }
    assert!(!plain_reads_back("3", false), "a key must read as a string");
    assert_eq!(scalar("a\"b\\", ScalarStyle::Plain), "\"a\\\"b\\\\\"");
    assert_eq!(scalar("it's", ScalarStyle::SingleQuoted), "'it''s'");
    assert_eq!(key("prod"), "prod");
    assert_eq!(key("yes"), "yes");
    assert_eq!(key("1"), "\"1\"");
}
