//! Rendering of namespace requests into hardened Kubernetes manifests.
//!
//! Templates give shape; types give safety: handlebars blueprints (strict mode, YAML-safe
//! escaping) produce text that is parsed, checked against its k8s-openapi type with unknown
//! fields refused, held to the blueprint rules and re-emitted as canonical YAML.

pub mod admission;
pub mod backend;
mod blueprint;
mod canonical;
pub mod cluster;
mod context;
mod error;
mod escape;
mod eso;
#[cfg(test)]
mod fast_yaml_tests;
pub mod gitops;
mod namespace;
pub mod netprobe;
mod network;
pub mod network_proof;
mod repository;
mod secrets;
pub mod service;
mod typed;

pub use blueprint::Blueprint;
pub use error::RenderError;
pub use escape::yaml_quote;
pub use namespace::{NamespaceFiles, kustomization, render_namespace};
pub use repository::{Prior, RequestFile, render_repository};
