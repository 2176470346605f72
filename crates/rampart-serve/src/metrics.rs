//! The service's metrics, in Prometheus' text format. Labels stay bounded: backend,
//! outcome, and for per-secret series namespace, secret, environment and backend — never a
//! value, a version or an error text.

use chrono::{DateTime, Utc};
use rampart_rotate::SecretId;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// Upper bounds (seconds) of the rotation duration histogram.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

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

/// Everything `/metrics` shows.
#[derive(Debug, Default)]
pub struct Metrics {
    rotations: BTreeMap<(&'static str, &'static str), u64>,
    durations: BTreeMap<&'static str, Histogram>,
    deliveries: BTreeMap<&'static str, u64>,
    /// Per-secret gauges, replaced after every pass.
    pub secrets: BTreeMap<SecretId, SecretGauges>,
    /// Whether this instance is the active one.
    pub leader: bool,
    /// Whether the inputs were read (repository cloned or opened, inputs valid).
    pub repository_ready: bool,
    /// Whether the last contact with every backend succeeded.
    pub backends_reachable: bool,
}

impl Metrics {
    /// Counts one secret's result (`outcome`: rotated, resumed, followed, up_to_date,
    /// failed) and, for the histogram, how long it took.
    pub fn record(&mut self, backend: &'static str, outcome: &'static str, took: Duration) {
        *self.rotations.entry((backend, outcome)).or_default() += 1;
        let h = self.durations.entry(backend).or_default();
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Counts a delivery of pins (`delivered`, `committed` or `failed`).
    pub fn delivery(&mut self, outcome: &'static str) {
        *self.deliveries.entry(outcome).or_default() += 1;
    }

    /// Ready: the repository is readable and the backends answered (a standby instance,
    /// waiting for the lock, is ready once it can read the repository).
    pub fn ready(&self) -> bool {
        self.repository_ready && (!self.leader || self.backends_reachable)
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        header(
            &mut out,
            "rampart_rotations_total",
            "counter",
            "Secrets handled by the rotation service, by backend and outcome (rotated, resumed, followed, up_to_date, failed).",
        );
        for ((backend, outcome), n) in &self.rotations {
            let _ = writeln!(
                out,
                "rampart_rotations_total{{backend=\"{backend}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        header(
            &mut out,
            "rampart_rotation_duration_seconds",
            "histogram",
            "Time to rotate one secret, backend retries included.",
        );
        for (backend, h) in &self.durations {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "rampart_rotation_duration_seconds_bucket{{backend=\"{backend}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "rampart_rotation_duration_seconds_bucket{{backend=\"{backend}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "rampart_rotation_duration_seconds_sum{{backend=\"{backend}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "rampart_rotation_duration_seconds_count{{backend=\"{backend}\"}} {}",
                h.count
            );
        }
        header(
            &mut out,
            "rampart_pin_deliveries_total",
            "counter",
            "Deliveries of new pins to Git, by outcome (delivered, committed, failed).",
        );
        for (outcome, n) in &self.deliveries {
            let _ = writeln!(
                out,
                "rampart_pin_deliveries_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        header(
            &mut out,
            "rampart_last_rotation_success_timestamp_seconds",
            "gauge",
            "When the service last rotated, resumed or followed the secret (Unix time).",
        );
        for (id, g) in &self.secrets {
            if let Some(t) = g.last_success {
                let _ = writeln!(
                    out,
                    "rampart_last_rotation_success_timestamp_seconds{{{}}} {}",
                    labels(id, g.backend),
                    t.timestamp()
                );
            }
        }
        header(
            &mut out,
            "rampart_next_rotation_timestamp_seconds",
            "gauge",
            "When the service looks at the secret next (Unix time; its schedule plus jitter).",
        );
        for (id, g) in &self.secrets {
            if let Some(t) = g.next_due {
                let _ = writeln!(
                    out,
                    "rampart_next_rotation_timestamp_seconds{{{}}} {}",
                    labels(id, g.backend),
                    t.timestamp()
                );
            }
        }
        header(
            &mut out,
            "rampart_pin_behind",
            "gauge",
            "1 while the backend holds a version of the secret that Git does not pin yet (written, not delivered or not merged).",
        );
        for (id, g) in &self.secrets {
            let _ = writeln!(
                out,
                "rampart_pin_behind{{{}}} {}",
                labels(id, g.backend),
                u8::from(g.behind)
            );
        }
        header(
            &mut out,
            "rampart_leader",
            "gauge",
            "1 when this instance is the active one (holds the lock), 0 on standby.",
        );
        let _ = writeln!(out, "rampart_leader {}", u8::from(self.leader));
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn labels(id: &SecretId, backend: &str) -> String {
    format!(
        "namespace=\"{}\",secret=\"{}\",environment=\"{}\",backend=\"{}\"",
        escape(&id.namespace),
        escape(&id.secret),
        escape(&id.environment),
        escape(backend)
    )
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
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
        let mut m = Metrics::default();
        m.record("vault", "rotated", Duration::from_millis(300));
        m.record("vault", "failed", Duration::from_secs(90));
        m.delivery("delivered");
        m.leader = true;
        m.secrets.insert(
            id(),
            SecretGauges {
                backend: "vault",
                last_success: DateTime::from_timestamp(1_700_000_000, 0),
                next_due: DateTime::from_timestamp(1_700_600_000, 0),
                behind: true,
            },
        );
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
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
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
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn a_standby_is_ready_without_backends_a_leader_needs_them() {
        let mut m = Metrics {
            repository_ready: true,
            ..Metrics::default()
        };
        assert!(m.ready());
        m.leader = true;
        assert!(!m.ready());
        m.backends_reachable = true;
        assert!(m.ready());
        m.repository_ready = false;
        assert!(!m.ready());
    }
}
