//! Real servers for tests: [`OpenBao`] (dev mode, KV v2 at `secret/`), [`Moto`] (AWS Secrets
//! Manager), [`Postgres`], [`GitDaemon`] (Git remotes that take pushes) and [`LeaseApi`] (the
//! one Kubernetes API that cannot run here, shaped on the real one), each started by the test
//! that needs it on a free loopback port, and stopped when the handle is dropped.
//!
//! Nothing here relies on a server that happens to be running: every test starts its own, so
//! tests run in parallel. A missing tool is a panic that names the package that installs it
//! (`scripts/test.sh` installs them all), never a skip. A server that fails to start panics
//! with the exact command and the last lines of its log.
//!
//! ```no_run
//! use rampart_testkit::{OpenBao, Postgres};
//!
//! let bao = OpenBao::start();
//! let written = bao
//!     .request("POST", "/v1/secret/data/app", Some(r#"{"data":{"password":"p1"}}"#))
//!     .unwrap();
//! assert_eq!(written.status, 200);
//!
//! let pg = Postgres::start();
//! println!("connect to {}", pg.url());
//! // Both servers stop when `bao` and `pg` go out of scope.
//! ```

mod blackhole;
mod crash_proxy;
mod git_daemon;
mod http;
mod json_api;
mod lease_api;
mod moto;
mod object_api;
mod openbao;
mod postgres;
mod postgres_client;
mod process;

pub use blackhole::Blackhole;
pub use crash_proxy::CrashProxy;
pub use git_daemon::GitDaemon;
pub use http::{Response, send};
pub use lease_api::LeaseApi;
pub use moto::Moto;
pub use object_api::{ObjectApi, kubeconfig};
pub use openbao::OpenBao;
pub use postgres::Postgres;
