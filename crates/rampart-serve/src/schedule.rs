//! When each secret is looked at next: its schedule against the time its current version
//! was written (plus a per-secret jitter, so that a thousand secrets due at 03:00 do not
//! reach the backend in one second), a poll interval for `follow` secrets, a retry
//! interval while a pin is behind the backend, and back-off after failures.

use chrono::{DateTime, Duration, Utc};
use rampart_rotate::{Planned, Remote, SecretId};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// The service's timing settings.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A due secret waits up to this long (a fixed share per secret).
    pub jitter: Duration,
    /// How often `follow` secrets without a schedule are checked.
    pub follow_interval: Duration,
    /// How often a pin behind the backend is delivered again (e.g. while its pull request
    /// waits, or after a failed push).
    pub retry_interval: Duration,
}

/// Longest wait after repeated failures.
const MAX_BACKOFF_SECS: i64 = 600;

/// What the service knows of one secret.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The secret, as planned from the inputs last read.
    pub planned: Planned,
    /// The backend's current version and when it was written, once inspected.
    pub current: Option<(String, Option<DateTime<Utc>>)>,
    /// When it is looked at next.
    pub next_at: DateTime<Utc>,
    /// Last successful rotation, resume or follow by this service.
    pub last_success: Option<DateTime<Utc>>,
    /// Since when the backend holds a version Git does not pin yet.
    pub behind_since: Option<DateTime<Utc>>,
    /// Failures in a row.
    pub failures: u32,
}

/// Every secret the inputs plan, by id.
#[derive(Debug, Default)]
pub struct Schedule {
    entries: BTreeMap<SecretId, Entry>,
}

impl Schedule {
    /// Takes the secrets planned from newly read inputs: new ones are due for inspection
    /// now, removed ones are forgotten, the others keep what is known of them and get the
    /// (possibly changed) policy and pin. Returns the ids that need an inspection.
    pub fn update(&mut self, planned: Vec<Planned>, now: DateTime<Utc>) -> Vec<SecretId> {
        let mut next = BTreeMap::new();
        let mut fresh = Vec::new();
        for p in planned {
            let id = p.job.id.clone();
            let entry = match self.entries.remove(&id) {
                Some(mut known) => {
                    let changed = known.planned.job.pinned != p.job.pinned
                        || known.planned.rotation != p.rotation;
                    known.planned = p;
                    if changed {
                        fresh.push(id.clone());
                    }
                    known
                }
                None => {
                    fresh.push(id.clone());
                    Entry {
                        planned: p,
                        current: None,
                        next_at: now,
                        last_success: None,
                        behind_since: None,
                        failures: 0,
                    }
                }
            };
            next.insert(id, entry);
        }
        self.entries = next;
        fresh
    }

    /// Records an inspection and plans the next look.
    pub fn inspected(
        &mut self,
        id: &SecretId,
        remote: &Remote,
        timing: &Timing,
        now: DateTime<Utc>,
    ) {
        let Some(entry) = self.entries.get_mut(id) else {
            return;
        };
        let written = remote
            .current_written
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        entry.current = Some((remote.current.clone(), written));
        entry.failures = 0;
        if remote.current != entry.planned.job.pinned || remote.pending.is_some() {
            // Ahead of Git (or half done): resume or follow it now.
            entry.behind_since.get_or_insert(now);
            entry.next_at = now;
        } else {
            entry.behind_since = None;
            entry.next_at = next_rotation(entry, timing, now);
        }
    }

    /// Records a pass over `id`. A new version (rotated, resumed or followed) leaves the
    /// pin behind until the inputs read next show it (a local commit: at once; a push to a
    /// rampart branch or a pull request: once merged); meanwhile the pin is delivered again
    /// every retry interval, which also repairs a delivery that failed.
    pub fn passed(&mut self, id: &SecretId, outcome: Passed, timing: &Timing, now: DateTime<Utc>) {
        let Some(entry) = self.entries.get_mut(id) else {
            return;
        };
        match outcome {
            Passed::Failed => {
                entry.failures += 1;
                entry.next_at = now + backoff(entry.failures);
            }
            Passed::Done { new } => {
                entry.failures = 0;
                if let Some(version) = new {
                    entry.last_success = Some(now);
                    entry.current = Some((version, Some(now)));
                    entry.behind_since.get_or_insert(now);
                }
                entry.next_at = if entry.behind_since.is_some() {
                    now + timing.retry_interval
                } else {
                    let next = next_rotation(entry, timing, now);
                    // Due by what was known, yet the engine found nothing to do (the
                    // backend's clock or a write since): look again after a while, never in
                    // a tight loop.
                    if next <= now { now + backoff(1) } else { next }
                };
            }
        }
    }

    /// A failed inspection: back off.
    pub fn failed(&mut self, id: &SecretId, now: DateTime<Utc>) {
        if let Some(entry) = self.entries.get_mut(id) {
            entry.failures += 1;
            entry.next_at = now + backoff(entry.failures);
        }
    }

    /// The secrets whose time has come.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<SecretId> {
        self.entries
            .iter()
            .filter(|(_, e)| e.next_at <= now)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The secrets whose pin is behind the backend. Every pass carries them along (the
    /// engine resumes them without writing), because a pass rewrites the one rotation
    /// branch: a pin left out would disappear from the pull request until its own retry.
    pub fn behind(&self) -> Vec<SecretId> {
        self.entries
            .iter()
            .filter(|(_, e)| e.behind_since.is_some())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// When the next secret's time comes.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.entries.values().map(|e| e.next_at).min()
    }

    /// Every entry, by id.
    pub fn entries(&self) -> &BTreeMap<SecretId, Entry> {
        &self.entries
    }
}

/// What a pass did to one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passed {
    /// The engine failed for it.
    Failed,
    /// Done: `new` is the version now current in the backend when it changed (rotated,
    /// resumed or followed) and is to be pinned.
    Done {
        /// The new current version, if any.
        new: Option<String>,
    },
}

/// The next scheduled look at a secret whose pin is current.
fn next_rotation(entry: &Entry, timing: &Timing, now: DateTime<Utc>) -> DateTime<Utc> {
    let rotation = &entry.planned.rotation;
    if rotation.follow && rotation.schedule.is_none() {
        return now + timing.follow_interval;
    }
    let written = entry.current.as_ref().and_then(|(_, w)| *w);
    let Some(written) = written else {
        // No creation time from the backend: the engine decides; look again later.
        return now + timing.follow_interval;
    };
    match rotation.next_due(written) {
        Some(due) => due.max(now) + jitter(&entry.planned.job.id, timing.jitter),
        // A schedule that never fires again.
        None => now + Duration::days(365),
    }
}

/// A fixed share of `window` for `id`: the same secret always waits the same time.
pub fn jitter(id: &SecretId, window: Duration) -> Duration {
    let millis = window.num_milliseconds();
    if millis <= 0 {
        return Duration::zero();
    }
    let mut hasher = std::hash::DefaultHasher::new();
    id.hash(&mut hasher);
    Duration::milliseconds((hasher.finish() % millis as u64) as i64)
}

/// 30 s, 60 s, 120 s … up to ten minutes.
fn backoff(failures: u32) -> Duration {
    let secs = 30i64.saturating_mul(1 << failures.saturating_sub(1).min(10));
    Duration::seconds(secs.min(MAX_BACKOFF_SECS))
}

#[cfg(test)]
mod tests;
