//! Validation against queueing theory: single stations whose exact
//! steady-state behaviour is known in closed form.
//!
//! * M/M/1 and M/M/c (c = 1, 2, 4, 8, 16; ρ from 0.5 to 0.9): mean response
//!   time, probability of waiting (Erlang C), 99th percentile of the
//!   response time, utilization.
//! * M/M/c/K: blocking probability, mean number present, mean response
//!   time, P(wait), utilization — including an overloaded case (ρ > 1).
//! * M/G/1 (Pollaczek–Khinchine): deterministic, gamma and lognormal
//!   service; mean response time, P(wait) = ρ, utilization.
//! * Little's law per station, for the whole station (L = λW) and for its
//!   waiting line (Lq = λWq): exactly, run by run, on runs that start and end
//!   empty; and as a zero-mean boundary effect on every stationary run above.
//! * A balancer's own capacity: with `cores` it is an M/M/c station (mean and
//!   p99 response time, P(wait), utilization, Lq = λWq); `max_connections` makes the
//!   Erlang loss system M/M/c/c (blocking is Erlang B).
//!
//! # How tolerances are chosen
//!
//! A simulated average is a random variable whose samples are correlated
//! (one long wait delays the next requests), so the naive i.i.d. standard
//! error is wrong. We use independent replications instead: each
//! configuration runs `REPLICATIONS` = 20 times with seeds 1..=20 (the
//! engine derives every random stream from the seed by a hash, so the runs
//! are independent). Each run drops a warm-up and then measures about
//! 10^5 to 5·10^5 requests (the expected count is set per configuration;
//! every run is asserted to measure at least the required 10^4), so a
//! configuration has 2·10^6 to 10^7 measured requests (the required total
//! is 10^5). The run averages are close to normal (each averages ~10^5
//! or more requests, many relaxation times), so
//!
//!   mean ± t · s / √R,   t = t_{0.99995, R−1} = 4.8975
//!
//! is a two-sided 99.99 % confidence interval for the run's expected value,
//! and we assert that the analytic value lies inside it. The file makes 72
//! such checks; at 99.99 % each, the chance that any of them fails by bad
//! luck is below 72 × 10^-4 < 1 % (Bonferroni), while a bias larger than a
//! few standard errors fails reliably. (With R = 20 the t factor at
//! 99.99 % is about the one of R = 10 at 99.9 %, 4.78, so the stricter
//! family-wise level costs no power for the same number of requests.) The
//! interval width is not a knob: it follows from the replications, and the
//! run lengths are chosen (longer at high ρ, where averages converge slowly)
//! so that the intervals are a few percent wide or less. Every interval is
//! printed (`cargo test --test it queueing -- --nocapture`).
//!
//! Two small known systematic effects are accounted for explicitly, not by
//! widening: percentiles come from an HDR histogram with three significant
//! digits (buckets at most 1/1024 of their value wide), which reports the
//! top of a bucket, at most 0.1 % above the exact sample quantile, so
//! percentile intervals are extended by 0.1 % of the estimate; the
//! estimators' O(1/n) biases (ratio estimators, sample quantiles) are of
//! order 10^-4 relative or less at these n and are far inside the intervals.
//!
//! The warm-up is 5 s = 5 000 mean service times: at least 500/(1 − ρ)
//! service times for every stable configuration here, and more than 13
//! relaxation times 1/(μ(1 − √ρ)²) of the slowest M/M/c (M/M/1 at ρ = 0.9,
//! 0.38 s), so the initial bias (decaying like e^{−t/τ}) is negligible. The
//! lognormal M/G/1 has no exponential relaxation rate (lognormal service has
//! no exponential moments), but all its moments are finite and its busy
//! periods last E[S]/(1 − ρ) = 3.3 ms on average: 5 s is over 1 500 of them.
//! The overloaded M/M/c/K is a finite chain that mixes in milliseconds.
//!
//! Runs are deterministic, so each test always passes or always fails.

use capsim::results::RunResult;

use crate::support::{assert_conserved, metric, scenario, simulate};

// ---------------------------------------------------------------------------
// Analytic results. Rates are per millisecond, times in milliseconds.
// ---------------------------------------------------------------------------

/// Erlang B: the blocking probability of M/M/c/c with offered load
/// `load` = λ/μ, by the stable recursion B(0) = 1,
/// B(k) = a·B(k−1) / (k + a·B(k−1)).
pub(crate) fn erlang_b(servers: u32, load: f64) -> f64 {
    (1..=servers).fold(1.0, |b, k| load * b / (k as f64 + load * b))
}

/// Erlang C: the probability that an arrival waits in M/M/c with offered
/// load `load` = λ/μ < c. From Erlang B: C = B / (1 − ρ(1 − B)), ρ = a/c.
pub(crate) fn erlang_c(servers: u32, load: f64) -> f64 {
    assert!(load < servers as f64, "Erlang C needs ρ < 1");
    let blocking = erlang_b(servers, load);
    let rho = load / servers as f64;
    blocking / (1.0 - rho * (1.0 - blocking))
}

