//! Secrets-manager access policies (4.5): a Vault/OpenBao ACL policy or an AWS IAM policy
//! that grants secret reads through a wildcard lets one team read every other team's
//! secrets.

use serde_json::Value;

use super::SECRET_BACKEND_WILDCARD;
use crate::finding::Finding;
use crate::load::{IAM_POLICY, VAULT_POLICY};
use crate::object::Object;

/// Capabilities that read or change secrets.
const VAULT_GRANTS: &[&str] = &["read", "list", "create", "update", "patch", "sudo"];
/// IAM actions that read a secret's value.
const IAM_READS: &[&str] = &[
    "*",
    "secretsmanager:*",
    "secretsmanager:get*",
    "secretsmanager:getsecretvalue",
    "secretsmanager:batchgetsecretvalue",
];

/// Checks Vault and IAM policy documents.
pub(crate) fn check(obj: &Object<'_>, out: &mut Vec<Finding>) {
    match obj.kind {
        VAULT_POLICY => check_vault(obj, out),
        IAM_POLICY => check_iam(obj, out),
        _ => {}
    }
}

fn check_vault(obj: &Object<'_>, out: &mut Vec<Finding>) {
    for p in obj.value()["paths"].as_array().into_iter().flatten() {
        let path = p["path"].as_str().unwrap_or_default();
        let grants: Vec<&str> = p["capabilities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|c| VAULT_GRANTS.contains(c))
            .collect();
        if (path.contains('*') || path.contains('+')) && !grants.is_empty() {
            out.push(obj.finding(
                &SECRET_BACKEND_WILDCARD,
                &format!("path \"{path}\" (line {})", p["line"]),
                &format!("grants {} through a wildcard", grants.join(", ")),
                "list each secret's exact path (`rampart render` writes such policies per namespace into clusters/<env>/cluster/secrets-backend/vault/)",
            ));
        }
    }
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn check_iam(obj: &Object<'_>, out: &mut Vec<Finding>) {
    let statements = match &obj.value()["Statement"] {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for (i, st) in statements.into_iter().enumerate() {
        if st["Effect"] != "Allow" {
            continue;
        }
        let reads = strings(&st["Action"])
            .iter()
            .any(|a| IAM_READS.contains(&a.to_ascii_lowercase().as_str()));
        let wild: Vec<&str> = strings(&st["Resource"])
            .into_iter()
            .filter(|r| {
                // AWS appends `-` and six characters to a secret's name: `-??????` names one.
                let named = r.strip_suffix("-??????").unwrap_or(r);
                named.contains('*') || named.contains('?')
            })
            .collect();
        if reads && !wild.is_empty() {
            out.push(obj.finding(
                &SECRET_BACKEND_WILDCARD,
                &format!("Statement[{i}].Resource"),
                &format!("grants secret reads on {}", wild.join(", ")),
                "name each secret's ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-??????`); `rampart render` writes such documents per namespace into clusters/<env>/cluster/secrets-backend/aws/",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Options, check, parse_documents};

    fn rules(file: &str, text: &str) -> Vec<&'static str> {
        let (docs, errors) = parse_documents(file, text.as_bytes());
        assert!(errors.is_empty(), "{errors:?}");
        check(&docs, &Options::default())
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn vault_globs_that_grant_reads_are_found() {
        let wild = "path \"secret/data/*\" {\n  capabilities = [\"read\"]\n}\n";
        assert_eq!(rules("p.hcl", wild), ["secret-backend-wildcard"]);
        let segment = "path \"secret/data/+/db\" { capabilities = [\"list\"] }\n";
        assert_eq!(rules("p.hcl", segment), ["secret-backend-wildcard"]);
        let exact = "path \"secret/data/shop/db\" {\n  capabilities = [\"read\"]\n}\n";
        assert!(rules("p.hcl", exact).is_empty());
        let denied = "path \"secret/data/*\" { capabilities = [\"deny\"] }\n";
        assert!(rules("p.hcl", denied).is_empty());
    }

    #[test]
    fn iam_wildcards_on_secret_reads_are_found_and_the_name_suffix_is_not_one() {
        let doc = |action: &str, resource: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
            )
        };
        let named = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:shop/db-??????";
        assert!(rules("p.json", &doc("secretsmanager:GetSecretValue", named)).is_empty());
        for (action, resource) in [
            ("secretsmanager:GetSecretValue", "*"),
            (
                "secretsmanager:*",
                "arn:aws:secretsmanager:eu-central-1:123456789012:secret:shop/*",
            ),
            (
                "*",
                "arn:aws:secretsmanager:eu-central-1:123456789012:secret:*",
            ),
        ] {
            assert_eq!(
                rules("p.json", &doc(action, resource)),
                ["secret-backend-wildcard"],
                "{action} {resource}"
            );
        }
        assert!(rules("p.json", &doc("secretsmanager:ListSecrets", "*")).is_empty());
    }
}
