//! What `/readyz` answers, kept apart from the metrics: whether this instance is the
//! active one, read the repository, and last reached every backend.

use crate::metrics::Metrics;
use std::sync::Mutex;

/// The flags `/readyz` decides on.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// Whether this instance is the active one.
    pub leader: bool,
    /// Whether the inputs were read (repository cloned or opened, inputs valid).
    pub repository_ready: bool,
    /// Whether the last contact with every backend succeeded.
    pub backends_reachable: bool,
}

impl Readiness {
    /// Ready: the repository is readable and the backends answered (a standby instance,
    /// waiting for the lock, is ready once it can read the repository).
    pub fn ready(&self) -> bool {
        self.why_not_ready().is_none()
    }

    /// Why `/readyz` answers 503, if it does.
    pub fn why_not_ready(&self) -> Option<&'static str> {
        if !self.repository_ready {
            Some("the repository is not read yet")
        } else if self.leader && !self.backends_reachable {
            Some("a backend did not answer")
        } else {
            None
        }
    }
}

/// What the HTTP port shows: the metrics and the readiness flags, shared by the service's
/// loop and the port.
#[derive(Debug, Default)]
pub struct Observed {
    /// The series `/metrics` exposes.
    pub metrics: Metrics,
    readiness: Mutex<Readiness>,
}

impl Observed {
    /// The flags as they are now.
    pub fn readiness(&self) -> Readiness {
        *self.readiness.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the flags.
    pub fn update(&self, f: impl FnOnce(&mut Readiness)) {
        f(&mut self.readiness.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Active or standby: the readiness flag and the `rampart_leader` gauge together.
    pub fn set_leader(&self, leader: bool) {
        self.update(|r| r.leader = leader);
        self.metrics.set_leader(leader);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standby_is_ready_without_backends_a_leader_needs_them() {
        let mut r = Readiness {
            repository_ready: true,
            ..Readiness::default()
        };
        assert!(r.ready());
        r.leader = true;
        assert_eq!(r.why_not_ready(), Some("a backend did not answer"));
        r.backends_reachable = true;
        assert!(r.ready());
        r.repository_ready = false;
        assert_eq!(r.why_not_ready(), Some("the repository is not read yet"));
    }

    #[test]
    fn the_leader_flag_and_gauge_move_together() {
        let observed = Observed::default();
        observed.set_leader(true);
        assert!(observed.readiness().leader);
        assert!(
            observed
                .metrics
                .render()
                .lines()
                .any(|l| l == "rampart_leader 1")
        );
        observed.set_leader(false);
        assert!(
            observed
                .metrics
                .render()
                .lines()
                .any(|l| l == "rampart_leader 0")
        );
    }
}
