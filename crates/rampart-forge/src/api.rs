//! The HTTP side shared by the three forges: one client with the forge's auth headers, URL
//! building from path segments, and error mapping that names forge, method, URL and status.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::status_hint;
use crate::message::forge_message;
use crate::{ForgeError, ForgeKind, Token};

/// Whole-request limit: forge API calls answer in well under a second when healthy.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USER_AGENT: &str = concat!("rampart/", env!("CARGO_PKG_VERSION"));

/// An authenticated client for one forge API root and repository.
pub(crate) struct Api {
    pub(crate) forge: ForgeKind,
    client: reqwest::Client,
    base: Url,
    /// The repository as configured, for hints.
    repository: String,
    token: Token,
}

/// An answer with a 2xx status, decoded, plus the headers pagination needs.
pub(crate) struct Answer<T> {
    pub(crate) body: T,
    pub(crate) total_count: Option<u64>,
}

impl Api {
    pub(crate) fn new(
        forge: ForgeKind,
        api_base: &str,
        repository: &str,
        token: Token,
    ) -> Result<Api, ForgeError> {
        let base = parse_api_base(forge, api_base)?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(forge)?)
            .default_headers(auth_headers(forge, &token, api_base)?)
            .user_agent(USER_AGENT)
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(same_origin_redirects())
            .build()
            .map_err(|source| ForgeError::Client { forge, source })?;
        Ok(Api {
            forge,
            client,
            base,
            repository: repository.to_owned(),
            token,
        })
    }

    /// The API URL for `segments` (each percent-encoded as one path segment, so a GitLab
    /// project path `group/sub/repo` becomes `group%2Fsub%2Frepo`) with `query`.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        // parse_api_base accepts only http(s) URLs, which always have path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends `body` (if any) as JSON and decodes a 2xx JSON answer into `T`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<Answer<T>, ForgeError> {
        let method_name = method_name(&method);
        let mut request = self.client.request(method, url.clone());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|source| self.transport(method_name, &url, source))?;
        let status = response.status();
        let total_count = response
            .headers()
            .get("x-total-count")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok());
        let bytes = response
            .bytes()
            .await
            .map_err(|source| self.transport(method_name, &url, source))?;
        if !status.is_success() {
            return Err(self.api_error(method_name, &url, status, &bytes));
        }
        let body = serde_json::from_slice(&bytes).map_err(|source| ForgeError::Decode {
            forge: self.forge,
            method: method_name,
            url: url.to_string(),
            example: self.forge.api_base_example(),
            source,
        })?;
        Ok(Answer { body, total_count })
    }

    fn transport(&self, method: &'static str, url: &Url, source: reqwest::Error) -> ForgeError {
        let hint = if source.is_timeout() {
            "the request timed out; check the network, a proxy, or the forge's status"
        } else if source.is_connect() {
            "cannot connect; check the API base URL's host and port, DNS, proxy settings, and \
             that the system trusts the server's TLS certificate"
        } else {
            "check the API base URL, TLS certificates, and the network"
        };
        ForgeError::Transport {
            forge: self.forge,
            method,
            url: url.to_string(),
            hint,
            source: source.without_url(),
        }
    }

    fn api_error(
        &self,
        method: &'static str,
        url: &Url,
        status: StatusCode,
        body: &[u8],
    ) -> ForgeError {
        // A forge could echo request headers in an error page; the token never leaves here.
        let message = forge_message(body).replace(self.token.expose(), "[redacted]");
        ForgeError::Api {
            forge: self.forge,
            method,
            url: url.to_string(),
            status: status.as_u16(),
            message,
            hint: status_hint(
                self.forge,
                status.as_u16(),
                self.base.as_str(),
                &self.repository,
            ),
        }
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "request",
    }
}

