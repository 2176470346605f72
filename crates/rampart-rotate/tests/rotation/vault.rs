//! Vault / OpenBao KV v2: check-and-set writes, the pin protected, reruns resume.

use crate::support::*;
use rampart_rotate::{
    Backend, BackendError, DueRule, OtherPin, Outcome, Policy, Remote, RotateError, SecretData,
    rotate,
};
use rampart_testkit::OpenBao;
use std::sync::atomic::{AtomicBool, Ordering};

const SEED: &str = r#"{"username":"app","password":"initial-password-0001"}"#;

#[tokio::test]
async fn a_rotation_writes_the_next_version_with_cas_and_the_pin_resolves_to_it() {
    let bao = OpenBao::start();
    assert_eq!(bao_put(&bao, "shop/db", SEED, None), 1);
    let vault = vault(&bao).await;

    let outcome = rotate(&vault, &generate_job("shop/db", "1"), false)
        .await
        .expect("rotate");
    assert_eq!(
        outcome,
        Outcome::Rotated {
            old: "1".into(),
            new: "2".into()
        }
    );
    let new = eso_read_vault(&bao, "shop/db", "2");
    let password = new["password"].as_str().expect("password");
    assert_eq!(password.chars().count(), 40);
    assert_ne!(password, "initial-password-0001");
    assert_eq!(new["username"], "app", "other properties are copied");
    assert!(
        new["rampart-rotation"]
            .as_str()
            .is_some_and(|m| m.starts_with("rampart v1 from=1 at=")),
        "{new}"
    );
    // The pinned version is untouched and readable.
    assert_eq!(
        eso_read_vault(&bao, "shop/db", "1")["password"],
        "initial-password-0001"
    );
    let meta = vault_metadata(&bao, "shop/db");
    assert_eq!(meta["cas_required"], true, "{meta}");
    assert_eq!(
        meta["max_versions"], 10,
        "never lowered below the mount's 10: {meta}"
    );
    // Nothing printed can carry the value.
    assert!(!format!("{outcome:?}").contains(password));
}

#[tokio::test]
async fn nothing_is_written_when_not_due_and_a_dry_run_only_reads() {
    let bao = OpenBao::start();
    bao_put(&bao, "shop/db", SEED, None);
    let vault = vault(&bao).await;
    let mut job = generate_job("shop/db", "1");
    job.due = DueRule::new(|written| {
        assert!(
            written.is_some(),
            "the backend says when version 1 was written"
        );
        false
    });
    assert_eq!(
        rotate(&vault, &job, false).await.ok(),
        Some(Outcome::UpToDate)
    );
    job.due = DueRule::always();
    let dry = rotate(&vault, &job, true).await.expect("dry run");
    assert_eq!(dry.label(), "would rotate");
    let meta = vault_metadata(&bao, "shop/db");
    assert_eq!(meta["current_version"], 1);
    assert_eq!(meta["cas_required"], false, "a dry run changes no setting");
}

#[tokio::test]
async fn a_rerun_after_a_stop_before_git_was_updated_pins_the_same_version_without_rotating() {
    let bao = OpenBao::start();
    bao_put(&bao, "shop/db", SEED, None);
    let vault = vault(&bao).await;
    let first = rotate(&vault, &generate_job("shop/db", "1"), false)
        .await
        .expect("rotate");
    assert_eq!(first.new_pin(), Some(("1", "2")));
    let written = eso_read_vault(&bao, "shop/db", "2");
    // Git still pins 1: the run stopped before delivering.
    let again = rotate(&vault, &generate_job("shop/db", "1"), false)
        .await
        .expect("rerun");
    assert_eq!(
        again,
        Outcome::Resumed {
            old: "1".into(),
            new: "2".into()
        }
    );
    assert_eq!(vault_metadata(&bao, "shop/db")["current_version"], 2);
    assert_eq!(eso_read_vault(&bao, "shop/db", "2"), written);
}

/// Delegates to Vault, but lets "someone else" write a version just before the first
/// check-and-set write, as a person's `bao kv put` racing the rotation.
struct RacedVault<'a> {
    inner: rampart_rotate::Vault,
    bao: &'a OpenBao,
    raced: AtomicBool,
}

impl Backend for RacedVault<'_> {
    fn name(&self) -> &'static str {
        "vault"
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
        if !self.raced.swap(true, Ordering::SeqCst) {
            let current: u64 = remote.current.parse().expect("number");
            bao_put(
                self.bao,
                key,
                r#"{"username":"app","password":"a-person-wrote-this-0002"}"#,
                Some(current),
            );
        }
        self.inner.stage(key, remote, data).await
    }
    async fn finish(&self, key: &str, remote: &Remote, version: &str) -> Result<(), BackendError> {
        self.inner.finish(key, remote, version).await
    }
}

#[tokio::test]
async fn a_concurrent_writer_is_never_overwritten_the_rotation_plans_again() {
    let bao = OpenBao::start();
    bao_put(&bao, "shop/db", SEED, None);
    let raced = RacedVault {
        inner: vault(&bao).await,
        bao: &bao,
        raced: AtomicBool::new(false),
    };
    let outcome = rotate(&raced, &generate_job("shop/db", "1"), false)
        .await
        .expect("rotate");
    assert_eq!(outcome.new_pin(), Some(("1", "3")), "{outcome:?}");
    assert_eq!(
        eso_read_vault(&bao, "shop/db", "2")["password"],
        "a-person-wrote-this-0002",
        "the other writer's version is intact"
    );
    let ours = eso_read_vault(&bao, "shop/db", "3");
    assert!(
        ours["rampart-rotation"]
            .as_str()
            .is_some_and(|m| m.starts_with("rampart v1 from=2 ")),
        "planned again from the new current version: {ours}"
    );
}

