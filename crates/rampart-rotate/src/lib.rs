//! The rotation engine: rotates secrets in Vault/OpenBao (KV v2) and AWS Secrets Manager,
//! optionally changing the credential in PostgreSQL, crash-safely — and reports the
//! versions Git must pin next. Delivering those pins is the caller's part.
//!
//! The invariant: no version that Git pins is ever destroyed or invalidated — pinned by any
//! environment sharing the backend and key, locally or on the remote base branch. Vault
//! writes use check-and-set and never let `max_versions` prune a pin; AWS pins keep a
//! staging label; PostgreSQL's alternating users leave the pinned role's password alone.

pub mod access;
mod any;
mod aws;
mod backend;
mod connect;
mod engine;
mod error;
mod job;
mod other_pins;
mod pins;
mod plan;
mod planned;
mod postgres;
mod retire;
mod run;
mod tls;
mod value;
mod vault;

pub use any::AnyBackend;
pub use aws::{Aws, request_token};
pub use backend::{Backend, Remote};
pub use connect::connect;
pub use engine::{rotate, rotate_all};
pub use error::{BackendError, BackendErrorKind, RotateError};
pub use job::{
    DueRule, Generate, Job, OtherPin, Outcome, Policy, PostgresStrategy, PostgresTarget, SecretId,
};
pub use other_pins::keep_other_pins;
pub use pins::pin_versions;
pub use plan::plan;
pub use planned::Planned;
pub use postgres::{Endpoint, Login, alternate_role};
pub use retire::{
    Deployment, Naming, PinLiveness, Refusal, RetireError, Retired, Retirement, decide, retire_jobs,
};
pub use run::{inspect_all, retire_all, run};
pub use value::{MARKER_PROPERTY, Marker, SecretData, random_string};
pub use vault::{Vault, VaultAuth};
