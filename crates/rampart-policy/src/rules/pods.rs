//! Section 3 (Pod Security), 1.3 (service accounts), 4.4 (secrets in env vars) and
//! 5.3–5.5 (images, limits, privileged) for Pods and everything with a pod template.

use rampart_yaml::edit::Patch;
use serde_json::{Value, json};

use super::{
    CONTAINER_APPARMOR, CONTAINER_CAPABILITIES, CONTAINER_ESCALATION, CONTAINER_LIMITS,
    CONTAINER_PRIVILEGED, CONTAINER_PROC_MOUNT, CONTAINER_READONLY_ROOT, CONTAINER_ROOT,
    CONTAINER_ROOT_USER, CONTAINER_SECCOMP, CONTAINER_SECRET_ENV, CONTAINER_SELINUX, IMAGE_DIGEST,
    IMAGE_REGISTRY, POD_DEFAULT_SA, POD_HOST_NAMESPACE, POD_HOST_PATH, POD_HOST_PORT,
    POD_SHARED_SA, POD_UNSAFE_SYSCTLS, POD_VOLUME_TYPE,
};
use crate::Options;
use crate::facts::{AccountUse, Index};
use crate::finding::Finding;
use crate::object::{Object, Subject, is_true, items, strings};

/// The only capability a restricted container may add.
const ALLOWED_ADD: &str = "NET_BIND_SERVICE";

/// Sysctls the restricted Pod Security Standard allows.
const SAFE_SYSCTLS: [&str; 10] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Volume types the restricted Pod Security Standard allows (hostPath has its own rule).
const ALLOWED_VOLUMES: [&str; 10] = [
    "configMap",
    "downwardAPI",
    "emptyDir",
    "projected",
    "secret",
    "csi",
    "persistentVolumeClaim",
    "ephemeral",
    "image",
    "hostPath",
];

/// SELinux types a restricted container may use.
const SELINUX_TYPES: [&str; 3] = ["container_t", "container_init_t", "container_kvm_t"];

/// Pod annotation prefix of the (deprecated) per-container AppArmor profile.
const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

const NAME_LABEL: &str = "app.kubernetes.io/name";

/// A pod spec inside an object, with the field paths that lead to it.
pub(crate) struct PodTemplate<'a> {
    /// Path of the pod spec, e.g. `spec.template.spec`.
    pub spec_path: &'static str,
    /// The pod spec.
    pub spec: &'a Value,
    /// Path of the pod's metadata, e.g. `spec.template.metadata`.
    pub meta_path: &'static str,
    /// The pod's metadata, if present.
    pub meta: Option<&'a Value>,
}

/// The pod spec of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
/// ReplicationController, Job or CronJob.
pub(crate) fn pod_template<'a>(obj: &Object<'a>) -> Option<PodTemplate<'a>> {
    // (field path, JSON pointer) of the pod spec and of the pod's metadata.
    let ((spec_path, spec_pointer), (meta_path, meta_pointer)) = match obj.kind {
        "Pod" => (("spec", "/spec"), ("metadata", "/metadata")),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => (
            ("spec.template.spec", "/spec/template/spec"),
            ("spec.template.metadata", "/spec/template/metadata"),
        ),
        "CronJob" => (
            (
                "spec.jobTemplate.spec.template.spec",
                "/spec/jobTemplate/spec/template/spec",
            ),
            (
                "spec.jobTemplate.spec.template.metadata",
                "/spec/jobTemplate/spec/template/metadata",
            ),
        ),
        _ => return None,
    };
    Some(PodTemplate {
        spec_path,
        spec: obj.value().pointer(spec_pointer)?,
        meta_path,
        meta: obj.value().pointer(meta_pointer),
    })
}

