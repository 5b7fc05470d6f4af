//! The web application of the real-stack validation: one process of a
//! thread pool serving HTTP/1.1 keep-alive connections (from nginx), doing
//! what a capsim scenario describes:
//!
//! - `GET /item/<id>`: CPU work (a calibrated busy loop), then a cache-aside
//!   read: Redis `GET item:<id>`; on a miss, PostgreSQL
//!   `SELECT value FROM items WHERE id = <id>` and Redis `SET item:<id>`.
//! - `POST /item/<id>`: CPU work, then PostgreSQL `UPDATE items ...` and
//!   Redis `DEL item:<id>` (the cache-aside write: invalidate).
//! - `GET /probe`: runs the CPU speed probe and answers its time in µs.
//!
//! Rust threads, no interpreter lock: each thread holds its own Redis and
//! PostgreSQL connection. Only std: RESP and the PostgreSQL simple-query
//! protocol (trust authentication on loopback) are spoken by hand.
//!
//! Usage: capsim-stack-app --port P --threads N --cpu-us US
//!        --redis HOST:PORT --pg HOST:PORT --pg-user U --pg-db D

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Config {
    port: u16,
    threads: usize,
    cpu_us: f64,
    redis: String,
    pg: String,
    pg_user: String,
    pg_db: String,
}

