//! AWS Secrets Manager (moto): the four steps run client-side, resumable, pins labelled.

use crate::support::*;
use rampart_rotate::{
    Backend, BackendError, BackendErrorKind, Outcome, Remote, RotateError, SecretData,
    request_token, rotate,
};
use rampart_testkit::Moto;
use std::sync::atomic::{AtomicBool, Ordering};

const SEED: &str = r#"{"username":"app","password":"initial-password-0001"}"#;

fn has(stages: &serde_json::Map<String, serde_json::Value>, id: &str, label: &str) -> bool {
    stages
        .get(id)
        .and_then(|s| s.as_array())
        .is_some_and(|s| s.iter().any(|l| l == label))
}

#[tokio::test]
async fn the_four_steps_move_awscurrent_and_the_pin_resolves_to_the_new_version() {
    let moto = Moto::start();
    let first = aws_create(&moto, "shop/db", SEED);
    let aws = aws(&moto).await;
    let outcome = rotate(&aws, &generate_job("shop/db", &first), false)
        .await
        .expect("rotate");
    let Outcome::Rotated { old, new } = &outcome else {
        panic!("expected a rotation, got {outcome:?}");
    };
    assert_eq!(old, &first);
    assert_eq!(
        new,
        &request_token("shop/db", &first),
        "the version id is our token"
    );
    let value = eso_read_aws(&moto, "shop/db", new);
    assert_eq!(value["password"].as_str().map(|p| p.len()), Some(40));
    assert_eq!(value["username"], "app");
    let stages = aws_stages(&moto, "shop/db");
    assert!(has(&stages, new, "AWSCURRENT"), "{stages:?}");
    assert!(
        !stages
            .values()
            .any(|s| s.to_string().contains("AWSPENDING")),
        "{stages:?}"
    );
    assert!(has(&stages, &first, "AWSPREVIOUS"), "{stages:?}");
    assert!(
        has(&stages, &first, "rampart-pinned-dev"),
        "the pin keeps a label: {stages:?}"
    );
    assert_eq!(
        eso_read_aws(&moto, "shop/db", &first)["password"],
        "initial-password-0001"
    );
}

/// Delegates to AWS but fails the finish step once: the process "stopped" after putting
/// AWSPENDING.
struct StopsBeforeFinish {
    inner: rampart_rotate::Aws,
    stopped: AtomicBool,
}

impl Backend for StopsBeforeFinish {
    fn name(&self) -> &'static str {
        "aws"
    }
    async fn inspect(&self, key: &str) -> Result<Remote, BackendError> {
        self.inner.inspect(key).await
    }
    async fn read(&self, key: &str, version: &str) -> Result<SecretData, BackendError> {
        self.inner.read(key, version).await
    }
    async fn protect(
        &self,
        key: &str,
        remote: &Remote,
        pinned: &str,
        keep: u32,
    ) -> Result<(), RotateError> {
        self.inner.protect(key, remote, pinned, keep).await
    }
    async fn stage(
        &self,
        key: &str,
        remote: &Remote,
        data: &SecretData,
    ) -> Result<String, BackendError> {
        self.inner.stage(key, remote, data).await
    }
    async fn finish(&self, key: &str, remote: &Remote, version: &str) -> Result<(), BackendError> {
        if !self.stopped.swap(true, Ordering::SeqCst) {
            return Err(BackendError {
                backend: "aws",
                operation: "finish",
                key: key.into(),
                message: "stopped by the test".into(),
                kind: BackendErrorKind::Other,
            });
        }
        self.inner.finish(key, remote, version).await
    }
}

