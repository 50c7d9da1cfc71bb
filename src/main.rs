//! The `lienthong` binary: everything lives in the `api` crate.

fn main() -> std::process::ExitCode {
    api::cli::main()
}
