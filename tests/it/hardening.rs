//! The hardening the checklist (sections 1–3) asks for, asserted on the rendered objects.

use crate::support::{Repo, named};
use serde_json::Value;

/// The objects of the example namespace `shop` (the service's namespace has its own tests).
fn objects(repo: &Repo, env: &str) -> Vec<Value> {
    repo.objects_under(&format!("clusters/{env}/namespaces/shop"))
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn namespace_pod_security_and_labels() {
    let repo = Repo::init();
    for (env, enforce, version) in [
        ("dev", "restricted", "v1.35"),
        ("staging", "restricted", "v1.35"),
        ("prod", "restricted", "v1.34"),
    ] {
        let objs = objects(&repo, env);
        let ns = named(&objs, "Namespace", "shop");
        let labels = &ns["metadata"]["labels"];
        assert_eq!(
            labels["pod-security.kubernetes.io/enforce"], enforce,
            "{env}"
        );
        assert_eq!(
            labels["pod-security.kubernetes.io/enforce-version"], version,
            "{env}"
        );
        assert_eq!(labels["pod-security.kubernetes.io/audit"], "restricted");
        assert_eq!(labels["pod-security.kubernetes.io/warn"], "restricted");
        assert_eq!(labels["cost-center"], "cc-4711");
        for o in &objs {
            let l = &o["metadata"]["labels"];
            assert_eq!(l["app.kubernetes.io/managed-by"], "rampart", "{o:?}");
            assert_eq!(l["app.kubernetes.io/part-of"], "shop");
            assert_eq!(l["rampart.dev/team"], "web-shop");
            if o["kind"] != "Namespace" {
                assert_eq!(
                    o["metadata"]["namespace"], "shop",
                    "everything but the Namespace is namespaced"
                );
            }
        }
    }
}

#[test]
fn rbac_is_least_privilege_namespaced_and_group_based() {
    let repo = Repo::init();
    let objs = objects(&repo, "prod");
    let accounts = of_kind(&objs, "ServiceAccount");
    assert_eq!(
        accounts.len(),
        5,
        "one ServiceAccount per app and per SecretStore"
    );
    assert!(
        accounts
            .iter()
            .all(|sa| sa["automountServiceAccountToken"] == false)
    );
    for role in of_kind(&objs, "Role") {
        for rule in role["rules"].as_array().unwrap() {
            for field in ["apiGroups", "resources", "verbs", "resourceNames"] {
                assert!(
                    !strings(&rule[field]).iter().any(|v| v.contains('*')),
                    "wildcard in {role:?}"
                );
            }
        }
    }
    for name in [
        "rampart-admin",
        "rampart-developer",
        "rampart-viewer",
        "rampart-serve-status",
    ] {
        let role = named(&objs, "Role", name);
        for rule in role["rules"].as_array().unwrap() {
            let resources = strings(&rule["resources"]);
            assert!(!resources.contains(&"secrets"), "{name} can read Secrets");
            if name != "rampart-admin" {
                assert!(
                    !resources.contains(&"pods/exec") && !resources.contains(&"pods/attach"),
                    "{name} can exec"
                );
            }
        }
    }
    // The app Role holds exactly the requested rule and is bound to the app's account only.
    let api = named(&objs, "Role", "app-api");
    assert_eq!(
        rampart_yaml::to_string(&api["rules"]).unwrap(),
        "- apiGroups:\n  - ''\n  resourceNames:\n  - feature-flags\n  resources:\n  - configmaps\n  verbs:\n  - get\n  - watch\n"
    );
    let binding = named(&objs, "RoleBinding", "app-api");
    assert_eq!(binding["roleRef"]["kind"], "Role");
    assert_eq!(binding["subjects"].as_array().unwrap().len(), 1);
    assert_eq!(binding["subjects"][0]["kind"], "ServiceAccount");
    assert_eq!(binding["subjects"][0]["name"], "api");
    for binding in of_kind(&objs, "RoleBinding") {
        assert_eq!(
            binding["roleRef"]["kind"], "Role",
            "no ClusterRole references"
        );
        let name = binding["metadata"]["name"].as_str().unwrap();
        if name == "rampart-serve-status" {
            // The rotation service's reader: its ServiceAccount only (see tests/it/watch.rs).
            assert_eq!(
                rampart_yaml::to_string(&binding["subjects"]).unwrap(),
                "- kind: ServiceAccount\n  name: rampart-serve\n  namespace: rampart-system\n"
            );
        } else if name.starts_with("rampart-") {
            assert!(
                binding["subjects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| s["kind"] == "Group")
            );
        }
    }
    assert!(
        of_kind(&objs, "RoleBinding")
            .iter()
            .all(|b| b["metadata"]["name"] != "app-web"),
        "no Role for an app without rules"
    );
}

#[test]
fn network_policies_deny_by_default_and_allow_exactly_what_was_asked() {
    let repo = Repo::init();
    let objs = objects(&repo, "prod");
    let deny = named(&objs, "NetworkPolicy", "default-deny-all");
    assert_eq!(
        rampart_yaml::to_string(&deny["spec"]).unwrap(),
        "podSelector: {}\npolicyTypes:\n- Ingress\n- Egress\n"
    );
    let dns = &named(&objs, "NetworkPolicy", "allow-dns")["spec"]["egress"][0];
    let peer = &dns["to"][0];
    assert_eq!(
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "kube-system"
    );
    assert_eq!(
        peer["podSelector"]["matchLabels"]["k8s-app"], "kube-dns",
        "both selectors in ONE peer"
    );
    assert_eq!(
        dns["to"][1]["ipBlock"]["cidr"], "169.254.20.10/32",
        "NodeLocal DNSCache"
    );
    let ports: Vec<(&str, u64)> = dns["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["protocol"].as_str().unwrap(), p["port"].as_u64().unwrap()))
        .collect();
    assert_eq!(ports, [("UDP", 53), ("TCP", 53)]);
    let dev_dns = named(&objects(&repo, "dev"), "NetworkPolicy", "allow-dns")["spec"]["egress"][0]
        ["to"]
        .clone();
    assert_eq!(
        dev_dns.as_array().unwrap().len(),
        1,
        "dev has no NodeLocal DNSCache"
    );

    let api = &named(&objs, "NetworkPolicy", "app-api")["spec"];
    assert_eq!(
        api["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "api"
    );
    let ingress: Vec<String> = api["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| rampart_yaml::to_string(r).unwrap().replace('\n', " "))
        .collect();
    assert_eq!(ingress.len(), 3, "web, worker, prometheus: {ingress:?}");
    assert!(
        ingress[0].contains("app.kubernetes.io/name: web")
            && ingress[0].contains("port: 8080")
            && !ingress[0].contains("9090"),
        "{}",
        ingress[0]
    );
    assert!(
        ingress[2].contains("kubernetes.io/metadata.name: monitoring")
            && ingress[2].contains("port: 9090"),
        "{}",
        ingress[2]
    );
    assert_eq!(
        api["egress"][0]["to"][0]["ipBlock"]["except"][0],
        "10.40.255.0/24"
    );
    // web's egress to api mirrors api's ingress from web.
    let web = &named(&objs, "NetworkPolicy", "app-web")["spec"];
    assert_eq!(
        web["egress"][0]["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "api"
    );
    assert_eq!(web["egress"][0]["ports"], api["ingress"][0]["ports"]);
    let worker = &named(&objs, "NetworkPolicy", "app-worker")["spec"];
    assert_eq!(
        worker["ingress"].as_array().unwrap().len(),
        0,
        "nobody may connect to worker"
    );
}

#[test]
fn workloads_pass_restricted_and_more() {
    let repo = Repo::init();
    let objs = objects(&repo, "prod");
    let deployments = of_kind(&objs, "Deployment");
    assert_eq!(deployments.len(), 2);
    for d in deployments {
        let name = d["metadata"]["name"].as_str().unwrap();
        let spec = &d["spec"]["template"]["spec"];
        assert!(d["spec"]["replicas"].as_u64().unwrap() >= 2);
        assert_eq!(spec["serviceAccountName"], name);
        assert_eq!(spec["automountServiceAccountToken"], false);
        assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
        assert!(spec["securityContext"]["runAsUser"].as_u64().unwrap() >= 10001);
        assert_eq!(
            spec["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        assert!(spec["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname");
        assert!(spec["affinity"]["podAntiAffinity"].is_object());
        let c = &spec["containers"][0];
        let sc = &c["securityContext"];
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["readOnlyRootFilesystem"], true);
        assert_eq!(sc["runAsNonRoot"], true);
        assert!(
            sc["runAsUser"].as_u64().unwrap() >= 10001
                && sc["runAsGroup"].as_u64().unwrap() >= 10001
        );
        assert_eq!(strings(&sc["capabilities"]["drop"]), ["ALL"]);
        assert!(sc["capabilities"]["add"].is_null());
        assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
        assert_eq!(c["resources"]["requests"], c["resources"]["limits"]);
        for r in ["cpu", "memory", "ephemeral-storage"] {
            assert!(c["resources"]["limits"][r].is_string(), "{name}: limit {r}");
        }
        assert_ne!(c["livenessProbe"], c["readinessProbe"]);
        let declared: Vec<u64> = c["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["containerPort"].as_u64().unwrap())
            .collect();
        assert!(declared.contains(&c["livenessProbe"]["httpGet"]["port"].as_u64().unwrap()));
        assert!(c["image"].as_str().unwrap().contains("@sha256:"));
        assert_eq!(c["imagePullPolicy"], "Always");
        assert_eq!(c["volumeMounts"][0]["mountPath"], "/tmp");
        assert!(spec["volumes"][0]["emptyDir"].is_object());
        named(&objs, "Service", name);
        named(&objs, "PodDisruptionBudget", name);
    }
    let limits = named(&objs, "LimitRange", "container-defaults");
    assert_eq!(
        limits["spec"]["limits"][0]["default"],
        limits["spec"]["limits"][0]["defaultRequest"]
    );
    let quota = named(&objs, "ResourceQuota", "namespace-quota");
    assert_eq!(
        quota["spec"]["hard"]["pods"], "30",
        "the request's override"
    );
    assert_eq!(
        quota["spec"]["hard"]["limits.memory"], "64Gi",
        "the environment's default"
    );
}
