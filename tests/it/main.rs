//! End-to-end tests: the `rampart` binary against real Git repositories, with every rendered
//! document validated by kubernetes-validate and every environment built by kustomize.

mod support;

mod admission;
mod audit;
mod backend_access;
mod check;
mod cli;
mod closed_pipe;
mod cluster_config;
mod concurrency;
mod crash;
mod custom_blueprints;
mod delivery;
mod doc_examples;
mod dockerfile;
mod fuzz;
mod hardening;
mod import;
mod injection;
mod malformed;
mod measured;
mod nca_compare;
mod network_policies;
mod network_tests;
mod new_request;
mod pull_request_title;
mod push_race;
mod render_cache;
mod render_flow;
mod rotate;
mod rotate_delivery;
mod rotate_kill;
mod rotate_race;
mod rotate_shared;
mod secret_guard;
mod secrets;
mod serve;
mod service_namespace;
mod snapshots;
mod symlinks;
mod validation;
