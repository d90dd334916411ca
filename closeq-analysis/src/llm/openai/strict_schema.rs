//! The answer schema as OpenAI's strict structured output takes it.
//!
//! Strict mode (`json_schema` with `strict: true`, and strict tool calls)
//! accepts a subset of JSON Schema: `format` is defined for strings only
//! (`date-time`, `email`, `uuid`, ...), and the `$schema` dialect marker is
//! not part of the subset. schemars writes `"format": "uint32"` on every
//! `u32` (the judge's utterance ids) and a `$schema` at the top. Both are
//! dropped here; the bounds (`minimum`, `maximum`) that say the same stay,
//! and every answer is validated against the full schema anyway.

use serde_json::Value;

/// `schema` without what strict mode does not define.
pub(super) fn strict_schema(schema: &Value) -> Value {
    let mut out = schema.clone();
    if let Some(o) = out.as_object_mut() {
        o.remove("$schema");
    }
    strip(&mut out);
    out
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let string_typed = match o.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            if !string_typed {
                o.remove("format");
            }
            for (_, child) in o.iter_mut() {
                strip(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The judge's schema for every built-in rubric, made strict: no
    /// `format` outside strings, no `$schema`, and what strict mode
    /// requires of objects (every property required, no others allowed).
    #[test]
    fn the_judge_schema_fits_strict_mode() {
        for r in crate::rubric::builtin_rubrics().unwrap() {
            let s = strict_schema(&crate::scoring::answer_schema(&r));
            let text = s.to_string();
            assert!(!text.contains("uint32"), "{}: {text}", r.id);
            assert!(s.get("$schema").is_none());
            check_objects(&s, &r.id.to_string());
        }
        // Strings keep their format.
        let s = strict_schema(&serde_json::json!({"type": "string", "format": "date-time"}));
        assert_eq!(s["format"], "date-time");
    }

    fn check_objects(v: &Value, at: &str) {
        match v {
            Value::Object(o) => {
                if o.get("type") == Some(&Value::from("object")) {
                    assert_eq!(
                        o.get("additionalProperties"),
                        Some(&Value::Bool(false)),
                        "{at}"
                    );
                    let props: Vec<&String> = o
                        .get("properties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().collect())
                        .unwrap_or_default();
                    let required: Vec<&str> = o
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    for p in props {
                        assert!(required.contains(&p.as_str()), "{at}: {p} not required");
                    }
                }
                for child in o.values() {
                    check_objects(child, at);
                }
            }
            Value::Array(a) => a.iter().for_each(|c| check_objects(c, at)),
            _ => {}
        }
    }
}
