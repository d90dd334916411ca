//! [`RateLimit`]: a token bucket per provider, so a worker stays inside a
//! provider's requests-per-minute quota (and a language model's limit
//! throttles scoring only).

use std::sync::Mutex;
use std::time::Duration;

use closeq_core::{Error, Result};
use tokio::time::Instant;

/// Requests per minute, with a burst: a token bucket that holds at most
/// `burst` requests and refills `per_minute` an minute.
#[derive(Debug)]
pub struct RateLimit {
    per_minute: u32,
    burst: u32,
    state: Mutex<(f64, Instant)>,
}

impl RateLimit {
    /// `per_minute` requests a minute, at most `burst` at once (both at
    /// least 1). Errors: `InvalidInput` naming the zero one.
    pub fn new(per_minute: u32, burst: u32) -> Result<Self> {
        if per_minute == 0 {
            return Err(Error::invalid("per_minute", "must be at least 1"));
        }
        if burst == 0 {
            return Err(Error::invalid("burst", "must be at least 1"));
        }
        Ok(Self {
            per_minute,
            burst,
            state: Mutex::new((f64::from(burst), Instant::now())),
        })
    }

    /// Requests a minute.
    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    fn refill(&self, state: &mut (f64, Instant)) {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(state.1).as_secs_f64();
        state.0 =
            (state.0 + elapsed * f64::from(self.per_minute) / 60.0).min(f64::from(self.burst));
        state.1 = now;
    }

    /// Takes one request's token if there is one; else how long until
    /// there is.
    pub fn try_take(&self) -> std::result::Result<(), Duration> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        self.refill(&mut s);
        if s.0 >= 1.0 {
            s.0 -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - s.0;
            Err(Duration::from_secs_f64(
                missing * 60.0 / f64::from(self.per_minute),
            ))
        }
    }

    /// Gives back a token taken for a request that was not made.
    pub fn refund(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 = (s.0 + 1.0).min(f64::from(self.burst));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bucket_allows_its_burst_then_its_rate() {
        let limit = RateLimit::new(60, 3).unwrap();
        for _ in 0..3 {
            limit.try_take().unwrap();
        }
        let wait = limit.try_take().unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::from_millis(900),
            "{wait:?}"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        limit.try_take().unwrap();
        assert!(limit.try_take().is_err());
        limit.refund();
        limit.try_take().unwrap();
        tokio::time::advance(Duration::from_secs(600)).await;
        for _ in 0..3 {
            limit.try_take().unwrap();
        }
        assert!(limit.try_take().is_err(), "the burst caps what builds up");
        assert!(RateLimit::new(0, 1).is_err() && RateLimit::new(1, 0).is_err());
    }
}
