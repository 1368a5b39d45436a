//! `sigil emulator`: the offline emulator until interrupted.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use sigil_emulator::{AdvanceAccount, Credential, Emulator, EmulatorConfig, Faults, Limits};

use crate::CliError;
use crate::bounds::{
    parse_body_bytes, parse_connections, parse_count, parse_fault_duration, parse_limit_duration,
    parse_page_size, parse_state_bytes, parse_token_lifetime,
};
use crate::secret_input::SecretText;

/// Options of `sigil emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Address to listen on, HOST:PORT with an IP address or a host name (port 0: any free
    /// port).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0", value_parser = parse_addr)]
    addr: SocketAddr,
    /// One more ADVANCE account, ACCESS_KEY=SECRET_KEY (repeatable).
    #[arg(long, value_name = "AK=SK")]
    advance_account: Vec<Credential>,
    /// One more AET account, TOKEN=SECRET (repeatable).
    #[arg(long, value_name = "T=S")]
    aet_account: Vec<Credential>,
    /// One more Avanan account, APP_ID=SECRET (repeatable).
    #[arg(long, value_name = "ID=S")]
    avanan_account: Vec<Credential>,
    /// One more Avanan Infinity Portal account, CLIENT_ID=ACCESS_KEY (repeatable).
    #[arg(long, value_name = "CLIENT_ID=ACCESS_KEY")]
    avanan_infinity_account: Vec<Credential>,
    /// IDV regions (ISO 3166-1 alpha-3, upper case, e.g. PHL) to support besides IDN
    /// (repeatable).
    #[arg(long, value_name = "ISO3", value_parser = parse_iso3)]
    idv_region: Vec<String>,
    /// Seed of the fault generator (the same seed and requests inject the same faults).
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = "Faults")]
    fault_seed: u64,
    /// Limit faults to a vendor (advance, aet, avanan) or a path prefix such as /v3/users
    /// (repeatable; default every API route).
    #[arg(long, value_name = "VENDOR|/PREFIX", help_heading = "Faults")]
    fault_scope: Vec<String>,
    /// Share of requests answered HTTP 500.
    #[arg(long, value_name = "0..1", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    fault_error_rate: f64,
    /// Share of requests answered HTTP 429 with Retry-After.
    #[arg(long, value_name = "0..1", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    fault_throttle_rate: f64,
    /// Share of requests answered HTTP 503 with Retry-After.
    #[arg(long, value_name = "0..1", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    fault_unavailable_rate: f64,
    /// The Retry-After sent with 429 and 503, e.g. 2s.
    #[arg(long, value_name = "DURATION", value_parser = parse_fault_duration, default_value = "1s", help_heading = "Faults")]
    fault_retry_after: Duration,
    /// Share of ADVANCE requests answered SERVICE_BUSY (HTTP 200 envelope).
    #[arg(long, value_name = "0..1", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    fault_busy_rate: f64,
    /// Latency added to every request in scope, e.g. 50ms.
    #[arg(long, value_name = "DURATION", value_parser = parse_fault_duration, default_value = "0s", help_heading = "Faults")]
    fault_latency: Duration,
    /// Share of requests whose connection is closed mid-response.
    #[arg(long, value_name = "0..1", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    fault_close_rate: f64,
    /// Share of requests whose body is cut in half.
    #[arg(long, value_name = "0..1", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    fault_truncate_rate: f64,
    /// Move the emulator's clock, e.g. 10m or -10m (the Date header follows it).
    #[arg(long, value_name = "[-]DURATION", value_parser = parse_offset, allow_hyphen_values = true, default_value = "0s", help_heading = "Faults")]
    clock_offset: i64,
    /// Give ADVANCE and Avanan tokens this lifetime, e.g. 30s (to force expiry under load).
    #[arg(long, value_name = "DURATION", value_parser = parse_token_lifetime, help_heading = "Faults")]
    token_lifetime: Option<Duration>,
    /// Connections served at once.
    #[arg(long, value_name = "N", value_parser = parse_connections, default_value_t = Limits::default().max_connections, help_heading = "Limits")]
    max_connections: usize,
    /// Time to send request headers; also closes idle and half-open connections.
    #[arg(long, value_name = "DURATION", value_parser = parse_limit_duration, default_value = "30s", help_heading = "Limits")]
    header_read_timeout: Duration,
    /// How long shutdown lets requests in flight finish before closing what is left.
    #[arg(long, value_name = "DURATION", value_parser = parse_limit_duration, default_value = "5s", help_heading = "Limits")]
    shutdown_grace: Duration,
    /// Time to send a whole request body, however it trickles in.
    #[arg(long, value_name = "DURATION", value_parser = parse_limit_duration, default_value = "30s", help_heading = "Limits")]
    body_read_timeout: Duration,
    /// Largest JSON request body, in bytes.
    #[arg(long, value_name = "BYTES", value_parser = parse_body_bytes, default_value_t = Limits::default().max_json_body, help_heading = "Limits")]
    max_json_body: usize,
    /// Largest AET upload body, in bytes.
    #[arg(long, value_name = "BYTES", value_parser = parse_body_bytes, default_value_t = Limits::default().max_upload_body, help_heading = "Limits")]
    max_upload_body: usize,
    /// Open IDV sessions kept (the oldest goes first).
    #[arg(long, value_name = "N", value_parser = parse_count, default_value_t = Limits::default().max_sessions, help_heading = "Limits")]
    max_sessions: usize,
    /// Scripted IDV outcomes kept (the oldest goes first).
    #[arg(long, value_name = "N", value_parser = parse_count, default_value_t = Limits::default().max_scripts, help_heading = "Limits")]
    max_scripts: usize,
    /// AET objects stored, all collections together (more are refused with HTTP 507).
    #[arg(long, value_name = "N", value_parser = parse_count, default_value_t = Limits::default().max_objects, help_heading = "Limits")]
    max_objects: usize,
    /// Largest page of an AET collection listing.
    #[arg(long, value_name = "N", value_parser = parse_page_size, default_value_t = Limits::default().max_page_size, help_heading = "Limits")]
    max_page_size: usize,
    /// Largest pageSize of an Avanan event query (a larger one gets HTTP 400).
    #[arg(long, value_name = "N", value_parser = parse_page_size, default_value_t = Limits::default().max_event_page_size, help_heading = "Limits")]
    max_event_page_size: usize,
    /// Avanan event walks kept at once (stable cursors; the oldest goes first).
    #[arg(long, value_name = "N", value_parser = parse_count, default_value_t = Limits::default().max_event_walks, help_heading = "Limits")]
    max_event_walks: usize,
    /// Bytes each kind of stored state may hold (IDV sessions, scripted outcomes, event
    /// walks, AET objects).
    #[arg(long, value_name = "BYTES", value_parser = parse_state_bytes, default_value_t = Limits::default().max_state_bytes, help_heading = "Limits")]
    max_state_bytes: usize,
    /// Avanan scrollId cursors: stable (as the live service: one scrollId for a whole walk)
    /// or rotating (a new scrollId per page).
    #[arg(long, value_name = "MODE", default_value = "stable")]
    event_cursors: sigil_emulator::EventCursors,
    /// Bearer token for the /_emulator/* control routes (off loopback one is made up and
    /// printed when none is given). Defaults to $SIGIL_CONTROL_TOKEN.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SIGIL_CONTROL_TOKEN",
        hide_env_values = true
    )]
    control_token: Option<SecretText>,
}

