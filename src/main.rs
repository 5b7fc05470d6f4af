//! The `capsim` command: parse arguments, call the library, map the outcome
//! to an exit code in one place (`cli::outcome`: 0 ok, 1 the run failed, 2 invalid
//! input or usage, 130 interrupted).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
