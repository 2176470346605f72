//! Checks of an environment's `cluster:` settings. The audit checks protect what the
//! generated policy promises: Secret bodies are never logged (checklist 4.6), RBAC changes
//! are logged in full (1.4, 6.4), exec and image changes are logged with their request
//! (6.3, 6.5).

use super::syntax::is_dns_label;
use crate::cluster::{AuditOverride, ClusterSettings, EncryptionProvider};
use crate::load::Report;
use crate::request::API_VERBS;

/// Audit levels, least to most detailed.
const LEVELS: &[&str] = &["None", "Metadata", "Request", "RequestResponse"];
const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
const RATE_LIMIT_TYPES: &[&str] = &["Server", "Namespace", "User", "SourceAndObject"];

/// Resources whose bodies hold secret material: always audited at exactly `Metadata`.
const SENSITIVE: &[(&str, &str)] = &[
    ("", "secrets"),
    ("", "configmaps"),
    ("", "serviceaccounts/token"),
    ("authentication.k8s.io", "tokenreviews"),
];
/// RBAC and admission configuration: changes audited at `RequestResponse`.
const CONTROL: &[(&str, &str)] = &[
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
    ),
];
/// Interactive access to pods and the kubelet API: audited at `Request` at least (any verb).
const INTERACTIVE: &[(&str, &str)] = &[
    ("", "pods/exec"),
    ("", "pods/attach"),
    ("", "pods/portforward"),
    ("", "pods/ephemeralcontainers"),
    ("", "nodes/proxy"),
];
/// Workloads whose writes change images: audited at `Request` at least.
const WORKLOADS: &[(&str, &str)] = &[
    ("", "pods"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

pub(crate) fn check_cluster(c: &ClusterSettings, r: &mut Report) {
    check_audit_level(&c.audit.level, r);
    for (i, o) in c.audit.overrides.iter().enumerate() {
        check_override(&format!("cluster.audit.overrides[{i}]"), o, r);
    }
    check_audit_backends(c, r);
    check_encryption(c, r);
    check_admission(c, r);
    check_runtime(c, r);
}

fn check_audit_level(level: &str, r: &mut Report) {
    let path = "cluster.audit.level";
    match level {
        "Metadata" | "Request" => {}
        "RequestResponse" => r.error(
            path,
            "`RequestResponse` records the response body of every ordinary request, beyond the checklist's Metadata or Request level (6.1)",
            "use `Metadata` (who did what to which object) or `Request` (also the request body); RBAC and admission changes are recorded with their responses already, and secrets, configmaps and tokens stay at Metadata whatever this says",
        ),
        "None" => r.error(
            path,
            "`None` turns auditing of ordinary resources off (checklist 6.1)",
            "use `Metadata` or `Request`; silence a noisy resource with an entry under `cluster.audit.overrides` instead",
        ),
        other => r.error(
            path,
            format!("unknown audit level `{other}`"),
            "use `Metadata` or `Request` (case matters)",
        ),
    }
}

fn check_override(path: &str, o: &AuditOverride, r: &mut Report) {
    let Some(rank) = LEVELS.iter().position(|l| *l == o.level) else {
        r.error(
            &format!("{path}.level"),
            format!("unknown audit level `{}`", o.level),
            "use `None`, `Metadata`, `Request` or `RequestResponse` (case matters)",
        );
        return;
    };
    for (i, verb) in o.verbs.iter().enumerate() {
        if !API_VERBS.contains(&verb.as_str()) {
            r.error(
                &format!("{path}.verbs[{i}]"),
                format!("unknown verb `{verb}`"),
                format!("use one of: {}", API_VERBS.join(", ")),
            );
        }
    }
    for (i, res) in o.resources.iter().enumerate() {
        if res.is_empty() || res.contains(char::is_whitespace) {
            r.error(
                &format!("{path}.resources[{i}]"),
                format!("`{res}` is not a resource name"),
                "write a plural resource name such as `widgets`, `widgets/status` or `*`",
            );
        }
    }
    for (i, ns) in o.namespaces.iter().enumerate() {
        if !ns.is_empty() && !is_dns_label(ns) {
            r.error(
                &format!("{path}.namespaces[{i}]"),
                format!("`{ns}` is not a namespace name"),
                "use namespace names (`\"\"` means cluster-scoped objects)",
            );
        }
    }
    let writes = o.verbs.is_empty() || o.verbs.iter().any(|v| WRITE_VERBS.contains(&v.as_str()));
    let level_path = format!("{path}.level");
    if let Some(res) = first_covered(o, SENSITIVE)
        && o.level != "Metadata"
    {
        let (what, why) = if rank > 1 {
            ("would record", "their bodies hold secret values")
        } else {
            ("would hide", "reads of secrets must stay visible")
        };
        r.error(
            &level_path,
            format!(
                "level `{}` covers `{res}` and {what} secret access: secrets, configmaps, tokenreviews and serviceaccounts/token are audited at Metadata only ({why}; checklist 4.6)",
                o.level
            ),
            format!(
                "narrow `group`/`resources` so they no longer match `{res}` (list the resources you mean instead of `*` or an empty list), or set `level: Metadata`"
            ),
        );
    }
    if writes
        && let Some(res) = first_covered(o, CONTROL)
        && o.level != "RequestResponse"
    {
        r.error(
            &level_path,
            format!(
                "level `{}` covers changes to `{res}`, which are audited at RequestResponse so RBAC and admission changes can be reviewed in full (checklist 1.4, 6.4)",
                o.level
            ),
            "narrow `resources` or `verbs` so they no longer match RBAC or admission configuration writes",
        );
    }
    if rank < 2
        && let Some(res) = first_covered(o, INTERACTIVE)
    {
        r.error(
            &level_path,
            format!(
                "level `{}` covers `{res}`, which is audited at Request so exec and attach alerts fire (checklist 6.3)",
                o.level
            ),
            "narrow `group`/`resources` so they no longer match pods/exec, pods/attach, pods/portforward, pods/ephemeralcontainers or nodes/proxy",
        );
    }
    if rank < 2
        && writes
        && let Some(res) = first_covered(o, WORKLOADS)
    {
        r.error(
            &level_path,
            format!(
                "level `{}` covers writes to `{res}`, which are audited at Request so image changes are tracked (checklist 6.5)",
                o.level
            ),
            "limit `verbs` to reads (get, list, watch) or narrow `resources`",
        );
    }
}

/// The first protected resource an override's rule would match (apiserver audit policy
/// semantics: an empty list or `*` matches every resource and subresource of the group,
/// `*/sub` every `sub` subresource, `res/*` `res` and all its subresources).
fn first_covered(o: &AuditOverride, protected: &[(&str, &'static str)]) -> Option<&'static str> {
    protected
        .iter()
        .find(|(group, target)| *group == o.group && covers(&o.resources, target))
        .map(|(_, target)| *target)
}

fn covers(resources: &[String], target: &str) -> bool {
    if resources.is_empty() {
        return true;
    }
    let (resource, sub) = match target.split_once('/') {
        Some((res, sub)) => (res, Some(sub)),
        None => (target, None),
    };
    resources.iter().any(|r| {
        r == target
            || r == "*"
            || sub.is_some_and(|s| r.strip_prefix("*/") == Some(s))
            || r.strip_suffix("/*") == Some(resource)
    })
}

fn check_audit_backends(c: &ClusterSettings, r: &mut Report) {
    let log = &c.audit.log;
    let mut paths = vec![("cluster.audit.log.path", &log.path)];
    if let Some(hook) = &c.audit.webhook {
        paths.push(("cluster.audit.webhook.server", &hook.server));
        for (field, value) in [
            ("cluster.audit.webhook.caFile", &hook.ca_file),
            ("cluster.audit.webhook.tokenFile", &hook.token_file),
            (
                "cluster.audit.webhook.clientCertificate",
                &hook.client_certificate,
            ),
            ("cluster.audit.webhook.clientKey", &hook.client_key),
        ] {
            paths.extend(value.as_ref().map(|v| (field, v)));
        }
    }
    paths.push((
        "cluster.encryption.kms.endpoint",
        &c.encryption.kms.endpoint,
    ));
    for (field, value) in paths {
        // Values become kube-apiserver flags and file references: a space or line break
        // would split one flag into two.
        if value
            .chars()
            .any(|ch| ch.is_whitespace() || ch.is_control())
        {
            r.error(
                field,
                "contains whitespace or a control character",
                "write the path or URL without spaces or line breaks",
            );
        }
    }
    if log.path != "-" && !log.path.starts_with('/') {
        r.error(
            "cluster.audit.log.path",
            format!("`{}` is not an absolute path", log.path),
            "write an absolute path on the control-plane nodes, e.g. /var/log/kubernetes/audit/audit.log",
        );
    }
    for (field, value, min, cis) in [
        ("maxAge", log.max_age, 30, "1.2.17"),
        ("maxBackup", log.max_backup, 10, "1.2.18"),
        ("maxSize", log.max_size, 100, "1.2.19"),
    ] {
        if value < min {
            r.error(
                &format!("cluster.audit.log.{field}"),
                format!("{value} is below the CIS minimum of {min} (CIS {cis})"),
                format!("set `{field}: {min}` or more"),
            );
        }
    }
    let Some(hook) = &c.audit.webhook else {
        return;
    };
    let host = hook.server.strip_prefix("https://").unwrap_or_default();
    if host.is_empty() || host.starts_with('/') || hook.server.contains(char::is_whitespace) {
        r.error(
            "cluster.audit.webhook.server",
            format!("`{}` is not an https:// URL", hook.server),
            "audit events name users and carry request bodies: send them over TLS, e.g. https://siem.example.com/k8s-audit",
        );
    }
    for (field, value) in [
        ("caFile", &hook.ca_file),
        ("tokenFile", &hook.token_file),
        ("clientCertificate", &hook.client_certificate),
        ("clientKey", &hook.client_key),
    ] {
        if let Some(v) = value
            && !v.starts_with('/')
        {
            r.error(
                &format!("cluster.audit.webhook.{field}"),
                format!("`{field}` must be an absolute path of a file on the control-plane nodes"),
                "reference the file (e.g. /etc/kubernetes/audit/siem-token); its content never goes into Git",
            );
        }
    }
    if hook.client_certificate.is_some() != hook.client_key.is_some() {
        r.error(
            "cluster.audit.webhook",
            "mutual TLS needs both `clientCertificate` and `clientKey`",
            "set both files, or neither",
        );
    }
    let b = &hook.batch;
    for (field, value) in [
        ("bufferSize", b.buffer_size),
        ("maxSize", b.max_size),
        ("throttleQps", b.throttle_qps),
        ("throttleBurst", b.throttle_burst),
    ] {
        if value == 0 {
            r.error(
                &format!("cluster.audit.webhook.batch.{field}"),
                "must be greater than 0",
                "leave the field out to use the kube-apiserver default",
            );
        }
    }
    if b.max_size > b.buffer_size {
        r.error(
            "cluster.audit.webhook.batch.maxSize",
            "a batch larger than the buffer is never filled",
            "keep `maxSize` at or below `bufferSize`",
        );
    }
    if !is_duration(&b.max_wait) {
        r.error(
            "cluster.audit.webhook.batch.maxWait",
            format!("`{}` is not a duration", b.max_wait),
            "write a Go duration such as `30s` or `1m`",
        );
    }
}

fn check_encryption(c: &ClusterSettings, r: &mut Report) {
    let e = &c.encryption;
    match e.provider {
        EncryptionProvider::Kms => {
            if !e.keys.is_empty() {
                r.error(
                    "cluster.encryption.keys",
                    "local keys are not used with `provider: kms`: the KMS plugin holds the key",
                    "remove `keys`, or choose `provider: secretbox`",
                );
            }
            if !is_dns_label(&e.kms.name) {
                r.error(
                    "cluster.encryption.kms.name",
                    format!("`{}` is not a valid provider name", e.kms.name),
                    "use lowercase letters, digits and `-`, e.g. kms-plugin",
                );
            }
            if !e.kms.endpoint.starts_with("unix:///") {
                r.error(
                    "cluster.encryption.kms.endpoint",
                    format!("`{}` is not a unix socket", e.kms.endpoint),
                    "KMS v2 plugins listen on a local socket, e.g. unix:///var/run/kmsplugin/socket.sock",
                );
            }
            if !is_duration(&e.kms.timeout) {
                r.error(
                    "cluster.encryption.kms.timeout",
                    format!("`{}` is not a duration", e.kms.timeout),
                    "write a Go duration such as `3s`",
                );
            }
        }
        EncryptionProvider::Secretbox | EncryptionProvider::Aescbc => {
            if e.keys.is_empty() {
                r.error(
                    "cluster.encryption.provider",
                    format!("`{}` needs a key", e.provider.as_str()),
                    "add `keys: [{name: key-1, env: RAMPART_ENCRYPTION_KEY_1}]`: the environment variable holds the base64 key when the file is installed",
                );
            }
        }
    }
    let mut names = Vec::new();
    for (i, key) in e.keys.iter().enumerate() {
        if !is_dns_label(&key.name) {
            r.error(
                &format!("cluster.encryption.keys[{i}].name"),
                format!("`{}` is not a valid key name", key.name),
                "use lowercase letters, digits and `-`, e.g. key-2026-01",
            );
        } else if names.contains(&key.name) {
            r.error(
                &format!("cluster.encryption.keys[{i}].name"),
                format!("duplicate key name `{}`", key.name),
                "give every key its own name",
            );
        }
        names.push(key.name.clone());
        if !is_env_name(&key.env) {
            r.error(
                &format!("cluster.encryption.keys[{i}].env"),
                "`env` must be the name of an environment variable (upper case, digits, `_`), never the key",
                "write e.g. `env: RAMPART_ENCRYPTION_KEY_1` and export the base64 key in that variable when installing the file; if a key was written here, rotate it",
            );
        }
    }
    if !e.resources.iter().any(|res| res == "secrets") {
        r.error(
            "cluster.encryption.resources",
            "`secrets` is not encrypted",
            "list `secrets` (checklist 4.1: enable encryption at rest for Secrets)",
        );
    }
    for (i, res) in e.resources.iter().enumerate() {
        if res.is_empty() || res.contains(['/', ' ']) {
            r.error(
                &format!("cluster.encryption.resources[{i}]"),
                format!("`{res}` is not a resource"),
                "write `resource` or `resource.group`, e.g. secrets",
            );
        }
    }
}

fn check_admission(c: &ClusterSettings, r: &mut Report) {
    let a = &c.admission;
    for (i, limit) in a.event_rate_limits.iter().enumerate() {
        let path = format!("cluster.admission.eventRateLimits[{i}]");
        if !RATE_LIMIT_TYPES.contains(&limit.kind.as_str()) {
            r.error(
                &format!("{path}.type"),
                format!("unknown limit type `{}`", limit.kind),
                format!("use one of: {}", RATE_LIMIT_TYPES.join(", ")),
            );
        }
        if limit.qps == 0 || limit.burst == 0 {
            r.error(
                &path,
                "`qps` and `burst` must be greater than 0",
                "a limit of 0 would reject every event",
            );
        }
        if limit.kind == "Server" && limit.cache_size.is_some() {
            r.error(
                &format!("{path}.cacheSize"),
                "a `Server` limit has one bucket and no cache",
                "remove `cacheSize`",
            );
        }
    }
    if a.event_rate_limits.is_empty() {
        r.error(
            "cluster.admission.eventRateLimits",
            "EventRateLimit needs at least one limit",
            "leave the field out to use Rampart's defaults",
        );
    }
    for (i, ns) in a.pod_security_exemptions.iter().enumerate() {
        if !is_dns_label(ns) {
            r.error(
                &format!("cluster.admission.podSecurityExemptions[{i}]"),
                format!("`{ns}` is not a namespace name"),
                "list namespace names, e.g. kube-system",
            );
        }
    }
}

fn check_runtime(c: &ClusterSettings, r: &mut Report) {
    let rt = &c.runtime;
    for (field, ns) in [
        ("falcoNamespace", &rt.falco_namespace),
        ("monitoringNamespace", &rt.monitoring_namespace),
    ] {
        if !is_dns_label(ns) {
            r.error(
                &format!("cluster.runtime.{field}"),
                format!("`{ns}` is not a namespace name"),
                "use an RFC 1123 label",
            );
        }
    }
    for (i, ns) in rt.production_namespaces.iter().enumerate() {
        if !is_dns_label(ns) {
            r.error(
                &format!("cluster.runtime.productionNamespaces[{i}]"),
                format!("`{ns}` is not a namespace name"),
                "list namespace names",
            );
        }
    }
    for (i, user) in rt.secret_readers.iter().enumerate() {
        let plain = !user.is_empty()
            && user
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":-_.@".contains(&b));
        if !plain {
            r.error(
                &format!("cluster.runtime.secretReaders[{i}]"),
                format!("`{user}` is not a user name Falco can match"),
                "write the user name as the API server reports it, e.g. system:serviceaccount:ns:name",
            );
        }
    }
}

/// A Go duration of whole units, e.g. `3s`, `1m30s`, `500ms`.
fn is_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

fn is_env_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_uppercase() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_environment;

    const BASE: &str = "apiVersion: rampart.dev/v1alpha1\nkind: Environment\nname: prod\nkubernetesVersion: \"1.34\"\n\
        podSecurity: {enforce: restricted, enforceVersion: v1.34, audit: restricted, warn: restricted}\n\
        defaults: {quota: {}, limits: {cpu: 500m, memory: 512Mi, ephemeralStorage: 1Gi}, replicas: 2}\n\
        allowedRegistries: [registry.example.com/]\ndns: {namespace: kube-system, podLabels: {k8s-app: kube-dns}}\n";

    /// Diagnostics of BASE plus `cluster` (which starts on line 9) as `line: message`.
    fn refusals(cluster: &str) -> Vec<String> {
        match parse_environment(
            "environments/prod.yaml",
            &format!("{BASE}{cluster}"),
            "prod",
        ) {
            Ok(_) => Vec::new(),
            Err(d) => {
                d.0.iter()
                    .map(|d| format!("{}: {} | {}", d.line, d.message, d.help))
                    .collect()
            }
        }
    }

    #[test]
    fn defaults_and_a_full_section_are_accepted() {
        assert_eq!(refusals(""), Vec::<String>::new());
        let full = "cluster:\n  audit:\n    level: Request\n    webhook: {server: \"https://siem.example.com/a\", tokenFile: /etc/k/t}\n    overrides:\n    - {level: None, group: example.com, resources: [widgets]}\n    - {level: Request, group: \"\", resources: [services], verbs: [update]}\n  encryption:\n    provider: secretbox\n    keys: [{name: key-2, env: KEY_2}, {name: key-1, env: KEY_1}]\n    migrating: true\n";
        assert_eq!(refusals(full), Vec::<String>::new());
    }

    #[test]
    fn levels_that_would_log_secret_bodies_are_refused_at_their_line() {
        let got = refusals("cluster:\n  audit:\n    level: RequestResponse\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("11: cluster.audit.level: `RequestResponse`"),
            "{got:?}"
        );
        assert!(got[0].contains("use `Metadata`"), "{got:?}");

        let wildcard = "cluster:\n  audit:\n    overrides:\n    - group: \"\"\n      resources: [\"*\"]\n      level: Request\n";
        let got = refusals(wildcard);
        assert!(got.iter().any(|g| g.starts_with("14: cluster.audit.overrides[0].level: level `Request` covers `secrets` and would record secret access")), "{got:?}");
        assert!(
            got.iter().any(|g| g.contains("narrow `group`/`resources`")),
            "{got:?}"
        );

        for (rule, word) in [
            (
                "{level: RequestResponse, group: authentication.k8s.io}",
                "tokenreviews",
            ),
            (
                "{level: Request, group: \"\", resources: [configmaps]}",
                "configmaps",
            ),
            (
                "{level: Request, group: \"\", resources: [\"*/token\"]}",
                "serviceaccounts/token",
            ),
            (
                "{level: None, group: \"\", resources: [secrets]}",
                "would hide",
            ),
        ] {
            let got = refusals(&format!(
                "cluster:\n  audit:\n    overrides:\n    - {rule}\n"
            ));
            assert!(
                got.iter()
                    .any(|g| g.starts_with("12: ") && g.contains(word)),
                "{rule}: {got:?}"
            );
        }
    }

    #[test]
    fn overrides_cannot_weaken_rbac_exec_or_image_auditing() {
        for (rule, word) in [
            (
                "{level: Metadata, group: rbac.authorization.k8s.io}",
                "RequestResponse",
            ),
            (
                "{level: None, group: \"\", resources: [\"pods/*\"]}",
                "pods/exec",
            ),
            (
                "{level: Metadata, group: apps, resources: [deployments], verbs: [patch]}",
                "image changes",
            ),
        ] {
            let got = refusals(&format!(
                "cluster:\n  audit:\n    overrides:\n    - {rule}\n"
            ));
            assert!(got.iter().any(|g| g.contains(word)), "{rule}: {got:?}");
        }
        // Admission configuration introduced after the first list, and `kubectl debug`: each
        // override hiding one is refused at its own line.
        for (rule, word) in [
            (
                "{level: Metadata, group: admissionregistration.k8s.io, resources: [mutatingadmissionpolicies]}",
                "`mutatingadmissionpolicies`",
            ),
            (
                "{level: None, group: admissionregistration.k8s.io, resources: [mutatingadmissionpolicybindings], verbs: [update]}",
                "`mutatingadmissionpolicybindings`",
            ),
            (
                "{level: Metadata, group: \"\", resources: [pods/ephemeralcontainers]}",
                "`pods/ephemeralcontainers`",
            ),
        ] {
            let got = refusals(&format!(
                "cluster:\n  audit:\n    overrides:\n    - {rule}\n"
            ));
            assert!(
                got.iter()
                    .any(|g| g.starts_with("12: cluster.audit.overrides[0].level: ")
                        && g.contains(word)),
                "{rule}: {got:?}"
            );
        }
        // Reads only: image changes stay audited.
        let reads = "cluster:\n  audit:\n    overrides:\n    - {level: None, group: apps, resources: [replicasets], verbs: [get, list, watch]}\n";
        assert_eq!(refusals(reads), Vec::<String>::new());
    }

    #[test]
    fn keys_by_reference_only_and_backends_checked() {
        let got = refusals(
            "cluster:\n  encryption:\n    provider: secretbox\n    keys:\n    - name: key-1\n      env: c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcyE=\n",
        );
        assert!(
            got.iter()
                .any(|g| g.starts_with("14: cluster.encryption.keys[0].env")
                    && g.contains("never the key")),
            "{got:?}"
        );
        assert!(
            !got.iter().any(|g| g.contains("c2VjcmV0")),
            "the value must not be echoed: {got:?}"
        );
        let got = refusals("cluster:\n  encryption:\n    provider: aescbc\n");
        assert!(got.iter().any(|g| g.contains("needs a key")), "{got:?}");
        let got = refusals("cluster:\n  encryption:\n    keys: [{name: k, env: K}]\n");
        assert!(
            got.iter().any(|g| g.contains("KMS plugin holds the key")),
            "{got:?}"
        );
        let got = refusals(
            "cluster:\n  audit:\n    log: {maxAge: 7}\n    webhook: {server: \"http://siem\"}\n",
        );
        assert!(got.iter().any(|g| g.contains("CIS 1.2.17")), "{got:?}");
        assert!(
            got.iter().any(|g| g.contains("not an https:// URL")),
            "{got:?}"
        );
        let got = refusals(
            "cluster:\n  audit:\n    log: {path: \"/var/log/a.log --authorization-mode=AlwaysAllow\"}\n",
        );
        assert!(got.iter().any(|g| g.contains("whitespace")), "{got:?}");
    }

    fn rule(group: &str, resources: &[&str]) -> AuditOverride {
        AuditOverride {
            level: "Request".to_string(),
            group: group.to_string(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            verbs: Vec::new(),
            namespaces: Vec::new(),
        }
    }

    #[test]
    fn coverage_follows_the_apiserver_matching_rules() {
        assert_eq!(first_covered(&rule("", &[]), SENSITIVE), Some("secrets"));
        assert_eq!(first_covered(&rule("", &["*"]), SENSITIVE), Some("secrets"));
        assert_eq!(
            first_covered(&rule("", &["*/token"]), SENSITIVE),
            Some("serviceaccounts/token")
        );
        assert_eq!(
            first_covered(&rule("", &["serviceaccounts/*"]), SENSITIVE),
            Some("serviceaccounts/token")
        );
        assert_eq!(
            first_covered(&rule("", &["serviceaccounts"]), SENSITIVE),
            None
        );
        assert_eq!(
            first_covered(&rule("", &["secrets/*"]), SENSITIVE),
            Some("secrets")
        );
        assert_eq!(first_covered(&rule("apps", &[]), SENSITIVE), None);
        assert_eq!(
            first_covered(&rule("authentication.k8s.io", &[]), SENSITIVE),
            Some("tokenreviews")
        );
        assert_eq!(first_covered(&rule("", &["pods"]), INTERACTIVE), None);
        assert_eq!(
            first_covered(&rule("", &["pods/*"]), INTERACTIVE),
            Some("pods/exec")
        );
    }

    #[test]
    fn durations_and_env_names() {
        for ok in ["3s", "30s", "1m30s", "500ms", "1h"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "3", "s", "3 s", "1.5s", "3d"] {
            assert!(!is_duration(bad), "{bad}");
        }
        assert!(is_env_name("RAMPART_ENCRYPTION_KEY_1"));
        assert!(!is_env_name("c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcyE="));
        assert!(!is_env_name("lower"));
    }
}
