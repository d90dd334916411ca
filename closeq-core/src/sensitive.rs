//! [`Sensitive`]: a wrapper for personal data that never shows in `Debug`.

use std::fmt;
use std::ops::Deref;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Personal data or a secret: transcript text, names, e-mail addresses,
/// phone numbers, comments.
///
/// Serializes exactly like the inner value (it is transparent to serde and
/// JSON Schema), dereferences to it, but its [`Debug`] output is
/// `Sensitive(<redacted N chars>)`-style so that deriving `Debug` on a struct
/// holding personal data never leaks it into logs or panic messages.
/// There is deliberately no `Display` implementation: call
/// [`Sensitive::expose`] when the value really must be shown.
#[derive(
    Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
#[schemars(transparent)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The inner value, for code that must show or process it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Mutable access to the inner value (redaction, rectification).
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.0
    }

    /// Unwraps the inner value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Sensitive<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Sensitive::new("jane@example.com".to_owned());
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(<redacted>)");
        assert_eq!(s.as_str(), "jane@example.com");
    }

    #[test]
    fn serde_is_transparent() {
        let s = Sensitive::new("hi".to_owned());
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hi\"");
        let back: Sensitive<String> = serde_json::from_str("\"hi\"").unwrap();
        assert_eq!(back, s);
    }
}
