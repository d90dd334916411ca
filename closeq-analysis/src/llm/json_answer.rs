//! JSON answers from models that were only asked, not forced, to follow a
//! schema: the JSON taken out of the text around it, and checked against
//! the schema.
//!
//! The check covers the JSON Schema keywords CloseQ's own schemas use
//! (`type`, `properties`, `required`, `additionalProperties`, `items`,
//! `enum`, `const`, `minimum`, `maximum`, `minItems`, `maxItems`,
//! `minLength`, `maxLength`, `anyOf`, `oneOf`, `allOf` and local `$ref`s);
//! other keywords are annotations to it and are not checked.

use serde_json::Value;

/// The JSON object in a model's text answer: the answer itself, or the
/// part between the first `{` and the last `}` (code fences and chatter
/// around it dropped). `None` when there is no object.
pub fn extract_json(text: &str) -> Option<&str> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (end > start).then(|| &text[start..=end])
}

/// Checks `value` against `schema`; the error names the first JSON
/// pointer that does not match and why (never the value itself).
pub fn check(value: &Value, schema: &Value) -> Result<(), String> {
    Checker { root: schema }.check(value, schema, "", 0)
}

struct Checker<'a> {
    root: &'a Value,
}

const MAX_DEPTH: usize = 64;

fn type_matches(value: &Value, ty: &str) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

fn at(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

impl<'a> Checker<'a> {
    fn resolve(&self, reference: &str) -> Result<&'a Value, String> {
        let pointer = reference
            .strip_prefix('#')
            .ok_or_else(|| format!("unsupported $ref {reference}"))?;
        self.root
            .pointer(pointer)
            .ok_or_else(|| format!("unresolvable $ref {reference}"))
    }

    fn check(&self, value: &Value, schema: &Value, path: &str, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("{}: schema nested too deeply", at(path)));
        }
        let Some(s) = schema.as_object() else {
            return match schema {
                Value::Bool(false) => Err(format!("{}: not allowed here", at(path))),
                _ => Ok(()),
            };
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            self.check(value, self.resolve(r)?, path, depth + 1)?;
        }
        match s.get("type") {
            Some(Value::String(t)) if !type_matches(value, t) => {
                return Err(format!("{}: expected {t}", at(path)));
            }
            Some(Value::Array(ts))
                if !ts
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|t| type_matches(value, t)) =>
            {
                return Err(format!("{}: wrong type", at(path)));
            }
            _ => {}
        }
        if let Some(options) = s.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            return Err(format!("{}: not one of the allowed values", at(path)));
        }
        if let Some(c) = s.get("const")
            && c != value
        {
            return Err(format!("{}: not the required constant", at(path)));
        }
        self.check_bounds(value, s, path)?;
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(value, sub, path, depth + 1)?;
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(any) = s.get(key).and_then(Value::as_array)
                && !any
                    .iter()
                    .any(|sub| self.check(value, sub, path, depth + 1).is_ok())
            {
                return Err(format!("{}: matches none of the {key} schemas", at(path)));
            }
        }
        if let Some(obj) = value.as_object() {
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(req) = s.get("required").and_then(Value::as_array) {
                for k in req.iter().filter_map(Value::as_str) {
                    if !obj.contains_key(k) {
                        return Err(format!("{}: missing required property {k}", at(path)));
                    }
                }
            }
            for (k, v) in obj {
                let child = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                match props.and_then(|p| p.get(k)) {
                    Some(sub) => self.check(v, sub, &child, depth + 1)?,
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            return Err(format!("{}: unexpected property", at(&child)));
                        }
                        Some(sub @ Value::Object(_)) => self.check(v, sub, &child, depth + 1)?,
                        _ => {}
                    },
                }
            }
        }
        if let (Some(items), Some(arr)) = (s.get("items"), value.as_array()) {
            for (i, v) in arr.iter().enumerate() {
                self.check(v, items, &format!("{path}/{i}"), depth + 1)?;
            }
        }
        Ok(())
    }

    fn check_bounds(
        &self,
        value: &Value,
        s: &serde_json::Map<String, Value>,
        path: &str,
    ) -> Result<(), String> {
        let num = |k: &str| s.get(k).and_then(Value::as_f64);
        if let Some(x) = value.as_f64() {
            if num("minimum").is_some_and(|m| x < m) {
                return Err(format!("{}: below the minimum", at(path)));
            }
            if num("maximum").is_some_and(|m| x > m) {
                return Err(format!("{}: above the maximum", at(path)));
            }
        }
        let len = match value {
            Value::Array(a) => Some((a.len(), "minItems", "maxItems", "items")),
            Value::String(t) => Some((t.chars().count(), "minLength", "maxLength", "characters")),
            _ => None,
        };
        if let Some((n, min, max, unit)) = len {
            let n = n as f64;
            if num(min).is_some_and(|m| n < m) {
                return Err(format!("{}: too few {unit}", at(path)));
            }
            if num(max).is_some_and(|m| n > m) {
                return Err(format!("{}: too many {unit}", at(path)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn extracts_the_object_from_fenced_text() {
        assert_eq!(
            extract_json("Sure!\n```json\n{\"a\": {\"b\": 1}}\n```\n"),
            Some("{\"a\": {\"b\": 1}}")
        );
        assert_eq!(extract_json("no json"), None);
        assert_eq!(extract_json("} {"), None);
    }

    #[test]
    fn checks_refs_required_enums_and_extra_properties() {
        let schema = json!({
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "maxItems": 2}},
            "required": ["items"],
            "additionalProperties": false,
            "$defs": {"Item": {"type": "object", "properties": {
                "kind": {"type": "string", "enum": ["a", "b"]},
                "n": {"type": "integer", "minimum": 0}
            }, "required": ["kind", "n"], "additionalProperties": false}}
        });
        assert!(check(&json!({"items": [{"kind": "a", "n": 3}]}), &schema).is_ok());
        let cases = [
            (json!({}), "/: missing required property items"),
            (json!({"items": [], "x": 1}), "/x: unexpected property"),
            (
                json!({"items": [{"kind": "c", "n": 1}]}),
                "/items/0/kind: not one of the allowed values",
            ),
            (
                json!({"items": [{"kind": "a", "n": -1}]}),
                "/items/0/n: below the minimum",
            ),
            (
                json!({"items": [{"kind": "a", "n": 1.5}]}),
                "/items/0/n: expected integer",
            ),
            (
                json!({"items": [{"kind": "a", "n": 1}, {"kind": "a", "n": 1}, {"kind": "a", "n": 1}]}),
                "/items: too many items",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(check(&value, &schema).unwrap_err(), want);
        }
    }
}
