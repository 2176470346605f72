//! Flux: a GitRepository and Kustomizations in `clusters/<env>/gitops/`.
//!
//! - `<env>-gitops` (GitRepository and Kustomization) applies this directory itself.
//! - `<env>-cluster-admission` (`wait: true`) applies the admission policies first; the
//!   runtime-detection rules and every namespace depend on it.
//! - Per namespace, `<env>-ns-<ns>-secrets` (`wait: true`) applies the Namespace, its
//!   SecretStores and ExternalSecrets ([`flux`](self) waits until they are ready, i.e. the
//!   Secrets are written), and `<env>-ns-<ns>` applies the rest, `dependsOn` it. Each
//!   applies a directory `flux/<ns>/{secrets,workloads}/` whose kustomization lists the
//!   namespace's files (Flux builds with no load restriction inside the repository).
//! - Teams: per namespace a ServiceAccount `flux-tenant` with a Role and RoleBinding that
//!   allow the workload kinds in that namespace only, for the team's own Kustomizations
//!   (`serviceAccountName: flux-tenant`, impersonated by kustomize-controller) — none of the
//!   kinds Rampart renders there.

use super::{CLUSTER_PARTS, GitOpsFiles, GitOpsNamespace, Site, file};
use crate::error::RenderError;
use crate::typed::check_typed;
use rampart_model::gitops::FluxSettings;
use serde_json::{Value, json};

/// The tenant ServiceAccount, Role and RoleBinding of every team namespace.
pub const TENANT: &str = "flux-tenant";

/// The file of a namespace that its secrets Kustomization applies (with the Namespace).
const SECRET_FILES: [&str; 2] = ["namespace.yaml", "external-secrets.yaml"];

/// What a team's own Kustomizations may apply in its namespace, as (API group, resources):
/// workloads and what they need, never Secrets (checklist 4.5: they come from the secrets
/// manager as ExternalSecrets) nor anything Rampart renders (RBAC, NetworkPolicies, quotas,
/// SecretStores).
pub const TENANT_RESOURCES: [(&str, &[&str]); 7] = [
    (
        "",
        &[
            "configmaps",
            "services",
            "serviceaccounts",
            "persistentvolumeclaims",
        ],
    ),
    ("apps", &["deployments", "statefulsets"]),
    ("batch", &["jobs", "cronjobs"]),
    ("policy", &["poddisruptionbudgets"]),
    ("autoscaling", &["horizontalpodautoscalers"]),
    ("networking.k8s.io", &["ingresses"]),
    ("external-secrets.io", &["externalsecrets"]),
];

/// Renders `source.yaml`, `kustomizations.yaml` and `flux/<ns>/…`.
pub(crate) fn render(
    site: &Site<'_>,
    flux: &FluxSettings,
    namespaces: &[GitOpsNamespace],
) -> Result<GitOpsFiles, RenderError> {
    let source_name = format!("{}-gitops", site.env);
    let mut spec = json!({
        "url": site.repository,
        "ref": {"branch": site.revision},
        "interval": "1m0s",
        "timeout": "60s",
    });
    if let Some(secret) = &flux.secret_name {
        spec["secretRef"] = json!({"name": secret});
    }
    let source = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": site.metadata(&source_name, flux.namespace()),
        "spec": spec,
    });
    let k = |name: &str, path: &str, wait: bool, depends: &[String]| {
        let mut spec = json!({
            "interval": "10m0s",
            "path": format!("./{path}"),
            "prune": true,
            "wait": wait,
            // Written out, as every field the API server would default: no drift.
            "force": false,
            "sourceRef": {"kind": "GitRepository", "name": source_name},
        });
        if !depends.is_empty() {
            spec["dependsOn"] = depends.iter().map(|d| json!({"name": d})).collect();
        }
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": site.metadata(name, flux.namespace()),
            "spec": spec,
        })
    };
    let admission = format!("{}-cluster-admission", site.env);
    let mut kustomizations = vec![k(&source_name, &site.path("gitops"), false, &[])];
    for (name, dir, _) in CLUSTER_PARTS {
        let own = format!("{}-cluster-{name}", site.env);
        let depends = if own == admission {
            Vec::new()
        } else {
            vec![admission.clone()]
        };
        let path = site.path(&format!("cluster/{dir}"));
        kustomizations.push(k(&own, &path, own == admission, &depends));
    }
    let mut files = GitOpsFiles::new();
    for ns in namespaces {
        let secrets = format!("{}-ns-{}-secrets", site.env, ns.name);
        let dir = format!("flux/{}/", ns.name);
        let secrets_path = site.path(&format!("gitops/{dir}secrets"));
        kustomizations.push(k(
            &secrets,
            &secrets_path,
            true,
            std::slice::from_ref(&admission),
        ));
        let workloads = format!("{}-ns-{}", site.env, ns.name);
        let workloads_path = site.path(&format!("gitops/{dir}workloads"));
        kustomizations.push(k(&workloads, &workloads_path, false, &[secrets]));
        let up = format!("../../../../namespaces/{}/", ns.name);
        let (secret_files, mut rest): (Vec<&String>, Vec<&String>) = ns
            .files
            .iter()
            .filter(|f| *f != "kustomization.yaml")
            .partition(|f| SECRET_FILES.contains(&f.as_str()));
        let secret_files: Vec<String> = secret_files.iter().map(|f| format!("{up}{f}")).collect();
        let mut rest: Vec<String> = rest.drain(..).map(|f| format!("{up}{f}")).collect();
        if ns.team.is_some() {
            let tenant =
                tenant_objects(&ns.name).map_err(|problem| RenderError::ClusterInvalid {
                    file: format!("gitops/{dir}workloads/tenant.yaml"),
                    environment: site.env.to_string(),
                    problem,
                })?;
            files.insert(format!("{dir}workloads/tenant.yaml"), file(site, &tenant));
            rest.push("tenant.yaml".to_string());
        }
        files.insert(
            format!("{dir}secrets/kustomization.yaml"),
            crate::namespace::kustomization(secret_files.iter()),
        );
        files.insert(
            format!("{dir}workloads/kustomization.yaml"),
            crate::namespace::kustomization(rest.iter()),
        );
    }
    files.insert("source.yaml".to_string(), file(site, &[source]));
    files.insert(
        "kustomizations.yaml".to_string(),
        file(site, &kustomizations),
    );
    Ok(files)
}

/// The tenant ServiceAccount, Role and RoleBinding of `namespace`, typed.
fn tenant_objects(namespace: &str) -> Result<Vec<Value>, String> {
    let metadata = json!({
        "name": TENANT,
        "namespace": namespace,
        "labels": {
            "app.kubernetes.io/managed-by": "rampart",
            "app.kubernetes.io/part-of": "rampart-gitops",
        },
    });
    let rules: Vec<Value> = TENANT_RESOURCES
        .iter()
        .map(|(group, resources)| {
            json!({
                "apiGroups": [group],
                "resources": resources,
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
            })
        })
        .collect();
    [
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata,
            // kustomize-controller impersonates it; no pod ever runs with it.
            "automountServiceAccountToken": false,
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": metadata,
            "rules": rules,
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": TENANT},
            "subjects": [{"kind": "ServiceAccount", "name": TENANT, "namespace": namespace}],
        }),
    ]
    .iter()
    .map(check_typed)
    .collect()
}
