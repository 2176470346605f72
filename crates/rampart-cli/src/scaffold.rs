//! Files of a new repository, and the commented request `rampart new` writes.

use rampart_render::yaml_quote;

/// `rampart.yaml` of a new repository.
pub const REPO_CONFIG: &str = include_str!("../../../examples/rampart.yaml");
/// The example request of a new repository.
pub const EXAMPLE_REQUEST: (&str, &str) = (
    "specs/shop.yaml",
    include_str!("../../../examples/shop.yaml"),
);
/// Environment values of a new repository.
pub const ENVIRONMENTS: &[(&str, &str)] = &[
    (
        "environments/dev.yaml",
        include_str!("../../../environments/dev.yaml"),
    ),
    (
        "environments/staging.yaml",
        include_str!("../../../environments/staging.yaml"),
    ),
    (
        "environments/prod.yaml",
        include_str!("../../../environments/prod.yaml"),
    ),
];

/// Value of a required label that `rampart new` was not given.
pub const PLACEHOLDER: &str = "unassigned";

/// What `rampart new` puts into a request.
pub struct NewRequest<'a> {
    /// Namespace name.
    pub name: &'a str,
    /// Owning team.
    pub team: &'a str,
    /// App names.
    pub apps: &'a [String],
    /// Governance labels.
    pub labels: &'a [(String, String)],
    /// Required labels not given: written with a placeholder value to be replaced.
    pub placeholders: &'a [String],
    /// Groups per role.
    pub admins: &'a [String],
    /// Developer groups.
    pub developers: &'a [String],
    /// Viewer groups.
    pub viewers: &'a [String],
    /// The registry prefix of the image hint (see [`image_prefix`]).
    pub registry: &'a str,
}

/// The registry prefix `new` shows in its image hint: the first one every environment
/// allows (so an image there passes every environment's admission policies), else the
/// first environment's first, else a placeholder.
pub fn image_prefix(environments: &[rampart_model::Environment]) -> String {
    let Some(first) = environments.first() else {
        return "registry.example.com/".to_owned();
    };
    let printable = |p: &&String| !p.contains(|c: char| c.is_control() || c == '#');
    first
        .allowed_registries
        .iter()
        .filter(printable)
        .find(|p| {
            environments
                .iter()
                .all(|e| e.allowed_registries.contains(p))
        })
        .or_else(|| first.allowed_registries.iter().find(printable))
        .cloned()
        .unwrap_or_else(|| "registry.example.com/".to_owned())
}

/// A valid request with comments that show what can be added. Every value is quoted, so
/// whatever the flags hold stays one scalar (validation then judges it).
pub fn new_request(r: &NewRequest) -> String {
    let list = |items: &[String]| {
        format!(
            "[{}]",
            items
                .iter()
                .map(|s| yaml_quote(s))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut out = format!(
        "# Namespace request created by `rampart new`. Edit it, then run `rampart render`.\n\
         # Reference: \"The namespace request\" in Rampart's README.\n\
         apiVersion: rampart.dev/v1alpha1\n\
         kind: NamespaceRequest\n\
         name: {}\n\
         team: {}\n\
         # description: What runs here, for people who read the cluster.\n\
         labels:                  # governance labels; rampart.yaml names the required ones\n",
        yaml_quote(r.name),
        yaml_quote(r.team)
    );
    if r.labels.is_empty() && r.placeholders.is_empty() {
        out.push_str("  {}\n");
    }
    for (key, value) in r.labels {
        out.push_str(&format!("  {}: {}\n", yaml_quote(key), yaml_quote(value)));
    }
    for key in r.placeholders {
        out.push_str(&format!(
            "  {}: {}   # required by rampart.yaml: replace with the real value\n",
            yaml_quote(key),
            yaml_quote(PLACEHOLDER)
        ));
    }
    out.push_str(&format!(
        "owners:                  # groups from your identity provider\n  admins: {}\n  developers: {}\n  viewers: {}\napps:\n",
        list(r.admins),
        list(r.developers),
        list(r.viewers)
    ));
    for app in r.apps {
        out.push_str(&format!(
            "  - name: {}\n    ports:\n      - {{name: http, port: 8080}}\n{}",
            yaml_quote(app),
            APP_HINTS.replace("{registry}", r.registry)
        ));
    }
    out.push_str(
        "# quota:                 # overrides of the environment's ResourceQuota\n\
         #   pods: \"20\"\n\
         # limits:                # container defaults (requests = limits)\n\
         #   {cpu: 500m, memory: 512Mi, ephemeralStorage: 1Gi}\n",
    );
    out
}

const APP_HINTS: &str = "    # ingress:             # who may connect (default: nobody)
    #   - fromApp: other-app
    #   - fromNamespace: ingress-nginx
    #     podLabels: {app.kubernetes.io/name: ingress-nginx}
    #     ports: [{port: http}]
    # egress:              # where it may connect (default: cluster DNS only)
    #   - toApp: other-app
    #   - toCidr: 10.0.0.0/16
    #     ports: [{port: 5432}]
    # rules:               # Kubernetes API access of its ServiceAccount; no wildcards
    #   - apiGroups: [\"\"]
    #     resources: [configmaps]
    #     verbs: [get]
    #     resourceNames: [my-config]
    # secrets:             # references into Vault/OpenBao or AWS Secrets Manager, never values
    #   - name: my-app-db
    #     backend: vault     # or aws (environments/<env>.yaml configures secretStores)
    #     remoteKey: team/my-app/db
    #     properties: [username, password]   # mounted read-only under /etc/secrets/<name>
    #     version: 1         # pinned: KV v2 version number, or the AWS VersionId
    # workload:            # a hardened Deployment, Service and PodDisruptionBudget
    #   image: {registry}<repository>@sha256:<64 hex digits>   # a registry every environment allows
";
