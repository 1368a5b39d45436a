//! `sigil`: sign and verify ADVANCE.AI, AET and Avanan requests, call the three APIs, and run
//! the offline emulator and its demo.
//!
//! Exit codes: 0 success (and `valid`); 1 an invalid signature, a vendor error or a failed
//! call; 2 a usage error.

mod bench;
mod clock;
mod demo;
mod emulator_cmd;
mod secret_input;
mod sign;
mod vendor;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sigil_client_core::{RandomIds, SystemClock};

/// Sign, verify and call ADVANCE.AI, AET and Avanan requests; run the offline emulator.
#[derive(Debug, Parser)]
#[command(name = "sigil", version, about, propagate_version = true)]
struct Cli {
    /// More log output on stderr: -v info, -vv debug, -vvv trace (RUST_LOG, when set, wins).
    /// Logs never carry secrets, tokens, signatures or personal data.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

/// Logs to stderr: the `RUST_LOG` filter if set, else the `-v` level; nothing by default.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => None,
        1 => Some("info"),
        2 => Some("debug"),
        _ => Some("trace"),
    };
    let filter = match (std::env::var("RUST_LOG"), level) {
        (Ok(spec), _) if !spec.trim().is_empty() => tracing_subscriber::EnvFilter::new(spec),
        (_, Some(level)) => tracing_subscriber::EnvFilter::new(level),
        _ => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the signature of a request (or, with --headers, everything to send).
    #[command(subcommand)]
    Sign(sign::SignCommand),
    /// Check a received signature: prints `valid` (exit 0) or `invalid` (exit 1).
    #[command(subcommand)]
    Verify(sign::VerifyCommand),
    /// ADVANCE.AI: access tokens and H5 ID verification.
    #[command(subcommand)]
    Advance(vendor::AdvanceCommand),
    /// AET: signed requests.
    #[command(subcommand)]
    Aet(vendor::AetCommand),
    /// Avanan: access tokens and signed requests.
    #[command(subcommand)]
    Avanan(vendor::AvananCommand),
    /// Run the offline emulator of the three vendors until interrupted.
    Emulator(emulator_cmd::EmulatorArgs),
    /// Start the emulator in-process and run every flow through the real clients.
    Demo,
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
    /// The vendor (or the emulator) refused the call (exit 1).
    #[error("{0}")]
    Vendor(String),
    /// The call failed otherwise: no connection, an unexpected answer, a failed demo (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Input { .. } => 2,
            CliError::Invalid | CliError::Vendor(_) | CliError::Failed(_) => 1,
        }
    }
}

/// A runtime for the commands that do I/O.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("starting the async runtime: {e}")))
}

fn run(cli: Cli) -> Result<String, CliError> {
    let now = clock::Generators {
        clock: &SystemClock,
        ids: &RandomIds,
    };
    match cli.command {
        Command::Sign(cmd) => sign::run_sign(cmd, &now),
        Command::Verify(cmd) => sign::run_verify(cmd),
        Command::Bench(args) => Ok(bench::run(&args)),
        Command::Advance(cmd) => runtime()?.block_on(vendor::run_advance(cmd)),
        Command::Aet(cmd) => runtime()?.block_on(vendor::run_aet(cmd)),
        Command::Avanan(cmd) => runtime()?.block_on(vendor::run_avanan(cmd)),
        Command::Emulator(args) => runtime()?.block_on(emulator_cmd::run(args)),
        Command::Demo => runtime()?.block_on(demo::run()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = run(cli);
    let mut stdout = std::io::stdout().lock();
    match result {
        Ok(output) => {
            if !output.is_empty() && writeln!(stdout, "{output}").is_err() {
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
