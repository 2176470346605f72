//! Which pinned version of each secret is live in its environment, and since when: what
//! the service learns by following the base branch's pins into the cluster (see
//! [`crate::watch`]). Pure: statuses and the time in, the state and the rotations that
//! landed out.
//!
//! A pin counts from the moment the watch first sees it on the base branch ("merged"); a
//! version only on an unmerged pull request's branch is not followed. A pin is live when
//! `rampart status` would call its secret live: the pinned version in the live
//! ExternalSecret's spec, synced and `Ready`, and every workload mounting it rolled.

use chrono::{DateTime, Utc};
use rampart_kube::status::SecretStatus;
use std::collections::BTreeMap;
use std::time::Duration;

/// One secret of one namespace of one environment (the ExternalSecret's name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PinKey {
    /// The environment.
    pub environment: String,
    /// The namespace.
    pub namespace: String,
    /// The secret (its ExternalSecret's name).
    pub secret: String,
}

/// Where one secret's pin stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinLiveness {
    /// The version the base branch pins (`None`: the ExternalSecret pins none).
    pub pinned: Option<String>,
    /// Whether that version is live (see the module's documentation).
    pub live: bool,
    /// When the watch first saw this version pinned on the base branch.
    pub pinned_since: DateTime<Utc>,
    /// When it became live (`None` while it is not).
    pub live_since: Option<DateTime<Utc>>,
}

impl PinLiveness {
    /// How long the pin has been on the base branch without being live (zero when live).
    pub fn not_live_for(&self, now: DateTime<Utc>) -> Duration {
        if self.live {
            Duration::ZERO
        } else {
            (now - self.pinned_since).to_std().unwrap_or_default()
        }
    }
}

/// A rotation this service wrote that became live: how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// The secret.
    pub key: PinKey,
    /// From the rotation written in the backend to the pods rolled.
    pub took: Duration,
}

/// A rotation written and not yet live: when, and the pin the base branch had then.
#[derive(Debug, Clone)]
struct Written {
    at: DateTime<Utc>,
    pinned_before: Option<String>,
}

/// Every followed pin's state. The lead's question — "is the pinned version of
/// (environment, namespace, secret) live, and since when?" — is [`LivePins::get`].
#[derive(Debug, Clone, Default)]
pub struct LivePins {
    pins: BTreeMap<PinKey, PinLiveness>,
    written: BTreeMap<PinKey, Written>,
}

