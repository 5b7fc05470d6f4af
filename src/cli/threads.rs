//! `--threads N`: the rayon pool that studies (replications, sweep points,
//! plan steps) run on, and that draws their charts and writes their files.
//! Results never depend on it; only the wall time does.

use rayon::ThreadPool;

use super::outcome::Failure;

/// A pool of `threads` threads (all cores when `None`); on a bad count or a
/// failure to start it, prints why and says which kind of failure.
pub fn pool(threads: Option<usize>) -> Result<ThreadPool, Failure> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        if threads == 0 {
            eprintln!("error: `--threads` must be at least 1");
            return Err(Failure::Invalid);
        }
        builder = builder.num_threads(threads);
    }
    builder.build().map_err(|error| {
        eprintln!("error: cannot start {} threads: {error}", threads.unwrap_or(0));
        Failure::Failed
    })
}

/// Runs `work` on a pool of `threads` threads (all cores when `None`).
pub fn install<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T, Failure> {
    Ok(pool(threads)?.install(work))
}
