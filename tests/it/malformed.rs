//! A table of malformed requests: each is refused with file:line:column, what is wrong and
//! how to fix it, exit code 2, and the repository left exactly as it was.

use crate::measured::{Input, rampart_measured};
use crate::support::Repo;
use std::path::Path;

const GOOD: &str = "apiVersion: rampart.dev/v1alpha1
kind: NamespaceRequest
name: bad
team: t
labels: {cost-center: c1, data-classification: internal}
apps:
  - name: api
    ports: [{name: http, port: 8080}]
";

/// A Vault token: the secret guard refuses it, so no message may quote it.
const TOKEN: &str = "hvs.CAESIJ2aVq7Xb3k9Lm4Np8Qr5St6Uv";

/// The most characters a message quotes of a value, and a help line of an example.
const MAX_QUOTED: usize = 40;
const MAX_QUOTED_IN_HELP: usize = 80;

/// Every quoted span (in backticks, then in double quotes outside them) of `line`.
fn quoted(line: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut outside = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 1 {
            spans.push(part.to_owned());
        } else {
            outside.push_str(part);
            outside.push(' ');
        }
    }
    spans.extend(outside.split('"').skip(1).step_by(2).map(str::to_owned));
    spans
}

/// Problems with how `stderr` quotes values: a span longer than the limit, or the token.
fn quoting_problems(stderr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if stderr.contains(TOKEN) {
        problems.push("quotes the token".to_owned());
    }
    for line in stderr.lines() {
        let limit = if line.trim_start().starts_with("help:") {
            MAX_QUOTED_IN_HELP
        } else {
            MAX_QUOTED
        };
        for span in quoted(line) {
            if span.chars().count() > limit {
                problems.push(format!(
                    "quotes {} characters: {span:?}",
                    span.chars().count()
                ));
            }
        }
    }
    problems
}

struct Case {
    name: &'static str,
    file: &'static str,
    text: String,
    /// Fragments the error output must contain (location, problem, fix).
    expect: &'static [&'static str],
}

fn with_app(extra: &str) -> String {
    format!("{GOOD}{extra}")
}

/// `GOOD` whose app has a Vault secret `db` with these `properties` and `rotation` lines
/// (indented under `rotation:`, which is line 15).
fn with_rotation(properties: &str, rotation: &str) -> String {
    with_app(&format!(
        "    secrets:\n      - name: db\n        backend: vault\n        remoteKey: bad/db\n        properties: {properties}\n        version: 3\n        rotation:\n{rotation}"
    ))
}

const PG_PROPERTIES: &str = "[username, password, host, port, dbname]";

