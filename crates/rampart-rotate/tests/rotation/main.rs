//! The rotation engine against real servers started by the tests: OpenBao (`bao server
//! -dev`), moto and PostgreSQL. A reader with ESO's semantics resolves each pin through
//! the backend's own API.

mod support;

mod aws;
mod postgres;
mod retire;
mod vault;
