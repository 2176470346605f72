//! Reading a live Kubernetes cluster, read-only: the objects `rampart audit` checks.
//!
//! The client comes from a kubeconfig ([`connect`]); every read lists page by page and
//! never reads a Secret's values.

mod reader;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use reader::{ClusterError, PAGE_SIZE, connect, read_documents};