/// rustls on ring (the provider kube already brings) with the OS trust store.
fn tls_config(forge: ForgeKind) -> Result<rustls::ClientConfig, ForgeError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_error = |source: rustls::Error| ForgeError::Tls { forge, source };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_platform_verifier()
        .map_err(tls_error)?
        .with_no_client_auth())
}

fn auth_headers(forge: ForgeKind, token: &Token, api_base: &str) -> Result<HeaderMap, ForgeError> {
    let secret = token.expose();
    let (name, value) = match forge {
        ForgeKind::GitHub => (header::AUTHORIZATION, format!("Bearer {secret}")),
        ForgeKind::GitLab => (HeaderName::from_static("private-token"), secret.to_owned()),
        ForgeKind::Gitea => (header::AUTHORIZATION, format!("token {secret}")),
    };
    // Token::parse rejected whitespace and control characters; what remains can still be
    // non-visible-ASCII, which no forge issues.
    let mut value = HeaderValue::from_str(&value).map_err(|_| ForgeError::TokenMalformed {
        origin: format!("the token given for {forge} at {api_base}"),
    })?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(name, value);
    match forge {
        ForgeKind::GitHub => {
            headers.insert(
                header::ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            );
            headers.insert(
                HeaderName::from_static("x-github-api-version"),
                HeaderValue::from_static("2022-11-28"),
            );
        }
        ForgeKind::GitLab | ForgeKind::Gitea => {
            headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        }
    }
    Ok(headers)
}

/// Follows redirects only within the API's own scheme, host and port — a custom header such
/// as GitLab's `PRIVATE-TOKEN` would otherwise travel to whatever host a redirect names.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() < 5 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// Checks the configured API root: http(s), no credentials, https unless loopback.
fn parse_api_base(forge: ForgeKind, api_base: &str) -> Result<Url, ForgeError> {
    let invalid = |reason: String| ForgeError::InvalidApiBase {
        forge,
        url: without_userinfo(api_base),
        reason,
    };
    let url = Url::parse(api_base.trim())
        .map_err(|e| invalid(format!("{e}; expected like {}", forge.api_base_example())))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(invalid(
                "plain http would send the token unencrypted; use https".to_owned(),
            ));
        }
        other => {
            return Err(invalid(format!(
                "scheme {other:?} is not http(s); expected like {}",
                forge.api_base_example()
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it contains credentials; give the token through an environment variable or a \
             file instead"
                .to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "it has a query or fragment; expected like {}",
            forge.api_base_example()
        )));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://user:pass@host/...` → `scheme://[redacted]@host/...`, for error messages.
fn without_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    match url[authority_start..authority_end].rfind('@') {
        Some(at) => format!(
            "{}[redacted]{}",
            &url[..authority_start],
            &url[authority_start + at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_must_be_https_without_credentials() {
        let forge = ForgeKind::GitHub;
        assert!(parse_api_base(forge, "https://ghe.example.com/api/v3").is_ok());
        assert!(parse_api_base(forge, "http://127.0.0.1:8080").is_ok());
        assert!(parse_api_base(forge, "http://localhost:8080/api/v3").is_ok());

        let plain = parse_api_base(forge, "http://ghe.example.com/api/v3").unwrap_err();
        assert!(plain.to_string().contains("use https"), "{plain}");

        let with_password =
            parse_api_base(forge, "https://bot:hunter2@ghe.example.com/api/v3").unwrap_err();
        let shown = format!("{with_password} {with_password:?}");
        assert!(shown.contains("credentials"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");

        let not_url = parse_api_base(forge, "ghe.example.com").unwrap_err();
        assert!(not_url.to_string().contains("api/v3"), "{not_url}");
    }

    #[test]
    fn userinfo_is_redacted() {
        assert_eq!(
            without_userinfo("https://a:b@host/x@y"),
            "https://[redacted]@host/x@y"
        );
        assert_eq!(without_userinfo("https://host/x"), "https://host/x");
        assert_eq!(without_userinfo("not a url"), "not a url");
    }
}
