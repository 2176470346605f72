//! Shared fixtures: a token that must never show up, a forge client for a mock server, and
//! checks on what the server received.

use std::io::Write;

use rampart_forge::{Forge, ForgeError, ForgeKind, PullRequestSpec, Token};
use wiremock::MockServer;

/// The token every test uses; no error text may contain it.
pub const TOKEN: &str = "rampart-test-token-7f3a9c41d2";

/// The head branch Rampart pushed.
pub const HEAD: &str = "rampart/payments-dev";
pub const BASE: &str = "main";
pub const TITLE: &str = "rampart: render namespace payments (dev)";
pub const BODY: &str = "Rendered by `rampart render`.\n\n- clusters/dev/namespaces/payments";

/// The token, read the way operators provide it: from a file with a trailing newline.
pub fn token() -> Token {
    Token::from_file(token_file().path()).unwrap()
}

/// A token file as editors write it, with a trailing newline.
pub fn token_file() -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "{TOKEN}").unwrap();
    file
}

pub fn forge(kind: ForgeKind, api_base: &str, repository: &str) -> Forge {
    Forge::new(kind, api_base, repository, token()).unwrap()
}

pub fn labels() -> Vec<String> {
    vec!["rampart".to_owned(), "security".to_owned()]
}

pub fn spec(labels: &[String]) -> PullRequestSpec<'_> {
    PullRequestSpec {
        head: HEAD,
        base: BASE,
        title: TITLE,
        body: BODY,
        labels,
    }
}

/// Fails when the server got more or fewer requests than the mocks account for.
pub async fn assert_request_count(server: &MockServer, expected: usize) {
    let requests = server.received_requests().await.unwrap();
    let seen: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url))
        .collect();
    assert_eq!(requests.len(), expected, "requests: {seen:#?}");
}

/// The error's message and debug form, checked not to contain the token.
pub fn shown_without_token(error: &ForgeError) -> String {
    let mut shown = format!("{error}\n{error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        shown.push_str(&format!("\n{cause}"));
        source = cause.source();
    }
    assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
    shown
}