/// Checks the pod spec of workloads and its containers.
pub(crate) fn check(obj: &Object<'_>, options: &Options, out: &mut Vec<Finding>) {
    let Some(pod) = pod_template(obj) else {
        return;
    };
    check_pod(obj, &pod, out);
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, container) in items(pod.spec.get(field)).iter().enumerate() {
            let path = format!("{}.{field}[{i}]", pod.spec_path);
            let c = Container {
                path: &path,
                value: container,
                ephemeral: field == "ephemeralContainers",
            };
            check_container(obj, &pod, &c, options, out);
        }
    }
}

fn check_pod(obj: &Object<'_>, pod: &PodTemplate<'_>, out: &mut Vec<Finding>) {
    let sa = ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|f| pod.spec.get(*f).and_then(Value::as_str))
        .filter(|s| !s.is_empty());
    if sa.is_none_or(|s| s == "default") {
        out.push(obj.finding(
            &POD_DEFAULT_SA,
            &format!("{}.serviceAccountName", pod.spec_path),
            "the pod runs as the namespace's `default` ServiceAccount",
            "create a ServiceAccount for this application and set serviceAccountName",
        ));
    }
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(pod.spec.get(field)) {
            out.push(obj.finding(
                &POD_HOST_NAMESPACE,
                &format!("{}.{field}", pod.spec_path),
                "shares a host namespace with the node",
                &format!("remove {field} (the restricted Pod Security Standard forbids it)"),
            ));
        }
    }
    for (i, volume) in items(pod.spec.get("volumes")).iter().enumerate() {
        if volume.get("hostPath").is_some() {
            out.push(obj.finding(
                &POD_HOST_PATH,
                &format!("{}.volumes[{i}].hostPath", pod.spec_path),
                "mounts a directory of the node",
                "use an emptyDir, a ConfigMap or a PersistentVolumeClaim instead",
            ));
        }
        let kind = volume
            .as_object()
            .and_then(|m| m.keys().find(|k| k.as_str() != "name"));
        if let Some(kind) = kind.filter(|k| !ALLOWED_VOLUMES.contains(&k.as_str())) {
            out.push(obj.finding(
                &POD_VOLUME_TYPE,
                &format!("{}.volumes[{i}].{kind}", pod.spec_path),
                &format!(
                    "`{kind}` volumes are not allowed by the restricted Pod Security Standard"
                ),
                "use a persistentVolumeClaim, csi, configMap, secret, projected or emptyDir volume",
            ));
        }
    }
    let sc = pod.spec.get("securityContext");
    let sc_path = format!("{}.securityContext", pod.spec_path);
    for (i, sysctl) in items(sc.and_then(|sc| sc.get("sysctls")))
        .iter()
        .enumerate()
    {
        let name = sysctl.get("name").and_then(Value::as_str).unwrap_or("");
        if !SAFE_SYSCTLS.contains(&name) {
            out.push(obj.finding(
                &POD_UNSAFE_SYSCTLS,
                &format!("{sc_path}.sysctls[{i}].name"),
                &format!("sets sysctl `{name}`, which is outside the safe set"),
                "remove it, or use one of the safe sysctls of the restricted Pod Security Standard",
            ));
        }
    }
    check_run_as_user(obj, sc, &sc_path, out);
    check_selinux(obj, sc, &sc_path, out);
    check_apparmor(obj, sc, &sc_path, out);
    let annotations = pod
        .meta
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object);
    for (key, value) in annotations.into_iter().flatten() {
        if key.starts_with(APPARMOR_ANNOTATION) && value.as_str() == Some("unconfined") {
            out.push(obj.finding(
                &CONTAINER_APPARMOR,
                &format!("{}.annotations.\"{key}\"", pod.meta_path),
                "is `unconfined` (AppArmor is disabled for the container)",
                "remove the annotation, or set `appArmorProfile: {type: RuntimeDefault}`",
            ));
        }
    }
}