/// M/M/c with first-come-first-served service.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mmc {
    pub(crate) servers: u32,
    /// Arrival rate, per ms.
    pub(crate) lambda: f64,
    /// Service rate of one server, per ms.
    pub(crate) mu: f64,
}

impl Mmc {
    pub(crate) fn load(self) -> f64 {
        self.lambda / self.mu
    }

    pub(crate) fn utilization(self) -> f64 {
        self.load() / self.servers as f64
    }

    pub(crate) fn wait_probability(self) -> f64 {
        erlang_c(self.servers, self.load())
    }

    /// θ = cμ − λ: given that it waits, a request waits Exp(θ).
    pub(crate) fn theta(self) -> f64 {
        self.servers as f64 * self.mu - self.lambda
    }

    /// W = C / (cμ − λ) + 1/μ.
    pub(crate) fn mean_response(self) -> f64 {
        self.wait_probability() / self.theta() + 1.0 / self.mu
    }

    /// P(T > t) for the response time T = Wq + S, with Wq = 0 w.p. 1 − C
    /// and Exp(θ) otherwise, S ~ Exp(μ) independent:
    /// (1 − C)e^{−μt} + C·(θe^{−μt} − μe^{−θt})/(θ − μ); when θ = μ the
    /// second term is the Erlang-2 tail (1 + μt)e^{−μt}.
    fn response_tail(self, t: f64) -> f64 {
        let (mu, theta, c) = (self.mu, self.theta(), self.wait_probability());
        let served = (-mu * t).exp();
        let waited = if ((theta - mu) / mu).abs() < 1e-9 {
            (1.0 + mu * t) * served
        } else {
            (theta * served - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - c) * served + c * waited
    }

    /// The `q` quantile of the response time, by bisection on the tail
    /// (which decreases strictly from 1 at t = 0).
    fn response_quantile(self, q: f64) -> f64 {
        let target = 1.0 - q;
        let mut high = 1.0 / self.mu;
        while self.response_tail(high) > target {
            high *= 2.0;
        }
        let mut low = 0.0;
        for _ in 0..200 {
            let middle = (low + high) / 2.0;
            if self.response_tail(middle) > target {
                low = middle;
            } else {
                high = middle;
            }
        }
        (low + high) / 2.0
    }
}

/// M/M/c/K: c servers and at most K requests present (K − c may wait);
/// arrivals that find K present are turned away.
#[derive(Clone, Copy, Debug)]
struct Mmck {
    servers: u32,
    capacity: u32,
    lambda: f64,
    mu: f64,
}

impl Mmck {
    /// The stationary distribution p_0..p_K of the birth–death chain with
    /// birth rate λ and death rate min(n, c)·μ:
    /// p_n ∝ Π_{k=1..n} λ / (min(k, c)·μ).
    fn distribution(self) -> Vec<f64> {
        let mut weights = vec![1.0];
        for n in 1..=self.capacity {
            let previous = *weights.last().expect("starts non-empty");
            weights.push(previous * self.lambda / (n.min(self.servers) as f64 * self.mu));
        }
        let total: f64 = weights.iter().sum();
        weights.iter().map(|weight| weight / total).collect()
    }

    /// P_K: by PASTA, the share of arrivals that find the system full.
    fn blocking(self) -> f64 {
        *self.distribution().last().expect("K ≥ 0")
    }

    fn mean_in_system(self) -> f64 {
        self.distribution()
            .iter()
            .enumerate()
            .map(|(n, p)| n as f64 * p)
            .sum()
    }

    /// Admitted requests per ms: λ(1 − P_K).
    fn throughput(self) -> f64 {
        self.lambda * (1.0 - self.blocking())
    }

    /// Mean response time of admitted requests, by Little's law: L / λ_eff.
    fn mean_response(self) -> f64 {
        self.mean_in_system() / self.throughput()
    }

    fn utilization(self) -> f64 {
        self.throughput() / (self.servers as f64 * self.mu)
    }