fn rotation_cases() -> Vec<Case> {
    let weekly = "          schedule: \"0 3 * * 1\"\n";
    vec![
        Case {
            name: "rotation schedule with seconds",
            file: "bad",
            text: with_rotation(
                "[password]",
                "          schedule: \"0 0 3 * * 1\"\n          generate: {password: {length: 40}}\n",
            ),
            expect: &[
                "specs/bad.yaml:16:21: error: apps[0].secrets[0].rotation.schedule: `0 0 3 * * 1` has 6 fields; schedules are 5-field cron, without seconds",
                "help: write a 5-field cron schedule in UTC",
            ],
        },
        Case {
            name: "rotation schedule unparsable",
            file: "bad",
            text: with_rotation(
                "[password]",
                "          schedule: \"61 3 * * *\"\n          generate: {password: {length: 40}}\n",
            ),
            expect: &[
                "specs/bad.yaml:16:21: error: apps[0].secrets[0].rotation.schedule: `61 3 * * *` is not a valid cron schedule",
                "minute 0-59",
            ],
        },
        Case {
            name: "rotation without schedule or follow",
            file: "bad",
            text: with_rotation(
                "[password]",
                "          generate: {password: {length: 40}}\n",
            ),
            expect: &[
                "specs/bad.yaml:15:9: error: apps[0].secrets[0].rotation: no `schedule` says when a rotation is due",
                "or `follow: true`",
            ],
        },
        Case {
            name: "rotation generates a property the secret does not list",
            file: "bad",
            text: with_rotation(
                "[password]",
                &format!("{weekly}          generate: {{api-key: {{length: 40}}}}\n"),
            ),
            expect: &[
                "specs/bad.yaml:17:22: error: apps[0].secrets[0].rotation.generate.api-key: `api-key` is not one of the secret's properties",
                "generate only properties listed in `properties` (password)",
            ],
        },
        Case {
            name: "rotation length too short",
            file: "bad",
            text: with_rotation(
                "[password]",
                &format!("{weekly}          generate: {{password: {{length: 8}}}}\n"),
            ),
            expect: &[
                "specs/bad.yaml:17:41: error: apps[0].secrets[0].rotation.generate.password.length: length 8 is outside 16..4096",
                "generate at least 16 characters",
            ],
        },
        Case {
            name: "rotation alphabet too small",
            file: "bad",
            text: with_rotation(
                "[password]",
                &format!(
                    "{weekly}          generate: {{password: {{length: 40, alphabet: \"01\"}}}}\n"
                ),
            ),
            expect: &[
                "apps[0].secrets[0].rotation.generate.password.alphabet: the alphabet has fewer than 10 distinct characters",
            ],
        },
        Case {
            name: "rotation follow with generate",
            file: "bad",
            text: with_rotation(
                "[password]",
                "          follow: true\n          generate: {password: {length: 40}}\n",
            ),
            expect: &[
                "specs/bad.yaml:17:11: error: apps[0].secrets[0].rotation.generate: `generate` together with `follow: true`",
                "a followed secret is written by someone else",
            ],
        },
        Case {
            name: "rotation postgres without a generated password",
            file: "bad",
            text: with_rotation(
                "[username, password, host, port, dbname, api-key]",
                &format!(
                    "{weekly}          generate: {{api-key: {{length: 32}}}}\n          postgres: {{adminSecret: bad/admin}}\n"
                ),
            ),
            expect: &[
                "specs/bad.yaml:18:11: error: apps[0].secrets[0].rotation.postgres.passwordProperty: the password property `password` is not under `generate`",
            ],
        },
        Case {
            name: "rotation postgres connection properties not listed",
            file: "bad",
            text: with_rotation(
                "[username, password]",
                &format!(
                    "{weekly}          generate: {{password: {{length: 40}}}}\n          postgres: {{adminSecret: bad/admin, portProperty: pgport}}\n"
                ),
            ),
            expect: &[
                "specs/bad.yaml:18:11: error: apps[0].secrets[0].rotation.postgres.hostProperty: `host` (hostProperty) is not one of the secret's properties",
                "specs/bad.yaml:18:60: error: apps[0].secrets[0].rotation.postgres.portProperty: `pgport` (portProperty) is not one of the secret's properties",
                "`dbname` (databaseProperty)",
            ],
        },
        Case {
            name: "rotation postgres strategy unknown",
            file: "bad",
            text: with_rotation(
                PG_PROPERTIES,
                &format!(
                    "{weekly}          generate: {{password: {{length: 40}}}}\n          postgres: {{adminSecret: bad/admin, strategy: blue-green}}\n"
                ),
            ),
            expect: &[
                "specs/bad.yaml:18:",
                "unknown variant `blue-green`, expected `alternating-users` or `single-user`",
            ],
        },
        Case {
            name: "rotation single-user where rotations wait for review",
            file: "bad",
            text: with_rotation(
                PG_PROPERTIES,
                &format!(
                    "{weekly}          generate: {{password: {{length: 40}}}}\n          postgres: {{adminSecret: bad/admin, strategy: single-user}}\n"
                ),
            ),
            expect: &[
                "specs/bad.yaml:18:56: error: apps[0].secrets[0].rotation.postgres.strategy: `single-user` in environment `prod`, where rotations are delivered by pull request",
                "`single-user` in environment `staging`",
                "environments/prod.yaml with `secretStores.rotation.delivery: push`",
            ],
        },
        Case {
            name: "rotation retirePrevious with single-user",
            file: "bad",
            text: with_rotation(
                PG_PROPERTIES,
                &format!(
                    "{weekly}          generate: {{password: {{length: 40}}}}\n          postgres: {{adminSecret: bad/admin, strategy: single-user, retirePrevious: true}}\n"
                ),
            ),
            expect: &[
                "specs/bad.yaml:18:85: error: apps[0].secrets[0].rotation.postgres.retirePrevious: `retirePrevious` with `strategy: single-user`",
                "help: single-user has no previous role to retire",
            ],
        },
    ]
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "bad yaml",
            file: "bad",
            text:
                "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: \"bad\nteam: t\n"
                    .into(),
            expect: &[
                "specs/bad.yaml:5:1: error: found unexpected end of stream",
                "close the quote or bracket",
            ],
        },
        Case {
            name: "unknown field",
            file: "bad",
            text: with_app("    replica: 3\n"),
            expect: &[
                "specs/bad.yaml:9:5: error:",
                "unknown field `replica`",
                "remove the field or fix its spelling",
            ],
        },
        Case {
            name: "unknown top-level field",
            file: "bad",
            text: GOOD.replace("team: t\n", "team: t\nnamespace: x\n"),
            expect: &["specs/bad.yaml:5:1:", "unknown field `namespace`"],
        },
        Case {
            name: "wildcard verb",
            file: "bad",
            text: with_app(
                "    rules:\n      - apiGroups: [\"\"]\n        resources: [pods]\n        verbs: [get, \"*\"]\n",
            ),
            expect: &[
                "specs/bad.yaml:12:22: error: apps[0].rules[0].verbs[1]: wildcard `*` in verbs",
                "checklist 1.2",
            ],
        },
        Case {
            name: "wildcard resource",
            file: "bad",
            text: with_app(
                "    rules:\n      - apiGroups: [apps]\n        resources: [\"*\"]\n        verbs: [get]\n",
            ),
            expect: &[
                "specs/bad.yaml:11:21:",
                "wildcard `*` in resources",
                "Avoid wildcards",
            ],
        },
        Case {
            name: "wildcard api group",
            file: "bad",
            text: with_app(
                "    rules:\n      - apiGroups: [\"*\"]\n        resources: [pods]\n        verbs: [get]\n",
            ),
            expect: &["specs/bad.yaml:10:", "wildcard `*` in apiGroups"],
        },
        Case {
            name: "newline injection in name",
            file: "bad",
            text: GOOD.replace("name: bad\n", "name: \"bad\\nkind: Secret\"\n"),
            expect: &["specs/bad.yaml:3:7:", "is not an RFC 1123 label"],
        },
        Case {
            name: "path traversal name",
            file: "bad",
            text: GOOD.replace("name: bad\n", "name: ../../etc\n"),
            expect: &[
                "specs/bad.yaml:3:7:",
                "`../../etc` is not an RFC 1123 label",
                "no `/` or `.`",
            ],
        },
        Case {
            name: "name differs from file",
            file: "bad",
            text: GOOD.replace("name: bad\n", "name: other\n"),
            expect: &[
                "specs/bad.yaml:3:7:",
                "rename the file to `other.yaml` or set `name: bad`",
            ],
        },
        Case {
            name: "system namespace",
            file: "kube-system",
            text: GOOD.replace("name: bad\n", "name: kube-system\n"),
            expect: &["specs/kube-system.yaml:3:7:", "is a system namespace"],
        },
        Case {
            name: "duplicate app",
            file: "bad",
            text: with_app("  - name: api\n"),
            expect: &["specs/bad.yaml:9:11:", "duplicate app `api`"],
        },
        Case {
            name: "unknown app in egress",
            file: "bad",
            text: with_app("    egress:\n      - toApp: ghost\n"),
            expect: &[
                "specs/bad.yaml:10:16:",
                "unknown app `ghost`",
                "name an app declared under `apps` (api)",
            ],
        },
        Case {
            name: "unknown app in ingress",
            file: "bad",
            text: with_app("    ingress:\n      - fromApp: ghost\n"),
            expect: &["specs/bad.yaml:10:18:", "unknown app `ghost`"],
        },
        Case {
            name: "internet egress unacknowledged",
            file: "bad",
            text: with_app(
                "    egress:\n      - toCidr: 0.0.0.0/0\n        ports: [{port: 443}]\n",
            ),
            expect: &[
                "specs/bad.yaml:10:17:",
                "opens the whole internet",
                "acknowledgeInternetEgress",
            ],
        },
        Case {
            name: "egress without ports",
            file: "bad",
            text: with_app("    egress:\n      - toCidr: 10.0.0.0/8\n"),
            expect: &["specs/bad.yaml:10:", "must list its ports", "checklist 2.4"],
        },
        Case {
            name: "image not pinned",
            file: "bad",
            text: with_app("    workload:\n      image: registry.example.com/a/api:1.2\n"),
            expect: &[
                "specs/bad.yaml:10:14:",
                "is not pinned by digest",
                "crane digest",
            ],
        },
        Case {
            name: "image from a foreign registry",
            file: "bad",
            text: with_app(&format!(
                "    workload:\n      image: registry.example.com.evil.io/api@sha256:{}\n",
                "a".repeat(64)
            )),
            expect: &[
                "specs/bad.yaml:10:14:",
                "not from a registry allowed in environment `prod`",
            ],
        },
        Case {
            name: "single replica",
            file: "bad",
            text: with_app(&format!(
                "    workload:\n      image: registry.example.com/api@sha256:{}\n      replicas: 1\n",
                "a".repeat(64)
            )),
            expect: &["specs/bad.yaml:11:17:", "use at least 2 replicas"],
        },
        Case {
            name: "default probes without a TCP port",
            file: "bad",
            text: GOOD.replace(
                "{name: http, port: 8080}",
                "{name: dns, port: 53, protocol: UDP}",
            ) + &format!(
                "    workload:\n      image: registry.example.com/api@sha256:{}\n",
                "a".repeat(64)
            ),
            expect: &[
                "specs/bad.yaml:9:5:",
                "has no TCP port for the default HTTP probes",
                "set `probes` explicitly",
            ],
        },
        Case {
            name: "missing governance label",
            file: "bad",
            text: GOOD.replace("cost-center: c1, ", ""),
            expect: &[
                "specs/bad.yaml:5:1:",
                "required governance label `cost-center` is missing",
            ],
        },
        Case {
            name: "label value injection",
            file: "bad",
            text: GOOD.replace("cost-center: c1", "cost-center: \"c1\\nteam: evil\""),
            expect: &["specs/bad.yaml:5:", "is not a valid label value"],
        },
        Case {
            name: "all secrets readable",
            file: "bad",
            text: with_app(
                "    rules:\n      - apiGroups: [\"\"]\n        resources: [secrets]\n        verbs: [get]\n",
            ),
            expect: &[
                "specs/bad.yaml:11:",
                "access to all Secrets",
                "checklist 4.5",
            ],
        },
        Case {
            name: "escalating verb",
            file: "bad",
            text: with_app(
                "    rules:\n      - apiGroups: [rbac.authorization.k8s.io]\n        resources: [roles]\n        verbs: [bind]\n",
            ),
            expect: &[
                "specs/bad.yaml:12:",
                "verb `bind` lets the app grant itself more rights",
            ],
        },
        Case {
            name: "long multi-line value",
            file: "bad",
            text: GOOD.replace(
                "team: t\n",
                &format!("team: |\n{}", "  line of a long team value\n".repeat(200)),
            ),
            expect: &[
                "specs/bad.yaml:5:3: error: team: `line of a long team value…` is not an RFC 1123 label",
            ],
        },
        Case {
            name: "long single-line value",
            file: "bad",
            text: GOOD.replace("team: t\n", &format!("team: {}\n", "Long".repeat(500))),
            expect: &[
                "specs/bad.yaml:4:7: error: team: `LongLongLongLongLongLongLongLongLongLon…` is not",
            ],
        },
        Case {
            name: "a whole file as one string",
            file: "bad",
            text:
                "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                    .repeat(50),
            expect: &[
                "specs/bad.yaml:1:1: error: invalid type: string \"root:x:0:0:root:/root:/bin/bash daemon:…\", expected struct NamespaceRequest",
                "give the field a value of the expected type",
            ],
        },
        Case {
            name: "token-looking value",
            file: "bad",
            text: GOOD.replace("team: t\n", &format!("team: {TOKEN}\n")),
            expect: &["specs/bad.yaml:4:7: error: team: `[redacted]` is not an RFC 1123 label"],
        },
        Case {
            name: "token-looking value of the wrong type",
            file: "bad",
            text: GOOD.replace("team: t\n", &format!("team: t\nowners: {TOKEN}\n")),
            expect: &[
                "specs/bad.yaml:5:9: error: owners: invalid type: string \"[redacted]\", expected struct Owners",
            ],
        },
        Case {
            name: "broad group",
            file: "bad",
            text: GOOD.replace(
                "apps:\n",
                "owners:\n  viewers: [\"system:authenticated\"]\napps:\n",
            ),
            expect: &["specs/bad.yaml:7:", "built-in Kubernetes group"],
        },
    ]
}