/// runAsUser 0 in a (pod or container) securityContext at `path`.
fn check_run_as_user(obj: &Object<'_>, sc: Option<&Value>, path: &str, out: &mut Vec<Finding>) {
    if sc
        .and_then(|sc| sc.get("runAsUser"))
        .and_then(Value::as_i64)
        == Some(0)
    {
        out.push(obj.finding(
            &CONTAINER_ROOT_USER,
            &format!("{path}.runAsUser"),
            "is 0, so the container runs as root",
            "set a non-zero runAsUser (e.g. 10001) and `runAsNonRoot: true`",
        ));
    }
}

/// seLinuxOptions of a (pod or container) securityContext at `path`.
fn check_selinux(obj: &Object<'_>, sc: Option<&Value>, path: &str, out: &mut Vec<Finding>) {
    let Some(options) = sc.and_then(|sc| sc.get("seLinuxOptions")) else {
        return;
    };
    let text = |f: &str| {
        options
            .get(f)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(t) = text("type").filter(|t| !SELINUX_TYPES.contains(t)) {
        out.push(obj.finding(
            &CONTAINER_SELINUX,
            &format!("{path}.seLinuxOptions.type"),
            &format!("is `{t}`, not one of {}", SELINUX_TYPES.join(", ")),
            "remove the type, or use container_t, container_init_t or container_kvm_t",
        ));
    }
    for field in ["user", "role"] {
        if let Some(v) = text(field) {
            out.push(obj.finding(
                &CONTAINER_SELINUX,
                &format!("{path}.seLinuxOptions.{field}"),
                &format!("sets the SELinux {field} `{v}`"),
                &format!("remove seLinuxOptions.{field}"),
            ));
        }
    }
}

/// appArmorProfile of a (pod or container) securityContext at `path`.
fn check_apparmor(obj: &Object<'_>, sc: Option<&Value>, path: &str, out: &mut Vec<Finding>) {
    let profile = sc
        .and_then(|sc| sc.get("appArmorProfile"))
        .and_then(|p| p.get("type"))
        .and_then(Value::as_str);
    if let Some(t) = profile.filter(|t| !matches!(*t, "RuntimeDefault" | "Localhost")) {
        out.push(obj.finding(
            &CONTAINER_APPARMOR,
            &format!("{path}.appArmorProfile.type"),
            &format!("is `{t}` (AppArmor does not confine the container)"),
            "set `appArmorProfile: {type: RuntimeDefault}` or remove it",
        ));
    }
}

struct Container<'a> {
    path: &'a str,
    value: &'a Value,
    ephemeral: bool,
}

/// The container's security-context field, else the pod's (for inherited fields).
fn inherited<'a>(pod: &PodTemplate<'a>, c: &Container<'a>, field: &str) -> Option<&'a Value> {
    c.value
        .get("securityContext")
        .and_then(|sc| sc.get(field))
        .or_else(|| pod.spec.get("securityContext").and_then(|sc| sc.get(field)))
}

fn seccomp_type(profile: Option<&Value>) -> Option<&Value> {
    profile.and_then(|s| s.get("type"))
}

fn pod_field<'a>(pod: &PodTemplate<'a>, field: &str) -> Option<&'a Value> {
    pod.spec.get("securityContext").and_then(|sc| sc.get(field))
}

/// Describes an inherited field's effective value: the container's, else the pod's.
fn describe(container: Option<&Value>, pod: Option<&Value>, consequence: &str) -> String {
    let show = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    match (container.map(show), pod.map(show)) {
        (Some(v), _) => format!("is `{v}` ({consequence})"),
        (None, Some(v)) => {
            format!("is unset and the pod's securityContext has `{v}` ({consequence})")
        }
        (None, None) => format!("is unset here and in the pod's securityContext ({consequence})"),
    }
}

