//! The admission policies evaluated, not just rendered: every CEL expression of the
//! ValidatingAdmissionPolicies with the `cel` engine and every Rego module of the Gatekeeper
//! templates with `regorus`, against a table of compliant and non-compliant Pods,
//! Deployments, StatefulSets, DaemonSets, Jobs and CronJobs. The parameters are the
//! annotations of the Namespace the namespace render writes (`namespaceObject`), so both
//! halves are tested together.

mod cel_engine;
mod objects;
mod rego_engine;

use cel_engine::{CREATE, Coverage, Request, evaluate, matches_kind, selects};
use objects::{Check, KINDS, cases, compliant_labels, compliant_spec, object};
use rampart_model::{Environment, RepoConfig, RequestContext};
use rampart_render::admission::{
    ALLOWED_REGISTRIES_ANNOTATION, REQUIRED_LABELS_ANNOTATION, render_admission,
};
use rampart_render::{Blueprint, render_namespace};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

struct Fixture {
    files: BTreeMap<String, String>,
    policies: Vec<Value>,
    bindings: Vec<Value>,
    templates: Vec<Value>,
    constraints: Vec<Value>,
    namespace: Value,
    rbac: Vec<Value>,
}

fn docs(text: &str) -> Vec<Value> {
    rampart_yaml::reference::documents(text)
        .expect("rendered YAML parses")
        .into_iter()
        .filter(|v| !v.is_null())
        .collect()
}

fn inputs() -> (Environment, RepoConfig, rampart_model::NamespaceRequest) {
    let env = rampart_model::parse_environment(
        "environments/prod.yaml",
        include_str!("../../../../environments/prod.yaml"),
        "prod",
    )
    .unwrap();
    let config = rampart_model::parse_repo_config(
        "rampart.yaml",
        include_str!("../../../../examples/rampart.yaml"),
    )
    .unwrap();
    let ctx = RequestContext {
        file_stem: "shop",
        required_labels: &config.governance.required_labels,
        environments: std::slice::from_ref(&env),
        delivery_mode: config.delivery.mode,
    };
    let request = rampart_model::parse_request(
        "specs/shop.yaml",
        include_str!("../../../../examples/shop.yaml"),
        &ctx,
    )
    .unwrap();
    (env, config, request)
}

fn fixture() -> Fixture {
    let (env, config, request) = inputs();
    let files = render_admission(&env, &config).unwrap();
    let ns_files = render_namespace(
        &Blueprint::embedded().unwrap(),
        &request,
        &env,
        "specs/shop.yaml",
    )
    .unwrap();
    let mut namespace = docs(&ns_files["namespace.yaml"]).remove(0);
    // The control plane sets this label on every namespace.
    namespace["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!("shop");
    Fixture {
        policies: docs(&files["validating-admission-policies.yaml"]),
        bindings: docs(&files["validating-admission-policy-bindings.yaml"]),
        templates: docs(&files["gatekeeper/constraint-templates.yaml"]),
        constraints: docs(&files["gatekeeper/constraints.yaml"]),
        files,
        namespace,
        rbac: docs(&ns_files["rbac.yaml"]),
    }
}

/// The policy that admits objects of `obj`'s kind; exactly one does.
fn policy_for<'a>(f: &'a Fixture, obj: &Value) -> &'a Value {
    let api_version = obj["apiVersion"].as_str().unwrap();
    let kind = obj["kind"].as_str().unwrap();
    let matching: Vec<&Value> = f
        .policies
        .iter()
        .filter(|p| matches_kind(p, api_version, kind))
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "{kind}: {} policies match",
        matching.len()
    );
    matching[0]
}

/// What the CEL policies deny on CREATE: variable → message.
fn cel_denials(
    f: &Fixture,
    obj: &Value,
    namespace: &Value,
    cov: &mut Coverage,
) -> BTreeMap<String, String> {
    cel_denials_on(f, obj, namespace, &CREATE, cov)
}

