//! The cluster-wide admission files validated as the cluster would: built-in kinds
//! (ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding) by kubernetes-validate
//! --strict for the environment's Kubernetes version, Gatekeeper kinds against the real
//! Gatekeeper CRD schemas (tests/schemas/gatekeeper, unknown fields refused). What the
//! policies decide is tested in crates/rampart-render/tests/admission.

use crate::support::{Run, tool};
use rampart_model::{parse_environment, parse_repo_config};
use rampart_render::admission::render_admission;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Renders the admission files of every example environment into a temporary directory.
fn rendered() -> (TempDir, Vec<(String, String, PathBuf)>) {
    let root = workspace();
    let config_text = std::fs::read_to_string(root.join("examples/rampart.yaml")).unwrap();
    let config = parse_repo_config("rampart.yaml", &config_text).unwrap();
    let tmp = TempDir::new().unwrap();
    let mut out = Vec::new();
    for name in &config.environments {
        let file = format!("environments/{name}.yaml");
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        let env = parse_environment(&file, &text, name).unwrap();
        let dir = tmp.path().join(name);
        for (path, text) in render_admission(&env, &config).unwrap() {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        out.push((name.clone(), env.kubernetes_version.clone(), dir));
    }
    (tmp, out)
}

#[test]
fn admission_policies_and_bindings_pass_strict_schema_validation() {
    let validator = tool("kubernetes-validate");
    let (_tmp, envs) = rendered();
    for (env, version, dir) in envs {
        let files = [
            "validating-admission-policies.yaml",
            "validating-admission-policy-bindings.yaml",
        ];
        let out: Run = Command::new(&validator)
            .args(["--strict", "-k", &format!("{version}.0")])
            .args(files)
            .current_dir(&dir)
            .output()
            .unwrap()
            .into();
        assert_eq!(out.code, 0, "{env}: {out:?}");
        let passed = format!("{}{}", out.stdout, out.stderr)
            .matches(&format!("against version {version}"))
            .count();
        assert_eq!(
            passed, 6,
            "{env}: 3 policies and 3 bindings validated: {out:?}"
        );
    }
}

#[test]
fn admission_kustomizations_build() {
    let kubectl = tool("kubectl");
    let (_tmp, envs) = rendered();
    for (env, _, dir) in envs {
        for (sub, expect) in [
            (".", "kind: ValidatingAdmissionPolicyBinding"),
            ("gatekeeper", "kind: K8sRampartAllowedRepos"),
        ] {
            let out: Run = Command::new(&kubectl)
                .args(["kustomize", sub])
                .current_dir(&dir)
                .output()
                .unwrap()
                .into();
            assert!(out.ok().contains(expect), "{env}/{sub}: {}", out.stdout);
        }
    }
}

/// Validates ConstraintTemplates against Gatekeeper's CRD and each Constraint against the
/// schema Gatekeeper generates for it: the match CRD's `embeddedMatch`, `enforcementAction`
/// and the template's `validation.openAPIV3Schema` as `parameters`. Objects of a
/// structural schema refuse unknown fields (as kubernetes-validate --strict does).
const VALIDATE_GATEKEEPER: &str = r#"
import copy, json, sys, yaml, jsonschema
schemas, files = sys.argv[1], sys.argv[2:]

def strict(s):
    s = copy.deepcopy(s)
    def walk(n):
        if isinstance(n, dict):
            if "properties" in n and not n.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in n:
                n["additionalProperties"] = False
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)
    walk(s)
    return s

def crd_schema(path, version):
    crd = yaml.safe_load(open(path))
    return next(v for v in crd["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"]

template_schema = strict(crd_schema(schemas + "/constrainttemplate-customresourcedefinition.yaml", "v1"))
match_schema = crd_schema(schemas + "/match.gatekeeper.sh_matchcrd.yaml", "match")["properties"]["embeddedMatch"]
docs = [d for f in files for d in yaml.safe_load_all(open(f)) if d]
templates = {d["spec"]["crd"]["spec"]["names"]["kind"]: d for d in docs if d["kind"] == "ConstraintTemplate"}
errors, checked = [], 0
for d in docs:
    name = d["kind"] + "/" + d["metadata"]["name"]
    if d["kind"] == "ConstraintTemplate":
        assert d["apiVersion"] == "templates.gatekeeper.sh/v1", name
        schema = template_schema
    else:
        assert d["apiVersion"] == "constraints.gatekeeper.sh/v1beta1", name
        t = templates[d["kind"]]
        params = t["spec"]["crd"]["spec"].get("validation", {}).get("openAPIV3Schema", {"type": "object"})
        schema = strict({"type": "object", "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "spec": {"type": "object", "properties": {
                "match": match_schema,
                "enforcementAction": {"type": "string", "enum": ["deny", "dryrun", "warn"]},
                "parameters": params}}}})
        schema["properties"]["metadata"] = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 63}}}
    for e in jsonschema.Draft7Validator(schema).iter_errors(d):
        errors.append(name + ": " + "/".join(map(str, e.absolute_path)) + ": " + e.message)
    checked += 1
print("\n".join(errors))
print(f"checked {checked}")
sys.exit(1 if errors else 0)
"#;

fn validate_gatekeeper(files: &[PathBuf]) -> Run {
    Command::new(tool("python3"))
        .args(["-c", VALIDATE_GATEKEEPER])
        .arg(workspace().join("tests/schemas/gatekeeper"))
        .args(files)
        .output()
        .unwrap()
        .into()
}

#[test]
fn gatekeeper_documents_match_the_gatekeeper_crd_schemas() {
    let (_tmp, envs) = rendered();
    for (env, _, dir) in envs {
        let files = [
            dir.join("gatekeeper/constraint-templates.yaml"),
            dir.join("gatekeeper/constraints.yaml"),
        ];
        let out = validate_gatekeeper(&files);
        assert_eq!(out.code, 0, "{env}: {out:?}");
        assert!(
            out.stdout.contains("checked 14"),
            "{env}: 7 templates and 7 constraints: {out:?}"
        );

        // The check refuses what Gatekeeper would: a misspelt match field, a parameter the
        // template does not declare, a template field that does not exist.
        let constraints = std::fs::read_to_string(&files[1]).unwrap();
        let templates = std::fs::read_to_string(&files[0]).unwrap();
        for (i, (bad_t, bad_c)) in [
            (
                templates.clone(),
                constraints.replacen("namespaceSelector:", "namespaceSelectr:", 1),
            ),
            (
                templates.clone(),
                constraints.replacen("    repos:", "    repo:", 1),
            ),
            (
                templates.replacen("  targets:", "  target: x\n  targets:", 1),
                constraints.clone(),
            ),
        ]
        .into_iter()
        .enumerate()
        {
            assert!(
                bad_t != templates || bad_c != constraints,
                "case {i} changed nothing"
            );
            std::fs::write(&files[0], &bad_t).unwrap();
            std::fs::write(&files[1], &bad_c).unwrap();
            let out = validate_gatekeeper(&files);
            assert_eq!(out.code, 1, "{env}: case {i} must be refused: {out:?}");
        }
    }
}
