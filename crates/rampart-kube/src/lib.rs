//! Reading a live Kubernetes cluster, read-only: the objects `rampart audit` checks, and
//! the live copies of what Rampart renders that `rampart status` compares ([`status`]).
//!
//! The client comes from a kubeconfig ([`connect`]); no read ever returns a Secret's values.

mod live;
mod reader;
pub mod status;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use live::{plural, read_live_objects, read_secret_statuses};
pub use reader::{ClusterError, PAGE_SIZE, connect, read_documents};