impl LivePins {
    /// The pin of `secret` in `namespace` of `environment`, if the watch follows it.
    pub fn get(&self, environment: &str, namespace: &str, secret: &str) -> Option<&PinLiveness> {
        self.pins.get(&PinKey {
            environment: environment.to_owned(),
            namespace: namespace.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// Every followed pin, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&PinKey, &PinLiveness)> {
        self.pins.iter()
    }

    /// Whether every pin of `environment` the watch follows is live (false when it follows
    /// none there yet).
    pub fn all_live_in(&self, environment: &str) -> bool {
        let mut pins = self
            .pins
            .iter()
            .filter(|(k, _)| k.environment == environment)
            .peekable();
        pins.peek().is_some() && pins.all(|(_, p)| p.live)
    }

    /// The service wrote a new version of `key` at `at` (its pin is delivered next): the
    /// time from here to the pods rolled is measured once a new pin of it is live.
    pub fn written(&mut self, key: PinKey, at: DateTime<Utc>) {
        let pinned_before = self.pins.get(&key).and_then(|p| p.pinned.clone());
        self.written.insert(key, Written { at, pinned_before });
    }

    /// Takes what the watch saw of `environment` at `now` (`secrets` per namespace); a
    /// secret no longer rendered there is forgotten. Returns the written rotations that
    /// became live.
    pub fn observe(
        &mut self,
        environment: &str,
        secrets: &[(String, Vec<SecretStatus>)],
        now: DateTime<Utc>,
    ) -> Vec<Landed> {
        let mut seen = BTreeMap::new();
        for (namespace, statuses) in secrets {
            for status in statuses {
                let key = PinKey {
                    environment: environment.to_owned(),
                    namespace: namespace.clone(),
                    secret: status.name.clone(),
                };
                let live = status.is_live();
                let next = match self.pins.get(&key) {
                    Some(old) if old.pinned == status.pinned => PinLiveness {
                        live,
                        live_since: match (old.live_since, live) {
                            (_, false) => None,
                            (Some(since), true) => Some(since),
                            (None, true) => Some(now),
                        },
                        ..old.clone()
                    },
                    _ => PinLiveness {
                        pinned: status.pinned.clone(),
                        live,
                        pinned_since: now,
                        live_since: live.then_some(now),
                    },
                };
                seen.insert(key, next);
            }
        }
        self.pins.retain(|k, _| k.environment != environment);
        let mut landed = Vec::new();
        for (key, pin) in seen {
            if let Some(w) = self.written.get(&key)
                && pin.live
                && pin.pinned != w.pinned_before
            {
                landed.push(Landed {
                    key: key.clone(),
                    took: (now - w.at).to_std().unwrap_or_default(),
                });
                self.written.remove(&key);
            }
            self.pins.insert(key, pin);
        }
        landed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_kube::status::{Rollout, WorkloadStatus};

    fn status(pinned: &str, live: &str, rollout: Rollout) -> SecretStatus {
        SecretStatus {
            name: "api-db".into(),
            pinned: Some(pinned.into()),
            live: Some(live.into()),
            ready: Some("True".into()),
            reason: None,
            synced: true,
            refreshed: None,
            workloads: vec![WorkloadStatus {
                object: "Deployment/api".into(),
                rollout,
            }],
        }
    }

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap_or_default()
    }

    fn key() -> PinKey {
        PinKey {
            environment: "prod".into(),
            namespace: "shop".into(),
            secret: "api-db".into(),
        }
    }

    fn seen(s: SecretStatus) -> Vec<(String, Vec<SecretStatus>)> {
        vec![("shop".into(), vec![s])]
    }

    #[test]
    fn a_written_rotation_lands_when_its_new_pin_is_live_not_while_the_old_one_is() {
        let mut pins = LivePins::default();
        assert!(
            pins.observe("prod", &seen(status("3", "3", Rollout::Rolled)), at(0))
                .is_empty()
        );
        assert!(pins.all_live_in("prod"));
        // Written at minute 1; until the pull request is merged the base branch pins 3,
        // which is live: nothing has landed.
        pins.written(key(), at(1));
        assert!(
            pins.observe("prod", &seen(status("3", "3", Rollout::Rolled)), at(2))
                .is_empty()
        );
        // Merged at minute 4: pinned 4, the spec still has 3.
        assert!(
            pins.observe("prod", &seen(status("4", "3", Rollout::Rolled)), at(4))
                .is_empty()
        );
        let pin = pins.get("prod", "shop", "api-db").cloned();
        assert_eq!(
            pin.as_ref().map(|p| (p.live, p.pinned_since)),
            Some((false, at(4)))
        );
        assert_eq!(
            pin.map(|p| p.not_live_for(at(10))),
            Some(Duration::from_secs(360))
        );
        assert!(!pins.all_live_in("prod"));
        // Rolling at minute 6, rolled at minute 9: landed 8 minutes after it was written.
        let rolling = Rollout::InProgress {
            replicas: 3,
            updated: 1,
            ready: 3,
            total: 4,
        };
        assert!(
            pins.observe("prod", &seen(status("4", "4", rolling)), at(6))
                .is_empty()
        );
        let landed = pins.observe("prod", &seen(status("4", "4", Rollout::Rolled)), at(9));
        assert_eq!(
            landed,
            [Landed {
                key: key(),
                took: Duration::from_secs(8 * 60)
            }]
        );
        let pin = pins.get("prod", "shop", "api-db").cloned();
        assert_eq!(
            pin.map(|p| (p.live, p.live_since, p.not_live_for(at(20)))),
            Some((true, Some(at(9)), Duration::ZERO))
        );
        // Measured once.
        assert!(
            pins.observe("prod", &seen(status("4", "4", Rollout::Rolled)), at(10))
                .is_empty()
        );
    }

    #[test]
    fn a_secret_no_longer_rendered_is_forgotten_and_other_environments_are_kept() {
        let mut pins = LivePins::default();
        pins.observe("prod", &seen(status("3", "3", Rollout::Rolled)), at(0));
        pins.observe("dev", &seen(status("7", "6", Rollout::Rolled)), at(0));
        pins.observe("prod", &[], at(1));
        assert_eq!(pins.get("prod", "shop", "api-db"), None);
        assert_eq!(
            pins.get("dev", "shop", "api-db").map(|p| p.live),
            Some(false)
        );
        assert!(
            !pins.all_live_in("prod"),
            "nothing followed is not all live"
        );
    }
}
