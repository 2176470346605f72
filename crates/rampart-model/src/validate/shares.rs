//! One remote key, one namespace: two namespaces that reference the same secret in one
//! environment would each get a backend policy reading it — one team reading the other's
//! secret (checklist 4.5) — unless the share is declared with `sharedWith`.

use crate::diagnostic::Diagnostics;
use crate::environment::Environment;
use crate::load::Report;
use crate::request::NamespaceRequest;
use crate::secret::SecretBackend;
use std::collections::BTreeMap;

/// A request as read: its file name (in messages), text and parsed value.
pub struct RequestSource<'a> {
    /// The file as shown in messages.
    pub file: &'a str,
    /// Its text, to locate fields.
    pub text: &'a str,
    /// The request.
    pub request: &'a NamespaceRequest,
}

/// Refuses a remote key referenced by two namespaces in one environment unless one of
/// them names the other in `sharedWith`.
pub fn check_shared_keys(
    requests: &[RequestSource<'_>],
    environments: &[Environment],
) -> Result<(), Diagnostics> {
    // (backend, remote key) → every (request index, field path, sharedWith) referencing it.
    type Uses<'a> = Vec<(usize, String, &'a [String])>;
    let mut uses: BTreeMap<(SecretBackend, &str), Uses<'_>> = BTreeMap::new();
    for (n, src) in requests.iter().enumerate() {
        for (i, app) in src.request.apps.iter().enumerate() {
            for (j, s) in app.secrets.iter().enumerate() {
                uses.entry((s.backend, s.remote_key.as_str()))
                    .or_default()
                    .push((
                        n,
                        format!("apps[{i}].secrets[{j}].remoteKey"),
                        &s.shared_with,
                    ));
            }
        }
    }
    let mut found: BTreeMap<usize, Vec<(String, String, String)>> = BTreeMap::new();
    for ((backend, key), refs) in &uses {
        for (n, path, _) in refs {
            let ns = &requests[*n].request.name;
            let unshared: Vec<&str> = refs
                .iter()
                .filter_map(|(m, _, _)| {
                    let other = &requests[*m].request.name;
                    let declared = |a: usize, b: &str| {
                        refs.iter()
                            .any(|(x, _, with)| *x == a && with.iter().any(|w| w == b))
                    };
                    (other != ns && !declared(*n, other) && !declared(*m, ns))
                        .then_some(other.as_str())
                })
                .collect();
            if let Some(other) = unshared.first() {
                let envs: Vec<&str> = environments
                    .iter()
                    .filter(|e| match backend {
                        SecretBackend::Vault => e.secret_stores.vault.is_some(),
                        SecretBackend::Aws => e.secret_stores.aws.is_some(),
                    })
                    .map(|e| e.name.as_str())
                    .collect();
                found.entry(*n).or_default().push((
                    path.clone(),
                    format!(
                        "remote key `{key}` ({}) is also read by namespace `{other}` (specs/{other}.yaml) in {}: its backend policy would let one team read the other's secret",
                        backend.as_str(),
                        envs.join(", ")
                    ),
                    format!(
                        "use a key of this namespace's own; to share it on purpose, add `sharedWith: [{other}]` to this secret (checklist 4.5)"
                    ),
                ));
            }
        }
    }
    let mut diagnostics = Diagnostics::default();
    for (n, errors) in found {
        let mut r = Report::new(requests[n].file, requests[n].text);
        for (path, message, help) in errors {
            r.error(&path, message, help);
        }
        if let Err(d) = r.finish() {
            diagnostics.0.extend(d.0);
        }
    }
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(diagnostics)
    }
}
