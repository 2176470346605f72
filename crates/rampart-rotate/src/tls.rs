//! One TLS crypto provider for the process: ring, as kube and the forge client use, so no
//! C toolchain is needed for aws-lc.

/// Installs ring as rustls' process-wide provider (a no-op if one is installed).
pub fn install_ring_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
