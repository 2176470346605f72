//! Signing commits with an SSH key (`ssh-keygen -Y sign`, as git's `gpg.format=ssh`) or an
//! OpenPGP key (`gpg`), run as external programs so that no key material passes through
//! Rampart.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::GitError;

/// How commits are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// An SSH private key file (its public key must be in the verifier's allowed signers).
    Ssh {
        /// The private key file (an agent-held key works through its `.pub` file too).
        key_file: PathBuf,
    },
    /// An OpenPGP key in the user's GnuPG keyring.
    Gpg {
        /// Key id, fingerprint or user id.
        key: String,
    },
}

impl Signer {
    /// The armored signature of `payload` (a commit object without its signature).
    pub(crate) fn sign(&self, payload: &[u8]) -> Result<String, GitError> {
        let mut command = match self {
            Signer::Ssh { key_file } => {
                let mut c = Command::new("ssh-keygen");
                c.args(["-Y", "sign", "-n", "git", "-f"]).arg(key_file);
                c
            }
            Signer::Gpg { key } => {
                let mut c = Command::new("gpg");
                c.args([
                    "--batch",
                    "--no-tty",
                    "--armor",
                    "--detach-sign",
                    "--local-user",
                ])
                .arg(key);
                c
            }
        };
        let program = match self {
            Signer::Ssh { .. } => "ssh-keygen",
            Signer::Gpg { .. } => "gpg",
        };
        let failed = |reason: String| GitError::Signing { program, reason };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(format!("cannot run it: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(payload)
                .map_err(|e| failed(format!("cannot write the commit to it: {e}")))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| failed(e.to_string()))?;
        let signature = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() || signature.trim().is_empty() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failed(format!(
                "{} ({})",
                stderr.trim().lines().last().unwrap_or("no signature"),
                output.status
            )));
        }
        Ok(signature)
    }
}
