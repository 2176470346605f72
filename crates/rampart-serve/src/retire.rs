//! `rotation.postgres.retirePrevious` in the service: each time the set of pins the watch
//! sees live changes, the active instance runs [`rampart_rotate::retire_all`] over every
//! environment's secrets (as `rampart retire` does) with the watch's [`LivePins`] as the
//! evidence. The watch follows the service's own environment only: a database that another
//! environment uses too has no evidence there and is refused (`rampart retire`, which reads
//! every environment's cluster, retires it).

use crate::error::Result;
use crate::live_pins::{LivePins, PinKey};
use crate::pass::{self, Source};
use rampart_rotate::{Policy, Retired, Retirement, SecretId};
use std::collections::BTreeSet;

impl rampart_rotate::PinLiveness for LivePins {
    fn live_version(&self, id: &SecretId) -> Option<String> {
        self.get(&id.environment, &id.namespace, &id.secret)
            .filter(|pin| pin.live)
            .and_then(|pin| pin.pinned.clone())
    }
}

/// Every pin live now, with its version: a retirement is tried when this changes.
pub fn live_set(pins: &LivePins) -> BTreeSet<(PinKey, String)> {
    pins.iter()
        .filter(|(_, pin)| pin.live)
        .filter_map(|(key, pin)| Some((key.clone(), pin.pinned.clone()?)))
        .collect()
}

/// Under the pass lock: every environment's secrets planned, the base branch's pins kept,
/// and the previous role of each database with `retirePrevious` retired where `live` shows
/// every pin live. Empty when no secret asks for it.
pub fn retire_pass(src: &Source, live: &LivePins) -> Result<Vec<Retirement>> {
    let _lock = pass::lock(&src.repo, src.lock_timeout)?;
    // All environments: a database is retired only with all of its users known.
    let everywhere = Source {
        env: None,
        ..src.clone()
    };
    let loaded = pass::load(&everywhere)?;
    let planned: Vec<_> = loaded
        .planned
        .into_iter()
        .filter(|p| {
            matches!(
                &p.job.policy,
                Policy::Generate {
                    postgres: Some(_),
                    ..
                }
            )
        })
        .collect();
    let asked = planned.iter().any(|p| match &p.job.policy {
        Policy::Generate {
            postgres: Some(pg), ..
        } => pg.retires_previous(),
        _ => false,
    });
    if !asked {
        return Ok(Vec::new());
    }
    let runtime = pass::runtime()?;
    Ok(runtime.block_on(rampart_rotate::retire_all(
        &loaded.inputs.environments,
        &planned,
        live,
    )))
}

/// Logs each retirement: retired or absent at info, refused at info (waiting for evidence
/// is the normal state between rotations), failed at warn. Never a value.
pub fn log(retirements: &[Retirement]) {
    for r in retirements {
        let users: Vec<String> = r.secrets.iter().map(ToString::to_string).collect();
        match &r.outcome {
            Ok(Retired::Retired { role }) => tracing::info!(
                database = %r.database, %role, used_by = users.join(", "),
                "retired the previous credential: a random password nobody stores"
            ),
            Ok(Retired::Absent { role }) => tracing::info!(
                database = %r.database, %role, "no such role: nothing to retire"
            ),
            Err(rampart_rotate::RetireError::Refused(why)) => tracing::info!(
                database = %r.database, reason = %why, "not retired"
            ),
            Err(e) => tracing::warn!(database = %r.database, error = %e, "retiring failed"),
        }
    }
}

/// Whether a retirement failed for a reason a retry may mend (the backend or database).
pub fn failed(retirements: &[Retirement]) -> bool {
    retirements
        .iter()
        .any(|r| matches!(r.outcome, Err(rampart_rotate::RetireError::Failed(_))))
}
