//! The service's metrics, kept in a `prometheus-client` registry and exposed in
//! Prometheus' text format (0.0.4). Labels stay bounded: backend, outcome, and for
//! per-secret series namespace, secret, environment and backend — never a value, a version
//! or an error text.
//!
//! Counters are registered without their `_total` suffix: the encoder appends it (and
//! `prometheus-client` 0.26 refuses a registered name that already ends in it).

use crate::live_pins::LivePins;
use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};
use rampart_rotate::SecretId;
use std::collections::BTreeMap;
use std::time::Duration;

/// Upper bounds (seconds) of the rotation duration histogram.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Upper bounds (seconds) of the rotation-to-live histogram: from a minute to six hours.
const TO_LIVE_BUCKETS: [f64; 10] = [
    60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 21600.0,
];

/// One secret's gauges.
#[derive(Debug, Default, Clone)]
pub struct SecretGauges {
    /// `vault` or `aws`.
    pub backend: &'static str,
    /// Last successful rotation (or resume, or follow) by this service.
    pub last_success: Option<DateTime<Utc>>,
    /// When it is looked at next.
    pub next_due: Option<DateTime<Utc>>,
    /// Whether the backend holds a version Git does not pin yet.
    pub behind: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RotationLabels {
    backend: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BackendLabels {
    backend: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SecretLabels {
    namespace: String,
    secret: String,
    environment: String,
    backend: &'static str,
}

impl SecretLabels {
    fn new(id: &SecretId, backend: &'static str) -> SecretLabels {
        SecretLabels {
            namespace: id.namespace.clone(),
            secret: id.secret.clone(),
            environment: id.environment.clone(),
            backend,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PinLabels {
    environment: String,
    namespace: String,
    secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EnvironmentLabels {
    environment: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

fn to_live_histogram() -> Histogram {
    Histogram::new(TO_LIVE_BUCKETS)
}

/// `metric`, registered in `registry` under `name` (a counter without `_total`).
fn register<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

/// Everything `/metrics` shows. Every method takes `&self`: the series are atomics, so a
/// scrape never waits for a pass.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    rotations: Family<RotationLabels, Counter>,
    durations: HistogramFamily<BackendLabels>,
    deliveries: Family<OutcomeLabels, Counter>,
    last_success: Family<SecretLabels, Gauge>,
    next_due: Family<SecretLabels, Gauge>,
    behind: Family<SecretLabels, Gauge>,
    leader: Gauge,
    pin_live: Family<PinLabels, Gauge>,
    pin_not_live: Family<PinLabels, Gauge>,
    to_live: HistogramFamily<EnvironmentLabels>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Every family registered, none with a sample yet (but `rampart_leader` 0).
    pub fn new() -> Metrics {
        let mut r = Registry::default();
        Metrics {
            rotations: register(
                &mut r,
                "rampart_rotations",
                "Secrets handled by the rotation service, by backend and outcome (rotated, resumed, followed, up_to_date, failed)",
                Family::default(),
            ),
            durations: register(
                &mut r,
                "rampart_rotation_duration_seconds",
                "Time to rotate one secret, backend retries included",
                Family::new_with_constructor(duration_histogram as fn() -> Histogram),
            ),
            deliveries: register(
                &mut r,
                "rampart_pin_deliveries",
                "Deliveries of new pins to Git, by outcome (delivered, committed, failed)",
                Family::default(),
            ),
            last_success: register(
                &mut r,
                "rampart_last_rotation_success_timestamp_seconds",
                "When the service last rotated, resumed or followed the secret (Unix time)",
                Family::default(),
            ),
            next_due: register(
                &mut r,
                "rampart_next_rotation_timestamp_seconds",
                "When the service looks at the secret next (Unix time; its schedule plus jitter)",
                Family::default(),
            ),
            behind: register(
                &mut r,
                "rampart_pin_behind",
                "1 while the backend holds a version of the secret that Git does not pin yet (written, not delivered or not merged)",
                Family::default(),
            ),
            leader: register(
                &mut r,
                "rampart_leader",
                "1 when this instance is the active one (holds the lock), 0 on standby",
                Gauge::default(),
            ),
            pin_live: register(
                &mut r,
                "rampart_pin_live",
                "1 when the version the base branch pins is live in the environment (in the ExternalSecret's spec, synced, Ready, every workload mounting it rolled), else 0",
                Family::default(),
            ),
            pin_not_live: register(
                &mut r,
                "rampart_pin_not_live_seconds",
                "How long the pinned version has been on the base branch without being live (0 when live)",
                Family::default(),
            ),
            to_live: register(
                &mut r,
                "rampart_rotation_to_live_seconds",
                "Time from a rotation written by this service to its new pin live (pods rolled)",
                Family::new_with_constructor(to_live_histogram as fn() -> Histogram),
            ),
            registry: r,
        }
    }

    /// Counts one secret's result (`outcome`: rotated, resumed, followed, up_to_date,
    /// failed) and, for the histogram, how long it took.
    pub fn record(&self, backend: &'static str, outcome: &'static str, took: Duration) {
        self.rotations
            .get_or_create(&RotationLabels { backend, outcome })
            .inc();
        self.durations
            .get_or_create(&BackendLabels { backend })
            .observe(took.as_secs_f64());
    }

    /// Counts a delivery of pins (`delivered`, `committed` or `failed`).
    pub fn delivery(&self, outcome: &'static str) {
        self.deliveries
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Replaces every per-secret gauge (after each pass): a secret no longer scheduled
    /// loses its series.
    pub fn set_secrets(&self, secrets: &BTreeMap<SecretId, SecretGauges>) {
        for family in [&self.last_success, &self.next_due, &self.behind] {
            family.clear();
        }
        for (id, g) in secrets {
            let labels = SecretLabels::new(id, g.backend);
            if let Some(t) = g.last_success {
                self.last_success.get_or_create(&labels).set(t.timestamp());
            }
            if let Some(t) = g.next_due {
                self.next_due.get_or_create(&labels).set(t.timestamp());
            }
            self.behind.get_or_create(&labels).set(i64::from(g.behind));
        }
    }

    /// Whether this instance is the active one.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// Replaces every followed pin's gauges (after each look at the cluster).
    pub fn set_pins(&self, pins: &LivePins, now: DateTime<Utc>) {
        self.pin_live.clear();
        self.pin_not_live.clear();
        for (key, pin) in pins.iter() {
            let labels = PinLabels {
                environment: key.environment.clone(),
                namespace: key.namespace.clone(),
                secret: key.secret.clone(),
            };
            self.pin_live
                .get_or_create(&labels)
                .set(i64::from(pin.live));
            let seconds = i64::try_from(pin.not_live_for(now).as_secs()).unwrap_or(i64::MAX);
            self.pin_not_live.get_or_create(&labels).set(seconds);
        }
    }

    /// A rotation written by this service became live in `environment` after `took`.
    pub fn rotation_live(&self, environment: &str, took: Duration) {
        self.to_live
            .get_or_create(&EnvironmentLabels {
                environment: environment.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> SecretId {
        SecretId {
            namespace: "shop".into(),
            app: "api".into(),
            secret: "api-db".into(),
            environment: "dev".into(),
        }
    }

    #[test]
    fn the_exposition_has_every_family_with_bounded_labels() {
        let m = Metrics::default();
        m.record("vault", "rotated", Duration::from_millis(300));
        m.record("vault", "failed", Duration::from_secs(90));
        m.delivery("delivered");
        m.set_leader(true);
        m.set_secrets(&BTreeMap::from([(
            id(),
            SecretGauges {
                backend: "vault",
                last_success: DateTime::from_timestamp(1_700_000_000, 0),
                next_due: DateTime::from_timestamp(1_700_600_000, 0),
                behind: true,
            },
        )]));
        let text = m.render();
        for line in [
            "rampart_rotations_total{backend=\"vault\",outcome=\"rotated\"} 1",
            "rampart_rotations_total{backend=\"vault\",outcome=\"failed\"} 1",
            "rampart_rotation_duration_seconds_bucket{backend=\"vault\",le=\"0.25\"} 0",
            "rampart_rotation_duration_seconds_bucket{backend=\"vault\",le=\"0.5\"} 1",
            "rampart_rotation_duration_seconds_bucket{backend=\"vault\",le=\"60\"} 1",
            "rampart_rotation_duration_seconds_bucket{backend=\"vault\",le=\"+Inf\"} 2",
            "rampart_rotation_duration_seconds_count{backend=\"vault\"} 2",
            "rampart_pin_deliveries_total{outcome=\"delivered\"} 1",
            "rampart_last_rotation_success_timestamp_seconds{namespace=\"shop\",secret=\"api-db\",environment=\"dev\",backend=\"vault\"} 1700000000",
            "rampart_next_rotation_timestamp_seconds{namespace=\"shop\",secret=\"api-db\",environment=\"dev\",backend=\"vault\"} 1700600000",
            "rampart_pin_behind{namespace=\"shop\",secret=\"api-db\",environment=\"dev\",backend=\"vault\"} 1",
            "rampart_leader 1",
            "# TYPE rampart_rotations_total counter",
            "# TYPE rampart_pin_deliveries_total counter",
            "# HELP rampart_leader 1 when this instance is the active one (holds the lock), 0 on standby.",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
        assert!(!text.contains("_total_total"), "{text}");
        // Every sample line belongs to a family declared with # TYPE.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            let family = name
                .trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count");
            assert!(
                text.contains(&format!("# TYPE {family} ")),
                "{line} has no TYPE"
            );
        }
    }

    #[test]
    fn a_secret_no_longer_scheduled_loses_its_series() {
        let m = Metrics::default();
        let gauges = SecretGauges {
            backend: "aws",
            ..SecretGauges::default()
        };
        m.set_secrets(&BTreeMap::from([(id(), gauges)]));
        assert!(m.render().contains("rampart_pin_behind{"));
        m.set_secrets(&BTreeMap::new());
        let text = m.render();
        // A family without a series is left out of the exposition altogether.
        assert!(!text.contains("rampart_pin_behind"), "{text}");
        assert!(text.contains("# TYPE rampart_leader gauge"), "{text}");
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::default();
        let mut odd = id();
        odd.secret = "a\"b\\c\nd".into();
        m.set_secrets(&BTreeMap::from([(odd, SecretGauges::default())]));
        assert!(
            m.render().contains("secret=\"a\\\"b\\\\c\\nd\""),
            "{}",
            m.render()
        );
    }
}