/// What the CEL policies deny on `request`: variable → message.
fn cel_denials_on(
    f: &Fixture,
    obj: &Value,
    namespace: &Value,
    request: &Request,
    cov: &mut Coverage,
) -> BTreeMap<String, String> {
    evaluate(policy_for(f, obj), obj, namespace, request, cov)
        .into_iter()
        .map(|d| (d.variable, d.message))
        .collect()
}

/// What the Gatekeeper constraints deny on CREATE: constraint kind → messages.
fn rego_denials(f: &Fixture, obj: &Value) -> BTreeMap<String, Vec<String>> {
    rego_denials_on(f, obj, &CREATE)
}

/// What the Gatekeeper constraints deny on `request`: constraint kind → messages.
fn rego_denials_on(f: &Fixture, obj: &Value, request: &Request) -> BTreeMap<String, Vec<String>> {
    let ns_labels = &f.namespace["metadata"]["labels"];
    let mut out = BTreeMap::new();
    for constraint in &f.constraints {
        assert!(
            rego_engine::constraint_matches(constraint, obj, ns_labels),
            "{} must match {}",
            constraint["kind"],
            obj["kind"]
        );
        let kind = constraint["kind"].as_str().unwrap();
        let template = f
            .templates
            .iter()
            .find(|t| t["spec"]["crd"]["spec"]["names"]["kind"] == kind)
            .unwrap();
        let msgs =
            rego_engine::violations_on(template, constraint, obj, request.operation, request.old);
        if !msgs.is_empty() {
            out.insert(kind.to_string(), msgs);
        }
    }
    out
}

