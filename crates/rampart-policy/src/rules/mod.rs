//! The rules, grouped by checklist area, and the table of all of them.

pub(crate) mod backend;
pub(crate) mod governance;
pub(crate) mod isolation;
pub(crate) mod network;
pub(crate) mod pods;
pub(crate) mod rbac;

use crate::finding::{Rule, Severity};

const fn rule(
    id: &'static str,
    checklist: &'static str,
    severity: Severity,
    title: &'static str,
) -> Rule {
    Rule {
        id,
        checklist,
        severity,
        title,
    }
}

use Severity::{High, Low, Medium};

/// Wildcards in Role/ClusterRole rules.
pub const RBAC_WILDCARD: Rule = rule("rbac-wildcard", "1.2", High, "wildcard (*) in a role rule");
/// ClusterRoleBinding to cluster-admin (or the built-in admin/edit roles).
pub const RBAC_CLUSTER_ADMIN: Rule = rule(
    "rbac-cluster-admin-binding",
    "1.4",
    High,
    "ClusterRoleBinding to cluster-admin, admin or edit",
);
/// ClusterRoleBinding to a group every (unauthenticated) user or service account is in.
pub const RBAC_BROAD_GROUP: Rule = rule(
    "rbac-broad-group-binding",
    "1.4",
    High,
    "ClusterRoleBinding to system:authenticated, system:unauthenticated or system:serviceaccounts",
);
/// A binding to an individual user.
pub const RBAC_USER_SUBJECT: Rule = rule(
    "rbac-user-subject",
    "1.5",
    Medium,
    "binding to a User instead of a Group",
);
/// Read access to all Secrets.
pub const RBAC_SECRET_READ: Rule = rule(
    "rbac-secret-read",
    "4.5",
    High,
    "get/list/watch on secrets without resourceNames",
);
/// Pods on the default ServiceAccount.
pub const POD_DEFAULT_SA: Rule = rule(
    "pod-default-service-account",
    "1.3",
    Medium,
    "pod runs as the default ServiceAccount",
);
/// Privileged containers.
pub const CONTAINER_PRIVILEGED: Rule =
    rule("container-privileged", "5.5", High, "privileged container");
/// Privilege escalation not disabled.
pub const CONTAINER_ESCALATION: Rule = rule(
    "container-privilege-escalation",
    "3.6",
    High,
    "allowPrivilegeEscalation is not false",
);
/// runAsNonRoot not set.
pub const CONTAINER_ROOT: Rule = rule(
    "container-run-as-non-root",
    "3.3",
    High,
    "runAsNonRoot is not true",
);
/// Capabilities not dropped, or added.
pub const CONTAINER_CAPABILITIES: Rule = rule(
    "container-capabilities",
    "3.5",
    Medium,
    "capabilities not dropped (ALL) or added beyond NET_BIND_SERVICE",
);
/// seccomp not confined.
pub const CONTAINER_SECCOMP: Rule = rule(
    "container-seccomp",
    "3.7",
    Medium,
    "seccompProfile is not RuntimeDefault or Localhost",
);
/// Writable root file system.
pub const CONTAINER_READONLY_ROOT: Rule = rule(
    "container-read-only-root",
    "3.4",
    Low,
    "readOnlyRootFilesystem is not true",
);
/// Host namespaces.
pub const POD_HOST_NAMESPACE: Rule = rule(
    "pod-host-namespace",
    "3.2",
    High,
    "hostNetwork, hostPID or hostIPC",
);
/// hostPath volumes.
pub const POD_HOST_PATH: Rule = rule("pod-host-path", "3.2", High, "hostPath volume");
/// Missing limits.
pub const CONTAINER_LIMITS: Rule = rule(
    "container-resource-limits",
    "5.4",
    Medium,
    "missing cpu or memory limit",
);
/// Secrets as environment variables.
pub const CONTAINER_SECRET_ENV: Rule = rule(
    "container-secret-env",
    "4.4",
    Low,
    "Secret exposed through environment variables",
);
/// Image not pinned by digest.
pub const IMAGE_DIGEST: Rule = rule("image-digest", "5.3", Medium, "image not pinned by digest");
/// Image outside the allowed registries.
pub const IMAGE_REGISTRY: Rule = rule(
    "image-registry",
    "5.3",
    High,
    "image outside the allowed registries",
);
/// Secret objects with data in the repository.
pub const SECRET_IN_REPO: Rule = rule(
    "secret-in-repository",
    "4.7",
    High,
    "Secret with data or stringData committed",
);
/// Namespace not enforcing the restricted Pod Security Standard.
pub const NAMESPACE_PSA: Rule = rule(
    "namespace-pod-security",
    "3.2",
    Medium,
    "namespace does not enforce the restricted Pod Security Standard",
);
/// Namespace without default deny.
pub const NAMESPACE_DEFAULT_DENY: Rule = rule(
    "namespace-default-deny",
    "2.1",
    High,
    "namespace without a default-deny NetworkPolicy for ingress and egress",
);
/// A pod no NetworkPolicy isolates in some direction.
pub const POD_NOT_ISOLATED: Rule = rule(
    "pod-not-isolated",
    "2.1",
    High,
    "pod not isolated for ingress or egress by any NetworkPolicy in a namespace with NetworkPolicies",
);
/// Ingress from every namespace.
pub const NETPOL_EVERY_NAMESPACE: Rule = rule(
    "netpol-ingress-every-namespace",
    "2.2",
    Medium,
    "NetworkPolicy lets pods of every namespace in",
);
/// Egress to anywhere.
pub const NETPOL_EGRESS_ANYWHERE: Rule = rule(
    "netpol-egress-anywhere",
    "2.4",
    Medium,
    "NetworkPolicy allows egress to any address",
);
/// Missing `app.kubernetes.io/name`.
pub const WORKLOAD_NAME_LABEL: Rule = rule(
    "workload-name-label",
    "2.3",
    Low,
    "workload or pod template without the app.kubernetes.io/name label",
);
/// Suppression without a reason.
pub const SUPPRESSION_WITHOUT_REASON: Rule = rule(
    "suppression-without-reason",
    "5.6",
    Low,
    "rampart.dev/ignore entry without a reason",
);
/// Suppression whose expiry is unreadable, or missing or too distant under a maximum.
pub const SUPPRESSION_EXPIRY: Rule = rule(
    "suppression-expiry",
    "5.6",
    Low,
    "rampart.dev/ignore entry with an unreadable, missing or too distant expiry date",
);

