//! Evaluates a rendered ValidatingAdmissionPolicy the way the API server does: `object`,
//! `oldObject`, `request`, `namespaceObject` and `params` (null: the policies have no
//! paramKind) bound; `spec.matchConditions` first (any false: the request is not checked), each of `spec.variables` evaluated in order and
//! exposed as `variables.<name>`, then every validation (and, when it fails, its
//! messageExpression). Any expression the engine cannot parse or evaluate fails the test.

use cel::{Context, Env, Value as Cel};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// What the table observed of each expression, keyed by (policy, expression).
#[derive(Default)]
pub struct Coverage {
    /// Every expression evaluated at least once.
    pub evaluated: BTreeSet<(String, String)>,
    /// Results seen of each validation expression.
    pub outcomes: BTreeMap<(String, String), BTreeSet<bool>>,
}

/// A failed validation: the variable it checks and the message the user would see.
#[derive(Debug)]
pub struct Denial {
    pub variable: String,
    pub message: String,
}

fn env() -> Arc<Env> {
    let mut env = Env::stdlib();
    // Kubernetes CEL includes cel-go's strings extension (split, join, ...).
    env.add_extension(cel::extensions::strings)
        .expect("strings extension");
    Arc::new(env)
}

fn eval(env: &Arc<Env>, ctx: &Context, policy: &str, expr: &str, cov: &mut Coverage) -> Cel {
    let program = env
        .compile(expr)
        .unwrap_or_else(|e| panic!("{policy}: the CEL engine cannot parse `{expr}`: {e:?}"));
    cov.evaluated.insert((policy.to_string(), expr.to_string()));
    program
        .execute(ctx)
        .unwrap_or_else(|e| panic!("{policy}: `{expr}` failed: {e:?}"))
}

fn to_cel(v: &Value) -> Cel {
    cel::to_value(v).expect("JSON converts to CEL")
}

/// An admission request: the operation and, for UPDATE, the object before.
pub struct Request<'a> {
    pub operation: &'a str,
    pub old: &'a Value,
}

/// A CREATE.
pub const CREATE: Request<'static> = Request {
    operation: "CREATE",
    old: &Value::Null,
};

/// The validations of `policy` that deny `object`.
pub fn evaluate(
    policy: &Value,
    object: &Value,
    namespace: &Value,
    request: &Request,
    cov: &mut Coverage,
) -> Vec<Denial> {
    let env = env();
    let name = policy["metadata"]["name"].as_str().unwrap_or_default();
    let mut ctx = Context::with_env(Arc::clone(&env));
    ctx.add_variable_from_value("object", to_cel(object));
    ctx.add_variable_from_value("params", Cel::Null);
    ctx.add_variable_from_value("namespaceObject", to_cel(namespace));
    ctx.add_variable_from_value("oldObject", to_cel(request.old));
    ctx.add_variable_from_value(
        "request",
        to_cel(&serde_json::json!({"operation": request.operation})),
    );
    // Every condition is evaluated (so each is covered); any false skips the policy.
    let mut matched = true;
    for condition in policy["spec"]["matchConditions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let expr = condition["expression"].as_str().unwrap_or_default();
        match eval(&env, &ctx, name, expr, cov) {
            Cel::Bool(b) => {
                cov.outcomes
                    .entry((name.to_string(), expr.to_string()))
                    .or_default()
                    .insert(b);
                matched &= b;
            }
            other => panic!("{name}: matchCondition `{expr}` is not a bool: {other:?}"),
        }
    }
    if !matched {
        return Vec::new();
    }
    let mut variables: HashMap<String, Cel> = HashMap::new();
    for var in policy["spec"]["variables"].as_array().into_iter().flatten() {
        ctx.add_variable_from_value("variables", variables.clone());
        let expr = var["expression"].as_str().unwrap_or_default();
        let value = eval(&env, &ctx, name, expr, cov);
        variables.insert(var["name"].as_str().unwrap_or_default().to_string(), value);
    }
    ctx.add_variable_from_value("variables", variables);
    let mut denials = Vec::new();
    for validation in policy["spec"]["validations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let expr = validation["expression"].as_str().unwrap_or_default();
        let passed = match eval(&env, &ctx, name, expr, cov) {
            Cel::Bool(b) => b,
            other => panic!("{name}: `{expr}` is not a bool: {other:?}"),
        };
        cov.outcomes
            .entry((name.to_string(), expr.to_string()))
            .or_default()
            .insert(passed);
        if !passed {
            let message = match validation["messageExpression"].as_str() {
                Some(m) => match eval(&env, &ctx, name, m, cov) {
                    Cel::String(s) => s.to_string(),
                    other => panic!("{name}: messageExpression `{m}` is not a string: {other:?}"),
                },
                None => validation["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            };
            denials.push(Denial {
                variable: checked_variable(expr),
                message,
            });
        }
    }
    denials
}

/// `size(variables.X) == 0` → `X`.
pub fn checked_variable(expr: &str) -> String {
    expr.strip_prefix("size(variables.")
        .and_then(|rest| rest.strip_suffix(") == 0"))
        .unwrap_or_else(|| panic!("unexpected validation shape `{expr}`"))
        .to_string()
}

/// Whether a label selector (`matchLabels` and `matchExpressions`) selects `labels`.
pub fn selects(selector: &Value, labels: &Value) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let by_labels = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let by_expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or_default();
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e["operator"].as_str() {
                Some("In") => label(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => label(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => label(key).is_some(),
                Some("DoesNotExist") => label(key).is_none(),
                other => panic!("unknown operator {other:?}"),
            }
        });
    by_labels && by_expressions
}

/// Whether `policy` matches objects of `kind` (its resourceRules name the plural).
pub fn matches_kind(policy: &Value, api_version: &str, kind: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let resource = format!("{}s", kind.to_lowercase());
    policy["spec"]["matchConstraints"]["resourceRules"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|rule| {
            let has = |field: &str, want: &str| {
                rule[field]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|v| v == want))
            };
            has("apiGroups", group) && has("resources", &resource)
        })
}