fn check_container(
    obj: &Object<'_>,
    pod: &PodTemplate<'_>,
    c: &Container<'_>,
    options: &Options,
    out: &mut Vec<Finding>,
) {
    let p = c.path;
    let sc = c.value.get("securityContext");
    let field = |name: &str| sc.and_then(|sc| sc.get(name));
    if is_true(field("privileged")) {
        out.push(obj.finding(
            &CONTAINER_PRIVILEGED,
            &format!("{p}.securityContext.privileged"),
            "the container is privileged (full access to the node)",
            "remove `privileged: true`; add only the capability the container needs",
        ));
    }
    let caps = field("capabilities");
    let adds_sys_admin = strings(caps.and_then(|c| c.get("add"))).iter().any(|cap| {
        cap.strip_prefix("CAP_")
            .unwrap_or(cap)
            .eq_ignore_ascii_case("SYS_ADMIN")
    });
    if field("allowPrivilegeEscalation").and_then(Value::as_bool) != Some(false) {
        let path = format!("{p}.securityContext.allowPrivilegeEscalation");
        let finding = obj.finding(
            &CONTAINER_ESCALATION,
            &path,
            "is not false (setuid binaries can gain privileges)",
            "set `allowPrivilegeEscalation: false`",
        );
        // The API server rejects `false` beside `privileged: true` or CAP_SYS_ADMIN.
        out.push(if is_true(field("privileged")) || adds_sys_admin {
            finding
        } else {
            finding.with_autofix(Patch::at(&path, Patch::Scalar(json!(false))))
        });
    }
    if !is_true(inherited(pod, c, "runAsNonRoot")) {
        let path = format!("{p}.securityContext.runAsNonRoot");
        let finding = obj.finding(
            &CONTAINER_ROOT,
            &path,
            &describe(field("runAsNonRoot"), pod_field(pod, "runAsNonRoot"), "the container may run as root"),
            "set `runAsNonRoot: true` (and a non-zero runAsUser) in the pod or container securityContext",
        );
        // With `runAsUser: 0` the pod would not start: which user is a decision.
        let root_user = inherited(pod, c, "runAsUser").and_then(Value::as_i64) == Some(0);
        out.push(if root_user {
            finding
        } else {
            finding.with_autofix(Patch::at(&path, Patch::Scalar(json!(true))))
        });
    }
    let drop = strings(caps.and_then(|c| c.get("drop")));
    let drop_is_list = caps.and_then(|c| c.get("drop")).is_none_or(Value::is_array);
    if !drop.iter().any(|d| d.eq_ignore_ascii_case("ALL")) {
        let path = format!("{p}.securityContext.capabilities.drop");
        let finding = obj.finding(
            &CONTAINER_CAPABILITIES,
            &path,
            "does not drop ALL capabilities",
            "set `capabilities: {drop: [ALL]}` and add back only NET_BIND_SERVICE if needed",
        );
        out.push(if drop_is_list {
            finding.with_autofix(Patch::at(&path, Patch::append(json!("ALL"))))
        } else {
            finding
        });
    }
    for (j, cap) in strings(caps.and_then(|c| c.get("add")))
        .into_iter()
        .enumerate()
    {
        let bare = cap.strip_prefix("CAP_").unwrap_or(cap);
        if !bare.eq_ignore_ascii_case(ALLOWED_ADD) {
            out.push(obj.finding(
                &CONTAINER_CAPABILITIES,
                &format!("{p}.securityContext.capabilities.add[{j}]"),
                &format!("adds capability `{cap}`"),
                "remove it; only NET_BIND_SERVICE may be added",
            ));
        }
    }
    let seccomp = seccomp_type(inherited(pod, c, "seccompProfile")).and_then(Value::as_str);
    if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
        let path = format!("{p}.securityContext.seccompProfile.type");
        let fix = Patch::at(&path, Patch::Scalar(json!("RuntimeDefault")));
        out.push(
            obj.finding(
                &CONTAINER_SECCOMP,
                &path,
                &describe(
                    seccomp_type(field("seccompProfile")),
                    seccomp_type(pod_field(pod, "seccompProfile")),
                    "system calls are not filtered",
                ),
                "set `seccompProfile: {type: RuntimeDefault}` in the pod securityContext",
            )
            .with_autofix(fix),
        );
    }
    if let Some(mount) = field("procMount").and_then(Value::as_str)
        && mount != "Default"
    {
        out.push(obj.finding(
            &CONTAINER_PROC_MOUNT,
            &format!("{p}.securityContext.procMount"),
            &format!("is `{mount}` (the container sees the host's unmasked /proc)"),
            "remove procMount or set it to `Default`",
        ));
    }
    let sc_path = format!("{p}.securityContext");
    check_run_as_user(obj, sc, &sc_path, out);
    check_selinux(obj, sc, &sc_path, out);
    check_apparmor(obj, sc, &sc_path, out);
    for (j, port) in items(c.value.get("ports")).iter().enumerate() {
        let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
        if host_port != 0 {
            out.push(obj.finding(
                &POD_HOST_PORT,
                &format!("{p}.ports[{j}].hostPort"),
                &format!("binds port {host_port} of the node"),
                "remove hostPort and expose the container through a Service",
            ));
        }
    }
    if !is_true(field("readOnlyRootFilesystem")) {
        let path = format!("{p}.securityContext.readOnlyRootFilesystem");
        let finding = obj.finding(
            &CONTAINER_READONLY_ROOT,
            &path,
            "is not true (the container can modify its own file system)",
            "set `readOnlyRootFilesystem: true` and mount an emptyDir where it must write",
        );
        out.push(match read_only_root_fix(pod, c, &path) {
            Some(fix) => finding.with_autofix(fix),
            None => finding,
        });
    }
    if !c.ephemeral {
        let limits = c.value.pointer("/resources/limits");
        let missing: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|r| limits.and_then(|l| l.get(*r)).is_none())
            .collect();
        if !missing.is_empty() {
            out.push(obj.finding(
                &CONTAINER_LIMITS,
                &format!("{p}.resources.limits"),
                &format!("no {} limit", missing.join(" or ")),
                "set resources.limits.cpu and resources.limits.memory",
            ));
        }
    }
    for (j, env) in items(c.value.get("env")).iter().enumerate() {
        if env.pointer("/valueFrom/secretKeyRef").is_some() {
            out.push(obj.finding(
                &CONTAINER_SECRET_ENV,
                &format!("{p}.env[{j}].valueFrom.secretKeyRef"),
                "puts a Secret into an environment variable (visible to child processes, crash dumps and logs)",
                "mount the Secret as a read-only volume instead",
            ));
        }
    }
    for (j, env) in items(c.value.get("envFrom")).iter().enumerate() {
        if env.get("secretRef").is_some() {
            out.push(obj.finding(
                &CONTAINER_SECRET_ENV,
                &format!("{p}.envFrom[{j}].secretRef"),
                "puts every key of a Secret into environment variables",
                "mount the Secret as a read-only volume instead",
            ));
        }
    }
    if let Some(image) = c.value.get("image").and_then(Value::as_str) {
        check_image(obj, p, image, options, out);
    }
}

