//! Small shared validation routines.

use crate::error::{Error, Result};

/// Checks that `value`, trimmed, has between `min` and `max` characters and
/// no control characters other than newlines and tabs.
pub(crate) fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<()> {
    let n = value.trim().chars().count();
    if n < min {
        return Err(Error::invalid(
            field,
            if min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must have at least {min} characters")
            },
        ));
    }
    if n > max {
        return Err(Error::invalid(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Checks a slug: 1–64 characters of `a-z`, `0-9`, `-`, `_`, starting with a
/// letter or digit.
pub(crate) fn slug(field: &'static str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit",
        ))
    }
}

/// Checks that `value` is a finite number.
pub(crate) fn finite(field: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(field, "must be a finite number"))
    }
}
