//! The controller objects judged by their own rules: an AppProject evaluated as Argo CD
//! evaluates it, the Flux dependency graph walked, the tenant Role's reach listed.

use super::argocd::RAMPART_OWNED;
use super::*;
use crate::canonical::parse_documents;
use rampart_model::gitops::IN_CLUSTER;
use rampart_model::parse_repo_config;

const HEAD: &str =
    "apiVersion: rampart.dev/v1alpha1\nkind: RepoConfig\nenvironments: [dev, prod]\n";
const ENV: &str = "apiVersion: rampart.dev/v1alpha1\nkind: Environment\nname: prod\nkubernetesVersion: \"1.35\"\n\
    podSecurity: {enforce: restricted, enforceVersion: v1.35, audit: restricted, warn: restricted}\n\
    defaults: {quota: {}, limits: {cpu: 500m, memory: 512Mi, ephemeralStorage: 1Gi}, replicas: 2}\n\
    allowedRegistries: [registry.example.com/]\ndns: {namespace: kube-system, podLabels: {k8s-app: kube-dns}}\n";
const PROD_SERVER: &str = "https://prod.example.com:6443";

fn namespaces() -> Vec<GitOpsNamespace> {
    let ns = |name: &str, team: Option<&str>, repos: &[&str]| GitOpsNamespace {
        name: name.to_string(),
        team: team.map(str::to_string),
        source_repos: repos.iter().map(|r| r.to_string()).collect(),
        files: [
            "external-secrets.yaml",
            "kustomization.yaml",
            "namespace.yaml",
            "rbac.yaml",
            "workload-api.yaml",
        ]
        .iter()
        .map(|f| f.to_string())
        .collect(),
    };
    vec![
        ns(
            "payments",
            Some("pay"),
            &["https://git.example.com/pay/deploy.git"],
        ),
        ns("rampart-system", None, &[]),
        ns(
            "shop",
            Some("web-shop"),
            &["https://git.example.com/shop/deploy.git"],
        ),
        ns("shop-batch", Some("web-shop"), &[]),
    ]
}

fn render(controller: &str) -> GitOpsFiles {
    let config = parse_repo_config(
        "rampart.yaml",
        &format!(
            "{HEAD}gitops:\n  controller: {controller}\n  repository: https://git.example.com/platform/gitops.git\n  argocd:\n    destinations: {{prod: \"{PROD_SERVER}\"}}\n  flux:\n    secretName: gitops-auth\n"
        ),
    )
    .unwrap();
    let env = rampart_model::parse_environment("environments/prod.yaml", ENV, "prod").unwrap();
    render_gitops(&env, &config, &namespaces()).unwrap()
}

fn docs(files: &GitOpsFiles, path: &str) -> Vec<Value> {
    parse_documents(&files[path]).unwrap()
}

fn named<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// Argo CD's glob match (`*` any run of characters), as `glob.Match` in util/glob.
fn glob(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            value.starts_with(head)
                && (0..=value.len() - head.len()).any(|i| glob(tail, &value[head.len() + i..]))
        }
    }
}

/// A resource an Application of a project wants to sync.
struct Resource<'a> {
    server: &'a str,
    namespace: Option<&'a str>, // None: cluster-scoped
    group: &'a str,
    kind: &'a str,
}

/// Whether `project` permits `r`, by Argo CD's documented AppProject rules: the destination
/// must match one of `destinations` (server and namespace globs; a cluster-scoped resource
/// is checked against the server only); a cluster-scoped kind must match
/// `clusterResourceWhitelist` (empty: none) and not `clusterResourceBlacklist`; a namespaced
/// kind must not match `namespaceResourceBlacklist` and, when
/// `namespaceResourceWhitelist` is set, must match it.
fn permits(project: &Value, r: &Resource<'_>) -> bool {
    let spec = &project["spec"];
    let list = |key: &str| spec[key].as_array().cloned().unwrap_or_default();
    let matches = |entries: &[Value]| {
        entries.iter().any(|e| {
            glob(e["group"].as_str().unwrap(), r.group) && glob(e["kind"].as_str().unwrap(), r.kind)
        })
    };
    let destination_ok = list("destinations").iter().any(|d| {
        glob(d["server"].as_str().unwrap_or(""), r.server)
            && r.namespace
                .is_none_or(|ns| glob(d["namespace"].as_str().unwrap_or(""), ns))
    });
    let kind_ok = match r.namespace {
        None => {
            matches(&list("clusterResourceWhitelist"))
                && !matches(&list("clusterResourceBlacklist"))
        }
        Some(_) => {
            let white = list("namespaceResourceWhitelist");
            !matches(&list("namespaceResourceBlacklist")) && (white.is_empty() || matches(&white))
        }
    };
    destination_ok && kind_ok
}