    /// The share of admitted requests that find every server busy:
    /// Σ_{n=c}^{K−1} p_n / (1 − P_K).
    fn wait_probability(self) -> f64 {
        let p = self.distribution();
        let busy: f64 = p[self.servers as usize..self.capacity as usize].iter().sum();
        busy / (1.0 - self.blocking())
    }
}

/// M/G/1 mean response time (Pollaczek–Khinchine):
/// W = E[S] + λE[S²] / (2(1 − ρ)), with E[S²] = E[S]²(1 + cv²).
fn pk_mean_response(lambda: f64, mean_service: f64, scv: f64) -> f64 {
    let rho = lambda * mean_service;
    assert!(rho < 1.0, "P-K needs ρ < 1");
    let second_moment = mean_service * mean_service * (1.0 + scv);
    mean_service + lambda * second_moment / (2.0 * (1.0 - rho))
}

// ---------------------------------------------------------------------------
// Statistics over replications.
// ---------------------------------------------------------------------------

/// Independent runs per configuration (seeds 1..=REPLICATIONS).
pub(crate) const REPLICATIONS: u64 = 20;

/// t_{0.99995, 19}: the two-sided 99.99 % quantile of Student's t with
/// R − 1 = 19 degrees of freedom (4.89746 to five decimals; checked by numerical
/// integration in `student_t_quantile_is_right`).
const T_QUANTILE: f64 = 4.8975;

/// Each run must measure at least this many requests after warm-up.
const MIN_REQUESTS_PER_RUN: f64 = 1e4;

/// Relative resolution of the latency histogram (three significant digits).
const HISTOGRAM_RESOLUTION: f64 = 1e-3;

/// The across-replication mean and the half-width of its t interval.
#[derive(Clone, Copy, Debug)]
struct Interval {
    mean: f64,
    half_width: f64,
}

fn t_interval(samples: &[f64]) -> Interval {
    let n = samples.len() as f64;
    assert_eq!(n as u64, REPLICATIONS, "the t quantile is for R = {REPLICATIONS}");
    let mean = samples.iter().sum::<f64>() / n;
    let variance = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Interval {
        mean,
        half_width: T_QUANTILE * (variance / n).sqrt(),
    }
}

/// Asserts that `analytic` lies in the 99.99 % t interval of `samples`,
/// widened only by `systematic` (a known bound on a deterministic
/// measurement error, relative to the mean).
pub(crate) fn check(label: &str, samples: &[f64], analytic: f64, systematic: f64) {
    let Interval { mean, half_width } = t_interval(samples);
    let tolerance = half_width + systematic * mean.abs();
    let relative = if analytic == 0.0 {
        String::new()
    } else {
        format!(
            " (error {:+.3} %, interval ±{:.3} %)",
            (mean / analytic - 1.0) * 100.0,
            tolerance / analytic.abs() * 100.0
        )
    };
    println!("{label}: analytic {analytic:.6}, measured {mean:.6} ± {tolerance:.6}{relative}");
    assert!(
        (mean - analytic).abs() <= tolerance,
        "{label}: analytic {analytic} is outside the 99.99 % interval {mean} ± {tolerance}\n\
         replications: {samples:?}"
    );
}

/// Checks a station whose only queue is for its cores, as an M/M/c station
/// on them (`model`): at `scope`, the mean wait for a core is Erlang C's
/// C(c, λ/μ)/(cμ − λ), the cores are ρ busy and the mean response is the
/// model's; nobody waits for a worker or connection (`waits_for` names it).
pub(crate) fn check_core_station(label: &str, runs: &[RunResult], scope: &str, model: Mmc, waits_for: &str) {
    check(
        &format!("{label}: wait for a core ms"),
        &column(runs, scope, "cpu_wait_mean_ms"),
        model.wait_probability() / model.theta(),
        0.0,
    );
    check(
        &format!("{label}: mean response ms"),
        &column(runs, "overall", "latency_mean_ms"),
        model.mean_response(),
        0.0,
    );
    check(
        &format!("{label}: cpu_utilization"),
        &column(runs, scope, "cpu_utilization"),
        model.utilization(),
        0.0,
    );
    for run in runs {
        assert_eq!(
            metric(run, scope, "wait_mean_ms"),
            0.0,
            "{label}: no wait for a {waits_for}"
        );
        assert_eq!(metric(run, "overall", "errors"), 0.0);
    }
}

// ---------------------------------------------------------------------------
// Simulation.
// ---------------------------------------------------------------------------

/// Warm-up and metric window, in seconds (see the module comment).
const WARMUP_S: u64 = 5;
const WINDOW_S: u64 = 5;

/// The `[scenario]` (seed 1, the warm-up and window above, a measured period
/// long enough for `requests` expected arrivals) and `[workload]` (Poisson
/// arrivals at `rate_per_s`, one class calling `entry`) of a test station.
pub(crate) fn scenario_and_workload(rate_per_s: u32, requests: u64, entry: &str) -> String {
    let measured_s = requests.div_ceil(rate_per_s as u64).div_ceil(WINDOW_S) * WINDOW_S;
    let duration_s = WARMUP_S + measured_s;
    format!(
        r#"
[scenario]
seed = 1
duration = "{duration_s}s"
warmup = "{WARMUP_S}s"
window = "{WINDOW_S}s"

[workload]
arrivals = {{ kind = "open", rate = "{rate_per_s}/s" }}
mix = [{{ class = "q", call = "{entry}" }}]
"#
    )
}

/// One pool `srv` with one instance of `servers` workers, Poisson arrivals
/// at `rate_per_s`, no network delay, service `service` (an inline TOML
/// distribution), `waiting_room` = K − c places (`None`: unbounded), and a
/// measured period long enough for `requests` expected arrivals.
fn single_station(
    rate_per_s: u32,
    servers: u32,
    waiting_room: Option<u32>,
    service: &str,
    requests: u64,
) -> String {
    let queue = waiting_room.map_or(String::new(), |places| format!("queue_capacity = {places}"));
    let head = scenario_and_workload(rate_per_s, requests, "srv/work");
    format!(
        r#"{head}
[pool.srv]
instances = 1
workers = {servers}
{queue}

[pool.srv.endpoint.work]
service = {service}
"#
    )
}

/// The mean service time of every simulated station, in ms (μ = 1 per ms).
const MEAN_SERVICE_MS: f64 = 1.0;

/// Exponential service with mean `MEAN_SERVICE_MS`.
const EXP_SERVICE: &str = r#"{ dist = "exp", mean = "1ms" }"#;

/// Runs `text` with seeds 1..=REPLICATIONS; every run must conserve
/// requests and measure enough of them.
pub(crate) fn replicate(text: &str) -> Vec<RunResult> {
    let mut base = scenario(text);
    (1..=REPLICATIONS)
        .map(|seed| {
            base.seed = seed;
            let result = simulate(&base);
            assert_conserved(&result);
            let requests = metric(&result, "overall", "requests");
            assert!(
                requests >= MIN_REQUESTS_PER_RUN,
                "seed {seed}: only {requests} requests measured"
            );
            result
        })
        .collect()
}

/// One summary value from every replication.
pub(crate) fn column(runs: &[RunResult], scope: &str, name: &str) -> Vec<f64> {
    runs.iter().map(|run| metric(run, scope, name)).collect()
}

/// Admitted requests per second at `station`: arrivals minus rejections
/// over the measured time.
fn admitted_rate(run: &RunResult, station: &str) -> f64 {
    (metric(run, station, "arrivals") - metric(run, station, "rejected"))
        / metric(run, "overall", "measured_s")
}

/// L − λW at `station`: time-average number present minus departures per
/// second × mean residence.
fn little_gap(run: &RunResult, station: &str) -> f64 {
    metric(run, station, "in_system_mean")
        - metric(run, station, "throughput_rps") * metric(run, station, "residence_mean_ms") / 1000.0
}

/// Lq − λWq at `station`: time-average number waiting minus admitted
/// requests per second × mean wait.
fn queue_little_gap(run: &RunResult, station: &str) -> f64 {
    metric(run, station, "queue_len_mean")
        - admitted_rate(run, station) * metric(run, station, "wait_mean_ms") / 1000.0
}

/// Little's law on stationary runs. Over the measured period [t0, t1),
/// ∫ N dt and Σ residence (of the requests that departed in it) differ only
/// by boundary terms: Σ over requests present at t0 of their age then
/// (counted in the residences, not in the area) minus Σ over requests
/// present at t1 of their age then (in the area, not in the residences).
/// In steady state both sums have the same distribution (the total age of
/// the requests present at a fixed time), so L − λW has mean exactly zero,
/// though any one run is off by O(L·W/T). The same holds for the waiting
/// line (admitted − started is a zero-mean boundary count too). So we check
/// that zero lies in the t interval of the per-run gaps (they come out
/// around 10^-5 of L): a metric that mis-integrated the level or mis-timed
/// residences would leave a gap proportional to L that does not shrink with
/// T, and fail this.
fn check_littles_law(label: &str, runs: &[RunResult], station: &str) {
    let gaps: Vec<f64> = runs.iter().map(|run| little_gap(run, station)).collect();
    check(&format!("{label}: L − λW at {station}"), &gaps, 0.0, 0.0);
    let queue_gaps: Vec<f64> = runs.iter().map(|run| queue_little_gap(run, station)).collect();
    check(&format!("{label}: Lq − λWq at {station}"), &queue_gaps, 0.0, 0.0);
}

/// Simulates M/M/c at `rate_per_s` (μ = 1/ms) and checks mean response,
/// P(wait), p99, utilization and Little's law.
fn check_mmc(servers: u32, rate_per_s: u32, requests_per_run: u64) {
    let model = Mmc {
        servers,
        lambda: rate_per_s as f64 / 1000.0,
        mu: 1.0 / MEAN_SERVICE_MS,
    };
    let label = format!("M/M/{servers} ρ={:.3}", model.utilization());
    let runs = replicate(&single_station(
        rate_per_s,
        servers,
        None,
        EXP_SERVICE,
        requests_per_run,
    ));
    check_mmc_runs(&label, model, &runs, "srv", "utilization");
    check_littles_law(&label, &runs, "srv");
}

/// The M/M/c checks on runs whose requests do nothing but pass `station`:
/// mean and p99 response, P(wait) and the servers' utilization (the
/// station's `utilization_metric`).
fn check_mmc_runs(label: &str, model: Mmc, runs: &[RunResult], station: &str, utilization_metric: &str) {
    check(
        &format!("{label}: mean response ms"),
        &column(runs, "overall", "latency_mean_ms"),
        model.mean_response(),
        0.0,
    );
    check(
        &format!("{label}: P(wait)"),
        &column(runs, station, "wait_probability"),
        model.wait_probability(),
        0.0,
    );
    check(
        &format!("{label}: p99 response ms"),
        &column(runs, "overall", "latency_p99_ms"),
        model.response_quantile(0.99),
        HISTOGRAM_RESOLUTION,
    );
    check(
        &format!("{label}: {utilization_metric}"),
        &column(runs, station, utilization_metric),
        model.utilization(),
        0.0,
    );
}

/// Simulates M/M/c/K and checks blocking, L, W, P(wait), utilization and
/// Little's law.
fn check_mmck(servers: u32, capacity: u32, rate_per_s: u32, requests_per_run: u64) {
    let model = Mmck {
        servers,
        capacity,
        lambda: rate_per_s as f64 / 1000.0,
        mu: 1.0 / MEAN_SERVICE_MS,
    };
    let rho = model.lambda / (servers as f64 * model.mu);
    let label = format!("M/M/{servers}/{capacity} ρ={rho:.3}");
    let text = single_station(
        rate_per_s,
        servers,
        Some(capacity - servers),
        EXP_SERVICE,
        requests_per_run,
    );
    let runs = replicate(&text);
    let blocking: Vec<f64> = runs
        .iter()
        .map(|run| metric(run, "srv", "rejected") / metric(run, "srv", "arrivals"))
        .collect();
    check(
        &format!("{label}: blocking P_K"),
        &blocking,
        model.blocking(),
        0.0,
    );
    check(
        &format!("{label}: mean number present"),
        &column(&runs, "srv", "in_system_mean"),
        model.mean_in_system(),
        0.0,
    );
    check(
        &format!("{label}: mean response ms (admitted)"),
        &column(&runs, "overall", "latency_mean_ms"),
        model.mean_response(),
        0.0,
    );
    check(
        &format!("{label}: P(wait | admitted)"),
        &column(&runs, "srv", "wait_probability"),
        model.wait_probability(),
        0.0,
    );
    check(
        &format!("{label}: utilization"),
        &column(&runs, "srv", "utilization"),
        model.utilization(),
        0.0,
    );
    assert_only_rejections_fail(&runs, "srv");
    check_littles_law(&label, &runs, "srv");
}

/// Every request `station` rejected failed as `rejected`, and nothing else
/// failed.
fn assert_only_rejections_fail(runs: &[RunResult], station: &str) {
    for run in runs {
        let rejected = metric(run, station, "rejected");
        assert_eq!(metric(run, "overall", "errors_rejected"), rejected);
        assert_eq!(metric(run, "overall", "errors"), rejected);
    }
}

/// Simulates M/G/1 at `rate_per_s` with `service` of mean 1 ms and squared
/// coefficient of variation `scv`; checks the P-K mean response, P(wait) = ρ
/// (PASTA: an arrival waits iff the server is busy), utilization = ρ and
/// Little's law.
fn check_mg1(name: &str, service: &str, scv: f64, rate_per_s: u32, requests_per_run: u64) {
    let lambda = rate_per_s as f64 / 1000.0;
    let rho = lambda * MEAN_SERVICE_MS;
    let label = format!("M/{name}/1 ρ={rho:.3}");
    let runs = replicate(&single_station(rate_per_s, 1, None, service, requests_per_run));
    check(
        &format!("{label}: mean response ms"),
        &column(&runs, "overall", "latency_mean_ms"),
        pk_mean_response(lambda, MEAN_SERVICE_MS, scv),
        0.0,
    );
    check(
        &format!("{label}: P(wait)"),
        &column(&runs, "srv", "wait_probability"),
        rho,
        0.0,
    );
    check(
        &format!("{label}: utilization"),
        &column(&runs, "srv", "utilization"),
        rho,
        0.0,
    );
    check_littles_law(&label, &runs, "srv");
}

// ---------------------------------------------------------------------------
// The analytic formulas against known values.
// ---------------------------------------------------------------------------

fn assert_close(measured: f64, expected: f64, relative: f64) {
    assert!(
        (measured - expected).abs() <= relative * expected.abs(),
        "{measured} vs {expected}"
    );
}

/// Erlang C from its textbook definition, as an independent cross-check of
/// the recursion: (a^c/c!)/(1−ρ) over Σ_{k<c} a^k/k! + (a^c/c!)/(1−ρ).
fn erlang_c_direct(servers: u32, load: f64) -> f64 {
    let term = |k: u32| load.powi(k as i32) / (1..=k).map(f64::from).product::<f64>();
    let rho = load / servers as f64;
    let waiting = term(servers) / (1.0 - rho);
    waiting / ((0..servers).map(term).sum::<f64>() + waiting)
}

#[test]
fn erlang_formulas_match_known_values() {
    // M/M/2 at ρ = 0.5 (a = 1): C = 1/3. M/M/1: C = ρ.
    assert_close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12);
    for rho in [0.1, 0.5, 0.9] {
        assert_close(erlang_c(1, rho), rho, 1e-12);
    }
    // Erlang B(2, 1) = 1/5 (B(1,1) = 1/2, B(2,1) = (1/2)/(2 + 1/2)).
    assert_close(erlang_b(2, 1.0), 0.2, 1e-12);
    for (servers, load) in [(2, 1.6), (4, 3.0), (8, 7.2), (16, 13.6), (30, 25.0)] {
        assert_close(erlang_c(servers, load), erlang_c_direct(servers, load), 1e-10);
    }
}