#[test]
fn malformed_requests_are_refused_with_location_and_fix_and_change_nothing() {
    let repo = Repo::init();
    let mut failures = Vec::new();
    for case in cases().into_iter().chain(rotation_cases()) {
        let rel = format!("specs/{}.yaml", case.file);
        repo.write(&rel, &case.text);
        let before = repo.state();
        for args in [&["render"][..], &["plan"], &["render", "--check"]] {
            let out = repo.rampart(args);
            if out.code != 2 {
                failures.push(format!(
                    "{} ({args:?}): exit {} (want 2)\n{}",
                    case.name, out.code, out.stderr
                ));
            }
            for fragment in case.expect {
                if !out.stderr.contains(fragment) {
                    failures.push(format!(
                        "{} ({args:?}): stderr lacks {fragment:?}:\n{}",
                        case.name, out.stderr
                    ));
                }
            }
            if !out.stderr.contains("help: ") || !out.stderr.contains("nothing was written") {
                failures.push(format!(
                    "{} ({args:?}): no fix or no reassurance:\n{}",
                    case.name, out.stderr
                ));
            }
            if repo.state() != before {
                failures.push(format!("{} ({args:?}): the repository changed", case.name));
            }
            for problem in quoting_problems(&out.stderr) {
                failures.push(format!("{} ({args:?}): {problem}", case.name));
            }
        }
        std::fs::remove_file(repo.dir.join(&rel)).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(repo.status(), "");
}

#[test]
fn every_problem_of_every_file_is_reported_at_once() {
    let repo = Repo::init();
    repo.write(
        "specs/one.yaml",
        &GOOD
            .replace("name: bad", "name: one")
            .replace("team: t", "team: T"),
    );
    repo.write(
        "specs/two.yaml",
        &with_app("    egress:\n      - toApp: ghost\n")
            .replace("name: bad", "name: two")
            .replace("  - name: api\n", "  - name: api\n  - name: api\n"),
    );
    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("specs/one.yaml:4:7: error: team: `T` is not an RFC 1123 label"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("specs/two.yaml:8:11: error: apps[1].name: duplicate app `api`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("unknown app `ghost`"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("refused: 3 problems found; nothing was written"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_environment_values_are_refused() {
    let repo = Repo::init();
    let prod = repo.read("environments/prod.yaml");
    repo.write(
        "environments/prod.yaml",
        &prod
            .replace("enforce: restricted", "enforce: baseline")
            .replace("- registry.example.com/", "- registry.example.com"),
    );
    let before = repo.state();
    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("environments/prod.yaml:9:12: error: podSecurity.enforce: production enforces `baseline`"), "{}", out.stderr);
    assert!(
        out.stderr.contains("does not end with `/`"),
        "{}",
        out.stderr
    );
    assert_eq!(repo.state(), before);
}

#[test]
fn a_registry_without_trailing_slash_is_refused_with_its_line_and_the_fix() {
    // "registry.example.com" as a prefix would admit "registry.example.com.evil.io/...":
    // refused before anything is rendered, at the entry's line and column.
    let repo = Repo::init();
    let prod = repo.read("environments/prod.yaml");
    let line = 1 + prod
        .lines()
        .position(|l| l.trim() == "- registry.example.com/")
        .expect("prod.yaml lists registry.example.com/");
    repo.write(
        "environments/prod.yaml",
        &prod.replace(
            "- registry.example.com/\n",
            "- registry.example.com/\n  - ghcr.io/acme\n",
        ),
    );
    let before = repo.state();
    for args in [&["render"][..], &["plan"]] {
        let out = repo.rampart(args);
        assert_eq!(out.code, 2, "{out:?}");
        let at = format!(
            "environments/prod.yaml:{}:5: error: allowedRegistries[1]: `ghcr.io/acme` does not end with `/`, so `ghcr.io/acme.evil.io/...` would match it too",
            line + 1
        );
        assert!(out.stderr.contains(&at), "want {at}\n{}", out.stderr);
        assert!(
            out.stderr.contains("help: write `ghcr.io/acme/`"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
        assert_eq!(repo.state(), before);
    }
}

/// Generous bounds on what refusing any hostile input of a few MB may cost (by the test's
/// own measurement; never a performance assertion, a guard against runaway growth).
const MAX_SECONDS: u64 = 20;
const MAX_RSS: u64 = 400 << 20;

/// A hostile input: bytes (not necessarily UTF-8) that must be refused at a limit.
struct Hostile {
    name: &'static str,
    /// The file under the repository it is written to.
    path: &'static str,
    bytes: Vec<u8>,
    /// Fragments the error output must contain (location, limit, fix).
    expect: Vec<String>,
}

fn hostile(name: &'static str, text: String, expect: &[&str]) -> Hostile {
    Hostile {
        name,
        path: "specs/bad.yaml",
        bytes: text.into_bytes(),
        expect: expect.iter().map(|e| (*e).to_owned()).collect(),
    }
}

fn hostile_cases() -> Vec<Hostile> {
    let big = "x".repeat(700 << 10);
    let aliases: String = (0..300).map(|i| format!("  k{i}: *big\n")).collect();
    let mut invalid_utf8 = GOOD.replace("team: t\n", "team: t\u{1}\n").into_bytes();
    let at = invalid_utf8.iter().position(|&b| b == 1).unwrap();
    invalid_utf8[at] = 0xff;
    vec![
        hostile(
            "file over the size limit",
            format!("{GOOD}description: {}\n", "d".repeat(2 << 20)),
            &[
                "specs/bad.yaml:1:1: error: the file is larger than 1 MiB, the limit of an input file",
                "help: split it",
            ],
        ),
        hostile(
            "300 aliases of a 700 KiB string",
            format!("{GOOD}description: &big {big}\nquota:\n{aliases}"),
            &[
                "specs/bad.yaml:9:",
                "aliases (`*name`) expand this document past 1 MiB, the limit of an input file",
                "help: write the values out",
            ],
        ),
        hostile(
            "100,000 levels of flow nesting",
            format!(
                "{GOOD}quota: {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            &[
                "specs/bad.yaml:9:108: error: collections nested more than 100 levels deep (the limit)",
                "help: flatten",
            ],
        ),
        // A request that mentions `secrets` is also read for inline secret values first:
        // that read keeps to the limits too.
        hostile(
            "100,000 levels of flow nesting in a request with secrets",
            format!(
                "{}x: {}{}\n",
                with_app("    secrets: []\n"),
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            &[
                "specs/bad.yaml:10:104: error: collections nested more than 100 levels deep (the limit)",
            ],
        ),
        hostile(
            "300 aliases of a 700 KiB string in a request with secrets",
            format!(
                "{}description: &big {big}\nquota:\n{aliases}",
                with_app("    secrets: []\n")
            ),
            &[
                "specs/bad.yaml:10:",
                "aliases (`*name`) expand this document past 1 MiB",
            ],
        ),
        hostile(
            "200 levels of block nesting",
            format!(
                "{GOOD}quota:\n{}",
                (1..=200)
                    .map(|d| format!("{}a:\n", "  ".repeat(d)))
                    .collect::<String>()
            ),
            // Refused by its type at the first level too deep, in bounded time (the YAML
            // parser's own limit is 128 levels).
            &["specs/bad.yaml:11:5: error: quota.a: invalid type: map, expected a string"],
        ),
        hostile(
            "a description that no annotation can hold",
            GOOD.replace(
                "team: t\n",
                &format!("team: t\ndescription: {}\n", "d".repeat(100 << 10)),
            ),
            &[
                "specs/bad.yaml:5:14: error: description: the description is 102400 bytes, over the limit of 64 KiB",
                "Kubernetes refuses annotations over 256 KiB in total",
            ],
        ),
        hostile(
            "a label value over 63 characters",
            GOOD.replace(
                "cost-center: c1",
                &format!("cost-center: {}", "c".repeat(64)),
            ),
            &[
                "specs/bad.yaml:5:",
                "labels.cost-center:",
                "is not a valid label value",
                "at most 63",
            ],
        ),
        hostile(
            "a duplicate label",
            GOOD.replace(
                "cost-center: c1,",
                "cost-center: cc-4711, cost-center: cc-9999,",
            ),
            &[
                "specs/bad.yaml:5:32: error: duplicate key `cost-center` (first at line 5 column 10)",
            ],
        ),
        hostile(
            "a duplicate quota",
            format!("{GOOD}quota:\n  pods: \"30\"\n  pods: \"3000\"\n"),
            &[
                "specs/bad.yaml:11:3: error: duplicate key `pods` (first at line 10 column 3)",
                "help: keep one of the two entries",
            ],
        ),
        hostile(
            "a duplicate top-level key",
            GOOD.replace("team: t\n", "team: t\nname: other\n"),
            &["specs/bad.yaml:5:1: error: duplicate key `name` (first at line 3 column 1)"],
        ),
        Hostile {
            name: "invalid UTF-8",
            path: "specs/bad.yaml",
            bytes: invalid_utf8,
            expect: vec![
                "specs/bad.yaml:4:8: error: the file is not valid UTF-8".into(),
                "help: save it as UTF-8".into(),
            ],
        },
    ]
}

#[test]
fn inputs_over_a_limit_are_refused_at_their_line_fast_in_bounded_memory() {
    let repo = Repo::init();
    let mut failures = Vec::new();
    let prod = repo.read("environments/prod.yaml");
    let mut cases = hostile_cases();
    cases.push(Hostile {
        name: "a duplicate key in an environment",
        path: "environments/prod.yaml",
        bytes: format!("{prod}name: prod\n").into_bytes(),
        expect: vec![
            "environments/prod.yaml:".into(),
            "duplicate key `name` (first at line".into(),
        ],
    });
    for case in cases {
        let original = std::fs::read(repo.dir.join(case.path)).ok();
        std::fs::write(repo.dir.join(case.path), &case.bytes).unwrap();
        let before = repo.state();
        for args in [&["render"][..], &["plan"], &["render", "--check"]] {
            let m = rampart_measured(&repo.dir, args, Input::None);
            let out = &m.run;
            let what = format!("{} ({args:?})", case.name);
            if out.code != 2 {
                failures.push(format!(
                    "{what}: exit {} (want 2)\n{}",
                    out.code, out.stderr
                ));
            }
            for fragment in &case.expect {
                if !out.stderr.contains(fragment.as_str()) {
                    failures.push(format!(
                        "{what}: stderr lacks {fragment:?}:\n{}",
                        out.stderr
                    ));
                }
            }
            if !out.stderr.contains("nothing was written") {
                failures.push(format!("{what}: no reassurance:\n{}", out.stderr));
            }
            if m.elapsed.as_secs() > MAX_SECONDS || m.max_rss > MAX_RSS {
                failures.push(format!(
                    "{what}: took {:?} and {} MB (bounds: {MAX_SECONDS} s, {} MB)",
                    m.elapsed,
                    m.max_rss >> 20,
                    MAX_RSS >> 20
                ));
            }
            if repo.state() != before {
                failures.push(format!("{what}: the repository changed"));
            }
            for problem in quoting_problems(&out.stderr) {
                failures.push(format!("{what}: {problem}"));
            }
        }
        match original {
            Some(bytes) => std::fs::write(repo.dir.join(case.path), bytes).unwrap(),
            None => std::fs::remove_file(repo.dir.join(case.path)).unwrap(),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(repo.status(), "");
}

#[test]
fn check_stops_at_its_limit_on_endless_or_oversized_input() {
    let work = tempfile::tempdir().unwrap();
    let runs = [
        (
            "yes | rampart check -",
            rampart_measured(work.path(), &["check", "-"], Input::Endless(b"y\n")),
            "<stdin>:1: error: the file is larger than 16 MiB",
        ),
        (
            "rampart check - < /dev/zero",
            rampart_measured(
                work.path(),
                &["check", "-"],
                Input::File(Path::new("/dev/zero")),
            ),
            "<stdin>:1: error: the file is larger than 16 MiB",
        ),
        (
            "rampart check /dev/zero",
            rampart_measured(work.path(), &["check", "/dev/zero"], Input::None),
            "/dev/zero:1: error: the file is larger than 16 MiB",
        ),
    ];
    for (what, m, message) in runs {
        assert_eq!(m.run.code, 2, "{what}: {:?}", m.run);
        assert!(m.run.stderr.contains(message), "{what}: {}", m.run.stderr);
        // Nothing was checked: stdout must not say "ok".
        assert_eq!(
            m.run.stdout, "no findings in the 0 document(s) that could be read\n",
            "{what}"
        );
        assert!(
            m.elapsed.as_secs() <= MAX_SECONDS && m.max_rss <= MAX_RSS,
            "{what}: took {:?} and {} MB",
            m.elapsed,
            m.max_rss >> 20
        );
    }
    // Hostile documents given to `check` are refused at their line, the others checked.
    let hostile = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a, name: b}}\n---\nkind: List\nitems: {}{}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ok, namespace: x}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let m = rampart_measured(
        work.path(),
        &["check", "-"],
        Input::Bytes(hostile.as_bytes()),
    );
    assert_eq!(m.run.code, 2, "{:?}", m.run);
    assert!(
        m.run
            .stderr
            .contains("<stdin>:3: error: duplicate key `name` (first at line 3 column 12)"),
        "{}",
        m.run.stderr
    );
    assert!(
        m.run
            .stderr
            .contains("<stdin>:6: error: collections nested more than 100 levels deep"),
        "{}",
        m.run.stderr
    );
    assert_eq!(
        m.run.stdout,
        "no findings in the 1 document(s) that could be read\n"
    );
    assert!(
        m.elapsed.as_secs() <= MAX_SECONDS && m.max_rss <= MAX_RSS,
        "{m:?}"
    );
    // Invalid UTF-8 is located at its line.
    let m = rampart_measured(
        work.path(),
        &["check", "-"],
        Input::Bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff}\n"),
    );
    assert_eq!(m.run.code, 2, "{:?}", m.run);
    assert!(
        m.run.stderr.contains("<stdin>:3: error: not UTF-8 text"),
        "{}",
        m.run.stderr
    );
}
