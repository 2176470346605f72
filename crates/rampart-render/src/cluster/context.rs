//! The view model of the cluster blueprint: an environment's `cluster:` settings turned
//! into plain data, including the kube-apiserver flags that the flags file and the kubeadm
//! patch both list.

use rampart_model::Environment;
use rampart_model::cluster::{ClusterSettings, EncryptionProvider};
use rampart_model::environment::Cni;
use serde_json::{Value, json};

/// Where the generated control-plane files live on the nodes.
pub const CONFIG_DIR: &str = "/etc/kubernetes/rampart";
/// Directory kubeadm already mounts read-only into kube-apiserver (its certificates).
pub const KUBEADM_PKI_DIR: &str = "/etc/kubernetes/pki";
/// Admission plugins enabled on top of kube-apiserver's defaults (CIS 1.2.9–1.2.14).
pub const ADMISSION_PLUGINS: &[&str] = &[
    "NodeRestriction",
    "EventRateLimit",
    "AlwaysPullImages",
    "PodSecurity",
    "ValidatingAdmissionPolicy",
];
/// Namespaces of the platform itself, never "production" for the image-change alert.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];
/// Credential files watched by the Tetragon policy.
const SENSITIVE_READ_PATHS: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/pam.conf",
    "/etc/pam.d/",
    "/etc/security/",
    "/root/.ssh/",
    "/etc/kubernetes/pki/",
    "/var/lib/kubelet/pki/",
];
/// System directories whose modification the Tetragon policy reports.
const PROTECTED_WRITE_PATHS: &[&str] = &[
    "/etc/",
    "/bin/",
    "/sbin/",
    "/usr/bin/",
    "/usr/sbin/",
    "/usr/lib/",
    "/lib/",
    "/boot/",
];

/// The Hubble metric the Cilium alerts read: `hubble_drop_total` labelled with the source
/// and destination namespace (a reserved identity such as `reserved:world` outside any
/// namespace) and the traffic direction, so the series are bounded by namespaces squared,
/// never by pods or IPs.
pub const HUBBLE_DROP_METRIC: &str = "drop:sourceContext=namespace|reserved-identity;destinationContext=namespace|reserved-identity;labelsContext=traffic_direction";
/// Where each Cilium agent writes the dropped flows: `/var/run/cilium` is the agent's
/// host mount, so a log shipper on the node can read the file.
pub const HUBBLE_DROPPED_FLOWS_FILE: &str = "/var/run/cilium/hubble/dropped-flows.log";
/// Flow fields kept in the export: who, to whom, where, why; no labels or L7 payloads.
const HUBBLE_EXPORT_FIELDS: &[&str] = &[
    "time",
    "node_name",
    "verdict",
    "drop_reason_desc",
    "traffic_direction",
    "IP",
    "l4",
    "source.namespace",
    "source.pod_name",
    "destination.namespace",
    "destination.pod_name",
    "is_reply",
];

/// Node paths of the generated files.
pub(crate) struct NodePaths {
    pub audit_policy: String,
    pub webhook_kubeconfig: String,
    pub encryption_config: String,
    pub admission_config: String,
    pub event_rate_limit_config: String,
}

impl NodePaths {
    pub(crate) fn new() -> Self {
        let at = |file: &str| format!("{CONFIG_DIR}/{file}");
        NodePaths {
            audit_policy: at("audit-policy.yaml"),
            webhook_kubeconfig: at("audit-webhook-kubeconfig.yaml"),
            encryption_config: at("encryption-config.yaml"),
            admission_config: at("admission-config.yaml"),
            event_rate_limit_config: at("eventratelimit-config.yaml"),
        }
    }
}

/// The placeholder written instead of a local key: the install step substitutes it.
pub fn key_placeholder(env_var: &str) -> String {
    format!("${{{env_var}}}")
}

