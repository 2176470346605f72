//! The forge clients against local mock servers shaped on each forge's real requests and
//! answers. Every mock states how often it must be called (`expect`), and each test checks
//! the total number of requests, so an unexpected call fails the test.

mod gitea;
mod github;
mod gitlab;
mod support;
