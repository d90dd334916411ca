use serde::{Deserialize, Serialize};

/// A statistic's value, or why it is undefined. Never a silent NaN, never
/// a 0 standing in for "cannot be computed".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    /// The value.
    Value(f64),
    /// Undefined, with the reason (`a rater is constant`).
    Undefined(String),
}

impl Stat {
    /// An undefined statistic.
    pub fn undefined(reason: impl Into<String>) -> Self {
        Self::Undefined(reason.into())
    }

    /// A value; non-finite results become `Undefined`.
    pub fn of(v: f64, reason_if_not_finite: &str) -> Self {
        if v.is_finite() {
            Self::Value(v)
        } else {
            Self::Undefined(reason_if_not_finite.to_owned())
        }
    }

    /// The value, if defined.
    pub fn value(&self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(*v),
            Self::Undefined(_) => None,
        }
    }
}
