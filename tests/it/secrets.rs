//! Secrets in the request (checklist 4): ExternalSecrets and SecretStores valid against the
//! External Secrets Operator CRD schemas with nothing left for the API server to default,
//! secrets mounted as read-only files, pods rolled by a version bump in Git, RBAC kept to
//! each app's own Secrets, and bad input refused with file:line and a fix.

use crate::support::{Repo, Run, named, tool};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Validates every document of a group with a CRD in tests/fixtures/crds (External Secrets
/// Operator, the Prometheus Operator's PrometheusRule) in the given files against the
/// `openAPIV3Schema` of the served `v1` version of its CRD, strictly (an object schema with
/// properties accepts no others, as kubernetes-validate --strict does for built-in kinds),
/// and fails on any field the API server would fill in from a schema default.
const VALIDATE_CRDS: &str = r#"
import json, sys, yaml, jsonschema
crd_dir, files = sys.argv[1], sys.argv[2:]
import glob, os
schemas = {}
for path in glob.glob(os.path.join(crd_dir, "*.yaml")):
    crd = yaml.safe_load(open(path))
    for v in crd["spec"]["versions"]:
        if v["served"]:
            schemas[(crd["spec"]["group"] + "/" + v["name"], crd["spec"]["names"]["kind"])] = v["schema"]["openAPIV3Schema"]

def strict(s):
    if isinstance(s, dict):
        s = {k: strict(v) for k, v in s.items()}
        if s.get("type") == "object" and "properties" in s and "additionalProperties" not in s \
                and not s.get("x-kubernetes-preserve-unknown-fields"):
            s["additionalProperties"] = False
        return s
    if isinstance(s, list):
        return [strict(i) for i in s]
    return s

def defaulted(schema, value, path, out):
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if path == "" and key == "status":
                continue  # written by the controller, never by a manifest
            if key not in value:
                if "default" in sub:
                    out.append(path + "." + key)
            else:
                defaulted(sub, value[key], path + "." + key, out)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            defaulted(schema["items"], item, "%s[%d]" % (path, i), out)

groups = {api.split("/")[0] for (api, _) in schemas}
failed = 0
for f in files:
    for doc in yaml.safe_load_all(open(f)):
        if not doc or str(doc.get("apiVersion", "")).split("/")[0] not in groups:
            continue
        where = "%s %s/%s" % (f, doc["kind"], doc["metadata"]["name"])
        schema = schemas.get((doc["apiVersion"], doc["kind"]))
        if schema is None:
            print("NO SCHEMA", where); failed += 1; continue
        errors = list(jsonschema.Draft4Validator(strict(schema)).iter_errors(doc))
        for e in errors:
            print("INVALID", where, "/".join(map(str, e.absolute_path)), e.message)
        missing = []
        defaulted(schema, doc, "", missing)
        for m in missing:
            print("DEFAULTED", where, m)
        if errors or missing:
            failed += 1
        else:
            print("VALID", where)
sys.exit(1 if failed else 0)
"#;

/// The CRDs of External Secrets Operator and the Prometheus Operator, kept in the
/// repository for a fresh clone.
fn crd_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/crds"
    ))
}

pub(crate) fn validate_crds(cwd: &Path, files: &[String]) -> Run {
    Command::new(tool("python3"))
        .args(["-c", VALIDATE_CRDS])
        .arg(crd_dir())
        .args(files)
        .current_dir(cwd)
        .output()
        .expect("run python3")
        .into()
}

fn rendered_files(repo: &Repo, env: &str) -> Vec<String> {
    repo.files_under(&format!("clusters/{env}/namespaces"))
        .into_iter()
        .filter(|f| !f.ends_with("kustomization.yaml"))
        .collect()
}

/// The objects of the example namespace `shop`.
fn objects(repo: &Repo, env: &str) -> Vec<Value> {
    repo.objects_under(&format!("clusters/{env}/namespaces/shop"))
}

