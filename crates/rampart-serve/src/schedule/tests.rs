use super::*;
use chrono::TimeZone;
use rampart_model::rotation::Rotation;
use rampart_model::secret::SecretBackend;
use rampart_rotate::{DueRule, Job, Policy};

const TIMING: Timing = Timing {
    jitter: Duration::zero(),
    follow_interval: Duration::minutes(5),
    retry_interval: Duration::minutes(10),
};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    // Monday 2026-03-02.
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
}

fn planned(secret: &str, pinned: &str, rotation: Rotation) -> Planned {
    Planned {
        request_path: "specs/shop.yaml".into(),
        backend: SecretBackend::Vault,
        job: Job {
            id: SecretId {
                namespace: "shop".into(),
                app: "api".into(),
                secret: secret.into(),
                environment: "dev".into(),
            },
            remote_key: format!("shop/{secret}"),
            pinned: pinned.into(),
            policy: Policy::Follow,
            force: false,
            due: DueRule::always(),
            keep_versions: 5,
            also_pinned: Vec::new(),
        },
        rotation,
    }
}

fn daily() -> Rotation {
    Rotation {
        schedule: Some("0 3 * * *".into()),
        ..Rotation::default()
    }
}

fn remote(current: &str, written: DateTime<Utc>) -> Remote {
    Remote {
        current: current.into(),
        current_written: Some(written.to_rfc3339()),
        pending: None,
        max_versions: None,
        cas_required: true,
        labels: Vec::new(),
        held: vec![current.into()],
        pending_on_current: false,
        current_data: None,
    }
}

#[test]
fn a_new_secret_is_inspected_then_due_at_its_next_scheduled_time() {
    let mut s = Schedule::default();
    let fresh = s.update(vec![planned("db", "3", daily())], at(10, 0));
    assert_eq!(fresh.len(), 1);
    let id = fresh[0].clone();
    s.inspected(&id, &remote("3", at(3, 30)), &TIMING, at(10, 0));
    // Written today 03:30: due tomorrow 03:00.
    let tomorrow = Utc.with_ymd_and_hms(2026, 3, 3, 3, 0, 0).unwrap();
    assert_eq!(s.next_wake(), Some(tomorrow));
    assert!(s.due(at(23, 59)).is_empty());
    assert_eq!(s.due(tomorrow), vec![id.clone()]);

    // Reading the same inputs again changes nothing; a new schedule is inspected again.
    assert!(
        s.update(vec![planned("db", "3", daily())], at(11, 0))
            .is_empty()
    );
    let hourly = Rotation {
        schedule: Some("0 * * * *".into()),
        ..Rotation::default()
    };
    assert_eq!(
        s.update(vec![planned("db", "3", hourly)], at(11, 0)),
        vec![id]
    );
    // A secret removed from the inputs is forgotten.
    s.update(Vec::new(), at(11, 0));
    assert!(s.entries().is_empty());
}

#[test]
fn a_backend_ahead_of_the_pin_is_due_now_and_retried_until_delivered() {
    let mut s = Schedule::default();
    let id = s.update(vec![planned("db", "3", daily())], at(10, 0))[0].clone();
    s.inspected(&id, &remote("4", at(9, 0)), &TIMING, at(10, 0));
    assert_eq!(s.due(at(10, 0)), vec![id.clone()]);
    assert!(s.entries()[&id].behind_since.is_some());

    // Resumed (and delivered, or not): behind until the inputs show the new pin; the pin
    // is delivered again after the retry interval.
    let resumed = Passed::Done {
        new: Some("4".into()),
    };
    s.passed(&id, resumed, &TIMING, at(10, 1));
    assert_eq!(s.next_wake(), Some(at(10, 11)));
    assert!(s.entries()[&id].behind_since.is_some());

    assert_eq!(s.behind(), vec![id.clone()], "carried along by every pass");

    // The inputs now pin 4 (merged): inspected again, back on the schedule.
    assert_eq!(
        s.update(vec![planned("db", "4", daily())], at(10, 12)),
        vec![id.clone()]
    );
    s.inspected(&id, &remote("4", at(10, 0)), &TIMING, at(10, 12));
    assert!(s.entries()[&id].behind_since.is_none());
    assert!(s.behind().is_empty());
    assert_eq!(
        s.next_wake(),
        Some(Utc.with_ymd_and_hms(2026, 3, 3, 3, 0, 0).unwrap())
    );
}

#[test]
fn a_secret_the_engine_finds_not_due_is_not_retried_in_a_tight_loop() {
    let mut s = Schedule::default();
    let id = s.update(vec![planned("db", "3", daily())], at(10, 0))[0].clone();
    // Written yesterday: due now by what the schedule knows.
    let yesterday = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    s.inspected(&id, &remote("3", yesterday), &TIMING, at(10, 0));
    assert_eq!(s.due(at(10, 0)), vec![id.clone()]);
    // The engine says up to date: the next look is later, not now.
    s.passed(&id, Passed::Done { new: None }, &TIMING, at(10, 0));
    assert!(s.due(at(10, 0)).is_empty());
    assert_eq!(s.next_wake(), Some(at(10, 0) + Duration::seconds(30)));
}

#[test]
fn failures_back_off_and_follow_secrets_are_polled() {
    let mut s = Schedule::default();
    let follow = Rotation {
        follow: true,
        ..Rotation::default()
    };
    let fresh = s.update(
        vec![planned("db", "3", daily()), planned("token", "1", follow)],
        at(10, 0),
    );
    let (db, token) = (fresh[0].clone(), fresh[1].clone());
    s.failed(&db, at(10, 0));
    assert_eq!(s.entries()[&db].next_at, at(10, 0) + Duration::seconds(30));
    s.failed(&db, at(10, 0));
    assert_eq!(s.entries()[&db].next_at, at(10, 1));
    for _ in 0..20 {
        s.failed(&db, at(10, 0));
    }
    assert_eq!(s.entries()[&db].next_at, at(10, 10), "at most ten minutes");

    s.inspected(&token, &remote("1", at(9, 0)), &TIMING, at(10, 0));
    assert_eq!(s.entries()[&token].next_at, at(10, 5));
}

#[test]
fn jitter_is_fixed_per_secret_and_within_the_window() {
    let window = Duration::minutes(5);
    let a = planned("a", "1", daily()).job.id;
    let b = planned("b", "1", daily()).job.id;
    assert_eq!(jitter(&a, window), jitter(&a, window));
    for id in [&a, &b] {
        let j = jitter(id, window);
        assert!(j >= Duration::zero() && j < window, "{j}");
    }
    assert_eq!(jitter(&a, Duration::zero()), Duration::zero());
    // Spread: many secrets do not share one instant.
    let spread: std::collections::BTreeSet<i64> = (0..100)
        .map(|i| jitter(&planned(&format!("s{i}"), "1", daily()).job.id, window).num_seconds())
        .collect();
    assert!(spread.len() > 50, "{}", spread.len());
}
