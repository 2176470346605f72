//! Differential checks shared by the tests: the fast path against serde_yaml_ng itself.

use serde::Deserialize;
use serde_json::Value;

/// What serde_yaml_ng makes of every document of `text` (the first error as text).
pub fn serde_documents(text: &str) -> Result<Vec<Value>, String> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(Value::deserialize)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

/// Asserts that whatever the fast path accepts, serde_yaml_ng parses to exactly the same
/// values (number kinds included), for both entry points; returns whether it accepted.
pub fn agrees(text: &str) -> bool {
    let slow = serde_documents(text);
    let fast = rampart_yaml::fast_documents(text);
    if let Some(fast) = &fast {
        match &slow {
            Ok(slow) => assert_eq!(fast, slow, "documents of {text:?}"),
            Err(e) => panic!("fast path accepted {text:?}, serde_yaml_ng fails: {e}"),
        }
        assert_eq!(
            same_numbers(fast),
            same_numbers(slow.as_ref().unwrap()),
            "number kinds in {text:?}"
        );
    }
    if let Some(one) = rampart_yaml::fast_from_str(text) {
        let slow = serde_yaml_ng::from_str::<Value>(text)
            .unwrap_or_else(|e| panic!("fast from_str accepted {text:?}, serde_yaml_ng: {e}"));
        assert_eq!(one, slow, "from_str of {text:?}");
    }
    // The public functions give serde_yaml_ng's answer either way.
    assert_eq!(
        rampart_yaml::documents(text).map_err(|e| e.to_string()),
        slow,
        "documents() of {text:?}"
    );
    fast.is_some()
}

/// Every number with its kind spelled out (u64, i64 or f64), so 1 and 1.0 differ.
fn same_numbers(docs: &[Value]) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::Number(n) if n.is_u64() => out.push_str(&format!("u{n},")),
            Value::Number(n) if n.is_i64() => out.push_str(&format!("i{n},")),
            Value::Number(n) => out.push_str(&format!("f{n},")),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                out.push_str(k);
                walk(v, out);
            }),
            _ => {}
        }
    }
    let mut out = String::new();
    docs.iter().for_each(|d| walk(d, &mut out));
    out
}
