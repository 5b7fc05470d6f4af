//! `--threads N`: the rayon pool that studies (replications, sweep points,
//! plan steps) run on. Results never depend on it; only the wall time does.

use super::EXIT_INVALID;

/// Runs `work` on a pool of `threads` threads (all cores when `None`).
pub fn install<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T, u8> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        if threads == 0 {
            eprintln!("error: `--threads` must be at least 1");
            return Err(EXIT_INVALID);
        }
        builder = builder.num_threads(threads);
    }
    match builder.build() {
        Ok(pool) => Ok(pool.install(work)),
        Err(error) => {
            eprintln!("error: cannot start {} threads: {error}", threads.unwrap_or(0));
            Err(super::EXIT_FAILED)
        }
    }
}