/// Builds the data every cluster template renders with.
pub(crate) fn cluster_context(env: &Environment) -> Value {
    let c = &env.cluster;
    let paths = NodePaths::new();
    let log_dir = parent_dir(&c.audit.log.path);
    let webhook = c.audit.webhook.as_ref().map(|w| {
        json!({
            "server": w.server,
            "caFile": w.ca_file,
            "tokenFile": w.token_file,
            "clientCertificate": w.client_certificate,
            "clientKey": w.client_key,
            "credentials": w.token_file.is_some() || w.client_certificate.is_some(),
            "batch": w.batch,
        })
    });
    let overrides: Vec<Value> = c
        .audit
        .overrides
        .iter()
        .map(|o| {
            let mut resources = json!({"group": o.group});
            if !o.resources.is_empty() {
                resources["resources"] = json!(o.resources);
            }
            let mut rule = json!({"level": o.level, "resources": [resources]});
            if !o.verbs.is_empty() {
                rule["verbs"] = json!(o.verbs);
            }
            if !o.namespaces.is_empty() {
                rule["namespaces"] = json!(o.namespaces);
            }
            rule
        })
        .collect();
    let e = &c.encryption;
    let keys: Vec<Value> = e
        .keys
        .iter()
        .map(|k| json!({"name": k.name, "env": k.env, "placeholder": key_placeholder(&k.env)}))
        .collect();
    let kms = (e.provider == EncryptionProvider::Kms)
        .then(|| json!({"name": e.kms.name, "endpoint": e.kms.endpoint, "timeout": e.kms.timeout}));
    let mut volumes = vec![
        json!({"name": "rampart-config", "hostPath": CONFIG_DIR, "mountPath": CONFIG_DIR, "readOnly": true, "pathType": "DirectoryOrCreate"}),
    ];
    if let Some(dir) = &log_dir {
        volumes.push(json!({"name": "rampart-audit-log", "hostPath": dir, "mountPath": dir, "readOnly": false, "pathType": "DirectoryOrCreate"}));
    }
    if e.provider == EncryptionProvider::Kms
        && let Some(dir) = e.kms.endpoint.strip_prefix("unix://").and_then(parent_dir)
    {
        volumes.push(json!({"name": "rampart-kms-socket", "hostPath": dir, "mountPath": dir, "readOnly": false, "pathType": "DirectoryOrCreate"}));
    }
    let webhook_dirs = webhook_credential_dirs(c, &volumes);
    for (i, dir) in webhook_dirs.iter().enumerate() {
        let name = match i {
            0 => "rampart-audit-webhook-credentials".to_string(),
            n => format!("rampart-audit-webhook-credentials-{}", n + 1),
        };
        volumes.push(json!({"name": name, "hostPath": dir, "mountPath": dir, "readOnly": true, "pathType": "Directory"}));
    }
    let mut system_namespaces: Vec<String> =
        SYSTEM_NAMESPACES.iter().map(|s| s.to_string()).collect();
    for ns in [&c.runtime.falco_namespace, &c.runtime.monitoring_namespace] {
        if !system_namespaces.contains(ns) {
            system_namespaces.push(ns.clone());
        }
    }
    let cni = env.network_policy.cni;
    json!({
        "networkPolicy": {
            "cni": cni,
            "alerts": cni != Cni::None,
            "cilium": cni == Cni::Cilium,
            "calico": cni == Cni::Calico,
            "hubble": {
                "metrics": [HUBBLE_DROP_METRIC],
                "flowsFile": HUBBLE_DROPPED_FLOWS_FILE,
                // Hubble's FlowFilter as JSON, one filter per entry: every dropped flow.
                "allowList": [json!({"verdict": ["DROPPED"]}).to_string()],
                "fieldMask": HUBBLE_EXPORT_FIELDS,
            },
        },
        "environment": {
            "name": env.name,
            "kubernetesVersion": env.kubernetes_version,
            "podSecurity": env.pod_security,
        },
        "paths": {
            "configDir": CONFIG_DIR,
            "auditLogDir": log_dir,
            "auditPolicy": paths.audit_policy,
            "webhookKubeconfig": paths.webhook_kubeconfig,
            "encryptionConfig": paths.encryption_config,
            "admissionConfig": paths.admission_config,
            "eventRateLimitConfig": paths.event_rate_limit_config,
            "webhookCredentialDirs": webhook_dirs,
        },
        "audit": {
            "level": c.audit.level,
            "log": c.audit.log,
            "webhook": webhook,
            "overrides": overrides,
        },
        "encryption": {
            "provider": e.provider.as_str(),
            "resources": e.resources,
            "resourceList": e.resources.join(", "),
            "kms": kms,
            "secretbox": e.provider == EncryptionProvider::Secretbox,
            "aescbc": e.provider == EncryptionProvider::Aescbc,
            "keys": keys,
            "migrating": e.migrating,
        },
        "admission": {
            "eventRateLimits": c.admission.event_rate_limits,
            "podSecurityExemptions": c.pod_security_exempt_namespaces(),
        },
        "runtime": {
            "productionNamespaces": c.runtime.production_namespaces,
            "systemNamespaces": system_namespaces,
            "secretReaders": c.runtime.secret_readers,
            "falcoNamespace": c.runtime.falco_namespace,
            "monitoringNamespace": c.runtime.monitoring_namespace,
            "sensitiveReadPaths": SENSITIVE_READ_PATHS,
            "protectedWritePaths": PROTECTED_WRITE_PATHS,
        },
        "apiserverFlags": apiserver_flags(c, &paths)
            .into_iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect::<Vec<_>>(),
        "extraVolumes": volumes,
    })
}

