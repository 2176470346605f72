//! The process's open-file limit. Distributions start services with a soft limit as low as
//! 1,024 (`ulimit -n` in a shell may say 128) while allowing far more; the service raises its
//! soft limit to the hard one at start, so that its HTTP port, repository and backends do not
//! compete for a few descriptors.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Raises the soft open-file limit to the hard limit where it is lower, and returns the soft
/// limit in force afterwards (`None`: unlimited or unknown).
pub fn raise_to_hard_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(%error, "cannot raise the open-file limit to the hard limit");
        }
    }
    getrlimit(Resource::Nofile).current
}
