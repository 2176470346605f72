//! Credentials for talking to a remote: an HTTPS token and SSH keys, offered a bounded
//! number of times, and the SSH host-key policy.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use git2::cert::Cert;
use git2::{CertificateCheckStatus, Cred, CredentialType};

use crate::GitError;
use crate::known_hosts;
use crate::remote_error::RemoteError;

/// A secret value (an access token). Never printed: `Debug` shows `Secret(..)`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The value of the environment variable `var`, which must be set and not blank.
    ///
    /// Errors name `var` only when it is a conventional variable name (upper-case letters,
    /// digits, `_`): anything else may be a token written where the name belongs.
    pub fn from_env(var: &str) -> Result<Secret, GitError> {
        let what = || format!("environment variable {}", shown_variable(var));
        let value = std::env::var(var).map_err(|e| RemoteError::CredentialSource {
            what: what(),
            reason: match e {
                std::env::VarError::NotPresent => "it is not set".to_owned(),
                std::env::VarError::NotUnicode(_) => "it is not UTF-8".to_owned(),
            },
        })?;
        Self::checked(value, what)
    }

    /// The content of `path` without surrounding white space; must not be empty.
    pub fn from_file(path: &Path) -> Result<Secret, GitError> {
        let value = std::fs::read_to_string(path).map_err(|e| RemoteError::CredentialSource {
            what: format!("file {}", path.display()),
            reason: e.to_string(),
        })?;
        Self::checked(value, || format!("file {}", path.display()))
    }

    /// A secret from a value the caller already holds (e.g. in tests).
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    fn checked(value: String, what: impl Fn() -> String) -> Result<Secret, GitError> {
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(RemoteError::CredentialSource {
                what: what(),
                reason: "it is empty".to_owned(),
            }
            .into());
        }
        if value.contains(char::is_whitespace) {
            return Err(RemoteError::CredentialSource {
                what: what(),
                reason: "it contains white space; it should hold just the token".to_owned(),
            }
            .into());
        }
        Ok(Secret(value))
    }

    /// The secret value, for handing to the transport.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// `var` for a message when it is a conventional upper-case variable name, else a
/// placeholder: a token pasted where the variable name belongs must not be printed.
pub(crate) fn shown_variable(var: &str) -> &str {
    let conventional = !var.is_empty()
        && var.len() <= 64
        && var
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if conventional {
        var
    } else {
        "named in delivery.tokenEnv (the name is not shown: it is not an upper-case variable name and may be a token)"
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// How the SSH host key of a remote is checked. Unknown hosts are always refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// The user's `$HOME/.ssh/known_hosts`; refused when `HOME` is not set to an absolute
    /// path (a relative path would read a file the repository may control).
    #[default]
    UserKnownHosts,
    /// The key must be listed for the host in this OpenSSH `known_hosts` file
    /// (plain or hashed host names, `[host]:port` entries).
    KnownHosts(PathBuf),
    /// The key's SHA-256 fingerprint must be this one, as `ssh-keygen -lf` prints it
    /// (`SHA256:` followed by unpadded base64).
    Fingerprint(String),
}

/// `<home>/.ssh/known_hosts` for the value of `HOME`, which must be an absolute path.
fn user_known_hosts(home: Option<std::ffi::OsString>) -> Result<PathBuf, String> {
    match home.map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home.join(".ssh").join("known_hosts")),
        _ => Err(
            "HOME is not set to an absolute path, so there is no ~/.ssh/known_hosts to check the host key against; set delivery.ssh.knownHosts or delivery.ssh.hostKeyFingerprint in rampart.yaml"
                .to_owned(),
        ),
    }
}

/// What Rampart may offer a remote.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Token for HTTP(S) remotes, sent as the password of basic authentication.
    pub token: Option<Secret>,
    /// Private key file for SSH; `None` uses the SSH agent.
    pub ssh_key_file: Option<PathBuf>,
    /// SSH host-key check.
    pub host_keys: HostKeyPolicy,
}

