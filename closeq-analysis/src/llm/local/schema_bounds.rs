//! Bounds for a schema before it becomes a grammar: a grammar-constrained
//! model that is never told to stop a string can fill its whole token
//! budget with one, so every string and array left unbounded gets a limit.

use serde_json::Value;

/// `schema` with `maxLength: max_chars` on every string schema and
/// `maxItems: max_items` on every array schema that has no such limit;
/// limits the schema already sets are kept.
pub fn bound_schema(schema: &Value, max_chars: u32, max_items: u32) -> Value {
    let mut out = schema.clone();
    bound(&mut out, max_chars, max_items, 0);
    out
}

const MAX_DEPTH: usize = 64;

fn has_type(o: &serde_json::Map<String, Value>, ty: &str) -> bool {
    match o.get("type") {
        Some(Value::String(t)) => t == ty,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == ty),
        _ => false,
    }
}

fn bound(v: &mut Value, max_chars: u32, max_items: u32, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(o) => {
            if has_type(o, "string") && !o.contains_key("enum") && !o.contains_key("const") {
                o.entry("maxLength").or_insert(Value::from(max_chars));
            }
            if has_type(o, "array") {
                o.entry("maxItems").or_insert(Value::from(max_items));
            }
            for child in o.values_mut() {
                bound(child, max_chars, max_items, depth + 1);
            }
        }
        Value::Array(items) => {
            for child in items {
                bound(child, max_chars, max_items, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bounds_only_what_is_unbounded() {
        let s = json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": "string", "maxLength": 5},
            "c": {"type": "array", "items": {"type": "string", "enum": ["x"]}},
            "d": {"type": ["array", "null"], "maxItems": 1, "items": {"type": "integer"}}
        }});
        let b = bound_schema(&s, 80, 3);
        assert_eq!(b["properties"]["a"]["maxLength"], 80);
        assert_eq!(b["properties"]["b"]["maxLength"], 5);
        assert_eq!(b["properties"]["c"]["maxItems"], 3);
        assert!(b["properties"]["c"]["items"].get("maxLength").is_none());
        assert_eq!(b["properties"]["d"]["maxItems"], 1);
    }
}