#[test]
fn the_glob_matches_as_argo_cd_does() {
    assert!(glob("*", ""));
    assert!(glob("shop-*", "shop-batch"));
    assert!(!glob("shop-*", "shop"));
    assert!(glob("", ""));
    assert!(!glob("", "apps"));
}

#[test]
fn a_team_project_refuses_what_rampart_owns_cluster_kinds_and_other_teams() {
    let files = render("argocd");
    let projects = docs(&files, "projects.yaml");
    let team = named(&projects, "prod-team-web-shop");
    let at = |namespace, group, kind| Resource {
        server: PROD_SERVER,
        namespace,
        group,
        kind,
    };
    // Its own deployments, in each of its namespaces.
    for ns in ["shop", "shop-batch"] {
        assert!(permits(team, &at(Some(ns), "apps", "Deployment")), "{ns}");
        assert!(permits(team, &at(Some(ns), "", "ConfigMap")), "{ns}");
    }
    // Refused: a NetworkPolicy (and every kind Rampart renders), a ClusterRole (and any
    // cluster-scoped kind), another team's namespace, Rampart's own, another cluster.
    assert!(!permits(
        team,
        &at(Some("shop"), "networking.k8s.io", "NetworkPolicy")
    ));
    for (group, kind) in RAMPART_OWNED {
        assert!(!permits(team, &at(Some("shop"), group, kind)), "{kind}");
    }
    assert!(!permits(
        team,
        &at(None, "rbac.authorization.k8s.io", "ClusterRole")
    ));
    assert!(!permits(team, &at(None, "", "Namespace")));
    assert!(!permits(team, &at(Some("payments"), "apps", "Deployment")));
    assert!(!permits(
        team,
        &at(Some("rampart-system"), "apps", "Deployment")
    ));
    let elsewhere = Resource {
        server: IN_CLUSTER,
        namespace: Some("shop"),
        group: "apps",
        kind: "Deployment",
    };
    assert!(!permits(team, &elsewhere));
    // Only the repositories its requests list.
    assert_eq!(
        team["spec"]["sourceRepos"],
        json!(["https://git.example.com/shop/deploy.git"])
    );
    // Rampart's service has no team project; the platform project may do all of it.
    assert!(
        projects
            .iter()
            .all(|p| p["metadata"]["name"] != "prod-team-")
    );
    assert_eq!(projects.len(), 3, "platform, pay, web-shop");
    let platform = named(&projects, "prod-platform");
    assert!(permits(
        platform,
        &at(Some("shop"), "networking.k8s.io", "NetworkPolicy")
    ));
    assert!(permits(platform, &at(None, "", "Namespace")));
}

#[test]
fn every_application_is_permitted_by_its_project() {
    let files = render("argocd");
    let projects = docs(&files, "projects.yaml");
    for app in docs(&files, "applications.yaml") {
        let project = named(&projects, app["spec"]["project"].as_str().unwrap());
        let dest = &app["spec"]["destination"];
        let repo = app["spec"]["source"]["repoURL"].as_str().unwrap();
        assert!(
            project["spec"]["sourceRepos"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| glob(r.as_str().unwrap(), repo)),
            "{app}"
        );
        let r = Resource {
            server: dest["server"].as_str().unwrap(),
            namespace: Some(dest["namespace"].as_str().unwrap_or("any")),
            group: "",
            kind: "ConfigMap",
        };
        assert!(permits(project, &r), "{app}");
    }
}

