//! Rampart's input model: the namespace request, environment values and repository
//! configuration, their validation, and diagnostics that say where (file:line:column),
//! what is wrong and how to fix it. Pure: no IO, no async.
//!
//! ```
//! use rampart_model::{parse_request, RequestContext};
//! let text = "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: shop\nteam: web\n";
//! let ctx = RequestContext { file_stem: "shop", required_labels: &[], environments: &[], delivery_mode: Default::default() };
//! let request = parse_request("specs/shop.yaml", text, &ctx).unwrap();
//! assert_eq!(request.team, "web");
//! ```

pub mod cluster;
pub mod config;
pub mod delivery;
pub mod diagnostic;
pub mod edit;
pub mod environment;
pub mod excerpt;
pub mod gitops;
pub mod limits;
pub mod load;
pub mod locate;
pub mod request;
pub mod rotation;
pub mod secret;
pub mod secret_shape;
pub mod service;
mod validate;

pub use config::RepoConfig;
pub use diagnostic::{Diagnostic, Diagnostics};
pub use environment::Environment;
pub use request::NamespaceRequest;
pub use validate::syntax;
pub use validate::{
    RequestContext, RequestSource, check_network_tests, check_service, check_shared_keys,
    parse_environment, parse_repo_config, parse_request,
};