/// How many times the credential callback answers in one operation; libgit2 asks again
/// after every refusal and would otherwise loop forever.
pub(crate) const MAX_CREDENTIAL_CALLS: usize = 4;

/// State of one operation's callbacks: what was offered, and why it stopped.
#[derive(Default)]
pub(crate) struct AuthState {
    calls: usize,
    offered_token: bool,
    offered_key: bool,
    /// Why authentication gave up, for the error (never contains a secret).
    pub failure: Option<String>,
    /// Why the host key was refused.
    pub host_key: Option<(String, String)>,
}

impl Credentials {
    /// Answers libgit2's credential request for `url`, or gives up (recording why in
    /// `state`) when the same kind of credential was refused already, none is configured,
    /// or the call limit is reached.
    pub(crate) fn answer(
        &self,
        state: &RefCell<AuthState>,
        username_from_url: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        let mut st = state.borrow_mut();
        st.calls += 1;
        let give_up = |st: &mut AuthState, why: String| {
            let error = git2::Error::from_str(&why);
            st.failure = Some(why);
            Err(error)
        };
        if st.calls > MAX_CREDENTIAL_CALLS {
            let why = format!("gave up after {MAX_CREDENTIAL_CALLS} credential requests");
            return give_up(&mut st, why);
        }
        if allowed.contains(CredentialType::USERNAME) {
            return Cred::username(username_from_url.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            if st.offered_key {
                let why = match &self.ssh_key_file {
                    Some(path) => format!("the SSH key {} was refused", path.display()),
                    None => "no key of the SSH agent was accepted".to_owned(),
                };
                return give_up(&mut st, why);
            }
            st.offered_key = true;
            let user = username_from_url.unwrap_or("git");
            return match &self.ssh_key_file {
                Some(path) => Cred::ssh_key(user, None, path, None),
                None => Cred::ssh_key_from_agent(user),
            };
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            let Some(token) = &self.token else {
                let why = "the remote asks for credentials and no token is configured (set delivery.tokenEnv or delivery.tokenFile in rampart.yaml)".to_owned();
                return give_up(&mut st, why);
            };
            if st.offered_token {
                let why =
                    "the token was refused (check that it is valid and may push to the repository)"
                        .to_owned();
                return give_up(&mut st, why);
            }
            st.offered_token = true;
            // The URL's user if it names one, else one GitHub, GitLab and Gitea all
            // accept with a token.
            let user = username_from_url.unwrap_or("x-access-token");
            return Cred::userpass_plaintext(user, token.expose());
        }
        give_up(
            &mut st,
            format!("the remote asks for a kind of credential Rampart cannot offer ({allowed:?})"),
        )
    }

    /// Checks a server certificate or host key: TLS certificates are left to the TLS
    /// library's own verification; SSH host keys must match [`Credentials::host_keys`].
    pub(crate) fn check_certificate(
        &self,
        state: &RefCell<AuthState>,
        cert: &Cert<'_>,
        host: &str,
    ) -> Result<CertificateCheckStatus, git2::Error> {
        let Some(hostkey) = cert.as_hostkey() else {
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        };
        let verdict =
            match &self.host_keys {
                HostKeyPolicy::Fingerprint(want) => match hostkey.hash_sha256() {
                    Some(hash) if known_hosts::fingerprint_matches(want, hash) => Ok(()),
                    Some(hash) => Err(format!(
                        "its fingerprint {} is not the pinned {want}",
                        known_hosts::fingerprint(hash)
                    )),
                    None => Err("the server sent no SHA-256 host-key hash".to_owned()),
                },
                HostKeyPolicy::KnownHosts(path) => match hostkey.hostkey() {
                    Some(key) => known_hosts::check(path, host, key),
                    None => Err("the server sent no host key".to_owned()),
                },
                HostKeyPolicy::UserKnownHosts => user_known_hosts(std::env::var_os("HOME"))
                    .and_then(|path| match hostkey.hostkey() {
                        Some(key) => known_hosts::check(&path, host, key),
                        None => Err("the server sent no host key".to_owned()),
                    }),
            };
        match verdict {
            Ok(()) => Ok(CertificateCheckStatus::CertificateOk),
            Err(why) => {
                let error =
                    git2::Error::from_str(&format!("host key of {host} not trusted: {why}"));
                state.borrow_mut().host_key = Some((host.to_owned(), why));
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_is_not_offered_again_and_calls_are_bounded() {
        let creds = Credentials {
            token: Some(Secret::new("t0ken".into())),
            ..Credentials::default()
        };
        let state = RefCell::new(AuthState::default());
        let first = creds.answer(&state, None, CredentialType::USER_PASS_PLAINTEXT);
        assert!(first.is_ok());
        let second = creds.answer(&state, None, CredentialType::USER_PASS_PLAINTEXT);
        let message = second
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(message.contains("token was refused"), "{message}");
        assert!(!message.contains("t0ken"));
        for _ in 0..10 {
            assert!(
                creds
                    .answer(&state, None, CredentialType::USER_PASS_PLAINTEXT)
                    .is_err()
            );
        }
        assert!(
            state
                .borrow()
                .failure
                .as_deref()
                .is_some_and(|f| f.contains("gave up after"))
        );
    }

    #[test]
    fn the_default_known_hosts_needs_an_absolute_home() {
        assert_eq!(
            user_known_hosts(Some("/home/me".into())),
            Ok(PathBuf::from("/home/me/.ssh/known_hosts"))
        );
        for home in [None, Some("".into()), Some("relative/dir".into())] {
            let err = user_known_hosts(home).err().unwrap_or_default();
            assert!(
                err.contains("set delivery.ssh.knownHosts or delivery.ssh.hostKeyFingerprint"),
                "{err}"
            );
        }
    }

    #[test]
    fn no_token_gives_up_at_once_with_a_hint() {
        let creds = Credentials::default();
        let state = RefCell::new(AuthState::default());
        assert!(
            creds
                .answer(&state, None, CredentialType::USER_PASS_PLAINTEXT)
                .is_err()
        );
        let failure = state.borrow().failure.clone().unwrap_or_default();
        assert!(failure.contains("tokenEnv"), "{failure}");
    }

    #[test]
    fn secrets_are_checked_and_never_printed() -> Result<(), GitError> {
        let dir = tempfile::TempDir::new().map_err(|e| RemoteError::CredentialSource {
            what: "tempdir".into(),
            reason: e.to_string(),
        })?;
        let path = dir.path().join("token");
        std::fs::write(&path, "  abc123\n").map_err(|e| RemoteError::CredentialSource {
            what: "write".into(),
            reason: e.to_string(),
        })?;
        let secret = Secret::from_file(&path)?;
        assert_eq!(secret.expose(), "abc123");
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        std::fs::write(&path, "\n").map_err(|e| RemoteError::CredentialSource {
            what: "write".into(),
            reason: e.to_string(),
        })?;
        assert!(matches!(
            Secret::from_file(&path),
            Err(GitError::Remote(RemoteError::CredentialSource { .. }))
        ));
        assert!(matches!(
            Secret::from_env("RAMPART_TEST_SURELY_UNSET_VARIABLE"),
            Err(GitError::Remote(RemoteError::CredentialSource { .. }))
        ));
        let shown = Secret::from_env("RAMPART_TEST_SURELY_UNSET_VARIABLE")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            shown.contains("RAMPART_TEST_SURELY_UNSET_VARIABLE"),
            "{shown}"
        );
        let shown = Secret::from_env("ghp_R4mpartTestSurelyUnset")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(shown.contains("not shown"), "{shown}");
        assert!(!shown.contains("R4mpart"), "{shown}");
        Ok(())
    }
}
