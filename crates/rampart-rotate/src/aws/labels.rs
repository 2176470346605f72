//! Which staging labels keep every version Git pins alive through one more rotation: each
//! environment's `rampart-pinned-<env>` on the version that environment pins, and a check,
//! before anything changes, that no pinned version is left without a label once
//! `AWSCURRENT` and `AWSPREVIOUS` have moved on (AWS deprecates such a version and deletes
//! it later).

use super::{CURRENT, PREVIOUS};
use crate::backend::Remote;
use crate::job::Job;
use std::collections::{BTreeMap, BTreeSet};

/// The label that marks the version `environment` pins.
pub(super) fn pin_label(environment: &str) -> String {
    format!("rampart-pinned-{environment}")
}

/// One `UpdateSecretVersionStage`: `label` onto `to`, off `from`.
pub(super) struct Move {
    pub label: String,
    pub to: String,
    pub from: Option<String>,
}

/// The label moves that protect a job's pins, and the labels each version holds after them
/// and after the rotation.
pub(super) struct LabelPlan<'j> {
    /// In an order that never takes a label off a version before the label that protects
    /// it instead is on it.
    pub moves: Vec<Move>,
    after: BTreeMap<String, BTreeSet<String>>,
    /// Every pin the backend still holds, with who pins it.
    pins: Vec<(&'j str, String)>,
}

impl<'j> LabelPlan<'j> {
    pub fn new(remote: &Remote, job: &'j Job) -> LabelPlan<'j> {
        let mut state: BTreeMap<String, BTreeSet<String>> = remote
            .labels
            .iter()
            .map(|(id, stages)| (id.clone(), stages.iter().cloned().collect()))
            .collect();
        let own = (job.id.environment.as_str(), job.pinned.as_str());
        let others = job
            .also_pinned
            .iter()
            .filter_map(|o| Some((o.label_env.as_deref()?, o.version.as_str())));
        let mut labelled = BTreeSet::new();
        let mut moves = Vec::new();
        for (env, version) in std::iter::once(own).chain(others) {
            // One label per environment (its first pin: the job's own); a version gone
            // cannot be labelled.
            if !state.contains_key(version) || !labelled.insert(env) {
                continue;
            }
            let label = pin_label(env);
            let from = state
                .iter()
                .find(|(_, stages)| stages.contains(&label))
                .map(|(id, _)| id.clone());
            if from.as_deref() == Some(version) {
                continue;
            }
            if let Some(stages) = from.as_ref().and_then(|f| state.get_mut(f)) {
                stages.remove(&label);
            }
            if let Some(stages) = state.get_mut(version) {
                stages.insert(label.clone());
            }
            moves.push(Move {
                label,
                to: version.to_owned(),
                from,
            });
        }
        // The rotation: AWSPREVIOUS moves onto the current version, AWSCURRENT onto the new.
        for stages in state.values_mut() {
            stages.remove(PREVIOUS);
        }
        if let Some(stages) = state.get_mut(&remote.current) {
            stages.remove(CURRENT);
            stages.insert(PREVIOUS.to_owned());
        }
        let pins = std::iter::once((
            job.pinned.as_str(),
            format!("environment {}", job.id.environment),
        ))
        .chain(
            job.also_pinned
                .iter()
                .map(|o| (o.version.as_str(), o.by.clone())),
        )
        .filter(|(version, _)| state.contains_key(*version))
        .collect();
        LabelPlan {
            moves: in_safe_order(moves),
            after: state,
            pins,
        }
    }

    /// A pin (version, who pins it) that would hold no label after the rotation.
    pub fn unlabelled_after_rotation(&self) -> Option<(&str, &str)> {
        self.pins
            .iter()
            .find(|(version, _)| self.after.get(*version).is_none_or(BTreeSet::is_empty))
            .map(|(version, by)| (*version, by.as_str()))
    }
}

/// `moves` reordered so that a move taking a label off a version comes after the move
/// that puts another label onto it.
fn in_safe_order(mut moves: Vec<Move>) -> Vec<Move> {
    let mut out = Vec::with_capacity(moves.len());
    while !moves.is_empty() {
        let next = (0..moves.len())
            .find(|&i| {
                let from = moves[i].from.as_deref();
                !moves
                    .iter()
                    .enumerate()
                    .any(|(j, o)| j != i && from == Some(o.to.as_str()))
            })
            .unwrap_or(0);
        out.push(moves.remove(next));
    }
    out
}