#[test]
fn argo_cd_syncs_admission_before_namespaces_and_protects_nothing_it_prunes_by_accident() {
    let files = render("argocd");
    let apps = docs(&files, "applications.yaml");
    let wave = |name: &str| -> i64 {
        named(&apps, name)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    for ns in ["payments", "rampart-system", "shop", "shop-batch"] {
        let app = format!("prod-ns-{ns}");
        assert!(wave("prod-cluster-admission") < wave(&app), "{app}");
        assert!(wave("prod-cluster-runtime") < wave(&app), "{app}");
        let app = named(&apps, &app);
        assert_eq!(
            app["spec"]["destination"],
            json!({"server": PROD_SERVER, "namespace": ns})
        );
        assert_eq!(
            app["spec"]["syncPolicy"]["automated"],
            json!({"prune": true, "selfHeal": true})
        );
        assert_eq!(
            app["metadata"]["finalizers"],
            json!(["resources-finalizer.argocd.argoproj.io"])
        );
    }
    // The root applies gitops/ itself, from Argo CD's own cluster.
    let root = named(&apps, "prod-gitops");
    assert_eq!(root["spec"]["source"]["path"], "clusters/prod/gitops");
    assert_eq!(root["spec"]["destination"]["server"], IN_CLUSTER);
    assert!(
        root["metadata"]["finalizers"].is_null(),
        "deleting the root must not cascade"
    );
    assert!(files["kustomization.yaml"].contains("- applications.yaml\n- projects.yaml\n"));
}

#[test]
fn flux_applies_admission_then_each_namespaces_secrets_then_its_workloads() {
    let files = render("flux");
    let ks = docs(&files, "kustomizations.yaml");
    let depends = |name: &str| -> Vec<String> {
        named(&ks, name)["spec"]["dependsOn"]
            .as_array()
            .map(|d| {
                d.iter()
                    .map(|d| d["name"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    // Everything a namespace's workloads need comes before them, transitively.
    let before = |name: &str| {
        let mut seen = std::collections::BTreeSet::new();
        let mut todo = vec![name.to_string()];
        while let Some(n) = todo.pop() {
            for d in depends(&n) {
                assert_ne!(d, name, "cycle through {name}");
                if seen.insert(d.clone()) {
                    todo.push(d);
                }
            }
        }
        seen
    };
    for ns in ["payments", "rampart-system", "shop", "shop-batch"] {
        let workloads = format!("prod-ns-{ns}");
        let secrets = format!("prod-ns-{ns}-secrets");
        let all = before(&workloads);
        assert!(
            all.contains(&secrets) && all.contains("prod-cluster-admission"),
            "{all:?}"
        );
        assert_eq!(named(&ks, &secrets)["spec"]["wait"], true);
        let secret_files = &files[&format!("flux/{ns}/secrets/kustomization.yaml")];
        assert!(secret_files.contains(&format!(
            "../../../../namespaces/{ns}/external-secrets.yaml"
        )));
        assert!(secret_files.contains(&format!("../../../../namespaces/{ns}/namespace.yaml")));
        let workload_files = &files[&format!("flux/{ns}/workloads/kustomization.yaml")];
        assert!(
            workload_files.contains("workload-api.yaml")
                && !workload_files.contains("external-secrets")
        );
    }
    assert_eq!(named(&ks, "prod-cluster-admission")["spec"]["wait"], true);
    let source = docs(&files, "source.yaml");
    assert_eq!(source[0]["spec"]["secretRef"]["name"], "gitops-auth");
    assert_eq!(source[0]["spec"]["ref"]["branch"], "main");
}

#[test]
fn the_flux_tenant_role_grants_nothing_outside_its_namespace_nor_what_rampart_owns() {
    let files = render("flux");
    assert!(!files.contains_key("flux/rampart-system/workloads/tenant.yaml"));
    for ns in ["payments", "shop", "shop-batch"] {
        let tenant = docs(&files, &format!("flux/{ns}/workloads/tenant.yaml"));
        let kinds: Vec<&str> = tenant.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["ServiceAccount", "Role", "RoleBinding"]);
        for doc in &tenant {
            assert_eq!(doc["metadata"]["namespace"], ns, "{doc}");
        }
        let binding = &tenant[2];
        assert_eq!(binding["roleRef"]["kind"], "Role", "never a ClusterRole");
        assert_eq!(
            binding["subjects"],
            json!([{"kind": "ServiceAccount", "name": "flux-tenant", "namespace": ns}])
        );
        for rule in tenant[1]["rules"].as_array().unwrap() {
            assert!(rule["nonResourceURLs"].is_null(), "{rule}");
            for group in rule["apiGroups"].as_array().unwrap() {
                for resource in rule["resources"].as_array().unwrap() {
                    let (group, resource) = (group.as_str().unwrap(), resource.as_str().unwrap());
                    assert!(!group.contains('*') && !resource.contains('*'), "{rule}");
                    assert_ne!(resource, "secrets", "{rule}");
                    let owned = RAMPART_OWNED.iter().any(|(g, kind)| {
                        *g == group
                            && format!("{}s", kind.to_lowercase()).replace("policys", "policies")
                                == resource
                    });
                    assert!(!owned, "{group}/{resource}");
                    let cluster_scoped = [
                        "namespaces",
                        "clusterroles",
                        "clusterrolebindings",
                        "nodes",
                        "persistentvolumes",
                    ];
                    assert!(!cluster_scoped.contains(&resource), "{resource}");
                }
            }
        }
    }
}

#[test]
fn none_renders_nothing() {
    assert!(render("none").is_empty());
}
