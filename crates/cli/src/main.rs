//! `sigil`: sign and verify ADVANCE.AI, AET and Avanan requests, call the three APIs, and run
//! the offline emulator and its demo.
//!
//! Exit codes: 0 success (and `valid`); 1 an invalid signature, a vendor error or a failed
//! call; 2 a usage error.

mod bench;
mod bounds;
mod clock;
mod demo;
mod emulator_cmd;
mod secret_input;
mod sign;
mod vendor;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use sigil_client_core::{RandomIds, SystemClock};

/// Sign, verify and call ADVANCE.AI, AET and Avanan requests; run the offline emulator.
#[derive(Debug, Parser)]
#[command(
    name = "sigil",
    version,
    about,
    propagate_version = true,
    after_help = "Examples:\n  sigil demo\n  sigil emulator --addr 127.0.0.1:8080\n  sigil sign aet --secret-key - --method GET --path /v3/users < secret.txt\n  sigil avanan token --app-id US:myapp29 --secret-key S --base-url http://127.0.0.1:8080\n  sigil completions bash > /etc/bash_completion.d/sigil"
)]
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
    #[command(
        subcommand,
        after_help = "Examples:\n  sigil sign advance --access-key AK --secret-key - < sk.txt\n  sigil sign aet --secret-key S --method GET --path /v3/users\n  sigil sign avanan --app-id US:myapp29 --secret-key S --request-string /v1.0/scopes"
    )]
    Sign(sign::SignCommand),
    /// Check a received signature: prints `valid` (exit 0) or `invalid` (exit 1). Every
    /// input is explicit: nothing defaults to now.
    #[command(
        subcommand,
        after_help = "Examples:\n  sigil verify advance --access-key AK --secret-key SK --timestamp 1665683270207 --signature HEX\n  sigil verify aet --secret-key S --method GET --path /v3/users --timestamp 1700000000123 --signature B64"
    )]
    Verify(sign::VerifyCommand),
    /// ADVANCE.AI: access tokens and H5 ID verification.
    #[command(
        subcommand,
        after_help = "Examples:\n  sigil advance token --access-key AK --secret-key - < sk.txt\n  sigil advance idv-result --access-key AK --secret-key SK --signature-id ID"
    )]
    Advance(vendor::AdvanceCommand),
    /// AET: signed requests.
    #[command(
        subcommand,
        after_help = "Examples:\n  sigil aet request --token T --secret-key S --method GET --path /v3/users"
    )]
    Aet(vendor::AetCommand),
    /// Avanan: access tokens and signed requests.
    #[command(
        subcommand,
        after_help = "Examples:\n  sigil avanan request --app-id US:myapp29 --secret-key S --method GET --path /v1.0/scopes"
    )]
    Avanan(vendor::AvananCommand),
    /// Run the offline emulator of the three vendors until interrupted.
    #[command(
        after_help = concat!(
            "Built-in accounts (always there; --*-account adds more):\n",
            "  ADVANCE  access key sampleaccesskey     secret key samplesecretkey\n",
            "           access key 19f3bfc87cdb9c33    secret key 440cc5dee302a30b (the token document's example)\n",
            "           access key disabledaccesskey   secret key disabledsecretkey (answers ACCOUNT_DISABLED)\n",
            "  AET      token aet-sample-token         secret aet-sample-secret\n",
            "  Avanan   app id US:myapp29              secret my_avanan_secret\n",
            "  Avanan Infinity Portal (POST /auth/external, then /app/hec-api/v1.0/...):\n",
            "           client id 5a1e6f0c2b3d4e8f9a0b1c2d3e4f5a6b  access key f0e1d2c3b4a5968778695a4b3c2d1e0f\n",
            "\nExamples:\n  sigil emulator --addr 127.0.0.1:8080\n  sigil emulator --addr localhost:0\n  sigil emulator --fault-error-rate 0.2 --fault-scope avanan --fault-seed 7\n  sigil emulator --clock-offset -10m --token-lifetime 30s --idv-region PHL"
        )
    )]
    Emulator(emulator_cmd::EmulatorArgs),
    /// Start the emulator in-process and run every flow through the real clients.
    #[command(after_help = "Examples:\n  sigil demo\n  sigil demo --json | jq '.failed'")]
    Demo {
        /// One JSON document (`passed`, `failed`, `steps`) instead of the text report.
        #[arg(long)]
        json: bool,
    },
    /// Print a completion script for a shell.
    #[command(
        after_help = "Examples:\n  sigil completions bash > /etc/bash_completion.d/sigil\n  sigil completions zsh > \"${fpath[1]}/_sigil\"\n  sigil completions fish > ~/.config/fish/completions/sigil.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Measure ns per signature: sigil, the plain reference and the SHA-256 floor, side by side.
    #[command(
        after_help = concat!(
            "Columns (ns per signature; each the median of 31 batches, variants taking turns):\n",
            "  blocks            SHA-256 compressions one signature needs\n",
            "  sigil ns          sigil-signing, the pre-keyed signer a user holds\n",
            "  reference ns      sigil-reference: format!, a fresh HMAC, hex/base64 into Strings\n",
            "  floor ns          the same number of raw compressions on ready-made blocks, independent\n",
            "  chained ns        the same compressions, each continuing the previous state (latency)\n",
            "  encoded ns        the floor plus sigil's output steps (AET: HMAC outer block and base64;\n",
            "                    ADVANCE, Avanan: hex)\n",
            "  sigil/floor       what sigil costs over hashing alone (1.00 = the hardware limit)\n",
            "  reference/sigil   how many times faster than the plain implementation\n",
            "  sigil/chained     sigil against the latency of its dependent compressions\n",
            "  sigil/encoded     what laying out the message costs on top of hashing and encoding\n",
            "Whole request: ns to build one signed request per vendor through the client, no network.\n",
            "--json prints the same per scheme: scheme, compressions, sigil_ns, reference_ns,\n",
            "floor_ns, floor_chained_ns, encoded_floor_ns and the ratios (sigil_over_floor, …).\n",
            "\nExamples:\n  sigil bench\n  sigil bench --scheme advance --scheme avanan_auth\n  sigil bench --quick --json | jq '.[] | .sigil_ns'"
        )
    )]
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
    /// Failed, with a report to print on stdout all the same (`demo --json`; exit 1).
    #[error("{0}")]
    FailedWithOutput(String),
    /// Standard output was closed (`| head`): end quietly (exit 0).
    #[error("standard output closed")]
    StdoutClosed,
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Input { .. } => 2,
            CliError::Invalid
            | CliError::Vendor(_)
            | CliError::Failed(_)
            | CliError::FailedWithOutput(_) => 1,
            CliError::StdoutClosed => 0,
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
        Command::Demo { json } => runtime()?.block_on(demo::run(json)),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "sigil", &mut script);
            String::from_utf8(script)
                .map(|s| s.trim_end().to_owned())
                .map_err(|e| CliError::Failed(format!("the completion script: {e}")))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = run(cli);
    let mut stdout = std::io::stdout().lock();
    match result {
        // A closed stdout (`| head`) ends the command quietly.
        Ok(output) => {
            let _ = !output.is_empty() && writeln!(stdout, "{output}").is_err();
            ExitCode::SUCCESS
        }
        Err(CliError::StdoutClosed) => ExitCode::SUCCESS,
        Err(CliError::FailedWithOutput(output)) => {
            let _ = writeln!(stdout, "{output}");
            ExitCode::from(1)
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