/// Name of the emptyDir volume `--fix` mounts at /tmp.
const TMP_VOLUME: &str = "tmp";

/// `readOnlyRootFilesystem: true`, and an emptyDir at /tmp unless something is mounted
/// there; `None` when a volume named [`TMP_VOLUME`] exists that is not an emptyDir.
fn read_only_root_fix(pod: &PodTemplate<'_>, c: &Container<'_>, path: &str) -> Option<Patch> {
    let mut fix = Patch::at(path, Patch::Scalar(json!(true)));
    let mounts_tmp = items(c.value.get("volumeMounts"))
        .iter()
        .any(|m| m.get("mountPath").and_then(Value::as_str) == Some("/tmp"));
    if mounts_tmp {
        return Some(fix);
    }
    let volumes = pod.spec.get("volumes");
    if volumes.is_some_and(|v| !v.is_array())
        || c.value.get("volumeMounts").is_some_and(|v| !v.is_array())
    {
        return None;
    }
    let existing = items(volumes)
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(TMP_VOLUME));
    match existing {
        Some(volume) if volume.get("emptyDir").is_none() => return None,
        Some(_) => {}
        None => fix.merge(Patch::at(
            &format!("{}.volumes", pod.spec_path),
            Patch::append_map(&[("name", json!(TMP_VOLUME)), ("emptyDir", json!({}))]),
        )),
    }
    fix.merge(Patch::at(
        &format!("{}.volumeMounts", c.path),
        Patch::append_map(&[("name", json!(TMP_VOLUME)), ("mountPath", json!("/tmp"))]),
    ));
    Some(fix)
}

