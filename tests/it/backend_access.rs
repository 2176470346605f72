//! Backend access as code, proven against a real OpenBao: `rampart backend apply` installs
//! the policies and Kubernetes auth roles `render` writes; a token holding a namespace's
//! policy reads exactly its pinned secret; the rotator's policy is enough for `rampart
//! rotate` and for nothing else; a second apply changes nothing; a removed request's policy
//! and role go, and policies Rampart did not write stay.

use crate::rotate::{KEY, seed_versions, use_vault};
use crate::support::{Repo, Run, rampart_bin};
use rampart_testkit::OpenBao;
use serde_json::Value;
use std::process::Command;

const BILLING: &str = "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: billing\nteam: billing\nlabels: {cost-center: cc-2, data-classification: internal}\napps:\n  - name: api\n    secrets:\n      - name: billing-db\n        backend: vault\n        remoteKey: billing/db\n        properties: [password]\n        version: 1\n";

fn apply(repo: &Repo, token: &str, extra: &[&str]) -> Run {
    Command::new(rampart_bin())
        .args(["backend", "apply", "--env", "dev"])
        .args(extra)
        .current_dir(&repo.dir)
        .env("VAULT_TOKEN", token)
        .env_remove("BAO_TOKEN")
        .output()
        .expect("run rampart backend apply")
        .into()
}

fn json(out: &rampart_testkit::Response) -> Value {
    serde_json::from_str(&out.body).unwrap_or(Value::Null)
}