/// ClusterRoleBinding of a ClusterRole that only grants namespaced resources.
pub const RBAC_CLUSTERROLE_WHERE_ROLE: Rule = rule(
    "rbac-clusterrole-where-role-would-do",
    "1.1",
    Low,
    "ClusterRoleBinding of a ClusterRole that grants only namespaced resources",
);
/// One ServiceAccount shared by different applications.
pub const POD_SHARED_SA: Rule = rule(
    "pod-shared-service-account",
    "1.3",
    Medium,
    "ServiceAccount shared by pods of different applications",
);
/// Pods that only a default deny selects.
pub const POD_NOT_SELECTED_BY_ALLOW: Rule = rule(
    "pod-not-selected-by-allow-policy",
    "2.2",
    Medium,
    "pod selected by no NetworkPolicy that allows traffic in a namespace with NetworkPolicies",
);
/// Host ports.
pub const POD_HOST_PORT: Rule = rule(
    "pod-host-port",
    "3.2",
    Medium,
    "container port bound to a host port",
);
/// Unmasked /proc.
pub const CONTAINER_PROC_MOUNT: Rule = rule(
    "container-proc-mount",
    "3.2",
    Medium,
    "procMount is not Default",
);
/// Unsafe sysctls.
pub const POD_UNSAFE_SYSCTLS: Rule = rule(
    "pod-unsafe-sysctls",
    "3.2",
    Medium,
    "sysctl outside the safe set",
);
/// AppArmor disabled.
pub const CONTAINER_APPARMOR: Rule = rule(
    "container-apparmor",
    "3.7",
    Medium,
    "AppArmor profile is not RuntimeDefault or Localhost",
);
/// SELinux options beyond the container types.
pub const CONTAINER_SELINUX: Rule = rule(
    "container-selinux",
    "3.7",
    Medium,
    "seLinuxOptions set a custom user, role or type",
);
/// Volume types outside the restricted set.
pub const POD_VOLUME_TYPE: Rule = rule(
    "pod-volume-type",
    "3.2",
    Medium,
    "volume type not allowed by the restricted Pod Security Standard",
);
/// runAsUser 0.
pub const CONTAINER_ROOT_USER: Rule = rule(
    "container-run-as-root-user",
    "3.3",
    Medium,
    "runAsUser is 0 (root)",
);

/// A Vault or IAM policy granting secret reads through a wildcard.
pub const SECRET_BACKEND_WILDCARD: Rule = rule(
    "secret-backend-wildcard",
    "4.5",
    High,
    "secrets-manager policy granting access through a wildcard",
);

/// Every rule, in report order.
pub const RULES: &[Rule] = &[
    RBAC_WILDCARD,
    RBAC_CLUSTER_ADMIN,
    RBAC_BROAD_GROUP,
    RBAC_USER_SUBJECT,
    RBAC_SECRET_READ,
    RBAC_CLUSTERROLE_WHERE_ROLE,
    POD_DEFAULT_SA,
    POD_SHARED_SA,
    CONTAINER_PRIVILEGED,
    CONTAINER_ESCALATION,
    CONTAINER_ROOT,
    CONTAINER_CAPABILITIES,
    CONTAINER_SECCOMP,
    CONTAINER_READONLY_ROOT,
    POD_HOST_NAMESPACE,
    POD_HOST_PATH,
    POD_HOST_PORT,
    CONTAINER_PROC_MOUNT,
    POD_UNSAFE_SYSCTLS,
    CONTAINER_APPARMOR,
    CONTAINER_SELINUX,
    POD_VOLUME_TYPE,
    CONTAINER_ROOT_USER,
    CONTAINER_LIMITS,
    CONTAINER_SECRET_ENV,
    IMAGE_DIGEST,
    IMAGE_REGISTRY,
    SECRET_IN_REPO,
    SECRET_BACKEND_WILDCARD,
    NAMESPACE_PSA,
    NAMESPACE_DEFAULT_DENY,
    POD_NOT_SELECTED_BY_ALLOW,
    POD_NOT_ISOLATED,
    NETPOL_EVERY_NAMESPACE,
    NETPOL_EGRESS_ANYWHERE,
    WORKLOAD_NAME_LABEL,
    SUPPRESSION_WITHOUT_REASON,
    SUPPRESSION_EXPIRY,
];