fn check_image(obj: &Object<'_>, p: &str, image: &str, options: &Options, out: &mut Vec<Finding>) {
    if !image.contains("@sha256:") {
        out.push(obj.finding(
            &IMAGE_DIGEST,
            &format!("{p}.image"),
            &format!("`{image}` is not pinned by digest (a tag can be moved)"),
            "reference the image as `name@sha256:<digest>`",
        ));
    }
    if !options.allowed_registries.is_empty()
        && !options
            .allowed_registries
            .iter()
            .any(|prefix| registry_matches(image, prefix))
    {
        out.push(obj.finding(
            &IMAGE_REGISTRY,
            &format!("{p}.image"),
            &format!(
                "`{image}` is not from an allowed registry ({})",
                options.allowed_registries.join(", ")
            ),
            "use an image from an allowed registry (mirror it there first)",
        ));
    }
}

/// The ServiceAccount of a pod template (`None` for none or `default`).
fn service_account<'a>(pod: &PodTemplate<'a>) -> Option<&'a str> {
    ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|f| pod.spec.get(*f).and_then(Value::as_str))
        .filter(|s| !s.is_empty() && *s != "default")
}

/// The application of a workload: the pod template's (else the object's)
/// `app.kubernetes.io/name`, else the workload's name.
fn application<'a>(obj: &Object<'a>, pod: &PodTemplate<'a>) -> &'a str {
    let label = |meta: Option<&'a Value>| {
        meta.and_then(|m| m.get("labels"))
            .and_then(|l| l.get(NAME_LABEL))
            .and_then(Value::as_str)
    };
    label(pod.meta)
        .or_else(|| label(obj.value().get("metadata")))
        .unwrap_or(obj.name)
}

/// For a workload with a ServiceAccount of its own (not `default`): that account and the
/// workload's application.
pub(crate) fn account_use(obj: &Object<'_>) -> Option<AccountUse> {
    let pod = pod_template(obj)?;
    let service_account = service_account(&pod)?.to_owned();
    Some(AccountUse {
        service_account,
        application: application(obj, &pod).to_owned(),
        spec_path: pod.spec_path,
    })
}

