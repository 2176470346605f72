//! AWS Secrets Manager (moto): the four steps run client-side, resumable, pins labelled.

use crate::support::*;
use rampart_rotate::{
    Backend, BackendError, BackendErrorKind, MARKER_PROPERTY, Marker, OtherPin, Outcome, Remote,
    RotateError, SecretData, request_token, rotate,
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
    async fn protect(&self, remote: &Remote, job: &rampart_rotate::Job) -> Result<(), RotateError> {
        self.inner.protect(remote, job).await
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

/// Puts a version as Rampart's rotation from `from` does (its request token, the marker)
/// with AWSPENDING, then moves AWSCURRENT onto it: a run killed between moving AWSCURRENT
/// and removing AWSPENDING.
fn stopped_after_awscurrent_moved(moto: &Moto, key: &str, from: &str) -> String {
    let token = request_token(key, from);
    let value = serde_json::json!({
        "username": "app",
        "password": "staged-by-a-stopped-run-2",
        MARKER_PROPERTY: Marker { from: from.to_owned(), at: "2026-03-02T03:00:00Z".to_owned() }.render(),
    });
    let put = serde_json::json!({
        "SecretId": key, "ClientRequestToken": token,
        "SecretString": value.to_string(), "VersionStages": ["AWSPENDING"],
    });
    let out = moto
        .secrets_manager("PutSecretValue", &put.to_string())
        .expect("put");
    assert_eq!(out.status, 200, "{}", out.body);
    let stage = serde_json::json!({
        "SecretId": key, "VersionStage": "AWSCURRENT",
        "MoveToVersionId": token, "RemoveFromVersionId": from,
    });
    let out = moto
        .secrets_manager("UpdateSecretVersionStage", &stage.to_string())
        .expect("move AWSCURRENT");
    assert_eq!(out.status, 200, "{}", out.body);
    token
}

fn holders(stages: &serde_json::Map<String, serde_json::Value>, label: &str) -> Vec<String> {
    stages
        .iter()
        .filter(|(id, _)| has(stages, id, label))
        .map(|(id, _)| id.clone())
        .collect()
}

#[tokio::test]
async fn a_run_stopped_after_awscurrent_moved_is_resumed_to_the_state_of_a_clean_run() {
    let moto = Moto::start();
    let first = aws_create(&moto, "shop/db", SEED);
    let token = stopped_after_awscurrent_moved(&moto, "shop/db", &first);
    let stages = aws_stages(&moto, "shop/db");
    assert!(has(&stages, &token, "AWSCURRENT") && has(&stages, &token, "AWSPENDING"));

    let aws = aws(&moto).await;
    let job = generate_job("shop/db", &first);
    let outcome = rotate(&aws, &job, false).await.expect("resume");
    assert_eq!(
        outcome,
        Outcome::Resumed {
            old: first.clone(),
            new: token.clone()
        }
    );
    let stages = aws_stages(&moto, "shop/db");
    assert_eq!(
        holders(&stages, "AWSCURRENT"),
        [token.as_str()],
        "{stages:?}"
    );
    assert!(
        holders(&stages, "AWSPENDING").is_empty(),
        "AWSPENDING left: {stages:?}"
    );
    assert!(has(&stages, &first, "AWSPREVIOUS"), "{stages:?}");
}

/// A pin committed by a run that left AWSPENDING on it (before this was fixed): the next
/// run removes it, and says up to date.
#[tokio::test]
async fn awspending_left_on_the_pinned_current_version_is_removed() {
    let moto = Moto::start();
    let first = aws_create(&moto, "shop/db", SEED);
    let token = stopped_after_awscurrent_moved(&moto, "shop/db", &first);
    let aws = aws(&moto).await;
    let mut job = generate_job("shop/db", &token);
    job.due = rampart_rotate::DueRule::new(|_| false);
    let outcome = rotate(&aws, &job, false).await.expect("run");
    assert_eq!(outcome, Outcome::UpToDate);
    let stages = aws_stages(&moto, "shop/db");
    assert_eq!(
        holders(&stages, "AWSCURRENT"),
        [token.as_str()],
        "{stages:?}"
    );
    assert!(
        holders(&stages, "AWSPENDING").is_empty(),
        "AWSPENDING left: {stages:?}"
    );
}

fn other_pin(version: &str, env: &str, on: Option<&str>) -> OtherPin {
    OtherPin {
        version: version.to_owned(),
        by: match on {
            None => format!("environment {env} in specs/shop.yaml"),
            Some(branch) => format!("environment {env} in specs/shop.yaml on {branch}"),
        },
        label_env: on.is_none().then(|| env.to_owned()),
    }
}

/// Dev and staging share the region: rotating dev again and again keeps staging's pin
/// labelled (AWS deletes a version without labels), with staging's own label.
#[tokio::test]
async fn rotating_one_environment_keeps_a_label_on_the_version_another_one_pins() {
    let moto = Moto::start();
    let first = aws_create(&moto, "shop/db", SEED);
    let aws = aws(&moto).await;
    let mut dev = generate_job("shop/db", &first);
    dev.also_pinned = vec![other_pin(&first, "staging", None)];
    for round in 0..3 {
        let outcome = rotate(&aws, &dev, false).await.expect("rotate dev");
        let (_, new) = outcome.new_pin().expect("a new pin");
        dev.pinned = new.to_owned();
        let stages = aws_stages(&moto, "shop/db");
        let labels = stages.get(&first).and_then(|s| s.as_array()).cloned();
        assert!(
            labels.is_some_and(|l| !l.is_empty()),
            "round {round}: staging's pin lost its labels: {stages:?}"
        );
    }
    let stages = aws_stages(&moto, "shop/db");
    assert!(has(&stages, &first, "rampart-pinned-staging"), "{stages:?}");
    assert!(has(&stages, &dev.pinned, "AWSCURRENT"), "{stages:?}");
    assert_eq!(
        eso_read_aws(&moto, "shop/db", &first)["password"],
        "initial-password-0001"
    );
}

/// The remote base branch still pins the first version while local commits pinned newer
/// ones: a rotation that would leave it without a label is refused before anything changes.
#[tokio::test]
async fn a_version_only_the_remote_pins_is_never_left_without_a_label() {
    let moto = Moto::start();
    let first = aws_create(&moto, "shop/db", SEED);
    let aws = aws(&moto).await;
    let mut dev = generate_job("shop/db", &first);
    dev.also_pinned = vec![other_pin(&first, "dev", Some("origin/main"))];
    // 1st: first becomes AWSPREVIOUS and keeps rampart-pinned-dev.
    let outcome = rotate(&aws, &dev, false).await.expect("rotate");
    dev.pinned = outcome.new_pin().expect("new").1.to_owned();
    // 2nd: dev's label would move onto the local pin and AWSPREVIOUS onto it too.
    let before = aws_stages(&moto, "shop/db");
    let err = rotate(&aws, &dev, false).await.expect_err("refused");
    assert!(
        matches!(&err, RotateError::PinWouldLoseLabel { pinned, .. } if *pinned == first),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("which Git still pins (environment dev in specs/shop.yaml on origin/main)")
            && text.contains("nothing was written"),
        "{text}"
    );
    assert_eq!(aws_stages(&moto, "shop/db"), before, "no label moved");
}