#[test]
fn mmc_formulas_match_known_values() {
    // M/M/1: W = 1/(μ − λ), p99 = ln(100)/(μ − λ), P(T > t) = e^{−(μ−λ)t}.
    for lambda in [0.5, 0.9] {
        let model = Mmc {
            servers: 1,
            lambda,
            mu: 1.0,
        };
        assert_close(model.mean_response(), 1.0 / (1.0 - lambda), 1e-12);
        assert_close(model.response_quantile(0.99), 100f64.ln() / (1.0 - lambda), 1e-9);
        assert_close(model.response_tail(7.0), (-(1.0 - lambda) * 7.0).exp(), 1e-12);
    }
    // M/M/2: W = 1/(μ(1 − ρ²)); at ρ = 0.5, θ = 2μ − λ = μ exactly.
    let two = Mmc {
        servers: 2,
        lambda: 1.0,
        mu: 1.0,
    };
    assert_close(two.mean_response(), 1.0 / (1.0 - 0.25), 1e-12);
    assert_close(two.response_tail(0.0), 1.0, 1e-12);
    // The θ = μ branch is the limit of the general one.
    for lambda in [1.0 - 1e-4, 1.0 + 1e-4] {
        let near = Mmc { lambda, ..two };
        assert_close(near.response_tail(5.0), two.response_tail(5.0), 1e-3);
    }
    // The quantile inverts the tail.
    let eight = Mmc {
        servers: 8,
        lambda: 7.2,
        mu: 1.0,
    };
    assert_close(eight.response_tail(eight.response_quantile(0.99)), 0.01, 1e-9);
}

