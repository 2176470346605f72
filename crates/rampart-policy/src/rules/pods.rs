//! Section 3 (Pod Security), 1.3 (service accounts), 4.4 (secrets in env vars) and
//! 5.3–5.5 (images, limits, privileged) for Pods and everything with a pod template.

use serde_json::Value;

use super::{
    CONTAINER_CAPABILITIES, CONTAINER_ESCALATION, CONTAINER_LIMITS, CONTAINER_PRIVILEGED,
    CONTAINER_READONLY_ROOT, CONTAINER_ROOT, CONTAINER_SECCOMP, CONTAINER_SECRET_ENV, IMAGE_DIGEST,
    IMAGE_REGISTRY, POD_DEFAULT_SA, POD_HOST_NAMESPACE, POD_HOST_PATH,
};
use crate::Options;
use crate::finding::Finding;
use crate::object::{Object, is_true, items, strings};

/// The only capability a restricted container may add.
const ALLOWED_ADD: &str = "NET_BIND_SERVICE";

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
    let (spec_path, meta_path) = match obj.kind {
        "Pod" => ("spec", "metadata"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => ("spec.template.spec", "spec.template.metadata"),
        "CronJob" => (
            "spec.jobTemplate.spec.template.spec",
            "spec.jobTemplate.spec.template.metadata",
        ),
        _ => return None,
    };
    let pointer = |path: &str| format!("/{}", path.replace('.', "/"));
    Some(PodTemplate {
        spec_path,
        spec: obj.value().pointer(&pointer(spec_path))?,
        meta_path,
        meta: obj.value().pointer(&pointer(meta_path)),
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
    if field("allowPrivilegeEscalation").and_then(Value::as_bool) != Some(false) {
        out.push(obj.finding(
            &CONTAINER_ESCALATION,
            &format!("{p}.securityContext.allowPrivilegeEscalation"),
            "is not false (setuid binaries can gain privileges)",
            "set `allowPrivilegeEscalation: false`",
        ));
    }
    if !is_true(inherited(pod, c, "runAsNonRoot")) {
        out.push(obj.finding(
            &CONTAINER_ROOT,
            &format!("{p}.securityContext.runAsNonRoot"),
            &describe(field("runAsNonRoot"), pod_field(pod, "runAsNonRoot"), "the container may run as root"),
            "set `runAsNonRoot: true` (and a non-zero runAsUser) in the pod or container securityContext",
        ));
    }
    let caps = field("capabilities");
    let drop = strings(caps.and_then(|c| c.get("drop")));
    if !drop.iter().any(|d| d.eq_ignore_ascii_case("ALL")) {
        out.push(obj.finding(
            &CONTAINER_CAPABILITIES,
            &format!("{p}.securityContext.capabilities.drop"),
            "does not drop ALL capabilities",
            "set `capabilities: {drop: [ALL]}` and add back only NET_BIND_SERVICE if needed",
        ));
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
        out.push(obj.finding(
            &CONTAINER_SECCOMP,
            &format!("{p}.securityContext.seccompProfile.type"),
            &describe(
                seccomp_type(field("seccompProfile")),
                seccomp_type(pod_field(pod, "seccompProfile")),
                "system calls are not filtered",
            ),
            "set `seccompProfile: {type: RuntimeDefault}` in the pod securityContext",
        ));
    }
    if !is_true(field("readOnlyRootFilesystem")) {
        out.push(obj.finding(
            &CONTAINER_READONLY_ROOT,
            &format!("{p}.securityContext.readOnlyRootFilesystem"),
            "is not true (the container can modify its own file system)",
            "set `readOnlyRootFilesystem: true` and mount an emptyDir where it must write",
        ));
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
        };
        assert!(run_with(HARDENED, &opts).is_empty());
        let evil = HARDENED.replace("reg.io/d", "reg.io.evil/d");
        assert_eq!(ids(&run_with(&evil, &opts)), ["image-registry"]);
    }
}