#[tokio::test]
async fn a_rotation_stopped_after_awspending_is_resumed_not_repeated() {
    let moto = Moto::start();
    let first = aws_create(&moto, "shop/db", SEED);
    let backend = StopsBeforeFinish {
        inner: aws(&moto).await,
        stopped: AtomicBool::new(false),
    };
    let job = generate_job("shop/db", &first);
    rotate(&backend, &job, false)
        .await
        .expect_err("stopped before finishing");
    let token = request_token("shop/db", &first);
    let stages = aws_stages(&moto, "shop/db");
    assert!(has(&stages, &token, "AWSPENDING"), "{stages:?}");
    assert!(
        has(&stages, &first, "AWSCURRENT"),
        "readers still get the old value"
    );
    let pending = eso_read_aws(&moto, "shop/db", &token);

    let outcome = rotate(&backend, &job, false).await.expect("rerun");
    assert_eq!(
        outcome,
        Outcome::Resumed {
            old: first.clone(),
            new: token.clone()
        }
    );
    let stages = aws_stages(&moto, "shop/db");
    assert!(has(&stages, &token, "AWSCURRENT"), "{stages:?}");
    assert_eq!(stages.len(), 2, "no second new version: {stages:?}");
    assert_eq!(
        eso_read_aws(&moto, "shop/db", &token),
        pending,
        "the value staged first"
    );
}

#[tokio::test]
async fn a_pinned_version_keeps_a_label_when_awsprevious_moves_on() {
    let moto = Moto::start();
    let first = aws_create(&moto, "shop/db", SEED);
    // Someone else writes a newer current version: AWSPREVIOUS moves onto `first`.
    let body = serde_json::json!({
        "SecretId": "shop/db",
        "ClientRequestToken": "someone-else-0000-0000-000000000002",
        "SecretString": r#"{"username":"app","password":"written-by-a-person-2"}"#,
    });
    let out = moto
        .secrets_manager("PutSecretValue", &body.to_string())
        .expect("put");
    assert_eq!(out.status, 200, "{}", out.body);
    let theirs = "someone-else-0000-0000-000000000002";
    // Git still pins `first`; rotating (forced) from their version moves AWSPREVIOUS off
    // `first`, whose own label keeps it from being deprecated.
    let aws = aws(&moto).await;
    let mut job = generate_job("shop/db", &first);
    job.force = true;
    let outcome = rotate(&aws, &job, false).await.expect("rotate");
    let Some((_, new)) = outcome.new_pin() else {
        panic!("expected a new pin, got {outcome:?}");
    };
    assert_eq!(outcome.label(), "rotated");
    let stages = aws_stages(&moto, "shop/db");
    assert!(has(&stages, new, "AWSCURRENT"), "{stages:?}");
    assert!(has(&stages, theirs, "AWSPREVIOUS"), "{stages:?}");
    assert!(has(&stages, &first, "rampart-pinned-dev"), "{stages:?}");
    assert_eq!(
        eso_read_aws(&moto, "shop/db", &first)["password"],
        "initial-password-0001"
    );
    assert_eq!(eso_read_aws(&moto, "shop/db", new)["username"], "app");
}

#[tokio::test]
async fn awspending_left_by_someone_else_is_not_touched() {
    let moto = Moto::start();
    let first = aws_create(&moto, "shop/db", SEED);
    let body = serde_json::json!({
        "SecretId": "shop/db",
        "ClientRequestToken": "lambda-0000-0000-0000-000000000001",
        "SecretString": r#"{"username":"app","password":"lambda-pending-0002"}"#,
        "VersionStages": ["AWSPENDING"],
    });
    let out = moto
        .secrets_manager("PutSecretValue", &body.to_string())
        .expect("put");
    assert_eq!(out.status, 200, "{}", out.body);
    let aws = aws(&moto).await;
    let err = rotate(&aws, &generate_job("shop/db", &first), false)
        .await
        .expect_err("refused");
    assert!(
        matches!(err, RotateError::ForeignRotation { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("lambda-pending-0002"), "{err}");
    let stages = aws_stages(&moto, "shop/db");
    assert!(has(&stages, &first, "AWSCURRENT"), "{stages:?}");
}
