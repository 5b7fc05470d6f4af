//! Open-loop load generator of the real-stack validation: Poisson arrivals
//! at `--rate` per second for `--duration` seconds, each request sent at its
//! scheduled time on one of `--connections` keep-alive connections (a
//! request waits for a free connection if all are busy; its latency counts
//! from its scheduled time, so the generator's own queueing never hides the
//! server's: no coordinated omission). A request not answered within 10 s
//! of its scheduled time is an error. Keys are Zipf-popular; a share of
//! requests are writes. Writes one CSV row: rate, sent, completed, errors,
//! throughput, mean/p50/p99 latency, and its own CPU seconds from the first
//! scheduled request to the last answer (start-up and teardown left out).
//!
//! Usage: capsim-stack-loadgen --target 127.0.0.1:8080 --rate 100 --duration 30
//!        --connections 256 --keys 100000 --zipf 0.9 --write-share 0.1 --seed 1
//!        --warmup 5 --out results.csv

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Config {
    target: String,
    rate: f64,
    duration: f64,
    warmup: f64,
    connections: usize,
    keys: usize,
    zipf: f64,
    write_share: f64,
    seed: u64,
    out: String,
}

fn parse_args() -> Config {
    let mut c = Config {
        target: "127.0.0.1:8080".into(),
        rate: 100.0,
        duration: 30.0,
        warmup: 5.0,
        connections: 256,
        keys: 100_000,
        zipf: 0.9,
        write_share: 0.1,
        seed: 1,
        out: "loadgen.csv".into(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < args.len() {
        let v = args[i + 1].clone();
        match args[i].as_str() {
            "--target" => c.target = v,
            "--rate" => c.rate = v.parse().expect("--rate"),
            "--duration" => c.duration = v.parse().expect("--duration"),
            "--warmup" => c.warmup = v.parse().expect("--warmup"),
            "--connections" => c.connections = v.parse().expect("--connections"),
            "--keys" => c.keys = v.parse().expect("--keys"),
            "--zipf" => c.zipf = v.parse().expect("--zipf"),
            "--write-share" => c.write_share = v.parse().expect("--write-share"),
            "--seed" => c.seed = v.parse().expect("--seed"),
            "--out" => c.out = v,
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    c
}

/// SplitMix64: small, seeded, good enough for arrivals and keys.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
}

/// Cumulative Zipf(s) over keys 0..n (key 0 the most popular).
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut cdf = Vec::with_capacity(n);
    let mut total = 0.0;
    for rank in 1..=n {
        total += 1.0 / (rank as f64).powf(s);
        cdf.push(total);
    }
    for value in &mut cdf {
        *value /= total;
    }
    cdf
}

/// A request not answered this long after its scheduled time is an error.
const TIMEOUT: Duration = Duration::from_secs(10);

struct Job {
    due: Instant,
    key: usize,
    write: bool,
    measured: bool,
}

struct Outcome {
    latency: Duration,
    ok: bool,
    measured: bool,
}

/// One keep-alive connection; reconnects after an error.
struct Connection {
    target: String,
    stream: Option<(BufReader<TcpStream>, TcpStream)>,
}

impl Connection {
    fn send(&mut self, job: &Job) -> std::io::Result<u16> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.target)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(TIMEOUT))?;
            self.stream = Some((BufReader::new(stream.try_clone()?), stream));
        }
        let result = self.exchange(job);
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    fn exchange(&mut self, job: &Job) -> std::io::Result<u16> {
        let (reader, writer) = self.stream.as_mut().expect("connected");
        let method = if job.write { "POST" } else { "GET" };
        let request = format!(
            "{method} /item/{} HTTP/1.1\r\nHost: stack\r\nUser-Agent: capsim-loadgen\r\nContent-Length: 0\r\n\r\n",
            job.key
        );
        writer.write_all(request.as_bytes())?;
        let mut status_line = String::new();
        if reader.read_line(&mut status_line)? == 0 {
            return Err(std::io::Error::other("closed"));
        }
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        let mut close = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Err(std::io::Error::other("closed"));
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("connection")
                    && value.trim().eq_ignore_ascii_case("close")
                {
                    close = true;
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        if close {
            self.stream = None;
        }
        Ok(status)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// This process's CPU seconds so far, by `/proc/self/task/*/schedstat`
/// (each thread's run time in ns; exact, but only for live threads) and by
/// `/proc/self/stat` (user + system of every thread, in 10 ms ticks).
fn own_cpu_seconds() -> (Option<f64>, f64) {
    (schedstat_seconds(), stat_seconds())
}

fn schedstat_seconds() -> Option<f64> {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 / 1e9)
}

fn stat_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|field| field.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

/// CPU seconds between two `own_cpu_seconds` readings: by schedstat where
/// both have it (every thread alive at both), else by the ticks.
fn cpu_between(start: (Option<f64>, f64), end: (Option<f64>, f64)) -> f64 {
    match (start, end) {
        ((Some(a), _), (Some(b), _)) => b - a,
        ((_, a), (_, b)) => b - a,
    }
}

/// The longest wait for the next answer before the generator gives up on
/// the rest: every request ends within about TIMEOUT (its read timeout),
/// so only a lost connection thread waits this long.
const STUCK: Duration = Duration::from_secs(60);

fn main() {
    let c = parse_args();
    let cdf = zipf_cdf(c.keys, c.zipf);
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (done_tx, done_rx) = mpsc::channel::<Outcome>();
    for _ in 0..c.connections {
        let job_rx = Arc::clone(&job_rx);
        let done_tx = done_tx.clone();
        let target = c.target.clone();
        std::thread::spawn(move || {
            let mut connection = Connection { target, stream: None };
            loop {
                let job = match job_rx.lock().expect("queue").recv() {
                    Ok(job) => job,
                    Err(_) => return,
                };
                let now = Instant::now();
                if job.due > now {
                    std::thread::sleep(job.due - now);
                }
                // A request no connection could take within the timeout is
                // a timeout too: the run ends at most TIMEOUT after its last
                // arrival, however overloaded the server.
                let ok = job.due.elapsed() < TIMEOUT && matches!(connection.send(&job), Ok(200));
                let _ = done_tx.send(Outcome {
                    latency: job.due.elapsed(),
                    ok,
                    measured: job.measured,
                });
            }
        });
    }
    drop(done_tx);
    // The schedule: exponential gaps; each job is handed out shortly
    // before it is due, so a free connection sends it on time.
    let mut rng = Rng(c.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x1234_5678);
    let start = Instant::now() + Duration::from_millis(200);
    let end = c.warmup + c.duration;
    let mut t = 0.0;
    let mut sent = 0u64;
    let mut jobs = 0usize;
    // The CPU window opens at the first scheduled request, with every
    // connection thread started (and alive until the queue closes).
    std::thread::sleep(start.saturating_duration_since(Instant::now()));
    let cpu_start = own_cpu_seconds();
    loop {
        t += -rng.uniform().ln() / c.rate;
        if t >= end {
            break;
        }
        let u = rng.uniform();
        let key = cdf.partition_point(|&p| p < u).min(c.keys - 1);
        let write = rng.uniform() < c.write_share;
        let due = start + Duration::from_secs_f64(t);
        let lead = due.saturating_duration_since(Instant::now());
        if lead > Duration::from_millis(2) {
            std::thread::sleep(lead - Duration::from_millis(2));
        }
        let measured = t >= c.warmup;
        sent += measured as u64;
        jobs += 1;
        job_tx
            .send(Job {
                due,
                key,
                write,
                measured,
            })
            .expect("senders");
    }
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    let mut completed = 0u64;
    let measure_start = start + Duration::from_secs_f64(c.warmup);
    let mut last = measure_start;
    // Every job gives one outcome: collect them all while the connection
    // threads are alive (waiting on the open queue), so the CPU window's
    // close still counts every thread's run time.
    let mut outcomes = Vec::with_capacity(jobs);
    while outcomes.len() < jobs {
        match done_rx.recv_timeout(STUCK) {
            Ok(outcome) => outcomes.push((outcome, Instant::now())),
            Err(_) => break,
        }
    }
    let cpu_s = cpu_between(cpu_start, own_cpu_seconds());
    drop(job_tx);
    for (outcome, at) in outcomes {
        if !outcome.measured {
            continue;
        }
        last = last.max(at);
        if outcome.ok {
            completed += 1;
            latencies.push(outcome.latency.as_secs_f64() * 1000.0);
        } else {
            errors += 1;
        }
    }
    // A measured request with no outcome (only if a connection thread was
    // lost) is an error too.
    errors += sent - completed - errors;
    latencies.sort_by(f64::total_cmp);
    let mean = latencies.iter().sum::<f64>() / latencies.len().max(1) as f64;
    // Throughput: completions over the measured span of arrivals (the
    // tail after the last arrival counts only if the server lagged).
    let span = (last - measure_start).as_secs_f64().max(c.duration);
    let throughput = completed as f64 / span;
    let header = "offered_rate,duration_s,sent,completed,errors,throughput,mean_ms,p50_ms,p99_ms,cpu_s";
    let row = format!(
        "{},{},{sent},{completed},{errors},{throughput:.3},{mean:.3},{:.3},{:.3},{cpu_s:.6}",
        c.rate,
        c.duration,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
    );
    let mut file = std::fs::File::create(&c.out).expect("--out");
    writeln!(file, "{header}\n{row}").expect("write");
    println!("{header}\n{row}");
}
