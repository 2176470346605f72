//! What a request is checked against besides itself.

use crate::environment::Environment;

/// What a request is checked against besides itself.
pub struct RequestContext<'a> {
    /// The file name without `.yaml`; the request's `name` must equal it.
    pub file_stem: &'a str,
    /// Label keys every request must carry (from `rampart.yaml`).
    pub required_labels: &'a [String],
    /// Every environment the request renders into.
    pub environments: &'a [Environment],
    /// rampart.yaml's `delivery.mode`: how rotations are delivered in an environment that
    /// sets no `secretStores.rotation.delivery`.
    pub delivery_mode: crate::delivery::DeliveryMode,
}