#[test]
fn mmck_formulas_match_known_values() {
    // K = c is the Erlang loss system: P_K = Erlang B.
    let loss = Mmck {
        servers: 3,
        capacity: 3,
        lambda: 2.0,
        mu: 1.0,
    };
    assert_close(loss.blocking(), erlang_b(3, 2.0), 1e-12);
    // M/M/1/K: P_K = (1 − ρ)ρ^K / (1 − ρ^{K+1}).
    for rho in [0.5, 0.9, 1.5] {
        let model = Mmck {
            servers: 1,
            capacity: 5,
            lambda: rho,
            mu: 1.0,
        };
        let expected = (1.0 - rho) * rho.powi(5) / (1.0 - rho.powi(6));
        assert_close(model.blocking(), expected, 1e-12);
    }
    // A large waiting room is M/M/c: no blocking, Erlang C, the same W.
    let large = Mmck {
        servers: 4,
        capacity: 400,
        lambda: 3.0,
        mu: 1.0,
    };
    let unbounded = Mmc {
        servers: 4,
        lambda: 3.0,
        mu: 1.0,
    };
    assert!(large.blocking() < 1e-40);
    assert_close(large.wait_probability(), unbounded.wait_probability(), 1e-12);
    assert_close(large.mean_response(), unbounded.mean_response(), 1e-12);
    assert_close(large.utilization(), 0.75, 1e-12);
}

