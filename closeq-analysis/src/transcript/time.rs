//! Time values as providers write them: float seconds, integer milliseconds,
//! numeric strings, ISO-8601 durations and clock stamps.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// The largest time accepted: 48 hours, in ms.
const MAX_MS: f64 = 48.0 * 3600.0 * 1000.0;

/// Validates and rounds a millisecond value.
pub(crate) fn ms_to_ms(ms: f64) -> Option<u64> {
    if ms.is_finite() && (-0.5..=MAX_MS).contains(&ms) {
        Some(ms.round().max(0.0) as u64)
    } else {
        None
    }
}

/// Parses an ISO-8601 duration (`PT1M2.5S`, `PT0.25S`, `P0DT1H`) to ms.
pub(crate) fn parse_iso8601_duration(s: &str) -> Option<u64> {
    let rest = s.strip_prefix('P')?;
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
                total += v * units[unit_idx - 1].1;
                num.clear();
                any = true;
            }
        }
        num.is_empty().then_some(())
    };
    take(date, &[('D', 86_400_000.0)])?;
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        take(t, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1000.0)])?;
    }
    if !any {
        return None;
    }
    ms_to_ms(total)
}

/// Parses a clock stamp `hh:mm:ss(.fff|,fff)` or `mm:ss(.fff)` to ms.
pub(crate) fn parse_clock(s: &str) -> Option<u64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m, s] => (*h, *m, *s),
        [m, s] => ("0", *m, *s),
        _ => return None,
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (whole, frac) = match sec.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (sec, ""),
    };
    if !digits(whole) || (!frac.is_empty() && !digits(frac)) || frac.len() > 9 {
        return None;
    }
    let h: u64 = h.parse().ok()?;
    let m: u64 = m.parse().ok()?;
    let s: u64 = whole.parse().ok()?;
    if m >= 60 && parts.len() == 3 || s >= 60 {
        return None;
    }
    let frac_ms = if frac.is_empty() {
        0
    } else {
        let mut f = frac.to_owned();
        f.truncate(3);
        while f.len() < 3 {
            f.push('0');
        }
        f.parse::<u64>().ok()?
    };
    Some(((h * 60 + m) * 60 + s) * 1000 + frac_ms)
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
        parse_iso8601_duration(t)
            .or_else(|| parse_clock(t))
            .ok_or_else(|| {
                E::custom("time string is neither a number, an ISO-8601 duration nor hh:mm:ss")
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
        assert_eq!(parse_iso8601_duration("PT0.25S"), Some(250));
        assert_eq!(parse_iso8601_duration("PT1H"), Some(3_600_000));
        assert_eq!(parse_iso8601_duration("P0DT1H0M1S"), Some(3_601_000));
        assert_eq!(parse_iso8601_duration("PT1S2M"), None, "units out of order");
        assert_eq!(parse_iso8601_duration("1S"), None);
    }

    #[test]
    fn clocks() {
        assert_eq!(parse_clock("00:01:02.500"), Some(62_500));
        assert_eq!(parse_clock("01:02,5"), Some(62_500));
        assert_eq!(parse_clock("1:00:00"), Some(3_600_000));
        assert_eq!(parse_clock("00:61:00"), None);
        assert_eq!(parse_clock("aa:00"), None);
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
