//! New pins into the request files: only each secret's `version` changes, every other byte
//! of the file stays as written.

use crate::plan::Planned;
use rampart_model::edit::{VersionEdit, set_secret_version};
use std::collections::BTreeMap;

/// `files` (path → content) with the new version of every pin written into its request.
/// `pins`: the planned secret and its new version. Fails naming the file and the secret.
pub fn pin_versions(
    files: &BTreeMap<String, Vec<u8>>,
    all_environments: &[&str],
    pins: &[(&Planned, &str)],
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut out = files.clone();
    for (planned, version) in pins {
        let path = &planned.request_path;
        let Some(bytes) = out.get(path) else {
            return Err(format!(
                "{path}: the request is not in the work tree any more"
            ));
        };
        let text = String::from_utf8(bytes.clone()).map_err(|_| format!("{path}: not UTF-8"))?;
        let id = &planned.job.id;
        let edited = set_secret_version(
            &text,
            &VersionEdit {
                app: &id.app,
                secret: &id.secret,
                version,
                environments: &[id.environment.as_str()],
                all_environments,
            },
        )
        .map_err(|e| {
            format!(
                "{path}: cannot pin secret {} of app {}: {e}",
                id.secret, id.app
            )
        })?;
        out.insert(path.clone(), edited.into_bytes());
    }
    Ok(out)
}
