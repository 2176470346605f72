//! A planned job: what the plan produces and the other pins are added to.

use crate::job::Job;
use rampart_model::rotation::Rotation;
use rampart_model::secret::SecretBackend;

/// One secret of one request in one environment, ready for the engine.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The request file, e.g. `specs/shop.yaml`.
    pub request_path: String,
    /// Which backend holds it.
    pub backend: SecretBackend,
    /// What the engine does.
    pub job: Job,
    /// The request's policy (schedule, follow), for callers that schedule rotations.
    pub rotation: Rotation,
}

impl std::ops::Deref for Planned {
    type Target = Job;
    fn deref(&self) -> &Job {
        &self.job
    }
}