#[tokio::test]
async fn a_rotation_that_would_prune_the_pinned_version_is_refused() {
    let bao = OpenBao::start();
    let meta = bao
        .request(
            "POST",
            "/v1/secret/metadata/shop/db",
            Some(r#"{"max_versions":3}"#),
        )
        .expect("metadata");
    assert_eq!(meta.status, 204, "{}", meta.body);
    for _ in 0..3 {
        bao_put(&bao, "shop/db", SEED, None);
    }
    let vault = vault(&bao).await;
    let mut job = generate_job("shop/db", "1");
    job.keep_versions = 3;
    job.force = true;
    // Version 3 is current and Git still pins 1: a rotation of someone else's 3 would
    // write 4 and make Vault drop 1.
    let err = rotate(&vault, &job, false).await.expect_err("refused");
    assert!(
        matches!(&err, RotateError::PinWouldBeDropped { pinned, next: 4, max_versions: 3, .. } if pinned == "1"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("would make the backend drop version 1, which Git still pins"),
        "{err}"
    );
    let meta = vault_metadata(&bao, "shop/db");
    assert_eq!(meta["current_version"], 3, "nothing was written");
    assert_eq!(
        eso_read_vault(&bao, "shop/db", "1")["password"],
        "initial-password-0001"
    );
}

#[tokio::test]
async fn follow_pins_what_someone_else_wrote_and_writes_nothing() {
    let bao = OpenBao::start();
    bao_put(&bao, "shop/token", r#"{"token":"t-0001"}"#, None);
    bao_put(&bao, "shop/token", r#"{"token":"t-0002"}"#, None);
    let vault = vault(&bao).await;
    let mut job = generate_job("shop/token", "1");
    job.policy = Policy::Follow;
    assert_eq!(
        rotate(&vault, &job, false).await.ok(),
        Some(Outcome::Followed {
            old: "1".into(),
            new: "2".into()
        })
    );
    job.pinned = "2".into();
    assert_eq!(
        rotate(&vault, &job, false).await.ok(),
        Some(Outcome::UpToDate)
    );
    let meta = vault_metadata(&bao, "shop/token");
    assert_eq!(meta["current_version"], 2);
    assert_eq!(meta["cas_required"], false, "follow changes no setting");
}

#[tokio::test]
async fn a_stopped_server_is_a_transient_error() {
    let mut bao = OpenBao::start();
    bao_put(&bao, "shop/db", SEED, None);
    let vault = vault(&bao).await;
    bao.kill();
    let err = rotate(&vault, &generate_job("shop/db", "1"), false)
        .await
        .expect_err("no server");
    assert!(err.is_transient(), "{err:?}");
}

fn set_max_versions(bao: &OpenBao, key: &str, max: u64) {
    let meta = bao
        .request(
            "POST",
            &format!("/v1/secret/metadata/{key}"),
            Some(&format!(r#"{{"max_versions":{max}}}"#)),
        )
        .expect("metadata");
    assert_eq!(meta.status, 204, "{}", meta.body);
}

/// Dev and staging on one OpenBao, both pinning version 1: dev's rotations stop before
/// the one that would make max_versions prune staging's version.
#[tokio::test]
async fn a_rotation_that_would_prune_a_version_another_environment_pins_is_refused() {
    let bao = OpenBao::start();
    set_max_versions(&bao, "shop/db", 3);
    bao_put(&bao, "shop/db", SEED, None);
    let vault = vault(&bao).await;
    let mut dev = generate_job("shop/db", "1");
    dev.keep_versions = 3;
    dev.force = true;
    dev.also_pinned = vec![OtherPin {
        version: "1".into(),
        by: "environment staging in specs/shop.yaml".into(),
        label_env: Some("staging".into()),
    }];
    for expected in ["2", "3"] {
        let outcome = rotate(&vault, &dev, false).await.expect("rotate dev");
        assert_eq!(outcome.new_pin().map(|(_, new)| new), Some(expected));
        dev.pinned = expected.into();
    }
    let err = rotate(&vault, &dev, false).await.expect_err("refused");
    assert!(
        matches!(&err, RotateError::PinWouldBeDropped { pinned, next: 4, .. } if pinned == "1"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(
            "drop version 1, which Git still pins (environment staging in specs/shop.yaml;"
        ),
        "{err}"
    );
    assert_eq!(vault_metadata(&bao, "shop/db")["current_version"], 3);
    assert_eq!(
        eso_read_vault(&bao, "shop/db", "1")["password"],
        "initial-password-0001"
    );
}

/// Another writer's versions already made max_versions prune the pinned one: the message
/// says it is gone (not that a write would drop it) and who wrote the current version.
#[tokio::test]
async fn a_pin_already_pruned_is_reported_as_gone_with_the_current_versions_writer() {
    let bao = OpenBao::start();
    set_max_versions(&bao, "shop/db", 2);
    for _ in 0..3 {
        bao_put(&bao, "shop/db", SEED, None);
    }
    let vault = vault(&bao).await;
    let mut job = generate_job("shop/db", "1");
    job.keep_versions = 2;
    job.force = true;
    let err = rotate(&vault, &job, false).await.expect_err("refused");
    assert!(
        matches!(&err, RotateError::PinGone { pinned, current, .. } if pinned == "1" && current == "3"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("version 1, which Git pins (environment dev), is already gone")
            && text.contains("version 3 is current, written by another writer")
            && !text.contains("would make the backend drop"),
        "{text}"
    );
    assert_eq!(vault_metadata(&bao, "shop/db")["current_version"], 3);
}