/// For a workload: its ServiceAccount is also used by the pods of other applications of
/// its namespace in `index` (the `default` ServiceAccount has its own rule).
pub(crate) fn check_shared_service_account(
    workload: &Subject,
    account: &AccountUse,
    index: &Index,
    out: &mut Vec<Finding>,
) {
    let sa = account.service_account.as_str();
    let key = (workload.namespace.clone(), account.service_account.clone());
    // Sorted and without duplicates.
    let others: Vec<&str> = index
        .service_accounts
        .get(&key)
        .into_iter()
        .flatten()
        .map(String::as_str)
        .filter(|a| *a != account.application)
        .collect();
    if !others.is_empty() {
        out.push(workload.finding(
            &POD_SHARED_SA,
            &format!("{}.serviceAccountName", account.spec_path),
            &format!(
                "ServiceAccount `{sa}` is also used by {}, so each gets the other's permissions",
                others
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "give each application its own ServiceAccount",
        ));
    }
}

/// `prefix` matches at a path boundary: `reg.io` allows `reg.io/x` but not `reg.io.evil/x`.
fn registry_matches(image: &str, prefix: &str) -> bool {
    match image.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', ':', '@']),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::Options;
    use crate::tests::{ids, run, run_with};

    const HARDENED: &str = "kind: Deployment
metadata: {name: d, namespace: n, labels: {app.kubernetes.io/name: d}}
spec:
  template:
    metadata: {labels: {app.kubernetes.io/name: d}}
    spec:
      serviceAccountName: d
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: c
        image: reg.io/d@sha256:abc
        resources: {limits: {cpu: 1, memory: 1Gi}}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
";

    #[test]
    fn a_hardened_deployment_passes_with_pod_level_inheritance() {
        assert!(run(HARDENED).is_empty(), "{:?}", run(HARDENED));
    }

    #[test]
    fn a_bare_pod_fails_every_container_rule() {
        let f = run(
            "kind: Pod\nmetadata: {name: p, labels: {app.kubernetes.io/name: p}}\nspec:\n  hostPID: true\n  volumes: [{name: h, hostPath: {path: /}}]\n  containers:\n  - name: c\n    image: nginx:1\n    securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN]}}\n    envFrom: [{secretRef: {name: s}}]\n",
        );
        assert_eq!(
            ids(&f),
            [
                "pod-default-service-account",
                "pod-host-namespace",
                "pod-host-path",
                "container-privileged",
                "container-privilege-escalation",
                "container-run-as-non-root",
                "container-capabilities",
                "container-capabilities",
                "container-seccomp",
                "container-read-only-root",
                "container-resource-limits",
                "container-secret-env",
                "image-digest",
            ]
        );
        assert!(
            f[7].message
                .contains("Pod/p spec.containers[0].securityContext.capabilities.add[0]"),
            "{}",
            f[7].message
        );
    }

    #[test]
    fn container_settings_override_the_pod_and_init_containers_are_checked() {
        let init = HARDENED.replace(
            "      containers:",
            "      initContainers:\n      - name: i\n        image: reg.io/i@sha256:abc\n        resources: {limits: {cpu: 1, memory: 1Gi}}\n        securityContext: {runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}\n      containers:",
        );
        let f = run(&init);
        assert_eq!(ids(&f), ["container-run-as-non-root"]);
        assert!(
            f[0].message
                .contains("spec.template.spec.initContainers[0]")
        );
    }

    #[test]
    fn cronjob_pod_template_is_found() {
        let f = run(
            "kind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: c, image: x}]\n",
        );
        assert!(
            f.iter().any(|f| f
                .message
                .contains("spec.jobTemplate.spec.template.spec.containers[0].image")),
            "{f:?}"
        );
    }

    #[test]
    fn registries_are_matched_at_a_path_boundary() {
        let opts = Options {
            allowed_registries: vec!["reg.io".into()],
            ..Options::default()
        };
        assert!(run_with(HARDENED, &opts).is_empty());
        let evil = HARDENED.replace("reg.io/d", "reg.io.evil/d");
        assert_eq!(ids(&run_with(&evil, &opts)), ["image-registry"]);
    }

    #[test]
    fn restricted_controls_beyond_the_basics() {
        let bad = HARDENED
            .replace(
                "    metadata: {labels: {app.kubernetes.io/name: d}}\n",
                "    metadata:\n      labels: {app.kubernetes.io/name: d}\n      annotations: {container.apparmor.security.beta.kubernetes.io/c: unconfined}\n",
            )
            .replace(
                "      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n",
                "      securityContext:\n        runAsNonRoot: true\n        runAsUser: 0\n        seccompProfile: {type: RuntimeDefault}\n        sysctls: [{name: net.ipv4.tcp_syncookies, value: '1'}, {name: kernel.msgmax, value: '1'}]\n        seLinuxOptions: {type: spc_t}\n      volumes: [{name: t, emptyDir: {}}, {name: n, nfs: {server: s, path: /}}, {name: h, hostPath: {path: /}}]\n",
            )
            .replace(
                "          allowPrivilegeEscalation: false\n",
                "          allowPrivilegeEscalation: false\n          procMount: Unmasked\n          runAsUser: 0\n          seLinuxOptions: {type: container_t, user: system_u, role: r}\n          appArmorProfile: {type: Unconfined}\n",
            )
            .replace(
                "        image: reg.io/d@sha256:abc\n",
                "        image: reg.io/d@sha256:abc\n        ports: [{containerPort: 80, hostPort: 80}, {containerPort: 81, hostPort: 0}]\n",
            );
        let f = run(&bad);
        assert_eq!(
            ids(&f),
            [
                "pod-volume-type",
                "pod-host-path",
                "pod-unsafe-sysctls",
                "container-run-as-root-user",
                "container-selinux",
                "container-apparmor",
                "container-proc-mount",
                "container-run-as-root-user",
                "container-selinux",
                "container-selinux",
                "container-apparmor",
                "pod-host-port",
            ]
        );
        let paths: Vec<&str> = f
            .iter()
            .map(|f| f.message.split(": ").next().unwrap_or(""))
            .collect();
        assert_eq!(
            paths,
            [
                "Deployment/n/d spec.template.spec.volumes[1].nfs",
                "Deployment/n/d spec.template.spec.volumes[2].hostPath",
                "Deployment/n/d spec.template.spec.securityContext.sysctls[1].name",
                "Deployment/n/d spec.template.spec.securityContext.runAsUser",
                "Deployment/n/d spec.template.spec.securityContext.seLinuxOptions.type",
                "Deployment/n/d spec.template.metadata.annotations.\"container.apparmor.security.beta.kubernetes.io/c\"",
                "Deployment/n/d spec.template.spec.containers[0].securityContext.procMount",
                "Deployment/n/d spec.template.spec.containers[0].securityContext.runAsUser",
                "Deployment/n/d spec.template.spec.containers[0].securityContext.seLinuxOptions.user",
                "Deployment/n/d spec.template.spec.containers[0].securityContext.seLinuxOptions.role",
                "Deployment/n/d spec.template.spec.containers[0].securityContext.appArmorProfile.type",
                "Deployment/n/d spec.template.spec.containers[0].ports[0].hostPort",
            ]
        );
        let fine = HARDENED.replace(
            "          allowPrivilegeEscalation: false\n",
            "          allowPrivilegeEscalation: false\n          procMount: Default\n          runAsUser: 1000\n          appArmorProfile: {type: RuntimeDefault}\n          seLinuxOptions: {type: container_init_t, level: 's0:c1'}\n",
        );
        assert!(run(&fine).is_empty(), "{:?}", run(&fine));
    }

    #[test]
    fn a_service_account_shared_by_different_applications() {
        let other = HARDENED
            .replace("name: d, namespace: n", "name: e, namespace: n")
            .replace(
                "{labels: {app.kubernetes.io/name: d}}",
                "{labels: {app.kubernetes.io/name: e}}",
            );
        let f = run(&format!("{HARDENED}---\n{other}"));
        assert_eq!(
            ids(&f),
            ["pod-shared-service-account", "pod-shared-service-account"]
        );
        assert!(
            f[0].message.starts_with(
                "Deployment/n/d spec.template.spec.serviceAccountName: ServiceAccount `d` is also used by `e`"
            ),
            "{}",
            f[0].message
        );
        // The same application twice, or another namespace, shares nothing.
        let same = other.replace("app.kubernetes.io/name: e", "app.kubernetes.io/name: d");
        assert!(run(&format!("{HARDENED}---\n{same}")).is_empty());
        let elsewhere = other.replace("namespace: n", "namespace: m");
        assert!(run(&format!("{HARDENED}---\n{elsewhere}")).is_empty());
    }
}