/// Turns on the commented CA bundle of prod, so the Vault store's caProvider is covered.
fn with_vault_ca(repo: &Repo) {
    let prod = repo.read("environments/prod.yaml").replace(
        "    # caBundle: {configMap: vault-ca, key: ca.crt}",
        "    caBundle: {configMap: vault-ca, key: ca.crt}",
    );
    repo.write("environments/prod.yaml", &prod);
    repo.rampart(&["render"]).ok();
}

#[test]
fn eso_objects_validate_against_the_crd_schemas_and_leave_nothing_to_default() {
    let repo = Repo::init();
    with_vault_ca(&repo);
    for env in ["dev", "staging", "prod"] {
        let files = rendered_files(&repo, env);
        let expected: usize = files
            .iter()
            .map(|f| {
                repo.read(f)
                    .matches("\napiVersion: external-secrets.io/v1\n")
                    .count()
            })
            .sum();
        assert_eq!(
            expected, 6,
            "{env}: two SecretStores and two ExternalSecrets of shop, the SecretStore and the Git token's ExternalSecret of rampart-system"
        );
        let out = validate_crds(&repo.dir, &files);
        assert_eq!(out.code, 0, "{env}:\n{}{}", out.stdout, out.stderr);
        let eso = |l: &&str| l.contains(" SecretStore/") || l.contains(" ExternalSecret/");
        assert_eq!(
            out.stdout
                .lines()
                .filter(|l| l.starts_with("VALID "))
                .filter(eso)
                .count(),
            expected,
            "{env}: every ESO document validated:\n{}",
            out.stdout
        );
    }
    let prod = objects(&repo, "prod");
    assert_eq!(
        named(&prod, "SecretStore", "vault")["spec"]["provider"]["vault"]["caProvider"]["name"],
        "vault-ca"
    );
}

#[test]
fn the_crd_check_rejects_what_it_should() {
    // Guards the test above against a check that passes everything.
    let dir = tempfile::TempDir::new().unwrap();
    let good = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: a, namespace: n}\nspec:\n  refreshInterval: 0s\n  refreshPolicy: OnChange\n  secretStoreRef: {kind: SecretStore, name: vault}\n  target: {name: a, creationPolicy: Owner, deletionPolicy: Retain}\n  data:\n  - secretKey: k\n    remoteRef: {key: a/b, property: k, version: \"1\"}\n";
    let cases = [
        (good.to_string(), None),
        (
            good.replace("refreshPolicy:", "refreshPolicey:"),
            Some("Additional properties are not allowed"),
        ),
        (
            good.replace("creationPolicy: Owner", "creationPolicy: Sometimes"),
            Some("'Sometimes' is not one of"),
        ),
        (
            good.replace("  refreshInterval: 0s\n", ""),
            Some("DEFAULTED"),
        ),
        (
            good.replace(", deletionPolicy: Retain", ""),
            Some("spec.target.deletionPolicy"),
        ),
    ];
    for (i, (text, problem)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("{i}.yaml"));
        std::fs::write(&file, text).unwrap();
        let out = validate_crds(dir.path(), &[file.to_string_lossy().into_owned()]);
        match problem {
            None => assert_eq!(out.code, 0, "{text}\n{}{}", out.stdout, out.stderr),
            Some(p) => {
                assert_eq!(out.code, 1, "{text}\n{}", out.stdout);
                assert!(out.stdout.contains(p), "{p}: {}", out.stdout);
            }
        }
    }
}

