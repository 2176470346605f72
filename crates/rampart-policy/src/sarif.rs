//! Findings as a SARIF 2.1.0 log, for code scanning (e.g. GitHub's `upload-sarif`).

use serde_json::{Value, json};

use crate::{Finding, RULES, Rule, Severity};

/// The schema a SARIF 2.1.0 log names in `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where the tool is documented (`tool.driver.informationUri`).
pub const INFORMATION_URI: &str = "https://example.invalid/rampart";
/// The key of the fingerprint in `partialFingerprints`; bump the version when its input
/// changes, so code scanning does not mistake new fingerprints for fixed findings.
pub const FINGERPRINT_KEY: &str = "rampartFinding/v1";

/// A pretty-printed SARIF 2.1.0 log with one run: `tool.driver` describes `rampart`
/// `version` and every rule of [`RULES`]; each finding becomes a result with its rule,
/// level, message (with the fix), location (file and the object's line) and a stable
/// fingerprint of file, rule, object and field path, and, when its fix is a known text
/// replacement ([`Finding::text_edit`]), `fixes` with that `artifactChange`. `input_errors` (files or documents
/// that could not be checked) become error notifications of the invocation, which is then
/// not successful.
pub fn sarif(findings: &[Finding], input_errors: &[String], version: &str) -> String {
    let rules: Vec<Value> = RULES.iter().map(rule).collect();
    let results: Vec<Value> = findings.iter().map(result).collect();
    let notifications: Vec<Value> = input_errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": e}}))
        .collect();
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "rampart",
                    "informationUri": INFORMATION_URI,
                    "semanticVersion": version,
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": input_errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    format!("{log:#}\n")
}

/// SARIF `level` of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning's `security-severity` (a CVSS-like score) of a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
    }
}

fn rule(rule: &Rule) -> Value {
    let full = format!(
        "{} (Kubernetes security checklist {}; severity {}).",
        capitalized(rule.title),
        rule.checklist,
        rule.severity
    );
    let help = format!(
        "Checklist {}: {}. Each finding names the object, the field path and a fix. \
         To accept a finding for one object, annotate it with \
         `rampart.dev/ignore: \"{}: <reason>\"`.",
        rule.checklist, rule.title, rule.id
    );
    json!({
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": full},
        "help": {"text": help},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "tags": ["security", format!("checklist-{}", rule.checklist)],
            "security-severity": security_severity(rule.severity),
        }
    })
}

fn result(f: &Finding) -> Value {
    let index = RULES.iter().position(|r| r.id == f.rule);
    let mut result = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": format!("{} Fix: {}", with_period(&f.message), f.fix)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri(&f.file)},
                "region": {"startLine": f.line.max(1)},
            }
        }],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f)},
        "properties": {
            "checklist": f.checklist,
            "severity": f.severity.as_str(),
            "object": f.object(),
        }
    });
    if let (Some(index), Some(map)) = (index, result.as_object_mut()) {
        map.insert("ruleIndex".to_owned(), json!(index));
    }
    if let (Some(edit), Some(map)) = (&f.text_edit, result.as_object_mut()) {
        // SARIF 2.1.0 §3.55 (fix) and §3.57 (replacement); columns count code points (the
        // run's columnKind).
        map.insert(
            "fixes".to_owned(),
            json!([{
                "description": {"text": f.fix},
                "artifactChanges": [{
                    "artifactLocation": {"uri": uri(&f.file)},
                    "replacements": [{
                        "deletedRegion": {
                            "startLine": edit.start_line,
                            "startColumn": edit.start_column,
                            "endLine": edit.end_line,
                            "endColumn": edit.end_column,
                        },
                        "insertedContent": {"text": edit.inserted},
                    }],
                }],
            }]),
        );
    }
    result
}

/// FNV-1a (64 bit) of file, rule, object and field path: stable across runs and releases,
/// independent of the line and the message wording.
fn fingerprint(f: &Finding) -> String {
    let object = f.object();
    let path = f
        .message
        .strip_prefix(&format!("{object} "))
        .and_then(|rest| rest.split_once(": "))
        .map_or(f.message.as_str(), |(path, _)| path);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [uri(&f.file).as_str(), f.rule, object.as_str(), path] {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// A file as shown to the user as a URI reference: `/` separators, percent-encoded
/// where needed; absolute paths become `file://` URIs.
fn uri(file: &str) -> String {
    let file = file.replace('\\', "/");
    let mut out = String::new();
    if file.starts_with('/') {
        out.push_str("file://");
    }
    for byte in file.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn pascal_case(id: &str) -> String {
    id.split('-').map(capitalized).collect()
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn with_period(s: &str) -> String {
    if s.ends_with(['.', '!', '?']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::run;

    const TWO: &str = "kind: Secret\nmetadata: {name: s, namespace: n}\ndata: {k: dg==}\n---\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {name: cluster-admin}\n";

    fn log(findings: &[Finding], errors: &[String]) -> Value {
        serde_json::from_str(&sarif(findings, errors, "1.2.3")).unwrap_or_default()
    }

    #[test]
    fn the_driver_describes_every_rule() {
        let log = log(&[], &[]);
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SARIF_SCHEMA);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "rampart");
        assert_eq!(driver["semanticVersion"], "1.2.3");
        let rules = driver["rules"].as_array().cloned().unwrap_or_default();
        assert_eq!(rules.len(), RULES.len());
        let wildcard = &rules[0];
        assert_eq!(wildcard["id"], "rbac-wildcard");
        assert_eq!(wildcard["name"], "RbacWildcard");
        assert_eq!(wildcard["defaultConfiguration"]["level"], "error");
        assert_eq!(
            wildcard["properties"]["tags"],
            json!(["security", "checklist-1.2"])
        );
        assert!(
            wildcard["fullDescription"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("checklist 1.2")),
            "{wildcard}"
        );
        assert_eq!(log["runs"][0]["results"], json!([]));
        assert_eq!(
            log["runs"][0]["invocations"][0]["executionSuccessful"],
            true
        );
    }

    #[test]
    fn results_point_at_rule_file_and_line_with_stable_fingerprints() {
        let findings = run(TWO);
        let out = log(&findings, &["x.yaml:3: error: bad".to_owned()]);
        let results = &out["runs"][0]["results"];
        let rules = &out["runs"][0]["tool"]["driver"]["rules"];
        for (i, f) in findings.iter().enumerate() {
            let r = &results[i];
            assert_eq!(r["ruleId"], f.rule);
            let index = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
            assert_eq!(rules[index]["id"], f.rule);
            let location = &r["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uri"], "t.yaml");
            assert_eq!(location["region"]["startLine"], f.line);
        }
        assert_eq!(results[0]["level"], "error");
        let fp = |r: &Value| r["partialFingerprints"][FINGERPRINT_KEY].clone();
        assert_ne!(fp(&results[0]), fp(&results[1]));
        // The same object moved down a line keeps its fingerprint.
        let moved = run(&format!("# comment\n{TWO}"));
        let again = log(&moved, &[]);
        assert_eq!(fp(&again["runs"][0]["results"][0]), fp(&results[0]));
        assert_eq!(
            again["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            2
        );
        let invocation = &out["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        assert_eq!(
            invocation["toolExecutionNotifications"][0]["message"]["text"],
            "x.yaml:3: error: bad"
        );
    }

    #[test]
    fn uris_use_slashes_and_are_encoded() {
        assert_eq!(uri("clusters\\dev\\a b.yaml"), "clusters/dev/a%20b.yaml");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(uri("/tmp/x.yaml"), "file:///tmp/x.yaml");
    }
}