#[test]
fn pollaczek_khinchine_matches_known_values() {
    // Exponential service (cv² = 1) is M/M/1: W = 1/(μ − λ).
    assert_close(pk_mean_response(0.9, 1.0, 1.0), 10.0, 1e-12);
    // M/D/1: Wq = ρ/(2μ(1 − ρ)), half the M/M/1 wait.
    assert_close(pk_mean_response(0.9, 1.0, 0.0), 1.0 + 4.5, 1e-12);
}

/// P(|T| ≤ x) for Student's t with `df` degrees of freedom. With
/// x = √df·tan u the density becomes ∝ cos^{df−1} u on [0, π/2), so the
/// probability is a ratio of two integrals (Simpson's rule), with no
/// gamma function needed.
fn student_t_central(x: f64, df: u32) -> f64 {
    let integral = |upper: f64| {
        let steps = 100_000;
        let h = upper / steps as f64;
        let f = |u: f64| u.cos().powi(df as i32 - 1);
        let inner: f64 = (1..steps)
            .map(|i| f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
            .sum();
        (f(0.0) + inner + f(upper)) * h / 3.0
    };
    integral((x / (df as f64).sqrt()).atan()) / integral(std::f64::consts::FRAC_PI_2)
}

#[test]
fn student_t_quantile_is_right() {
    assert!((student_t_central(T_QUANTILE, REPLICATIONS as u32 - 1) - 0.9999).abs() < 1e-6);
    // Sanity of the integrator: the familiar 95 % quantile for 19 df.
    assert!((student_t_central(2.093, 19) - 0.95).abs() < 1e-4);
}

// ---------------------------------------------------------------------------
// Simulation against theory.
// ---------------------------------------------------------------------------

#[test]
fn mm1_at_half_load() {
    check_mmc(1, 500, 100_000);
}

#[test]
fn mm1_at_ninety_percent_load() {
    // Averages converge slowly near saturation (the asymptotic variance of
    // the mean number present grows like 1/(1 − ρ)^4): 5·10^5 requests a run.
    check_mmc(1, 900, 500_000);
}

#[test]
fn mm2_at_half_load() {
    // θ = 2μ − λ = μ: the response-time tail takes its Erlang-2 form.
    check_mmc(2, 1000, 100_000);
}

#[test]
fn mm4_at_three_quarters_load() {
    check_mmc(4, 3000, 200_000);
}

#[test]
fn mm8_at_ninety_percent_load() {
    check_mmc(8, 7200, 500_000);
}

#[test]
fn mm16_at_eighty_five_percent_load() {
    check_mmc(16, 13_600, 500_000);
}

#[test]
fn mmck_blocking_below_saturation() {
    // c = 2, K = 6, ρ = 0.8.
    check_mmck(2, 6, 1600, 100_000);
}

#[test]
fn mmck_blocking_in_overload() {
    // c = 4, K = 10, ρ = 1.2: unstable without the bound, stationary with it.
    check_mmck(4, 10, 4800, 100_000);
}

#[test]
fn md1_pollaczek_khinchine() {
    check_mg1("D", r#"{ dist = "const", value = "1ms" }"#, 0.0, 900, 250_000);
}

#[test]
fn mg1_gamma_pollaczek_khinchine() {
    check_mg1(
        "Gamma(cv 0.5)",
        r#"{ dist = "gamma", mean = "1ms", cv = 0.5 }"#,
        0.25,
        800,
        100_000,
    );
}

#[test]
fn mg1_lognormal_pollaczek_khinchine() {
    // cv = 2: E[S²] = 5 ms², and the waiting time's variance involves E[S³]
    // = 125 ms³, so the mean converges slowly: 5·10^5 requests a run.
    check_mg1(
        "LogNormal(cv 2)",
        r#"{ dist = "lognormal", mean = "1ms", cv = 2.0 }"#,
        4.0,
        700,
        500_000,
    );
}

/// Little's law as an exact identity. A run that starts empty (no warm-up)
/// and ends empty (the arrival rate drops to almost nothing well before
/// the end, and we assert nothing is in flight then) has no boundary terms:
/// ∫ N dt over the run equals the sum of the residences of the requests
/// that passed, in integer nanoseconds. So L = λW holds per run and per
/// station to floating-point rounding (10^-12 relative), for every station
/// of a network: a blocking front pool whose residence includes its calls,
/// a two-instance back pool with a small waiting room (rejections, which
/// must not count as present), an async pool whose requests queue again
/// for the worker after a delay (those waits count in Wq too), and a
/// database; with network delays.
#[test]
fn littles_law_is_exact_on_runs_that_start_and_end_empty() {
    let text = r#"
[scenario]
seed = 1
duration = "80s"
warmup = "0s"
window = "10s"

[workload]
arrivals = { kind = "open", rate = "700/s" }
profile = [{ at = "60s", rate = "0.001/s" }]
mix = [{ class = "q", call = "front/work" }]

[network]
default = { dist = "exp", mean = "200us" }

[pool.front]
instances = 1
workers = 8

[pool.front.endpoint.work]
service = { dist = "exp", mean = "1ms" }
steps = [{ call = "back/work" }, { read = "db" }, { call = "side/work" }]

[pool.back]
instances = 2
workers = 1
queue_capacity = 2

[pool.back.endpoint.work]
service = { dist = "exp", mean = "1ms" }

[pool.side]
instances = 1
workers = 1
concurrency = "async"

[pool.side.endpoint.work]
service = { dist = "exp", mean = "500us" }
steps = [{ delay = { dist = "exp", mean = "2ms" } }, { compute = { dist = "exp", mean = "500us" } }]

[database.db]
connections = 1
read = { dist = "exp", mean = "1ms" }
"#;
    let mut base = scenario(text);
    for seed in 1..=3 {
        base.seed = seed;
        let run = simulate(&base);
        assert_conserved(&run);
        assert_eq!(metric(&run, "overall", "in_flight_at_warmup"), 0.0);
        assert_eq!(
            metric(&run, "overall", "in_flight_at_end"),
            0.0,
            "the run must end empty"
        );
        assert!(
            metric(&run, "back", "rejected") > 0.0,
            "the waiting room should overflow sometimes"
        );
        for station in ["front", "back", "side", "db"] {
            let present = metric(&run, station, "in_system_mean");
            let waiting = metric(&run, station, "queue_len_mean");
            println!(
                "seed {seed} {station}: L = {present:.6}, gap {:.3e}; Lq = {waiting:.6}, gap {:.3e}",
                little_gap(&run, station),
                queue_little_gap(&run, station)
            );
            assert!(
                present > 0.0 && waiting > 0.0,
                "{station} should see traffic and queueing"
            );
            assert!(
                little_gap(&run, station).abs() <= 1e-12 * present,
                "{station}: L = {present} but λW = {}",
                present - little_gap(&run, station)
            );
            assert!(
                queue_little_gap(&run, station).abs() <= 1e-12 * waiting,
                "{station}: Lq = {waiting} but λWq = {}",
                waiting - queue_little_gap(&run, station)
            );
        }
    }
}

// ---------------------------------------------------------------------------
// A balancer's own capacity.
// ---------------------------------------------------------------------------

/// A balancer `lb` in front of a pool that is never the constraint (one
/// instance with far more workers than requests ever present), Poisson
/// arrivals at `rate_per_s`, and a measured period long enough for
/// `requests` expected arrivals. `balancer` is the rest of its section;
/// `service` the pool's.
fn behind_a_balancer(rate_per_s: u32, balancer: &str, service: &str, requests: u64) -> String {
    let head = scenario_and_workload(rate_per_s, requests, "lb/work");
    format!(
        r#"{head}
[balancer.lb]
pool = "srv"
{balancer}

[pool.srv]
workers = 100000

[pool.srv.endpoint.work]
service = {service}
"#
    )
}

/// A balancer with `cores` = c and exponential processing (its `latency`,
/// mean 1 ms) is an M/M/c station: the response time's mean and p99 (the
/// pool adds nothing), P(wait), the cores' utilization and Lq = λWq.
#[test]
fn a_balancer_with_cores_is_an_mmc_station() {
    let model = Mmc {
        servers: 2,
        lambda: 1.6,
        mu: 1.0 / MEAN_SERVICE_MS,
    };
    let label = format!("balancer with 2 cores ρ={:.3}", model.utilization());
    let runs = replicate(&behind_a_balancer(
        1600,
        &format!("latency = {EXP_SERVICE}\ncores = 2"),
        r#"{ dist = "const", value = "0s" }"#,
        150_000,
    ));
    check_mmc_runs(&label, model, &runs, "lb", "cpu_utilization");
    let queue_gaps: Vec<f64> = runs.iter().map(|run| queue_little_gap(run, "lb")).collect();
    check(&format!("{label}: Lq − λWq"), &queue_gaps, 0.0, 0.0);
    for run in &runs {
        assert_eq!(metric(run, "lb", "rejected"), 0.0);
        assert_eq!(metric(run, "overall", "errors"), 0.0);
    }
}

/// `max_connections` = c on a balancer whose calls each hold a connection
/// for an exponential 1 ms at the pool (and nothing else: no network, no
/// processing) is the Erlang loss system M/M/c/c: the share rejected is
/// Erlang B, and the mean number of connections a(1 − B).
#[test]
fn a_balancer_connection_limit_blocks_as_erlang_b() {
    let (servers, rate_per_s) = (10, 8000);
    let load = rate_per_s as f64 / 1000.0 * MEAN_SERVICE_MS;
    let blocking_expected = erlang_b(servers, load);
    let label = format!("balancer with max_connections = {servers}, a = {load}");
    let runs = replicate(&behind_a_balancer(
        rate_per_s,
        &format!("max_connections = {servers}"),
        EXP_SERVICE,
        200_000,
    ));
    let blocking: Vec<f64> = runs
        .iter()
        .map(|run| metric(run, "lb", "rejected") / metric(run, "lb", "arrivals"))
        .collect();
    check(&format!("{label}: blocking"), &blocking, blocking_expected, 0.0);
    check(
        &format!("{label}: mean connections"),
        &column(&runs, "lb", "connections_mean"),
        load * (1.0 - blocking_expected),
        0.0,
    );
    assert_only_rejections_fail(&runs, "lb");
}
