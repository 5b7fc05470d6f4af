//! The `capsim` command: parse arguments, call the library, map the outcome
//! to an exit code (0 ok, 1 the run failed, 2 invalid input or usage).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
