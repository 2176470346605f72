//! The limits of Rampart's inputs (`rampart.yaml`, `environments/*.yaml`, `specs/*`): set
//! where a person would expect them, so that a hostile pull request cannot make a render
//! take unbounded time or memory, nor commit output that Kubernetes refuses to apply.

use rampart_yaml::limits::Limits;

/// Largest input file. A request of 50 apps is about 20 KiB.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// The limits every input file is read with: its size, and what its aliases may expand to.
/// Collections nest at most [`rampart_yaml::limits::MAX_FLOW_DEPTH`] deep.
pub const INPUT: Limits = Limits {
    max_bytes: MAX_INPUT_BYTES,
};

/// Kubernetes refuses an object whose annotations (keys and values) total more than
/// 256 KiB.
pub const KUBERNETES_MAX_ANNOTATIONS_BYTES: usize = 256 << 10;

/// Longest `description`: it becomes the namespace's `rampart.dev/description` annotation,
/// which must leave room in [`KUBERNETES_MAX_ANNOTATIONS_BYTES`] for the others.
pub const MAX_DESCRIPTION_BYTES: usize = 64 << 10;
