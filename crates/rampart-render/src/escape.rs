//! YAML-safe output: every `{{value}}` becomes a double-quoted scalar and `{{json value}}`
//! a one-line JSON (flow YAML) value, so no request value can add a key, an object or a
//! document, whatever newlines, colons, quotes, `---` or `{{` it holds.

use handlebars::{Context, Helper, HelperResult, Output, RenderContext, RenderErrorReason};

/// Quotes `s` as a JSON string, which YAML reads as a double-quoted scalar.
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || c == '\u{85}'
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}' =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// The `concat` helper: joins its parameters into one string (then quoted like any value).
handlebars::handlebars_helper!(
    concat_helper: |*args| args.iter().map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }).collect::<String>()
);

/// The `json` helper: writes its one parameter as compact JSON, unescaped.
pub fn json_helper(
    h: &Helper,
    _: &handlebars::Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let param = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("json", 0))?;
    if param.is_value_missing() {
        return Err(RenderErrorReason::MissingVariable(param.relative_path().cloned()).into());
    }
    let text = serde_json::to_string(param.value())
        .map_err(|e| RenderErrorReason::Other(format!("json helper: {e}")))?;
    // serde_json escapes U+2028/U+2029 nowhere; YAML treats them as line breaks.
    out.write(
        &text
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029"),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_stay_one_scalar() {
        for hostile in [
            "a\nkind: Secret",
            "x: y",
            "\"quoted\"",
            "---\napiVersion: v1",
            "{{name}}",
            "tab\there",
            "back\\slash",
            "\u{2028}line",
        ] {
            let yaml = format!("key: {}\n", yaml_quote(hostile));
            let parsed: serde_json::Map<String, serde_json::Value> =
                rampart_yaml::reference::typed(&yaml).unwrap();
            assert_eq!(parsed.len(), 1, "{yaml}");
            assert_eq!(parsed["key"].as_str(), Some(hostile), "{yaml}");
        }
    }
}
