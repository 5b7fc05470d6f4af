//! Request-level counters of one scope (overall or a class).

/// How many failure causes the model distinguishes (its `Cause` enum
/// asserts it has exactly this many).
pub const FAILURE_CAUSES: usize = 9;

/// Counts of the open window or of the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestCounters {
    /// Requests created (user actions).
    pub arrivals: u64,
    /// Requests that got a successful response.
    pub completed: u64,
    /// Of `completed`, those whose successful attempt went through at
    /// least one step's `fallback`.
    pub degraded: u64,
    /// Requests that failed for good (after their retries).
    pub failed: u64,
    /// `failed`, by the cause of the last attempt (indexed by cause).
    pub failed_by_cause: [u64; FAILURE_CAUSES],
    /// Attempts started, first tries and retries.
    pub attempts: u64,
    /// Retries started.
    pub retries: u64,
    /// Attempts the client gave up waiting for.
    pub timeouts: u64,
    /// Responses that arrived after their attempt was abandoned.
    pub stale_responses: u64,
}

impl RequestCounters {
    pub fn merge(&mut self, other: &RequestCounters) {
        self.arrivals += other.arrivals;
        self.completed += other.completed;
        self.degraded += other.degraded;
        self.failed += other.failed;
        for (total, part) in self.failed_by_cause.iter_mut().zip(other.failed_by_cause) {
            *total += part;
        }
        self.attempts += other.attempts;
        self.retries += other.retries;
        self.timeouts += other.timeouts;
        self.stale_responses += other.stale_responses;
    }

    /// Failed / (completed + failed); NaN (no rate: a blank cell) when
    /// nothing ended, not 0 — no request failed, but none succeeded either.
    pub fn error_rate(&self) -> f64 {
        let ended = self.completed + self.failed;
        if ended == 0 {
            f64::NAN
        } else {
            self.failed as f64 / ended as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_error_rate_when_nothing_ended() {
        let mut counters = RequestCounters {
            arrivals: 10,
            ..RequestCounters::default()
        };
        assert!(counters.error_rate().is_nan());
        counters.completed = 3;
        counters.failed = 1;
        assert_eq!(counters.error_rate(), 0.25);
    }
}
