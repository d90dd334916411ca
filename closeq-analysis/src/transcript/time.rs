//! Time values as providers write them: float seconds, integer milliseconds,
//! numeric strings, ISO-8601 durations and clock stamps.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// The largest time accepted: 48 hours, in ms.
pub(crate) const MAX_TIME_MS: u64 = 48 * 3_600_000;
const MAX_MS: f64 = MAX_TIME_MS as f64;

/// Why a time written as text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeError {
    /// Not a time of the expected shape.
    Malformed,
    /// Well formed, but past [`MAX_TIME_MS`] (however many digits it has).
    TooLate,
}

impl TimeError {
    /// The reason for an error message; `what` names the time (`the cue's
    /// start time`).
    pub(crate) fn reason(self, what: &str, shape: &str) -> String {
        match self {
            Self::Malformed => format!("{what} is not a valid {shape} time"),
            Self::TooLate => format!("{what} is past 48 hours, the longest time accepted"),
        }
    }
}

/// Validates and rounds a millisecond value.
pub(crate) fn ms_to_ms(ms: f64) -> Option<u64> {
    if ms.is_finite() && (-0.5..=MAX_MS).contains(&ms) {
        // In range and finite, so the cast neither saturates nor wraps.
        Some(ms.round().max(0.0) as u64)
    } else {
        None
    }
}

/// Parses an ISO-8601 duration (`PT1M2.5S`, `PT0.25S`, `P0DT1H`) to ms.
pub(crate) fn parse_iso8601_duration(s: &str) -> Result<u64, TimeError> {
    let rest = s.strip_prefix('P').ok_or(TimeError::Malformed)?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = 0.0f64;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut num = String::new();
        let mut unit_idx = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                num.push(if c == ',' { '.' } else { c });
            } else {
                let pos = units[unit_idx..].iter().position(|(u, _)| *u == c)?;
                unit_idx += pos + 1;
                let v: f64 = num.parse().ok()?;
                // f64 arithmetic: a huge value becomes infinity, which
                // `ms_to_ms` refuses; nothing wraps.
                total += v * units[unit_idx - 1].1;
                num.clear();
                any = true;
            }
        }
        num.is_empty().then_some(())
    };
    take(date, &[('D', 86_400_000.0)]).ok_or(TimeError::Malformed)?;
    if let Some(t) = time {
        if t.is_empty() {
            return Err(TimeError::Malformed);
        }
        take(t, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1000.0)])
            .ok_or(TimeError::Malformed)?;
    }
    if !any {
        return Err(TimeError::Malformed);
    }
    ms_to_ms(total).ok_or(TimeError::TooLate)
}

/// A run of ASCII digits as a number, or `TooLate` when it cannot be a
/// time under 48 hours in any unit (more than 12 significant digits).
fn digits_value(x: &str) -> Result<u64, TimeError> {
    if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError::Malformed);
    }
    let significant = x.trim_start_matches('0');
    if significant.len() > 12 {
        return Err(TimeError::TooLate);
    }
    Ok(significant.parse::<u64>().unwrap_or(0))
}

/// Parses a clock stamp `hh:mm:ss(.fff|,fff)` or `mm:ss(.fff)` to ms.
/// Hours (or minutes, without hours) of any length are read with checked
/// arithmetic: a time past 48 hours is [`TimeError::TooLate`].
pub(crate) fn parse_clock(s: &str) -> Result<u64, TimeError> {
    let s = s.trim();
    let mut parts = s.split(':');
    let (h, m, sec) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(m), Some(s), None) => (Some(h), m, s),
        (Some(m), Some(s), None, None) => (None, m, s),
        _ => return Err(TimeError::Malformed),
    };
    let (whole, frac) = match sec.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (sec, ""),
    };
    if (!frac.is_empty() && !frac.bytes().all(|b| b.is_ascii_digit())) || frac.len() > 9 {
        return Err(TimeError::Malformed);
    }
    // Shape first, so a malformed stamp is never reported as too late.
    for field in [h.unwrap_or("0"), m, whole] {
        if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TimeError::Malformed);
        }
    }
    let hours = h.map_or(Ok(0), digits_value)?;
    let minutes = digits_value(m)?;
    let seconds = digits_value(whole)?;
    if (h.is_some() && minutes >= 60) || seconds >= 60 {
        return Err(TimeError::Malformed);
    }
    let frac_ms = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
    let total = hours
        .checked_mul(3_600_000)
        .and_then(|x| x.checked_add(minutes.checked_mul(60_000)?))
        .and_then(|x| x.checked_add(seconds * 1000 + frac_ms))
        .ok_or(TimeError::TooLate)?;
    if total > MAX_TIME_MS {
        return Err(TimeError::TooLate);
    }
    Ok(total)
}

