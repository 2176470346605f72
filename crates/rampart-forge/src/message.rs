//! The human-readable message inside a forge's error answer.

/// Longest forge error message kept in an error (bodies can be whole HTML pages).
const MESSAGE_LIMIT: usize = 400;

/// The forge's error message from an error body: GitHub `message` + `errors[].message`,
/// GitLab `message` (string, list or field map) or `error`, Gitea `message`.
pub(crate) fn forge_message(body: &[u8]) -> String {
    let message = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => json_message(&json),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                "(empty body)".to_owned()
            } else if text.starts_with('<') {
                "(an HTML page, not a JSON API answer)".to_owned()
            } else {
                text.lines().next().unwrap_or_default().to_owned()
            }
        }
    };
    shorten(message)
}

fn json_message(json: &serde_json::Value) -> String {
    use serde_json::Value;
    let mut parts = Vec::new();
    for key in ["message", "error", "error_description"] {
        match json.get(key) {
            Some(Value::String(text)) if !text.is_empty() => parts.push(text.clone()),
            Some(Value::Array(items)) => parts.extend(items.iter().map(value_text)),
            Some(Value::Object(fields)) => parts.extend(
                fields
                    .iter()
                    .map(|(field, detail)| format!("{field} {}", value_text(detail))),
            ),
            _ => {}
        }
    }
    if let Some(Value::Array(errors)) = json.get("errors") {
        for error in errors {
            match error.get("message") {
                Some(Value::String(text)) => parts.push(text.clone()),
                _ => parts.push(value_text(error)),
            }
        }
    }
    if parts.is_empty() {
        json.to_string()
    } else {
        parts.join("; ")
    }
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

fn shorten(mut message: String) -> String {
    if message.chars().count() > MESSAGE_LIMIT {
        message = message.chars().take(MESSAGE_LIMIT).collect();
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_each_forge_are_extracted() {
        let github = br#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for acme:rampart/dev."}],"documentation_url":"https://docs.github.com/rest"}"#;
        assert_eq!(
            forge_message(github),
            "Validation Failed; A pull request already exists for acme:rampart/dev."
        );
        let gitlab = br#"{"message":["Another open merge request already exists for this source branch: !7"]}"#;
        assert_eq!(
            forge_message(gitlab),
            "Another open merge request already exists for this source branch: !7"
        );
        let gitlab_fields = br#"{"message":{"title":["can't be blank"]}}"#;
        assert_eq!(forge_message(gitlab_fields), "title can't be blank");
        let gitlab_oauth = br#"{"error":"insufficient_scope","error_description":"The request requires higher privileges."}"#;
        assert_eq!(
            forge_message(gitlab_oauth),
            "insufficient_scope; The request requires higher privileges."
        );
        assert_eq!(
            forge_message(b"<!DOCTYPE html><html>..."),
            "(an HTML page, not a JSON API answer)"
        );
        assert_eq!(forge_message(b""), "(empty body)");
        assert!(forge_message("x".repeat(2000).as_bytes()).chars().count() <= MESSAGE_LIMIT + 1);
    }
}