#[test]
fn external_secrets_pin_versions_and_sync_only_when_git_changes() {
    let repo = Repo::init();
    let objs = objects(&repo, "prod");
    let db = named(&objs, "ExternalSecret", "api-db");
    assert_eq!(db["spec"]["refreshPolicy"], "OnChange");
    assert_eq!(db["spec"]["secretStoreRef"]["name"], "vault");
    assert_eq!(db["spec"]["target"]["name"], "api-db");
    let data = db["spec"]["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "one entry per property");
    for (entry, property) in data.iter().zip(["username", "password"]) {
        assert_eq!(entry["secretKey"], property);
        assert_eq!(entry["remoteRef"]["key"], "shop/api/db");
        assert_eq!(entry["remoteRef"]["property"], property);
        assert_eq!(entry["remoteRef"]["version"], "3", "KV v2 version number");
    }
    let oauth = named(&objs, "ExternalSecret", "web-oauth-client");
    assert_eq!(
        oauth["spec"]["data"][0]["remoteRef"]["version"],
        "uuid/3f9c2b7e-8d41-4c6a-9e5b-2a7d1c0f4e86",
        "AWS: a VersionId, never a staging label"
    );
    let vault = &named(&objs, "SecretStore", "vault")["spec"]["provider"]["vault"];
    assert_eq!(vault["server"], "https://vault.example.com:8200");
    assert_eq!(vault["path"], "secret");
    assert_eq!(vault["version"], "v2");
    let k8s = &vault["auth"]["kubernetes"];
    assert_eq!(k8s["role"], "rampart-shop", "a role for this namespace");
    assert_eq!(k8s["serviceAccountRef"]["name"], "secret-store-vault");
    let aws = &named(&objs, "SecretStore", "aws")["spec"]["provider"]["aws"];
    assert_eq!(aws["service"], "SecretsManager");
    assert_eq!(
        aws["auth"]["jwt"]["serviceAccountRef"]["name"],
        "secret-store-aws"
    );
    let aws_account = named(&objs, "ServiceAccount", "secret-store-aws");
    assert_eq!(
        aws_account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::123456789012:role/rampart-prod-shop"
    );
    for account in ["secret-store-vault", "secret-store-aws"] {
        assert_eq!(
            named(&objs, "ServiceAccount", account)["automountServiceAccountToken"],
            false
        );
    }
}

#[test]
fn secret_objects_sync_before_the_workloads_that_mount_them() {
    let repo = Repo::init();
    let wave = |o: &Value| -> i64 {
        o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .map_or(0, |w| w.parse().unwrap())
    };
    let objs = objects(&repo, "prod");
    let mut early = 0;
    for o in &objs {
        let kind = o["kind"].as_str().unwrap();
        let name = o["metadata"]["name"].as_str().unwrap();
        let secret_side = matches!(kind, "SecretStore" | "ExternalSecret")
            || (kind == "ServiceAccount" && name.starts_with("secret-store-"));
        if secret_side {
            early += 1;
            assert_eq!(wave(o), -1, "{kind} {name}");
        } else if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") {
            assert!(wave(o) >= 0, "{kind} {name} must sync after the Secrets");
        }
    }
    // Two stores with their ServiceAccounts and the request's ExternalSecrets.
    assert!(early >= 5, "{early}");
    assert!(objs.iter().any(|o| o["kind"] == "Deployment"));
}