fn parse_args() -> Config {
    let mut config = Config {
        port: 8081,
        threads: 8,
        cpu_us: 1000.0,
        redis: "127.0.0.1:6379".into(),
        pg: "127.0.0.1:5432".into(),
        pg_user: "capsim".into(),
        pg_db: "capsim".into(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < args.len() {
        let value = args[i + 1].clone();
        match args[i].as_str() {
            "--port" => config.port = value.parse().expect("--port"),
            "--threads" => config.threads = value.parse().expect("--threads"),
            "--cpu-us" => config.cpu_us = value.parse().expect("--cpu-us"),
            "--redis" => config.redis = value,
            "--pg" => config.pg = value,
            "--pg-user" => config.pg_user = value,
            "--pg-db" => config.pg_db = value,
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    config
}

/// The busy loop: `iterations` rounds of an LCG the optimizer cannot drop.
fn spin(iterations: u64) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..iterations {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x ^= x >> 29;
    }
    std::hint::black_box(x)
}

/// This thread's CPU time in ns (`/proc/thread-self/schedstat`), so the
/// calibration counts the loop's own CPU, not the time other processes
/// took the core; `None` where it is not available.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Iterations per µs of CPU on this machine now (median of a few timed
/// runs; by wall time where thread CPU time is not available).
fn calibrate_spin() -> f64 {
    let mut rates: Vec<f64> = (0..7)
        .map(|_| {
            let (start, cpu) = (Instant::now(), thread_cpu_ns());
            spin(2_000_000);
            let elapsed_us = match (cpu, thread_cpu_ns()) {
                (Some(before), Some(after)) if after > before => (after - before) as f64 / 1e3,
                _ => start.elapsed().as_secs_f64() * 1e6,
            };
            2_000_000.0 / elapsed_us
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[3]
}

/// The CPU speed probe: µs of wall time for a fixed amount of work (lower
/// is faster), about 90 ms on the machine of RESULTS.md: long against a
/// scheduler slice and a timer tick, so one interruption moves it little
/// (run.sh takes the median of several). Wall time, not thread CPU time:
/// what a hypervisor steals slows the stack too.
fn probe() -> f64 {
    let start = Instant::now();
    spin(50_000_000);
    start.elapsed().as_secs_f64() * 1e6
}

struct Redis {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Redis {
    fn connect(address: &str) -> std::io::Result<Redis> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Redis {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends a command; returns the bulk string (None for nil) or status.
    fn command(&mut self, parts: &[&[u8]]) -> std::io::Result<Option<Vec<u8>>> {
        let mut out = format!("*{}\r\n", parts.len()).into_bytes();
        for part in parts {
            out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let line = line.trim_end();
        match line.as_bytes().first() {
            Some(b'$') => {
                let len: i64 = line[1..].parse().map_err(|_| bad("RESP length"))?;
                if len < 0 {
                    return Ok(None);
                }
                let mut body = vec![0; len as usize + 2];
                self.reader.read_exact(&mut body)?;
                body.truncate(len as usize);
                Ok(Some(body))
            }
            Some(b'+') | Some(b':') => Ok(Some(line.as_bytes()[1..].to_vec())),
            _ => Err(bad(&format!("redis: {line}"))),
        }
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::other(what.to_owned())
}

struct Postgres {
    stream: BufReader<TcpStream>,
}

impl Postgres {
    fn connect(address: &str, user: &str, database: &str) -> std::io::Result<Postgres> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        let mut body = Vec::new();
        body.extend_from_slice(&196608u32.to_be_bytes());
        for (key, value) in [("user", user), ("database", database)] {
            body.extend_from_slice(key.as_bytes());
            body.push(0);
            body.extend_from_slice(value.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut message = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        message.extend_from_slice(&body);
        (&stream).write_all(&message)?;
        let mut pg = Postgres {
            stream: BufReader::new(stream),
        };
        loop {
            let (tag, payload) = pg.message()?;
            match tag {
                b'R' if payload[..4] != [0, 0, 0, 0] => {
                    return Err(bad("postgres wants a password: use trust"));
                }
                b'E' => return Err(bad(&format!("postgres: {}", String::from_utf8_lossy(&payload)))),
                b'Z' => return Ok(pg),
                _ => {}
            }
        }
    }

    fn message(&mut self) -> std::io::Result<(u8, Vec<u8>)> {
        let mut head = [0u8; 5];
        self.stream.read_exact(&mut head)?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut payload = vec![0; len - 4];
        self.stream.read_exact(&mut payload)?;
        Ok((head[0], payload))
    }

    /// Runs `sql`; returns the first column of the first row, if any.
    fn query(&mut self, sql: &str) -> std::io::Result<Option<Vec<u8>>> {
        let mut message = vec![b'Q'];
        message.extend_from_slice(&((sql.len() + 5) as u32).to_be_bytes());
        message.extend_from_slice(sql.as_bytes());
        message.push(0);
        self.stream.get_mut().write_all(&message)?;
        let mut first = None;
        let mut error = None;
        loop {
            let (tag, payload) = self.message()?;
            match tag {
                b'D' if first.is_none() => {
                    let len = i32::from_be_bytes([payload[2], payload[3], payload[4], payload[5]]);
                    if len >= 0 {
                        first = Some(payload[6..6 + len as usize].to_vec());
                    }
                }
                b'E' => error = Some(String::from_utf8_lossy(&payload).into_owned()),
                b'Z' => break,
                _ => {}
            }
        }
        match error {
            Some(error) => Err(bad(&format!("postgres: {error}"))),
            None => Ok(first),
        }
    }
}

struct Worker {
    redis: Redis,
    pg: Postgres,
    iterations_per_us: f64,
    cpu_us: f64,
}

impl Worker {
    fn handle(&mut self, method: &str, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
        if path == "/probe" {
            return Ok((200, format!("{:.0}\n", probe()).into_bytes()));
        }
        let Some(id) = path.strip_prefix("/item/").and_then(|id| id.parse::<u64>().ok()) else {
            return Ok((404, b"not found\n".to_vec()));
        };
        spin((self.cpu_us * self.iterations_per_us) as u64);
        let key = format!("item:{id}");
        match method {
            "GET" => {
                if let Some(value) = self.redis.command(&[b"GET", key.as_bytes()])? {
                    return Ok((200, value));
                }
                let value = self
                    .pg
                    .query(&format!("SELECT value FROM items WHERE id = {id}"))?
                    .unwrap_or_default();
                self.redis.command(&[b"SET", key.as_bytes(), &value])?;
                Ok((200, value))
            }
            "POST" => {
                self.pg.query(&format!(
                    "UPDATE items SET value = repeat(md5(random()::text), 3), version = version + 1 WHERE id = {id}"
                ))?;
                self.redis.command(&[b"DEL", key.as_bytes()])?;
                Ok((200, b"ok\n".to_vec()))
            }
            _ => Ok((405, b"method not allowed\n".to_vec())),
        }
    }
}

/// Serves one request of a connection, then closes it: a thread is never
/// pinned to an idle connection (nginx opens one per request), so the
/// listen backlog is the pool's queue.
fn serve(stream: TcpStream, worker: &mut Worker) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(());
    }
    let mut content_length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(());
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = match worker.handle(method, path) {
        Ok(answer) => answer,
        Err(error) => (500, format!("{error}\n").into_bytes()),
    };
    let mut response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    writer.write_all(&response)?;
    Ok(())
}

fn connect_with_retry<T>(what: &str, mut connect: impl FnMut() -> std::io::Result<T>) -> T {
    for attempt in 0.. {
        match connect() {
            Ok(value) => return value,
            Err(error) if attempt < 50 => {
                eprintln!("app: {what}: {error}; retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(error) => panic!("app: {what}: {error}"),
        }
    }
    unreachable!()
}

fn main() {
    let config = Arc::new(parse_args());
    let iterations_per_us = calibrate_spin();
    eprintln!(
        "app: port {} threads {} cpu {} µs ({iterations_per_us:.1} iterations/µs)",
        config.port, config.threads, config.cpu_us
    );
    let listener = TcpListener::bind(("127.0.0.1", config.port)).expect("bind");
    let listener = Arc::new(listener);
    let handles: Vec<_> = (0..config.threads)
        .map(|_| {
            let listener = Arc::clone(&listener);
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let mut worker = Worker {
                    redis: connect_with_retry("redis", || Redis::connect(&config.redis)),
                    pg: connect_with_retry("postgres", || {
                        Postgres::connect(&config.pg, &config.pg_user, &config.pg_db)
                    }),
                    iterations_per_us,
                    cpu_us: config.cpu_us,
                };
                loop {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Err(error) = serve(stream, &mut worker) {
                                eprintln!("app: connection: {error}");
                            }
                        }
                        Err(error) => eprintln!("app: accept: {error}"),
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        let _ = handle.join();
    }
}
