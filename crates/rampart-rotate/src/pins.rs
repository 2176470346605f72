//! New pins into the request files: only each secret's `version` changes, every other byte
//! of the file stays as written.

use crate::planned::Planned;
use rampart_model::edit::{VersionEdit, set_secret_versions};
use std::collections::BTreeMap;

/// `files` (path → content) with the new version of every pin written into its request.
/// `pins`: the planned secret and its new version. Each file is edited (and proved) once,
/// with all of its pins. Fails naming the file and the secret.
pub fn pin_versions(
    files: &BTreeMap<String, Vec<u8>>,
    all_environments: &[&str],
    pins: &[(&Planned, &str)],
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut by_file: BTreeMap<&str, Vec<(&Planned, &str)>> = BTreeMap::new();
    for (planned, version) in pins {
        by_file
            .entry(planned.request_path.as_str())
            .or_default()
            .push((planned, version));
    }
    let mut out = files.clone();
    for (path, pins) in by_file {
        let Some(bytes) = files.get(path) else {
            return Err(format!(
                "{path}: the request is not in the work tree any more"
            ));
        };
        let text = std::str::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8"))?;
        let environments: Vec<[&str; 1]> = pins
            .iter()
            .map(|(p, _)| [p.job.id.environment.as_str()])
            .collect();
        let edits: Vec<VersionEdit> = pins
            .iter()
            .zip(&environments)
            .map(|((planned, version), environments)| VersionEdit {
                app: &planned.job.id.app,
                secret: &planned.job.id.secret,
                version,
                environments,
                all_environments,
            })
            .collect();
        let edited = set_secret_versions(text, &edits).map_err(|e| {
            let secrets: Vec<String> = pins
                .iter()
                .map(|(p, _)| format!("{} of app {}", p.job.id.secret, p.job.id.app))
                .collect();
            format!("{path}: cannot pin secret {}: {e}", secrets.join(", "))
        })?;
        out.insert(path.to_owned(), edited.into_bytes());
    }
    Ok(out)
}
