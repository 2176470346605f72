//! Argo CD: AppProjects and Applications (an app of apps) in `clusters/<env>/gitops/`.
//!
//! - `<env>-gitops` applies this directory itself (the one object a person applies once,
//!   with the rest of the directory: `kubectl apply -k clusters/<env>/gitops`).
//! - `<env>-platform` is the AppProject of everything Rampart renders; `<env>-team-<team>`
//!   the AppProject a team's own Applications use: only that team's namespaces of this
//!   cluster, no cluster-scoped kind, none of the kinds Rampart owns in a namespace.
//! - One Application per part of the cluster configuration and per namespace, in sync
//!   waves: admission policies (wave -2), runtime detection (-1), namespaces (0). Inside a
//!   namespace its SecretStores and ExternalSecrets carry wave -1, so they are healthy
//!   (the Secret written) before the workloads of wave 0 roll.

use super::{CLUSTER_PARTS, GitOpsFiles, GitOpsNamespace, Site, file, teams};
use rampart_model::gitops::{ArgoCdSettings, IN_CLUSTER};
use serde_json::{Value, json};

/// The API version of AppProjects and Applications.
const API_VERSION: &str = "argoproj.io/v1alpha1";

/// Sync wave of the admission policies' Application.
pub const WAVE_ADMISSION: i32 = -2;
/// Sync wave of the runtime-detection Application.
pub const WAVE_RUNTIME: i32 = -1;
/// Sync wave of every namespace's Application.
pub const WAVE_NAMESPACES: i32 = 0;

/// Kinds Rampart renders into a team's namespace, as (API group, kind): a team's own
/// Applications may not create, change or delete them (AppProject
/// `namespaceResourceBlacklist`). The Namespace is cluster-scoped, and refused already by
/// the empty `clusterResourceWhitelist`; it is listed for the reader.
pub const RAMPART_OWNED: [(&str, &str); 7] = [
    ("", "Namespace"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("external-secrets.io", "SecretStore"),
];

/// Renders `projects.yaml` and `applications.yaml`.
pub(crate) fn render(
    site: &Site<'_>,
    argo: &ArgoCdSettings,
    namespaces: &[GitOpsNamespace],
) -> GitOpsFiles {
    let server = argo.destination(site.env);
    let mut projects = vec![platform_project(site, argo, server)];
    for (team, owned) in teams(namespaces) {
        projects.push(team_project(site, argo, server, team, &owned));
    }
    let mut apps = vec![application(
        site,
        argo,
        &format!("{}-gitops", site.env),
        &site.path("gitops"),
        (IN_CLUSTER, argo.namespace()),
        None,
        &[],
    )];
    for (name, dir, optional_kinds) in CLUSTER_PARTS {
        let wave = if name == "admission" {
            WAVE_ADMISSION
        } else {
            WAVE_RUNTIME
        };
        let extra: &[&str] = if optional_kinds {
            &["SkipDryRunOnMissingResource=true"]
        } else {
            &[]
        };
        apps.push(application(
            site,
            argo,
            &format!("{}-cluster-{name}", site.env),
            &site.path(&format!("cluster/{dir}")),
            (server, ""),
            Some(wave),
            extra,
        ));
    }
    for ns in namespaces {
        apps.push(application(
            site,
            argo,
            &format!("{}-ns-{}", site.env, ns.name),
            &site.path(&format!("namespaces/{}", ns.name)),
            (server, &ns.name),
            Some(WAVE_NAMESPACES),
            &[],
        ));
    }
    GitOpsFiles::from([
        ("projects.yaml".to_string(), file(site, &projects)),
        ("applications.yaml".to_string(), file(site, &apps)),
    ])
}

/// `<env>-platform`: what Rampart renders, anywhere in the environment's cluster, plus the
/// Applications themselves in Argo CD's namespace.
fn platform_project(site: &Site<'_>, argo: &ArgoCdSettings, server: &str) -> Value {
    let mut destinations = vec![json!({"server": server, "namespace": "*"})];
    if server != IN_CLUSTER {
        destinations.push(json!({"server": IN_CLUSTER, "namespace": argo.namespace()}));
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": site.metadata(&format!("{}-platform", site.env), argo.namespace()),
        "spec": {
            "description": format!("What Rampart renders for {}: cluster configuration and hardened namespaces. Platform administrators only.", site.env),
            "sourceRepos": [site.repository],
            "destinations": destinations,
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    })
}

/// `<env>-team-<team>`: the team's own Applications, only into `owned` on `server`, with
/// no cluster-scoped kind and none of [`RAMPART_OWNED`], from the repositories its requests
/// list (none by default).
fn team_project(
    site: &Site<'_>,
    argo: &ArgoCdSettings,
    server: &str,
    team: &str,
    owned: &[&GitOpsNamespace],
) -> Value {
    let mut repos: Vec<&str> = owned
        .iter()
        .flat_map(|ns| ns.source_repos.iter().map(String::as_str))
        .collect();
    repos.sort_unstable();
    repos.dedup();
    let destinations: Vec<Value> = owned
        .iter()
        .map(|ns| json!({"server": server, "namespace": ns.name}))
        .collect();
    let blacklist: Vec<Value> = RAMPART_OWNED
        .iter()
        .map(|(group, kind)| json!({"group": group, "kind": kind}))
        .collect();
    json!({
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": site.metadata(&format!("{}-team-{team}", site.env), argo.namespace()),
        "spec": {
            "description": format!("Team {team}'s own deployments in {}: only into its namespaces, never what Rampart renders there.", site.env),
            "sourceRepos": repos,
            "destinations": destinations,
            "clusterResourceWhitelist": [],
            "namespaceResourceBlacklist": blacklist,
        },
    })
}

/// An Application of the platform project syncing `path` to `(server, namespace)`,
/// automated with prune and self-heal, server-side applied (CRDs and large objects such as
/// admission policies exceed client-side apply's annotation), pruning last. Each but the
/// root deletes its objects when it is deleted itself (a removed request), except those
/// marked `Delete=false` (every Namespace, unless `offboarding.deleteNamespace`).
fn application(
    site: &Site<'_>,
    argo: &ArgoCdSettings,
    name: &str,
    path: &str,
    (server, namespace): (&str, &str),
    wave: Option<i32>,
    extra_options: &[&str],
) -> Value {
    let mut metadata = site.metadata(name, argo.namespace());
    if let Some(wave) = wave {
        metadata["annotations"] = json!({"argocd.argoproj.io/sync-wave": wave.to_string()});
        metadata["finalizers"] = json!(["resources-finalizer.argocd.argoproj.io"]);
    }
    let mut options = vec!["ServerSideApply=true", "PruneLast=true"];
    options.extend_from_slice(extra_options);
    let mut destination = json!({"server": server});
    if !namespace.is_empty() {
        destination["namespace"] = json!(namespace);
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": metadata,
        "spec": {
            "project": format!("{}-platform", site.env),
            "source": {
                "repoURL": site.repository,
                "targetRevision": site.revision,
                "path": path,
            },
            "destination": destination,
            "syncPolicy": {
                "automated": {"prune": true, "selfHeal": true},
                "syncOptions": options,
            },
        },
    })
}
