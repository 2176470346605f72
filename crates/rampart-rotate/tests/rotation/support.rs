//! Jobs, backends and ESO-style readers for the scenarios.

use rampart_rotate::{Aws, DueRule, Generate, Job, Policy, SecretId, Vault, VaultAuth};
use rampart_testkit::{Moto, OpenBao};
use serde_json::Value;

pub fn id(secret: &str) -> SecretId {
    SecretId {
        namespace: "shop".into(),
        app: "api".into(),
        secret: secret.into(),
        environment: "dev".into(),
    }
}

/// A job that regenerates `password` (40 characters) of `key`, due now.
pub fn generate_job(key: &str, pinned: &str) -> Job {
    Job {
        id: id("db"),
        remote_key: key.into(),
        pinned: pinned.into(),
        policy: Policy::Generate {
            generate: vec![Generate {
                property: "password".into(),
                length: 40,
                alphabet: rampart_model::rotation::DEFAULT_ALPHABET.into(),
            }],
            postgres: None,
        },
        force: false,
        due: DueRule::always(),
        keep_versions: 5,
        also_pinned: Vec::new(),
    }
}

pub async fn vault(bao: &OpenBao) -> Vault {
    Vault::connect(
        &bao.addr(),
        "secret",
        VaultAuth::Token(bao.root_token().to_owned()),
    )
    .await
    .expect("connect to OpenBao")
}

/// Writes `data` (a JSON object) as a new version of `key`, as a person with `bao kv put`.
pub fn bao_put(bao: &OpenBao, key: &str, data: &str, cas: Option<u64>) -> u64 {
    bao.put(
        key,
        &serde_json::from_str(data).expect("a JSON object"),
        cas,
    )
}

/// What ESO reads for `remoteRef {key, version}` on a KV v2 SecretStore: GET data?version=.
pub fn eso_read_vault(bao: &OpenBao, key: &str, version: &str) -> Value {
    let out = bao
        .request(
            "GET",
            &format!("/v1/secret/data/{key}?version={version}"),
            None,
        )
        .expect("read from OpenBao");
    assert_eq!(out.status, 200, "{}", out.body);
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    v["data"]["data"].clone()
}

pub fn vault_metadata(bao: &OpenBao, key: &str) -> Value {
    let out = bao
        .request("GET", &format!("/v1/secret/metadata/{key}"), None)
        .expect("read metadata");
    assert_eq!(out.status, 200, "{}", out.body);
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    v["data"].clone()
}

/// An AWS client for moto with dummy credentials (the CLI tests use the default chain
/// through AWS_ENDPOINT_URL and AWS_ACCESS_KEY_ID, in the child's environment).
pub async fn aws(moto: &Moto) -> Aws {
    Aws::connect_with_endpoint("us-east-1", &moto.endpoint(), "testing", "testing").await
}

/// What ESO reads for `remoteRef {key, version: "uuid/<id>"}`: GetSecretValue by VersionId.
pub fn eso_read_aws(moto: &Moto, key: &str, version_id: &str) -> Value {
    let out = moto
        .secrets_manager(
            "GetSecretValue",
            &format!(r#"{{"SecretId":"{key}","VersionId":"{version_id}"}}"#),
        )
        .expect("GetSecretValue");
    assert_eq!(out.status, 200, "{}", out.body);
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    serde_json::from_str(v["SecretString"].as_str().expect("SecretString")).expect("JSON value")
}

/// VersionId → staging labels, as DescribeSecret reports them.
pub fn aws_stages(moto: &Moto, key: &str) -> serde_json::Map<String, Value> {
    let out = moto
        .secrets_manager("DescribeSecret", &format!(r#"{{"SecretId":"{key}"}}"#))
        .expect("DescribeSecret");
    assert_eq!(out.status, 200, "{}", out.body);
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    v["VersionIdsToStages"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

pub fn aws_create(moto: &Moto, key: &str, value: &str) -> String {
    let body = serde_json::json!({"Name": key, "SecretString": value}).to_string();
    let out = moto
        .secrets_manager("CreateSecret", &body)
        .expect("CreateSecret");
    assert_eq!(out.status, 200, "{}", out.body);
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    v["VersionId"].as_str().expect("VersionId").to_owned()
}
