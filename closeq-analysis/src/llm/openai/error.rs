//! Reading OpenAI-compatible error bodies: a 400 that names a parameter
//! the model refuses, and a 500 that is really a request-validation error
//! (llama-cpp-python answers bad requests that way) are configuration
//! errors, typed and never retried. The body is read only to recognise
//! them; nothing of it but a sanitised parameter name and error code goes
//! into the error (servers echo the request, transcript included).

use std::time::Duration;

use closeq_core::Error;

use super::options::StructuredOutput;
use super::wire;
use crate::http::{Outcome, classify_status};

/// The parameters this adapter sends, longest first so a message naming
/// `max_completion_tokens` is not read as `max_tokens`.
const OUR_PARAMETERS: [&str; 9] = [
    "max_completion_tokens",
    "response_format",
    "tool_choice",
    "temperature",
    "json_schema",
    "max_tokens",
    "tools",
    "seed",
    "stream",
];

/// Words of request-validation errors (pydantic, FastAPI, OpenAI's own).
const VALIDATION_MARKERS: [&str; 8] = [
    "validation error",
    "input should be",
    "field required",
    "extra inputs are not permitted",
    "literal_error",
    "is not supported",
    "unsupported parameter",
    "unrecognized request argument",
];

/// What the adapter was sending, for the error's advice.
pub(crate) struct Sent<'a> {
    pub provider: &'static str,
    pub model: &'a str,
    pub mode: StructuredOutput,
}

/// Classifies an error status with the body's help; falls back to
/// [`classify_status`].
pub(crate) fn classify(
    sent: &Sent<'_>,
    status: u16,
    body: &str,
    retry_after: Option<Duration>,
) -> Outcome<()> {
    let detail = serde_json::from_str::<wire::ErrorBody>(body)
        .ok()
        .map(|b| b.error);
    let message = detail
        .as_ref()
        .and_then(|d| d.message.as_deref())
        .unwrap_or(body)
        .to_ascii_lowercase();
    let code = detail
        .as_ref()
        .and_then(|d| d.code.as_ref())
        .and_then(serde_json::Value::as_str)
        .map(clean)
        .filter(|c| !c.is_empty());
    let named = detail
        .as_ref()
        .and_then(|d| d.param.as_ref())
        .and_then(serde_json::Value::as_str)
        .map(clean)
        .filter(|p| !p.is_empty());
    let mentioned = OUR_PARAMETERS
        .into_iter()
        .find(|p| message.contains(p))
        .map(str::to_owned);
    let validation = VALIDATION_MARKERS.iter().any(|m| message.contains(m))
        || detail
            .as_ref()
            .and_then(|d| d.kind.as_deref())
            .is_some_and(|k| k == "invalid_request_error");
    match status {
        400 | 422 => match named.or(mentioned) {
            Some(param) => Outcome::Fail(configuration(sent, &param, status, code.as_deref())),
            None => classify_status(sent.provider, status, body, retry_after),
        },
        500 if validation => {
            let param = named.or(mentioned).unwrap_or_else(|| "request".into());
            Outcome::Fail(configuration(sent, &param, status, code.as_deref()))
        }
        _ => classify_status(sent.provider, status, body, retry_after),
    }
}

/// The typed, non-retryable error for a refused parameter: an
/// [`Error::InvalidInput`] whose field is the parameter and whose reason
/// says which setting to change.
fn configuration(sent: &Sent<'_>, param: &str, status: u16, code: Option<&str>) -> Error {
    let root = param.split(['.', '[']).next().unwrap_or(param);
    let advice = match root {
        "response_format" | "json_schema" | "tools" | "tool_choice" => format!(
            "structured-output mode {} was refused; set CLOSEQ_OPENAI_STRUCTURED_OUTPUT to one of {}",
            sent.mode,
            sent.mode.alternatives()
        ),
        "max_tokens" => "set CLOSEQ_OPENAI_TOKEN_LIMIT=max_completion_tokens".to_owned(),
        "max_completion_tokens" => "set CLOSEQ_OPENAI_TOKEN_LIMIT=max_tokens".to_owned(),
        "temperature" => "set CLOSEQ_OPENAI_TEMPERATURE=omit".to_owned(),
        _ if sent.mode != StructuredOutput::Prompt => format!(
            "if the server does not support structured-output mode {}, set CLOSEQ_OPENAI_STRUCTURED_OUTPUT to one of {}",
            sent.mode,
            sent.mode.alternatives()
        ),
        _ => "check the adapter's settings for this server".to_owned(),
    };
    let what = if status >= 500 {
        "answered a request-validation error as a server fault, not retried"
    } else {
        "refused the request"
    };
    Error::InvalidInput {
        field: param.to_owned().into(),
        reason: format!(
            "provider {} {what} for model {} (HTTP {status}{}); {advice}",
            sent.provider,
            clean(sent.model),
            code.map(|c| format!(" {c}")).unwrap_or_default()
        )
        .into(),
    }
}

/// Keeps a parameter name or error code printable and short.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']'))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> Sent<'static> {
        Sent {
            provider: "openai",
            model: "gpt-5",
            mode: StructuredOutput::JsonSchema,
        }
    }

    #[test]
    fn parameter_names_are_cleaned() {
        let body = r#"{"error":{"message":"x","type":"invalid_request_error","param":"max_tokens<script>\u0000","code":"unsupported_parameter"}}"#;
        let Outcome::Fail(e) = classify(&sent(), 400, body, None) else {
            panic!("not a failure")
        };
        assert_eq!(e.field(), Some("max_tokensscript"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn plain_server_errors_stay_retryable() {
        let body = r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#;
        assert!(matches!(
            classify(&sent(), 500, body, None),
            Outcome::Retry(..)
        ));
        assert!(matches!(
            classify(&sent(), 503, "", None),
            Outcome::Retry(..)
        ));
    }
}