/// `HOST:PORT` with an IP address or a host name (the first address it resolves to).
fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs as _;
    let mut addrs = s
        .to_socket_addrs()
        .map_err(|e| format!("{s:?} is not HOST:PORT that resolves: {e}"))?;
    addrs
        .next()
        .ok_or_else(|| format!("{s:?} resolves to no address"))
}

/// Three upper-case letters, as the IDV `region` field is written.
fn parse_iso3(s: &str) -> Result<String, String> {
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not an ISO 3166-1 alpha-3 code in upper case, e.g. PHL"
        ))
    }
}

/// A probability in `[0, 1]`.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("{s:?} is not a rate between 0 and 1")),
    }
}

/// A signed duration in milliseconds: `10m`, `-10m`, `1h 5s`.
fn parse_offset(s: &str) -> Result<i64, String> {
    let (sign, text) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let d = humantime::parse_duration(text).map_err(|e| format!("{s:?}: {e}"))?;
    i64::try_from(d.as_millis())
        .map(|ms| sign * ms)
        .map_err(|_| format!("{s:?} is too large"))
}

/// The configuration the arguments describe: the sample accounts plus the extra ones.
pub(crate) fn config(args: &EmulatorArgs) -> EmulatorConfig {
    let mut config = EmulatorConfig::default();
    config
        .advance_accounts
        .extend(args.advance_account.iter().map(|c| AdvanceAccount {
            access_key: c.id.clone(),
            secret_key: c.secret.clone(),
            disabled: false,
        }));
    config.aet_accounts.extend(args.aet_account.iter().cloned());
    config
        .avanan_accounts
        .extend(args.avanan_account.iter().cloned());
    config
        .avanan_infinity_accounts
        .extend(args.avanan_infinity_account.iter().cloned());
    config.idv_regions.extend(args.idv_region.iter().cloned());
    config.faults = Faults {
        seed: args.fault_seed,
        scope: args.fault_scope.clone(),
        error_rate: args.fault_error_rate,
        throttle_rate: args.fault_throttle_rate,
        unavailable_rate: args.fault_unavailable_rate,
        retry_after: args.fault_retry_after,
        busy_rate: args.fault_busy_rate,
        latency: args.fault_latency,
        close_rate: args.fault_close_rate,
        truncate_rate: args.fault_truncate_rate,
    };
    config.clock_offset_ms = args.clock_offset;
    config.token_lifetime = args.token_lifetime;
    config.limits = Limits {
        max_connections: args.max_connections,
        header_read_timeout: args.header_read_timeout,
        shutdown_grace: args.shutdown_grace,
        body_read_timeout: args.body_read_timeout,
        max_json_body: args.max_json_body,
        max_upload_body: args.max_upload_body,
        max_sessions: args.max_sessions,
        max_scripts: args.max_scripts,
        max_objects: args.max_objects,
        max_page_size: args.max_page_size,
        max_event_page_size: args.max_event_page_size,
        max_event_walks: args.max_event_walks,
        max_state_bytes: args.max_state_bytes,
        ..Limits::default()
    };
    config.event_cursors = args.event_cursors;
    config.control_token = args.control_token.as_ref().map(|t| t.expose().to_owned());
    config
}

/// Starts the emulator, prints `listening on http://HOST:PORT` (flushed), serves until Ctrl-C.
pub(crate) async fn run(args: EmulatorArgs) -> Result<String, CliError> {
    let emulator = Emulator::start(args.addr, config(&args))
        .await
        .map_err(|e| CliError::Failed(format!("cannot listen on {}: {e}", args.addr)))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", emulator.base_url())
            .and_then(|()| match emulator.control_token() {
                // Only off loopback, where the operator needs it for /_emulator/*.
                Some(token) if !emulator.addr().ip().is_loopback() => {
                    writeln!(out, "control token {token}")
                }
                _ => Ok(()),
            })
            .and_then(|()| out.flush())
            .map_err(|e| CliError::Failed(format!("writing to stdout: {e}")))?;
    }
    tokio::select! {
        served = emulator.serve_forever() => served.map_err(|e| CliError::Failed(format!("the emulator stopped: {e}")))?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(String::new())
}