#[test]
fn workloads_read_secrets_from_read_only_files_and_roll_on_a_new_version() {
    let repo = Repo::init();
    let objs = objects(&repo, "prod");
    for (app, secret, mount) in [
        ("api", "api-db", "/etc/secrets/api-db"),
        ("web", "web-oauth-client", "/etc/secrets/oauth"),
    ] {
        let pod = &named(&objs, "Deployment", app)["spec"]["template"];
        let spec = &pod["spec"];
        let volume = spec["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == secret)
            .unwrap_or_else(|| panic!("{app}: no volume {secret}"));
        assert_eq!(volume["secret"]["secretName"], secret);
        assert_eq!(volume["secret"]["defaultMode"], 0o440);
        let container = &spec["containers"][0];
        let mounted = container["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == secret)
            .unwrap_or_else(|| panic!("{app}: {secret} not mounted"));
        assert_eq!(mounted["mountPath"], mount);
        assert_eq!(mounted["readOnly"], true);
        assert!(
            container["env"].is_null() && container["envFrom"].is_null(),
            "{app}: no secrets in environment variables"
        );
        let hash = pod["metadata"]["annotations"]["rampart.dev/pinned-versions"]
            .as_str()
            .unwrap();
        assert!(
            hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{hash}"
        );
    }
    let before = objects(&repo, "prod");
    let annotation = |objs: &[Value], app: &str| {
        named(objs, "Deployment", app)["spec"]["template"]["metadata"]["annotations"]
            ["rampart.dev/pinned-versions"]
            .clone()
    };

    // Rotation: the new version is committed to Git; that commit alone rolls the pods.
    let spec = repo
        .read("specs/shop.yaml")
        .replace("        version: 3\n", "        version: 4\n");
    repo.write("specs/shop.yaml", &spec);
    repo.rampart(&["render"]).ok();
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    let mut changed: Vec<&str> = changed.lines().collect();
    changed.sort();
    let mut expected = vec!["specs/shop.yaml".to_string()];
    for env in ["dev", "prod", "staging"] {
        for file in ["external-secrets.yaml", "workload-api.yaml"] {
            expected.push(format!("clusters/{env}/namespaces/shop/{file}"));
        }
    }
    expected.sort();
    assert_eq!(changed, expected);
    let after = objects(&repo, "prod");
    assert_eq!(
        named(&after, "ExternalSecret", "api-db")["spec"]["data"][0]["remoteRef"]["version"],
        "4"
    );
    assert_ne!(annotation(&after, "api"), annotation(&before, "api"));
    assert_eq!(annotation(&after, "web"), annotation(&before, "web"));
}

#[test]
fn team_roles_read_no_secrets_and_apps_get_only_their_own() {
    let repo = Repo::init();
    // The api may read its own Secret through the API (it is mounted anyway).
    let spec = repo.read("specs/shop.yaml").replace(
        "        resourceNames: [feature-flags]\n",
        "        resourceNames: [feature-flags]\n      - apiGroups: [\"\"]\n        resources: [secrets]\n        verbs: [get]\n        resourceNames: [api-db]\n",
    );
    repo.write("specs/shop.yaml", &spec);
    repo.rampart(&["render"]).ok();
    let objs = objects(&repo, "prod");
    let rules = named(&objs, "Role", "app-api")["rules"]
        .as_array()
        .unwrap()
        .clone();
    let secret_rule = rules
        .iter()
        .find(|r| r["resources"][0] == "secrets")
        .unwrap();
    assert_eq!(
        rampart_yaml::to_string(secret_rule).unwrap(),
        "apiGroups:\n- ''\nresourceNames:\n- api-db\nresources:\n- secrets\nverbs:\n- get\n"
    );
    for role in ["rampart-admin", "rampart-developer", "rampart-viewer"] {
        let rules = named(&objs, "Role", role)["rules"].as_array().unwrap();
        assert!(
            rules.iter().all(|r| r["resources"]
                .as_array()
                .unwrap()
                .iter()
                .all(|res| res != "secrets")),
            "{role} can read Secrets"
        );
        let eso = rules
            .iter()
            .find(|r| r["apiGroups"][0] == "external-secrets.io")
            .unwrap_or_else(|| panic!("{role}: cannot see ExternalSecrets"));
        assert_eq!(
            rampart_yaml::to_string(&eso["verbs"]).unwrap(),
            "- get\n- list\n- watch\n",
            "{role}: read-only, Git changes them"
        );
    }
}

#[test]
fn rendered_secrets_pass_the_commit_guard_and_the_policy_checks() {
    let repo = Repo::init();
    with_vault_ca(&repo);
    let scan = repo.rampart(&["scan", "clusters", "specs"]);
    assert!(
        scan.ok().starts_with("ok: no secrets in"),
        "{}",
        scan.stdout
    );
    let scanned = repo.files_under("clusters");
    assert!(
        scanned.iter().any(|f| f.ends_with("external-secrets.yaml")),
        "{scanned:?}"
    );
    let check = repo.rampart(&["check", "clusters"]);
    assert!(
        check.ok().starts_with("ok: no findings"),
        "{}",
        check.stdout
    );
}

const BASE: &str = "apiVersion: rampart.dev/v1alpha1
kind: NamespaceRequest
name: bad
team: t
labels: {cost-center: c1, data-classification: internal}
apps:
  - name: api
    ports: [{name: http, port: 8080}]
    secrets:
      - name: api-db
        backend: vault
        remoteKey: bad/api/db
        properties: [username, password]
        version: 3
";

/// A value that must never be echoed back.
const LEAK: &str = "Hunter2-Correct-Horse-9f1c";

struct Case {
    name: &'static str,
    text: String,
    expect: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let add = |extra: &str| format!("{BASE}{extra}");
    vec![
        Case {
            name: "inline value",
            text: add(&format!("        value: {LEAK}\n")),
            expect: &[
                "specs/bad.yaml:15:16: error: apps[0].secrets[0].value: a secret value is written inline in the request",
                "write the value into the backend",
            ],
        },
        Case {
            name: "inline stringData",
            text: add(&format!("        stringData: {{password: {LEAK}}}\n")),
            expect: &[
                "specs/bad.yaml:15:9: error: apps[0].secrets[0].stringData: a secret value is written inline",
            ],
        },
        Case {
            name: "properties with values",
            text: BASE.replace(
                "properties: [username, password]",
                &format!("properties: {{username: admin, password: {LEAK}}}"),
            ),
            expect: &[
                "specs/bad.yaml:13:9: error: apps[0].secrets[0].properties: properties maps names to inline values",
                "list only the key names",
            ],
        },
        Case {
            name: "unknown backend",
            text: BASE.replace("backend: vault", "backend: gcp"),
            expect: &[
                "specs/bad.yaml:11:18: error: apps[0].secrets[0].backend: unknown variant `gcp`, expected `vault` or `aws`",
                "use `vault` (HashiCorp Vault or OpenBao, KV v2) or `aws` (AWS Secrets Manager)",
            ],
        },
        Case {
            name: "unpinned vault version",
            text: BASE.replace("version: 3", "version: latest"),
            expect: &[
                "specs/bad.yaml:14:18: error: apps[0].secrets[0].version: `latest` is not a KV v2 version number",
                "pin the version",
            ],
        },
        Case {
            name: "aws staging label",
            text: BASE
                .replace("backend: vault", "backend: aws")
                .replace("version: 3", "version: AWSCURRENT"),
            expect: &[
                "specs/bad.yaml:14:18:",
                "`AWSCURRENT` is a staging label",
                "pin the VersionId",
            ],
        },
        Case {
            name: "aws version with prefix",
            text: BASE.replace("backend: vault", "backend: aws").replace(
                "version: 3",
                "version: uuid/3f9c2b7e-8d41-4c6a-9e5b-2a7d1c0f4e86",
            ),
            expect: &["specs/bad.yaml:14:18:", "write the VersionId alone"],
        },
        Case {
            name: "vault path with the mount",
            text: BASE.replace("remoteKey: bad/api/db", "remoteKey: /secret/data//db"),
            expect: &["specs/bad.yaml:12:20:", "is not a KV v2 secret path"],
        },
        Case {
            name: "no properties",
            text: BASE.replace("[username, password]", "[]"),
            expect: &["specs/bad.yaml:13:9:", "no property is listed"],
        },
        Case {
            name: "mount over /tmp",
            text: add("        mountPath: /tmp/db\n"),
            expect: &[
                "specs/bad.yaml:15:20:",
                "overlaps the workload's writable /tmp",
            ],
        },
        Case {
            name: "same Secret in two apps",
            text: add(
                "  - name: web\n    secrets:\n      - {name: api-db, backend: vault, remoteKey: a/b, properties: [p], version: 1}\n",
            ),
            expect: &[
                "specs/bad.yaml:17:16:",
                "Secret `api-db` is already declared by app `api`",
            ],
        },
        Case {
            name: "reading another app's Secret",
            text: add(
                "  - name: web\n    rules:\n      - apiGroups: [\"\"]\n        resources: [secrets]\n        verbs: [get]\n        resourceNames: [api-db]\n",
            ),
            expect: &[
                "specs/bad.yaml:20:25: error: apps[1].rules[0].resourceNames[0]: Secret `api-db` is not one of app `web`'s secrets",
                "checklist 4.5",
            ],
        },
    ]
}

#[test]
fn bad_secrets_are_refused_with_location_and_fix_and_change_nothing() {
    let repo = Repo::init();
    let mut failures = Vec::new();
    for case in cases() {
        repo.write("specs/bad.yaml", &case.text);
        let before = repo.state();
        for args in [&["render"][..], &["plan"], &["render", "--check"]] {
            let out = repo.rampart(args);
            let name = format!("{} ({args:?})", case.name);
            if out.code != 2 {
                failures.push(format!(
                    "{name}: exit {} (want 2)\n{}",
                    out.code, out.stderr
                ));
            }
            for fragment in case.expect {
                if !out.stderr.contains(fragment) {
                    failures.push(format!(
                        "{name}: stderr lacks {fragment:?}:\n{}",
                        out.stderr
                    ));
                }
            }
            if !out.stderr.contains("help: ") || !out.stderr.contains("nothing was written") {
                failures.push(format!("{name}: no fix or no reassurance:\n{}", out.stderr));
            }
            if out.stderr.contains(LEAK) || out.stdout.contains(LEAK) {
                failures.push(format!("{name}: the value leaked:\n{}", out.stderr));
            }
            if repo.state() != before {
                failures.push(format!("{name}: the repository changed"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_backend_the_environment_lacks_and_bad_store_values_are_refused() {
    let repo = Repo::init();
    let dev = repo.read("environments/dev.yaml");
    let start = dev.find("  aws:").unwrap();
    let end = dev.find("dns:").unwrap();
    repo.write(
        "environments/dev.yaml",
        &format!("{}{}", &dev[..start], &dev[end..]),
    );
    let before = repo.state();
    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("specs/shop.yaml:")
            && out.stderr.contains(
                "apps[0].secrets[0].backend: environment `dev` configures no `aws` secret store"
            ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("add `secretStores.aws` to environments/dev.yaml"),
        "{}",
        out.stderr
    );
    assert_eq!(repo.state(), before);

    repo.write("environments/dev.yaml", &dev);
    let prod = repo.read("environments/prod.yaml");
    repo.write(
        "environments/prod.yaml",
        &prod
            .replace(
                "https://vault.example.com:8200",
                "http://vault.example.com:8200",
            )
            .replace("role: \"rampart-{namespace}\"", "role: rampart-shared")
            .replace("region: eu-central-1", "region: eu-central"),
    );
    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 2, "{out:?}");
    for fragment in [
        "environments/prod.yaml:42:13: error: secretStores.vault.server: `http://vault.example.com:8200` uses plain http:// for a host that is not loopback",
        "http:// is accepted only for a local dev server on 127.0.0.1, ::1 or localhost",
        "environments/prod.yaml:46:13: error: secretStores.vault.auth.role: `rampart-shared` does not contain `{namespace}` once",
        "every namespace needs its own identity",
        "environments/prod.yaml:53:13: error: secretStores.aws.region: `eu-central` is not an AWS region",
    ] {
        assert!(out.stderr.contains(fragment), "{fragment}\n{}", out.stderr);
    }
}

#[test]
fn versions_can_differ_per_environment() {
    let repo = Repo::init();
    let spec = repo.read("specs/shop.yaml").replace(
        "        version: 3\n",
        "        version: {dev: 7, staging: 5, prod: 3}   # each environment's backend has its own history\n",
    );
    repo.write("specs/shop.yaml", &spec);
    repo.rampart(&["render"]).ok();
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        !changed.contains("clusters/prod/"),
        "prod keeps version 3: {changed}"
    );
    for (env, version) in [("dev", "7"), ("staging", "5"), ("prod", "3")] {
        let objs = objects(&repo, env);
        let data = &named(&objs, "ExternalSecret", "api-db")["spec"]["data"];
        assert_eq!(data[0]["remoteRef"]["version"], version, "{env}");
        assert_eq!(data[1]["remoteRef"]["version"], version, "{env}");
    }
}