/// A time in seconds as a provider may write it: a number, a numeric string
/// (`"1.25"`, AWS) or an ISO-8601 duration (`"PT1.25S"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Secs(pub u64);

/// A time in milliseconds: an integer or float number, or a numeric string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Millis(pub u64);

struct TimeVisitor {
    scale: f64,
}

impl Visitor<'_> for TimeVisitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative time (number, numeric string or ISO-8601 duration)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        self.visit_f64(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        self.visit_f64(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        ms_to_ms(v * self.scale)
            .ok_or_else(|| E::custom("time must be a finite, non-negative number under 48 hours"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        let t = v.trim();
        if let Ok(n) = t.parse::<f64>() {
            return self.visit_f64(n);
        }
        let parsed = if t.starts_with('P') {
            parse_iso8601_duration(t)
        } else {
            parse_clock(t)
        };
        parsed.map_err(|e| match e {
            TimeError::TooLate => E::custom("time must be under 48 hours"),
            TimeError::Malformed => {
                E::custom("time string is neither a number, an ISO-8601 duration nor hh:mm:ss")
            }
        })
    }
}

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimeVisitor { scale: 1000.0 }).map(Secs)
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimeVisitor { scale: 1.0 }).map(Millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_seconds_integer_millis_strings_and_iso() {
        let s: Secs = serde_json::from_str("1.2345").unwrap();
        assert_eq!(s.0, 1235);
        let s: Secs = serde_json::from_str("\"12.5\"").unwrap();
        assert_eq!(s.0, 12_500);
        let s: Secs = serde_json::from_str("\"PT1M2.5S\"").unwrap();
        assert_eq!(s.0, 62_500);
        let s: Secs = serde_json::from_str("3").unwrap();
        assert_eq!(s.0, 3000);
        let m: Millis = serde_json::from_str("250").unwrap();
        assert_eq!(m.0, 250);
        let m: Millis = serde_json::from_str("250.6").unwrap();
        assert_eq!(m.0, 251);
        let m: Millis = serde_json::from_str("\"1500\"").unwrap();
        assert_eq!(m.0, 1500);
        for bad in [
            "-1", "\"abc\"", "1e300", "null", "\"P\"", "\"PT\"", "\"PTS\"",
        ] {
            assert!(serde_json::from_str::<Secs>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn iso_durations() {
        assert_eq!(parse_iso8601_duration("PT0.25S"), Ok(250));
        assert_eq!(parse_iso8601_duration("PT1H"), Ok(3_600_000));
        assert_eq!(parse_iso8601_duration("P0DT1H0M1S"), Ok(3_601_000));
        let bad = Err(TimeError::Malformed);
        assert_eq!(parse_iso8601_duration("PT1S2M"), bad, "units out of order");
        assert_eq!(parse_iso8601_duration("1S"), bad);
        assert_eq!(parse_iso8601_duration("P3D"), Err(TimeError::TooLate));
        assert_eq!(
            parse_iso8601_duration(&format!("PT{}H", "9".repeat(400))),
            Err(TimeError::TooLate)
        );
    }

    #[test]
    fn clocks() {
        assert_eq!(parse_clock("00:01:02.500"), Ok(62_500));
        assert_eq!(parse_clock("01:02,5"), Ok(62_500));
        assert_eq!(parse_clock("1:00:00"), Ok(3_600_000));
        assert_eq!(parse_clock("48:00:00"), Ok(MAX_TIME_MS));
        assert_eq!(
            parse_clock("0000000000000000000047:00:00"),
            Ok(47 * 3_600_000)
        );
        assert_eq!(
            parse_clock("2880:00"),
            Ok(MAX_TIME_MS),
            "minutes without hours"
        );
        let bad = Err(TimeError::Malformed);
        assert_eq!(parse_clock("00:61:00"), bad);
        assert_eq!(parse_clock("aa:00"), bad);
        assert_eq!(parse_clock("99999999999999999999999:aa:00"), bad);
        assert_eq!(parse_clock("1:2:3:4"), bad);
        let late = Err(TimeError::TooLate);
        assert_eq!(parse_clock("48:00:00.001"), late);
        assert_eq!(parse_clock("2880:00.001"), late);
        assert_eq!(parse_clock("9999999999999:00:00"), late);
        assert_eq!(parse_clock("5124095576030:59:59.999"), late);
        assert_eq!(parse_clock(&format!("{}:00:00", "9".repeat(300))), late);
        assert_eq!(parse_clock("99999999999999999:00.000"), late);
    }
}

/// A plain number written as a number or a numeric string (AWS writes
/// confidences as `"0.99"`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = f64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or numeric string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                Ok(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
                v.trim()
                    .parse()
                    .map_err(|_| E::custom("expected a numeric string"))
            }
        }
        d.deserialize_any(V).map(Number)
    }
}