/// A token holding only `policies`, created with the root token.
fn token_with(bao: &OpenBao, policies: &[&str]) -> String {
    let body = serde_json::json!({"policies": policies, "no_default_policy": true}).to_string();
    let out = bao
        .request("POST", "/v1/auth/token/create", Some(&body))
        .unwrap();
    assert_eq!(out.status, 200, "{}", out.body);
    json(&out)["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn status(bao: &OpenBao, token: &str, method: &str, path: &str, body: Option<&str>) -> u16 {
    bao.request_as(token, method, path, body).unwrap().status
}

#[test]
fn backend_apply_grants_each_namespace_its_own_secrets_and_the_rotator_what_it_rotates() {
    let bao = OpenBao::start();
    for (path, body) in [
        ("/v1/sys/auth/kubernetes", r#"{"type":"kubernetes"}"#),
        // No cluster (token reviewer) here: roles are checked as OpenBao reads them back.
        (
            "/v1/sys/policies/acl/team-custom",
            r#"{"policy":"path \"secret/data/x\" { capabilities = [\"read\"] }"}"#,
        ),
        ("/v1/secret/config", r#"{"max_versions":3}"#),
    ] {
        let out = bao.request("POST", path, Some(body)).unwrap();
        assert!(out.status < 300, "{path}: {}", out.body);
    }
    let repo = Repo::init();
    use_vault(&repo, &bao.addr());
    repo.write("specs/billing.yaml", BILLING);
    repo.rampart(&["render"]).ok();
    seed_versions(&bao);
    bao.request(
        "POST",
        "/v1/secret/data/billing/db",
        Some(r#"{"data":{"password":"billing-initial-0001"}}"#),
    )
    .unwrap();

    // --dry-run shows the difference and changes nothing.
    let dry = apply(&repo, bao.root_token(), &["--dry-run"]);
    let shown = dry.ok();
    for line in [
        "would create policy rampart-shop",
        "+ path \"secret/data/shop/api/db\" {",
        "would create role rampart-billing",
        "would set max_versions of secret from 3 to 6",
    ] {
        assert!(shown.contains(line), "missing {line:?}:\n{shown}");
    }
    assert_eq!(
        bao.request("GET", "/v1/sys/policies/acl/rampart-shop", None)
            .unwrap()
            .status,
        404
    );

    let out = apply(&repo, bao.root_token(), &[]);
    assert!(out.ok().contains("change(s) applied"), "{}", out.stdout);
    let again = apply(&repo, bao.root_token(), &[]);
    assert!(
        again.ok().contains("nothing changed"),
        "idempotent: {}",
        again.stdout
    );

    // The namespace's token: its pinned secret and nothing else.
    let shop = token_with(&bao, &["rampart-shop"]);
    assert_eq!(
        status(
            &bao,
            &shop,
            "GET",
            &format!("/v1/secret/data/{KEY}?version=3"),
            None
        ),
        200
    );
    assert_eq!(
        status(&bao, &shop, "GET", "/v1/secret/data/billing/db", None),
        403,
        "another namespace's secret"
    );
    assert_eq!(
        status(
            &bao,
            &shop,
            "GET",
            &format!("/v1/secret/metadata/{KEY}"),
            None
        ),
        403,
        "metadata"
    );
    assert_eq!(
        status(&bao, &shop, "LIST", "/v1/secret/metadata/shop", None),
        403,
        "listing"
    );
    assert_eq!(
        status(
            &bao,
            &shop,
            "POST",
            &format!("/v1/secret/data/{KEY}"),
            Some(r#"{"data":{"password":"x"}}"#)
        ),
        403,
        "writing"
    );

    // The role as OpenBao holds it: bound to that namespace's SecretStore ServiceAccount.
    let role = json(
        &bao.request("GET", "/v1/auth/kubernetes/role/rampart-shop", None)
            .unwrap(),
    );
    let data = &role["data"];
    assert_eq!(
        data["bound_service_account_names"],
        serde_json::json!(["secret-store-vault"])
    );
    assert_eq!(
        data["bound_service_account_namespaces"],
        serde_json::json!(["shop"])
    );
    assert_eq!(data["token_policies"], serde_json::json!(["rampart-shop"]));
    assert_eq!(data["audience"], "vault");
    assert_eq!(data["token_ttl"], 600);

    // The rotator's token is enough for `rampart rotate`, and writes nothing else.
    let rotator = token_with(&bao, &["rampart-rotator"]);
    let rotated: Run = Command::new(rampart_bin())
        .args(["rotate", "--env", "dev", "--force"])
        .current_dir(&repo.dir)
        .env("VAULT_TOKEN", &rotator)
        .env_remove("BAO_TOKEN")
        .output()
        .unwrap()
        .into();
    assert!(
        rotated.ok().contains("3 → 4"),
        "{}\n{}",
        rotated.stdout,
        rotated.stderr
    );
    assert_eq!(
        status(
            &bao,
            &rotator,
            "POST",
            "/v1/secret/data/billing/db",
            Some(r#"{"data":{"password":"x"}}"#)
        ),
        403
    );
    assert_eq!(
        status(&bao, &rotator, "GET", "/v1/secret/data/billing/db", None),
        403
    );

    // A removed request: its policy and role go; what Rampart did not write stays.
    std::fs::remove_file(repo.dir.join("specs/billing.yaml")).unwrap();
    repo.rampart(&["render"]).ok();
    let removed = apply(&repo, bao.root_token(), &[]);
    let said = removed.ok();
    assert!(
        said.contains("remove role rampart-billing")
            && said.contains("remove policy rampart-billing"),
        "{said}"
    );
    assert_eq!(
        bao.request("GET", "/v1/sys/policies/acl/rampart-billing", None)
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        bao.request("GET", "/v1/auth/kubernetes/role/rampart-billing", None)
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        bao.request("GET", "/v1/sys/policies/acl/team-custom", None)
            .unwrap()
            .status,
        200
    );
    assert!(!said.contains(bao.root_token()));
}

#[test]
fn a_remote_key_two_namespaces_read_is_refused_unless_shared() {
    let repo = Repo::init();
    let other = BILLING.replace("remoteKey: billing/db", "remoteKey: shop/api/db");
    repo.write("specs/billing.yaml", &other);
    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let line = other.lines().position(|l| l.contains("remoteKey")).unwrap() + 1;
    assert!(
        out.stderr.contains(&format!("specs/billing.yaml:{line}:"))
            && out
                .stderr
                .contains("remote key `shop/api/db` (vault) is also read by namespace `shop`")
            && out.stderr.contains("sharedWith: [shop]"),
        "{}",
        out.stderr
    );
    // Declared on purpose: rendered, and both policies say so.
    repo.write(
        "specs/billing.yaml",
        &other.replace(
            "        version: 1\n",
            "        version: 1\n        sharedWith: [shop]\n",
        ),
    );
    repo.rampart(&["render"]).ok();
    let policy =
        repo.read("clusters/prod/cluster/secrets-backend/vault/policies/rampart-billing.hcl");
    assert!(
        policy.contains("# shared with: shop\npath \"secret/data/shop/api/db\""),
        "{policy}"
    );
}

/// Checks every IAM document with parliament (AWS's policy grammar, known actions, resource
/// ARN formats). Trust policies have a Principal and no Resource, and their OIDC provider
/// is not one parliament knows: exactly those two findings are expected of them.
const PARLIAMENT: &str = r#"
import json, sys
from parliament import analyze_policy_string
bad = 0
for path in sys.argv[1:]:
    text = open(path).read()
    json.loads(text)
    found = sorted({f.issue for f in analyze_policy_string(text).findings})
    expected = ["MALFORMED", "UNKNOWN_FEDERATION_SOURCE"] if path.endswith(".trust.json") else []
    print(("OK " if found == expected else "BAD ") + path, found)
    bad += found != expected
sys.exit(1 if bad else 0)
"#;

#[test]
fn rendered_policies_parse_with_vaults_own_parser_and_iam_documents_pass_parliament() {
    let repo = Repo::init();
    let bao = crate::support::tool("bao");
    let python = crate::support::tool("python3");
    let scratch = tempfile::TempDir::new().unwrap();
    for env in ["dev", "staging", "prod"] {
        let dir = format!("clusters/{env}/cluster/secrets-backend");
        let files = repo.files_under(&dir);
        let hcl: Vec<&String> = files.iter().filter(|f| f.ends_with(".hcl")).collect();
        assert!(hcl.len() >= 3, "{env}: {files:?}");
        for file in hcl {
            let text = repo.read(file);
            assert!(
                !text.contains('*') && !text.contains('+'),
                "{file}: a wildcard"
            );
            assert!(
                !text.contains("\"list\"") && !text.contains("\"delete\""),
                "{file}"
            );
            // `bao policy fmt` parses the HCL as OpenBao does (it rewrites the file).
            let copy = scratch.path().join("p.hcl");
            std::fs::write(&copy, &text).unwrap();
            let out = Command::new(&bao)
                .args(["policy", "fmt"])
                .arg(&copy)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let iam: Vec<String> = files
            .iter()
            .filter(|f| f.ends_with(".json") && f.contains("/aws/"))
            .cloned()
            .collect();
        assert!(!iam.is_empty(), "{env}");
        let out = Command::new(&python)
            .args(["-c", PARLIAMENT])
            .args(&iam)
            .current_dir(&repo.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{env}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // `rampart check` reads them too (Vault HCL and IAM JSON) and finds no wildcard.
    let checked = repo.rampart(&["check", "clusters/prod/cluster/secrets-backend"]);
    assert!(
        checked.ok().contains("no findings in 5 document(s)"),
        "{}",
        checked.stdout
    );
    assert!(
        repo.dir
            .join("clusters/prod/cluster/secrets-backend/aws/shop.trust.json")
            .exists(),
        "prod names its OIDC provider"
    );
    // The checker is not blind: a misspelt action fails it.
    let bad = scratch.path().join("bad.policy.json");
    std::fs::write(&bad, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValu","Resource":"*"}]}"#).unwrap();
    let out = Command::new(&python)
        .args(["-c", PARLIAMENT])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// No Kubernetes auth method on the server: the run names the missing mount and how to
/// enable it, applies nothing (not even the policies), and does not speak of commits.
#[test]
fn backend_apply_without_the_kubernetes_auth_method_names_the_mount_and_applies_nothing() {
    let bao = OpenBao::start();
    let repo = Repo::init();
    use_vault(&repo, &bao.addr());
    repo.rampart(&["render"]).ok();
    let out = apply(&repo, bao.root_token(), &[]);
    assert_eq!(out.code, 1, "{out:?}");
    for expected in [
        "no Kubernetes auth method is enabled at auth/kubernetes/",
        "`bao auth enable -path=kubernetes kubernetes`",
        "`vault auth enable -path=kubernetes kubernetes`",
        "nothing was applied",
    ] {
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
    }
    assert!(
        !out.stderr.contains("nothing was committed"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("no handler for route"),
        "{}",
        out.stderr
    );
    let policy = bao
        .request("GET", "/v1/sys/policies/acl/rampart-shop", None)
        .unwrap();
    assert_eq!(policy.status, 404, "no policy was written: {}", policy.body);
}
