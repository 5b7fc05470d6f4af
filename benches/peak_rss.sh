# Peak RSS and wall time of one child command, for benches/memory.sh and
# benches/overload.sh (sourced, not run).
#
#   peak_rss_init WORK     picks the method (CAPSIM_RSS_METHOD=time|rust, else
#                          GNU time when present, else rust) and, for rust,
#                          builds the launcher into WORK; sets $peak_rss_method.
#   peak_rss OUT CMD...    runs CMD (its stdout and stderr as the caller's) and
#                          writes "<exit code> <peak RSS KiB> <wall s>" to OUT;
#                          returns 0 whatever CMD's exit. A command killed by a
#                          signal has exit code `signal` (rust) or 128 + N (time).
#
# Why a launcher and not python3: a child's ru_maxrss includes the RSS of the
# process it was forked from (Linux keeps the pre-exec high-water mark), so
# python's own ~8-14 MiB would hide capsim's ~4-7 MiB. GNU time and this
# launcher are ~1-2 MiB.

peak_rss_init() {
    local work=$1
    peak_rss_method=${CAPSIM_RSS_METHOD:-}
    if [[ -z $peak_rss_method ]]; then
        if /usr/bin/time --version 2>&1 | grep -q GNU; then peak_rss_method=time; else peak_rss_method=rust; fi
    fi
    case $peak_rss_method in
    time) ;;
    rust)
        cat >"$work/rusage.rs" <<'EOF'
use std::os::raw::{c_int, c_long};
#[repr(C)]
struct Rusage { utime: [c_long; 2], stime: [c_long; 2], maxrss: c_long, rest: [c_long; 13] }
extern "C" { fn getrusage(who: c_int, usage: *mut Rusage) -> c_int; }
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let start = std::time::Instant::now();
    let status = std::process::Command::new(&args[1]).args(&args[2..]).status().expect("spawn");
    let wall = start.elapsed().as_secs_f64();
    let mut usage = Rusage { utime: [0; 2], stime: [0; 2], maxrss: 0, rest: [0; 13] };
    assert_eq!(unsafe { getrusage(-1, &mut usage) }, 0, "getrusage(RUSAGE_CHILDREN)");
    let _ = (usage.utime, usage.stime, usage.rest);
    // ru_maxrss is in KiB on Linux.
    let code = status.code().map_or_else(|| "signal".to_owned(), |c| c.to_string());
    std::fs::write(&args[0], format!("{code} {} {wall:.3}\n", usage.maxrss)).expect("write usage");
}
EOF
        rustc --edition 2021 -O -o "$work/rusage" "$work/rusage.rs"
        peak_rss_launcher=$work/rusage
        ;;
    *) echo "CAPSIM_RSS_METHOD must be time or rust" >&2; return 2 ;;
    esac
}

peak_rss() {
    local out=$1
    shift
    if [[ $peak_rss_method == time ]]; then
        local code=0
        /usr/bin/time -f '%M %e' -o "$out.time" "$@" || code=$?
        echo "$code $(tail -1 "$out.time")" >"$out"
    else
        "$peak_rss_launcher" "$out" "$@"
    fi
}