#[test]
fn every_violation_is_denied_and_every_compliant_object_admitted_by_both_engines() {
    let f = fixture();
    let mut cov = Coverage::default();
    let mut gatekeeper_fired = BTreeSet::new();
    let mut rows = 0;
    for case in cases() {
        for kind in KINDS {
            if case.pod_only && kind != "Pod" {
                continue;
            }
            rows += 1;
            let mut spec = compliant_spec();
            let mut labels = compliant_labels();
            (case.mutate)(&mut spec, &mut labels);
            let obj = object(kind, &spec, &labels);
            let what = format!("{kind} / {}", case.name);

            let cel = cel_denials(&f, &obj, &f.namespace, &mut cov);
            let rego = rego_denials(&f, &obj);
            match case.expect {
                None => {
                    assert!(cel.is_empty(), "{what}: CEL denied: {cel:?}");
                    assert!(rego.is_empty(), "{what}: Rego denied: {rego:?}");
                }
                Some(check) => {
                    assert_eq!(
                        cel.keys().collect::<Vec<_>>(),
                        [check.variable()],
                        "{what}: CEL denials {cel:?}"
                    );
                    let message = &cel[check.variable()];
                    assert!(
                        message.contains(case.mention),
                        "{what}: CEL message `{message}` does not name `{}`",
                        case.mention
                    );
                    assert_eq!(
                        rego.keys().collect::<Vec<_>>(),
                        [check.gatekeeper_kind()],
                        "{what}: Rego denials {rego:?}"
                    );
                    let msgs = &rego[check.gatekeeper_kind()];
                    assert!(
                        msgs.iter().any(|m| m.contains(case.mention)),
                        "{what}: Rego messages {msgs:?} do not name `{}`",
                        case.mention
                    );
                    gatekeeper_fired.insert(check.gatekeeper_kind());
                }
            }
        }
    }
    // UPDATE and deletion rows: (what, old object, new object, expected check).
    for kind in KINDS {
        for (what, old, new, expect) in update_cases(kind) {
            rows += 1;
            let what = format!("{kind} / {what}");
            let request = Request {
                operation: "UPDATE",
                old: &old,
            };
            let cel = cel_denials_on(&f, &new, &f.namespace, &request, &mut cov);
            let rego = rego_denials_on(&f, &new, &request);
            let cel: Vec<&str> = cel.keys().map(String::as_str).collect();
            let rego: Vec<&str> = rego.keys().map(String::as_str).collect();
            assert_eq!(cel, expect.map(Check::variable).as_slice(), "{what}: CEL");
            assert_eq!(
                rego,
                expect.map(Check::gatekeeper_kind).as_slice(),
                "{what}: Rego"
            );
        }
    }
    assert!(rows > 100, "only {rows} rows");

    // No untested expression: every expression of every rendered policy was evaluated,
    // and every validation both admitted and denied something.
    for policy in &f.policies {
        let name = policy["metadata"]["name"].as_str().unwrap();
        for expr in expressions(policy) {
            assert!(
                cov.evaluated.contains(&(name.to_string(), expr.clone())),
                "{name}: `{expr}` never evaluated"
            );
        }
        let conditions = policy["spec"]["matchConditions"].as_array().unwrap();
        assert_eq!(conditions.len(), 2, "{name}: matchConditions");
        for v in policy["spec"]["validations"]
            .as_array()
            .unwrap()
            .iter()
            .chain(conditions)
        {
            let expr = v["expression"].as_str().unwrap().to_string();
            let seen = &cov.outcomes[&(name.to_string(), expr.clone())];
            assert_eq!(seen.len(), 2, "{name}: `{expr}` only ever gave {seen:?}");
        }
    }
    // Every check has its validation in every policy, and every template fired.
    for policy in &f.policies {
        let checked: BTreeSet<String> = policy["spec"]["validations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| cel_engine::checked_variable(v["expression"].as_str().unwrap()))
            .collect();
        let all: BTreeSet<String> = Check::ALL
            .iter()
            .map(|c| c.variable().to_string())
            .collect();
        assert_eq!(checked, all);
    }
    let templates: BTreeSet<&str> = f
        .templates
        .iter()
        .map(|t| t["spec"]["crd"]["spec"]["names"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(gatekeeper_fired, templates);
}

/// UPDATE rows for `kind`: (what, old object, new object, the check that must deny).
fn update_cases(kind: &str) -> Vec<(&'static str, Value, Value, Option<Check>)> {
    let obj = |privileged: bool, image: &str| {
        let mut spec = compliant_spec();
        spec["containers"][0]["securityContext"]["privileged"] = json!(privileged);
        spec["containers"][0]["image"] = json!(image);
        object(kind, &spec, &compliant_labels())
    };
    let good = "registry.example.com/shop/app:1";
    let good2 = "registry.example.com/shop/app:2";
    let non_compliant = obj(true, good);
    let mut relabelled = non_compliant.clone();
    relabelled["metadata"]["labels"] = json!({"release": "2"});
    relabelled["metadata"]["finalizers"] = json!([]);
    let mut deleting = obj(true, good2);
    deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
    vec![
        (
            "metadata-only change of a non-compliant object",
            non_compliant.clone(),
            relabelled,
            None,
        ),
        (
            "spec change makes a compliant object non-compliant",
            obj(false, good),
            obj(true, good),
            Some(Check::Privileged),
        ),
        (
            "spec change of a non-compliant object that stays non-compliant",
            non_compliant.clone(),
            obj(true, good2),
            Some(Check::Privileged),
        ),
        (
            "compliant spec change",
            obj(false, good),
            obj(false, good2),
            None,
        ),
        (
            "non-compliant object being deleted (finalizer removal)",
            non_compliant,
            deleting,
            None,
        ),
    ]
}

/// Every `expression` and `messageExpression` in a document.
fn expressions(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match doc {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("expression" | "messageExpression", Value::String(s)) => out.push(s.clone()),
                    _ => out.extend(expressions(v)),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| out.extend(expressions(v))),
        _ => {}
    }
    out
}

#[test]
fn missing_or_hand_edited_parameters_fail_closed() {
    let f = fixture();
    let mut cov = Coverage::default();
    for kind in KINDS {
        let obj = object(kind, &compliant_spec(), &compliant_labels());
        // A Namespace without the annotations (say created by hand with the managed-by
        // label), with an empty list, or no Namespace at all: no registry is allowed, so
        // nothing runs.
        let mut no_annotations = f.namespace.clone();
        no_annotations["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("annotations");
        let mut empty = f.namespace.clone();
        empty["metadata"]["annotations"] = json!({
            ALLOWED_REGISTRIES_ANNOTATION: "", REQUIRED_LABELS_ANNOTATION: ""});
        let mut others = f.namespace.clone();
        others["metadata"]["annotations"] = json!({"rampart.dev/description": "x"});
        for namespace in [Value::Null, no_annotations, empty, others] {
            let denied = cel_denials(&f, &obj, &namespace, &mut cov);
            assert_eq!(
                denied.keys().collect::<Vec<_>>(),
                ["disallowedImages"],
                "{kind} {namespace}"
            );
        }
        // A registry written without its trailing "/" is ignored, so it opens no bypass.
        let mut namespace = f.namespace.clone();
        namespace["metadata"]["annotations"][ALLOWED_REGISTRIES_ANNOTATION] =
            json!("registry.example.com,/");
        let mut bypass = compliant_spec();
        bypass["containers"][0]["image"] = json!("registry.example.com.evil.io/x:1");
        for spec in [compliant_spec(), bypass] {
            let obj = object(kind, &spec, &compliant_labels());
            let denied = cel_denials(&f, &obj, &namespace, &mut cov);
            assert_eq!(
                denied.keys().collect::<Vec<_>>(),
                ["disallowedImages"],
                "{kind}"
            );
        }
    }
    // The Gatekeeper template ignores such a prefix too.
    let template = f
        .templates
        .iter()
        .find(|t| t["metadata"]["name"] == "k8srampartallowedrepos")
        .unwrap();
    let constraint = json!({"spec": {"parameters": {"repos": ["registry.example.com"]}}});
    let obj = object("Pod", &compliant_spec(), &compliant_labels());
    assert_eq!(
        rego_engine::violations(template, &constraint, &obj).len(),
        2
    );
    let none = json!({"spec": {}});
    assert_eq!(rego_engine::violations(template, &none, &obj).len(), 2);
}

#[test]
fn bindings_cover_managed_namespaces_and_never_system_ones() {
    let f = fixture();
    let (env, _, _) = inputs();
    let names: BTreeSet<&str> = f
        .policies
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    let bound: BTreeSet<&str> = f
        .bindings
        .iter()
        .map(|b| b["spec"]["policyName"].as_str().unwrap())
        .collect();
    assert_eq!(names, bound, "every policy has a binding");
    let managed = &f.namespace["metadata"]["labels"];
    let system = |name: &str| json!({"kubernetes.io/metadata.name": name, "app.kubernetes.io/managed-by": "rampart"});
    let unmanaged = json!({"kubernetes.io/metadata.name": "ingress-nginx"});
    for binding in &f.bindings {
        let spec = &binding["spec"];
        assert_eq!(spec["validationActions"], json!(["Deny"]));
        // No parameters a namespace's own admins could edit.
        assert!(spec.get("paramRef").is_none(), "{spec}");
        let selector = &spec["matchResources"]["namespaceSelector"];
        assert!(selects(selector, managed), "a Rampart namespace is covered");
        assert!(
            !selects(selector, &unmanaged),
            "a namespace without parameters is not"
        );
        for ns in [
            "kube-system",
            "kube-public",
            "kube-node-lease",
            env.dns.namespace.as_str(),
        ] {
            // Even if someone labels a system namespace as managed.
            assert!(!selects(selector, &system(ns)), "{ns} must be exempt");
        }
    }
    for policy in &f.policies {
        let selector = &policy["spec"]["matchConstraints"]["namespaceSelector"];
        assert!(!selects(selector, &system("kube-system")));
        assert!(selects(selector, managed));
        assert_eq!(policy["spec"]["failurePolicy"], "Fail");
        assert!(policy["spec"].get("paramKind").is_none());
    }
    for constraint in &f.constraints {
        let pod = object("Pod", &compliant_spec(), &compliant_labels());
        assert!(!rego_engine::constraint_matches(
            constraint,
            &pod,
            &system("kube-system")
        ));
        assert!(!rego_engine::constraint_matches(
            constraint, &pod, &unmanaged
        ));
    }
}

#[test]
fn the_dns_namespace_is_exempt_too_and_outputs_are_stable() {
    let (mut env, config, _) = inputs();
    env.dns.namespace = "coredns".to_string();
    let files = render_admission(&env, &config).unwrap();
    for doc in docs(&files["validating-admission-policy-bindings.yaml"]) {
        let selector = &doc["spec"]["matchResources"]["namespaceSelector"];
        let labels = json!({"kubernetes.io/metadata.name": "coredns", "app.kubernetes.io/managed-by": "rampart"});
        assert!(!selects(selector, &labels));
    }
    for doc in docs(&files["gatekeeper/constraints.yaml"]) {
        assert!(
            doc["spec"]["match"]["excludedNamespaces"]
                .as_array()
                .unwrap()
                .contains(&json!("coredns"))
        );
    }
    assert_eq!(
        files,
        render_admission(&env, &config).unwrap(),
        "byte-identical on re-run"
    );
}

#[test]
fn gatekeeper_parameters_come_from_the_environment_and_rampart_yaml() {
    let f = fixture();
    let (env, config, _) = inputs();
    let by_kind = |k: &str| f.constraints.iter().find(|c| c["kind"] == k).unwrap();
    assert_eq!(
        by_kind("K8sRampartAllowedRepos")["spec"]["parameters"]["repos"],
        json!(env.allowed_registries)
    );
    assert_eq!(
        by_kind("K8sRampartRequiredLabels")["spec"]["parameters"]["labels"],
        json!(config.governance.required_labels)
    );
    let annotations = &f.namespace["metadata"]["annotations"];
    assert_eq!(
        annotations[ALLOWED_REGISTRIES_ANNOTATION],
        json!(env.allowed_registries.join(","))
    );
    assert_eq!(
        annotations[REQUIRED_LABELS_ANNOTATION],
        json!("cost-center,data-classification")
    );
    // Gatekeeper applies templates before constraints.
    let k = &f.files["gatekeeper/kustomization.yaml"];
    assert!(
        k.find("constraint-templates.yaml") < k.find("constraints.yaml"),
        "{k}"
    );
    // Without governance labels there is nothing to require, and no empty constraint.
    let mut config = config;
    config.governance.required_labels.clear();
    let files = render_admission(&env, &config).unwrap();
    assert!(
        !docs(&files["gatekeeper/constraints.yaml"])
            .iter()
            .any(|c| c["kind"] == "K8sRampartRequiredLabels")
    );
}

#[test]
fn rendered_files_match_their_snapshots() {
    let f = fixture();
    for (name, text) in &f.files {
        insta::assert_snapshot!(name.replace('/', "__"), text);
    }
}

#[test]
fn the_worked_example_of_the_readme_admission_section_is_refused_as_documented() {
    let f = fixture();
    let docs_text = include_str!("../../../../README.md");
    let deployment: Value = rampart_yaml::reference::typed(
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: api}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: api, cost-center: cc-4711}
    spec:
      containers:
      - name: api
        image: registry.example.com.evil.io/shop/api:1
        resources: {limits: {cpu: 250m, memory: 256Mi}}
        securityContext: {readOnlyRootFilesystem: true}
",
    )
    .unwrap();
    let mut cov = Coverage::default();
    let denied = cel_denials(&f, &deployment, &f.namespace, &mut cov);
    assert_eq!(denied.len(), 2, "{denied:?}");
    for message in denied.values() {
        assert!(
            docs_text.contains(message.as_str()),
            "README.md lacks `{message}`"
        );
    }
    let rego = rego_denials(&f, &deployment);
    assert_eq!(
        rego.keys().collect::<Vec<_>>(),
        ["K8sRampartAllowedRepos", "K8sRampartRequiredLabels"]
    );
    // Fixed as the text says, it is admitted.
    let mut fixed = deployment.clone();
    let pod = &mut fixed["spec"]["template"];
    pod["spec"]["containers"][0]["image"] = json!(format!(
        "registry.example.com/shop/api@sha256:{}",
        "0".repeat(64)
    ));
    pod["metadata"]["labels"]["data-classification"] = json!("internal");
    assert!(cel_denials(&f, &fixed, &f.namespace, &mut cov).is_empty());
    assert!(rego_denials(&f, &fixed).is_empty());
}

#[test]
fn the_parameters_live_where_no_team_role_can_write_them() {
    let f = fixture();
    let (_, _, request) = inputs();
    // The rendered Namespace carries them ...
    let annotations = &f.namespace["metadata"]["annotations"];
    assert_eq!(f.namespace["kind"], "Namespace");
    assert!(
        annotations[ALLOWED_REGISTRIES_ANNOTATION]
            .as_str()
            .is_some_and(|r| r.split(',').all(|r| r.ends_with('/'))),
        "{annotations}"
    );
    let labels: Vec<&String> = request.labels.keys().collect();
    assert_eq!(
        annotations[REQUIRED_LABELS_ANNOTATION],
        json!(
            labels
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(",")
        )
    );
    // ... and the team's roles are namespaced Roles that never name namespaces (a Role
    // cannot grant it, but a wildcard or a ClusterRole could).
    let mut roles = 0;
    for doc in &f.rbac {
        let kind = doc["kind"].as_str().unwrap();
        assert_ne!(kind, "ClusterRole", "{doc}");
        assert_ne!(kind, "ClusterRoleBinding", "{doc}");
        if kind != "Role" {
            continue;
        }
        roles += 1;
        for rule in doc["rules"].as_array().unwrap() {
            let resources: Vec<&str> = rule["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            assert!(
                !resources
                    .iter()
                    .any(|r| *r == "*" || r.starts_with("namespaces")),
                "{}: {rule}",
                doc["metadata"]["name"]
            );
        }
    }
    assert!(roles >= 3, "{roles} roles");
}

/// The probe Jobs of `networkTests` (and the workloads next to them) pass the admission
/// policies of both engines, as rendered: the staging render of the example, with the
/// Rampart image of examples/rampart.yaml.
#[test]
fn rendered_probe_jobs_and_workloads_are_admitted() {
    let f = fixture();
    let (_, config, request) = inputs();
    let staging = rampart_model::parse_environment(
        "environments/staging.yaml",
        include_str!("../../../../environments/staging.yaml"),
        "staging",
    )
    .unwrap();
    assert!(staging.network_tests);
    let service = config.service.as_ref().unwrap();
    let files = rampart_render::render_repository(
        &Blueprint::embedded().unwrap(),
        &[rampart_render::RequestFile {
            path: "specs/shop.yaml".to_owned(),
            request,
        }],
        std::slice::from_ref(&staging),
        rampart_render::Prior::new(),
        config.service(),
        Some(&service.image),
        &|_, text| text,
    )
    .unwrap();
    let mut cov = Coverage::default();
    let mut jobs = 0;
    for (path, text) in files.iter().filter(|(p, _)| p.contains("/shop/")) {
        for obj in docs(text) {
            let kind = obj["kind"].as_str().unwrap();
            if !matches!(kind, "Job" | "Deployment") {
                continue;
            }
            jobs += usize::from(kind == "Job");
            let what = format!("{path}: {kind} {}", obj["metadata"]["name"]);
            let cel = cel_denials(&f, &obj, &f.namespace, &mut cov);
            assert!(cel.is_empty(), "{what}: CEL denied {cel:?}");
            let rego = rego_denials(&f, &obj);
            assert!(rego.is_empty(), "{what}: Rego denied {rego:?}");
        }
    }
    assert_eq!(jobs, 3, "a probe Job per app of shop");
}
