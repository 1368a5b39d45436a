//! `sigil emulator`: the offline emulator until interrupted.

use std::io::Write as _;
use std::net::SocketAddr;

use clap::Args;
use sigil_emulator::{AdvanceAccount, Credential, Emulator, EmulatorConfig};

use crate::CliError;

/// Options of `sigil emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
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
    /// IDV regions (ISO alpha-3) to support besides IDN (repeatable).
    #[arg(long, value_name = "ISO3")]
    idv_region: Vec<String>,
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
    config.idv_regions.extend(args.idv_region.iter().cloned());
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
            .and_then(|()| out.flush())
            .map_err(|e| CliError::Failed(format!("writing to stdout: {e}")))?;
    }
    tokio::select! {
        served = emulator.serve_forever() => served.map_err(|e| CliError::Failed(format!("the emulator stopped: {e}")))?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(String::new())
}
