/// What a conformance case concluded. A contract violation panics instead,
/// so the test runner reports it with the case's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The behaviour holds.
    Passed,
    /// The subject lacks a capability the case needs; the reason is printed.
    Skipped(String),
}

impl Outcome {
    /// Prints a skip so it shows in test output; returns whether it passed.
    pub fn report(&self, case: &str) -> bool {
        match self {
            Outcome::Passed => true,
            Outcome::Skipped(reason) => {
                eprintln!("SKIP {case}: {reason}");
                false
            }
        }
    }
}

/// Emits one `#[tokio::test]` per case of a suite in
/// `closeq_core::testing::<suite>`. Each test builds a fresh subject with
/// `make` (an async expression) and a fresh fixture with `fixture`.
///
/// With `make_or_skip`, the expression gives an `Option`; `None` skips the
/// case with a printed notice (for backends whose service may be absent;
/// under CI such helpers panic instead, see
/// [`required_service_url`](crate::testing::required_service_url)).
///
/// Suites wrap this in their own macro with their case list (see
/// [`stt_conformance!`](crate::stt_conformance)); use it directly only to run
/// a subset of cases.
#[macro_export]
macro_rules! conformance_tests {
    (suite = $suite:ident, make_or_skip = $make:expr, fixture = $fixture:expr, cases = [$($case:ident),+ $(,)?]) => {
        $(
            #[::tokio::test]
            async fn $case() {
                let Some(subject) = $make else {
                    eprintln!(concat!("SKIP ", stringify!($suite), "::", stringify!($case), ": backend unavailable"));
                    return;
                };
                let fixture = $fixture;
                let outcome = $crate::testing::$suite::$case(&*subject, &fixture).await;
                outcome.report(concat!(stringify!($suite), "::", stringify!($case)));
            }
        )+
    };
    (suite = $suite:ident, make = $make:expr, fixture = $fixture:expr, cases = [$($case:ident),+ $(,)?]) => {
        $(
            #[::tokio::test]
            async fn $case() {
                let subject = $make;
                let fixture = $fixture;
                let outcome = $crate::testing::$suite::$case(&*subject, &fixture).await;
                outcome.report(concat!(stringify!($suite), "::", stringify!($case)));
            }
        )+
    };
}

/// Runs `futures` concurrently (interleaved on the calling task) and
/// returns their outputs in order: concurrency for the suites without an
/// async runtime in `closeq-core`.
pub(crate) async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::pin::Pin;
    use std::task::Poll;
    let mut pending: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut out: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        let mut busy = false;
        for (slot, result) in pending.iter_mut().zip(out.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => busy = true,
                }
            }
        }
        if busy {
            Poll::Pending
        } else {
            Poll::Ready(out.iter_mut().filter_map(Option::take).collect())
        }
    })
    .await
}
