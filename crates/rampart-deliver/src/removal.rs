//! `rampart remove`: who still refers to a namespace, and what removing its request takes
//! out of each environment — the message a reviewer reads before the controller prunes.

use crate::error::Result;
use crate::inputs::{Inputs, SPECS_DIR, display};
use crate::render::{CacheUse, render_inputs};
use rampart_model::locate::SourceMap;
use rampart_model::{Diagnostic, Diagnostics};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Refuses removing `namespace` while another request refers to it (`fromNamespace`,
/// `toNamespace`, `sharedWith`): one diagnostic per reference, at its file:line.
pub fn check_unreferenced(
    repo: &Path,
    inputs: &Inputs,
    namespace: &str,
) -> Result<(), Diagnostics> {
    let mut found = Vec::new();
    for file in inputs
        .requests
        .iter()
        .filter(|r| r.request.name != namespace)
    {
        let mut paths = Vec::new();
        for (i, app) in file.request.apps.iter().enumerate() {
            for (j, rule) in app.ingress.iter().enumerate() {
                if rule.from_namespace.as_deref() == Some(namespace) {
                    paths.push(format!("apps[{i}].ingress[{j}].fromNamespace"));
                }
            }
            for (j, rule) in app.egress.iter().enumerate() {
                if rule.to_namespace.as_deref() == Some(namespace) {
                    paths.push(format!("apps[{i}].egress[{j}].toNamespace"));
                }
            }
            for (j, secret) in app.secrets.iter().enumerate() {
                if let Some(k) = secret.shared_with.iter().position(|n| n == namespace) {
                    paths.push(format!("apps[{i}].secrets[{j}].sharedWith[{k}]"));
                }
            }
        }
        if paths.is_empty() {
            continue;
        }
        let text = inputs
            .files
            .get(&file.path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let map = SourceMap::new(&text);
        for path in paths {
            let (line, column) = map.locate(&path);
            found.push(Diagnostic::new(
                display(repo, &file.path),
                line,
                column,
                &format!("`{path}` still refers to namespace `{namespace}`, so it cannot be removed"),
                &format!("remove or change this reference first (and render), then run `rampart remove {namespace}` again"),
            ));
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(found))
    }
}

/// What removing a request deletes, per environment.
#[derive(Debug, Default)]
pub struct Removal {
    /// The namespace.
    pub namespace: String,
    /// Per environment: `Kind name` of every object in a generated file that goes away.
    pub objects: BTreeMap<String, Vec<String>>,
    /// Per environment: generated files that go away outside the namespace's directory
    /// (backend policies and roles, controller objects).
    pub files: BTreeMap<String, Vec<String>>,
    /// Whether the Namespace itself is deleted (`offboarding.deleteNamespace`).
    pub namespace_deleted: bool,
    /// The environments, in rampart.yaml's order.
    pub order: Vec<String>,
}

/// Renders `after` (the inputs without the request) and compares its generated files with
/// those in the work tree of `repo` under `clusters/<env>/` of every environment rendered.
pub fn plan_removal(
    repo: &Path,
    after: Inputs,
    namespace: &str,
    blueprints: Option<&PathBuf>,
    env: Option<&str>,
    team: Option<&str>,
) -> Result<Removal> {
    let namespace_deleted = after.config.offboarding.delete_namespace;
    // The team's AppProject goes with its last namespace.
    let team_left = |team: &str| after.requests.iter().any(|r| r.request.team == team);
    let team_gone = team.filter(|t| !team_left(t)).map(str::to_owned);
    let environments: Vec<String> = after
        .selected(env)?
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let rendered = render_inputs(repo, after, blueprints, env, CacheUse::Ignore)?;
    let kept: BTreeSet<&String> = rendered.files.keys().collect();
    let mut removal = Removal {
        namespace: namespace.to_string(),
        namespace_deleted,
        order: environments.clone(),
        ..Removal::default()
    };
    for env in environments {
        let root = format!("clusters/{env}");
        let mut before = Vec::new();
        walk(repo, &root, &mut before)?;
        // The controller objects of the namespace (and of its team, if it was the last).
        let mut gone = vec![
            format!("{env}-ns-{namespace}"),
            format!("{env}-ns-{namespace}-secrets"),
        ];
        if let Some(team) = &team_gone {
            gone.push(format!("{env}-team-{team}"));
        }
        for path in before.iter().filter(|p| {
            p.starts_with(&format!("{root}/gitops/")) && kept.contains(p) && p.ends_with(".yaml")
        }) {
            let text = fs_err::read_to_string(repo.join(path))?;
            let list = removal.objects.entry(env.clone()).or_default();
            list.extend(
                objects_of_kinds(&text, true)
                    .into_iter()
                    .filter(|(_, name)| gone.contains(name))
                    .map(|(object, _)| object),
            );
        }
        for path in before.into_iter().filter(|p| !kept.contains(p)) {
            if path.starts_with(&format!("{root}/namespaces/")) {
                let text = fs_err::read_to_string(repo.join(&path))?;
                let list = removal.objects.entry(env.clone()).or_default();
                list.extend(objects_of(&text));
            } else {
                removal.files.entry(env.clone()).or_default().push(path);
            }
        }
    }
    Ok(removal)
}

/// Every file below `rel` in the work tree of `repo`, as repository paths.
fn walk(repo: &Path, rel: &str, out: &mut Vec<String>) -> Result<()> {
    let dir = repo.join(rel);
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in fs_err::read_dir(&dir)? {
        let entry = entry?;
        let path = format!("{rel}/{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            walk(repo, &path, out)?;
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}

/// `Kind namespace/name` (or `Kind name`) of each object of a generated YAML file.
fn objects_of(text: &str) -> Vec<String> {
    objects_of_kinds(text, false)
        .into_iter()
        .map(|(object, _)| object)
        .collect()
}

/// (`Kind namespace/name`, name) of each document of a generated YAML file; kustomize's
/// own Kustomization only with `controller_kinds` (then it is Flux's).
fn objects_of_kinds(text: &str, controller_kinds: bool) -> Vec<(String, String)> {
    rampart_yaml::documents(text)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|doc| {
            let kind = doc["kind"].as_str()?;
            let name = doc["metadata"]["name"].as_str()?;
            if kind == "Kustomization" && !controller_kinds {
                return None;
            }
            let object = match doc["metadata"]["namespace"].as_str() {
                Some(ns) => format!("{kind} {ns}/{name}"),
                None => format!("{kind} {name}"),
            };
            Some((object, name.to_owned()))
        })
        .collect()
}

impl Removal {
    /// The commit message (its first line the title; the rest the pull request's body).
    pub fn message(&self) -> String {
        let ns = &self.namespace;
        let mut out = format!(
            "rampart: remove namespace {ns}\n\nRemoves {SPECS_DIR}/{ns}.yaml. Once merged, the GitOps controller deletes:\n"
        );
        for env in &self.order {
            if !self.objects.contains_key(env) && !self.files.contains_key(env) {
                continue;
            }
            out.push_str(&format!("\n{env}:\n"));
            for object in self.objects.get(env).into_iter().flatten() {
                let kept = object == &format!("Namespace {ns}") && !self.namespace_deleted;
                let note = if kept {
                    " (kept: protected from pruning)"
                } else {
                    ""
                };
                out.push_str(&format!("- {object}{note}\n"));
            }
            for file in self.files.get(env).into_iter().flatten() {
                let what = if file.contains("/secrets-backend/") {
                    "backend policy or role"
                } else {
                    "file"
                };
                out.push_str(&format!("- {what}: {file}\n"));
            }
        }
        out.push_str(&format!(
            "\nWarning: PersistentVolumeClaims in namespace {ns} (and their data) are not known to Git and are not listed here.\n"
        ));
        if self.namespace_deleted {
            out.push_str(&format!(
                "offboarding.deleteNamespace is true: the Namespace {ns} is deleted too, and with it every PersistentVolumeClaim in it.\n"
            ));
        } else {
            out.push_str(&format!(
                "The Namespace {ns} stays (argocd.argoproj.io/sync-options: Delete=false, kustomize.toolkit.fluxcd.io/prune: disabled) with its volumes until a person deletes it: `kubectl delete namespace {ns}`.\n"
            ));
        }
        out
    }
}