/// kube-apiserver flags for the settings, in a fixed order.
pub(crate) fn apiserver_flags(
    c: &ClusterSettings,
    paths: &NodePaths,
) -> Vec<(&'static str, String)> {
    let log = &c.audit.log;
    let mut flags = vec![
        ("enable-admission-plugins", ADMISSION_PLUGINS.join(",")),
        (
            "admission-control-config-file",
            paths.admission_config.clone(),
        ),
        ("audit-policy-file", paths.audit_policy.clone()),
        ("audit-log-path", log.path.clone()),
        ("audit-log-format", "json".to_string()),
        ("audit-log-maxage", log.max_age.to_string()),
        ("audit-log-maxbackup", log.max_backup.to_string()),
        ("audit-log-maxsize", log.max_size.to_string()),
    ];
    if let Some(w) = &c.audit.webhook {
        let b = &w.batch;
        flags.extend([
            (
                "audit-webhook-config-file",
                paths.webhook_kubeconfig.clone(),
            ),
            ("audit-webhook-mode", "batch".to_string()),
            ("audit-webhook-batch-buffer-size", b.buffer_size.to_string()),
            ("audit-webhook-batch-max-size", b.max_size.to_string()),
            ("audit-webhook-batch-max-wait", b.max_wait.clone()),
            ("audit-webhook-batch-throttle-enable", "true".to_string()),
            (
                "audit-webhook-batch-throttle-qps",
                b.throttle_qps.to_string(),
            ),
            (
                "audit-webhook-batch-throttle-burst",
                b.throttle_burst.to_string(),
            ),
            ("audit-webhook-truncate-enabled", "true".to_string()),
        ]);
    }
    flags.extend([
        (
            "encryption-provider-config",
            paths.encryption_config.clone(),
        ),
        (
            "encryption-provider-config-automatic-reload",
            "true".to_string(),
        ),
    ]);
    flags
}

/// The directory of an absolute file path (`None` for `-`, stdout).
/// Directories of the audit webhook's credential files (token, client certificate and key,
/// CA) that kube-apiserver would not see otherwise: each file's parent directory, unless it
/// lies under a directory `volumes` already mounts, under kubeadm's own
/// [`KUBEADM_PKI_DIR`] or under another of them. Sorted.
fn webhook_credential_dirs(c: &ClusterSettings, volumes: &[Value]) -> Vec<String> {
    let Some(hook) = &c.audit.webhook else {
        return Vec::new();
    };
    let under = |dir: &str, root: &str| dir == root || dir.starts_with(&format!("{root}/"));
    let mounted: Vec<&str> = volumes
        .iter()
        .filter_map(|v| v["mountPath"].as_str())
        .chain([KUBEADM_PKI_DIR])
        .collect();
    let dirs: std::collections::BTreeSet<String> = [
        &hook.token_file,
        &hook.client_certificate,
        &hook.client_key,
        &hook.ca_file,
    ]
    .into_iter()
    .flatten()
    .filter_map(|file| parent_dir(file))
    .filter(|dir| !mounted.iter().any(|root| under(dir, root)))
    .collect();
    // Sorted, a directory comes before the ones under it: keep only the outermost.
    let mut outermost: Vec<String> = Vec::new();
    for dir in dirs {
        if !outermost.iter().any(|root| under(&dir, root)) {
            outermost.push(dir);
        }
    }
    outermost
}

fn parent_dir(path: &str) -> Option<String> {
    let (dir, _) = path.rsplit_once('/')?;
    (!dir.is_empty()).then(|| dir.to_string())
}
