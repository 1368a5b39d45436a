//! `sigil`: sign and verify ADVANCE.AI, AET and Avanan requests from the command line.
//!
//! Exit codes: 0 success (and `valid`), 1 an invalid signature or a failed call, 2 a usage
//! error.

mod bench;
mod clock;
mod secret_input;
mod sign;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sign and verify ADVANCE.AI, AET and Avanan requests.
#[derive(Debug, Parser)]
#[command(name = "sigil", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the signature of a request (or, with --headers, everything to send).
    #[command(subcommand)]
    Sign(sign::SignCommand),
    /// Check a received signature: prints `valid` (exit 0) or `invalid` (exit 1).
    #[command(subcommand)]
    Verify(sign::VerifyCommand),
    /// Measure ns per signature: sigil, the plain reference and the SHA-256 floor, side by side.
    Bench(bench::BenchArgs),
}

/// What went wrong, and which exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Bad or missing arguments (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Reading an input failed (exit 2: the input the user named is unusable).
    #[error("{what}: {source}")]
    Input {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The signature did not verify (exit 1); `invalid` is printed, not this message.
    #[error("invalid")]
    Invalid,
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Input { .. } => 2,
            CliError::Invalid => 1,
        }
    }
}

fn run(cli: Cli) -> Result<String, CliError> {
    match cli.command {
        Command::Sign(cmd) => sign::run_sign(cmd, &clock::SystemClock),
        Command::Verify(cmd) => sign::run_verify(cmd),
        Command::Bench(args) => Ok(bench::run(&args)),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = run(cli);
    let mut stdout = std::io::stdout().lock();
    match result {
        Ok(output) => {
            if writeln!(stdout, "{output}").is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(CliError::Invalid) => {
            let _ = writeln!(stdout, "invalid");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("sigil: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
