//! One active instance in a cluster: a `coordination.k8s.io/v1` Lease, as Kubernetes' own
//! controllers use it. The holder renews it well before it expires; another replica takes
//! it only once `renewTime + leaseDurationSeconds` has passed (or it was released). Every
//! write carries the `resourceVersion` it read, so two replicas racing for it cannot both
//! win: the API server refuses the second with 409 Conflict.

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use std::time::Duration;

/// A Lease this replica competes for.
pub struct LeaseLock {
    api: Api<Lease>,
    name: String,
    identity: String,
    duration: Duration,
}

/// What a try found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// This replica holds the Lease (taken or renewed now).
    Mine,
    /// Another replica holds it and it has not expired.
    Theirs(String),
}

impl LeaseLock {
    /// The Lease `name` in `namespace`, held as `identity` (the pod's name) for `duration`.
    pub fn new(
        client: kube::Client,
        namespace: &str,
        name: &str,
        identity: &str,
        duration: Duration,
    ) -> LeaseLock {
        LeaseLock {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            identity: identity.to_owned(),
            duration,
        }
    }

    /// How long a holder's claim lasts without renewal.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Takes the Lease if it is free, expired or already ours, renewing it; else says who
    /// holds it. A lost race (409 from the API server) is reported as theirs.
    pub async fn try_acquire(&self) -> Result<Held, kube::Error> {
        let now = Timestamp::now();
        let seconds = i32::try_from(self.duration.as_secs())
            .unwrap_or(i32::MAX)
            .max(1);
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    lease_duration_seconds: Some(seconds),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Held::Mine),
                Err(e) if status(&e) == Some(409) => Ok(Held::Theirs(self.holder().await)),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let ours = holder.as_deref() == Some(self.identity.as_str());
        if !ours
            && let Some(other) = &holder
            && !expired(spec, now)
        {
            return Ok(Held::Theirs(other.clone()));
        }
        if !ours {
            spec.holder_identity = Some(self.identity.clone());
            spec.acquire_time = Some(MicroTime(now));
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.renew_time = Some(MicroTime(now));
        spec.lease_duration_seconds = Some(seconds);
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(Held::Mine),
            Err(e) if status(&e) == Some(409) => Ok(Held::Theirs(self.holder().await)),
            Err(e) => Err(e),
        }
    }

    /// Gives the Lease up (if still ours), so a standby takes over without waiting for it
    /// to expire.
    pub async fn release(&self) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_mut() else {
            return Ok(());
        };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.renew_time = None;
        self.api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
            .map(drop)
    }

    async fn holder(&self) -> String {
        match self.api.get_opt(&self.name).await {
            Ok(Some(lease)) => lease
                .spec
                .and_then(|s| s.holder_identity)
                .unwrap_or_else(|| "another replica".to_owned()),
            _ => "another replica".to_owned(),
        }
    }
}

/// Whether the holder's claim has run out at `now` (no renewal time: it has).
fn expired(spec: &LeaseSpec, now: Timestamp) -> bool {
    let (Some(renewed), Some(seconds)) = (&spec.renew_time, spec.lease_duration_seconds) else {
        return true;
    };
    renewed.0.as_millisecond() + i64::from(seconds) * 1000 < now.as_millisecond()
}

fn status(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
