//! `sigil advance …`, `sigil aet …`, `sigil avanan …`: the client commands.
//!
//! Each prints JSON on stdout; a vendor error exits 1 with its code and message on stderr.

use std::path::PathBuf;

use bytes::Bytes;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use sigil_advance_idv::{AdvanceClient, AdvanceError};
use sigil_aet::{AetClient, AetError, Multipart};
use sigil_avanan::{AvananClient, AvananError};
use sigil_models::advance::{PeriodSeconds, Region as AdvanceRegion};
use sigil_models::aet::Environment;
use sigil_models::avanan::Region as AvananRegion;
use sigil_models::idv::{CountryCode, GenerateUrlRequest};

use crate::CliError;
use crate::secret_input::{SecretArg, SecretText};
use sigil_transport::TargetError;

fn parse_advance_region(s: &str) -> Result<AdvanceRegion, String> {
    AdvanceRegion::from_id(s).ok_or_else(|| "one of ID, IN, MY, PH, SG, TH, VN, MX".into())
}

fn parse_avanan_region(s: &str) -> Result<AvananRegion, String> {
    AvananRegion::from_id(s).ok_or_else(|| "one of US, EU, AU, CA, UK, IN, UAE".into())
}

/// An HTTP method, upper-cased; `http` checks it is one or more RFC 9110 token characters.
pub(crate) fn parse_method(s: &str) -> Result<http::Method, String> {
    http::Method::from_bytes(s.to_ascii_uppercase().as_bytes())
        .map_err(|_| "an HTTP method is one or more token characters, e.g. GET".into())
}

fn parse_json(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))
}

/// ADVANCE credentials and where to send them.
#[derive(Debug, Args)]
pub(crate) struct AdvanceConnection {
    /// The accessKey.
    #[arg(long, value_name = "AK")]
    access_key: String,
    #[command(flatten)]
    secret: SecretArg,
    /// The region whose host and path prefix to use.
    #[arg(long, value_name = "ID", value_parser = parse_advance_region, default_value = "ID")]
    region: AdvanceRegion,
    /// A custom origin instead of the region's host, e.g. the emulator's.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

impl AdvanceConnection {
    fn client(&self, period: Option<PeriodSeconds>) -> Result<AdvanceClient, CliError> {
        let mut builder = AdvanceClient::builder(self.access_key.clone(), self.secret.resolve()?)
            .region(self.region);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url.clone());
        }
        if let Some(period) = period {
            builder = builder.period(period);
        }
        builder.build().map_err(advance_error)
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdvanceCommand {
    /// Get an access token: prints {"token":…,"expiredTime":…}.
    Token {
        #[command(flatten)]
        connection: AdvanceConnection,
        /// Token validity, 60..=86400 seconds (default: the server's 3600).
        #[arg(long, value_name = "N")]
        period_seconds: Option<u64>,
    },
    /// Open an H5 ID verification session: prints {"signatureId":…,"url":…,"expiredTime":…}.
    IdvUrl {
        #[command(flatten)]
        connection: AdvanceConnection,
        /// Where the page sends the user after success.
        #[arg(long, value_name = "U")]
        return_url: String,
        /// Where the page sends the user when OCR fails.
        #[arg(long, value_name = "U")]
        fail_return_url: String,
        /// The document's country, ISO 3166-1 alpha-3 (the IDV `region` field).
        #[arg(long, value_name = "ISO3")]
        country: String,
        /// Your id for the user.
        #[arg(long, value_name = "X")]
        user_id: Option<String>,
    },
    /// Fetch the result of an H5 ID verification session.
    IdvResult {
        #[command(flatten)]
        connection: AdvanceConnection,
        /// The signatureId from idv-url.
        #[arg(long, value_name = "ID")]
        signature_id: String,
    },
}

/// A refused base URL or path is a usage error naming its flag (nothing was sent).
fn target_usage(e: &TargetError) -> CliError {
    let flag = match e {
        TargetError::BaseUrl { .. } => "--base-url",
        _ => "--path",
    };
    CliError::Usage(format!("{flag}: {e}"))
}

fn advance_error(e: AdvanceError) -> CliError {
    match &e {
        AdvanceError::Target(t) => target_usage(t),
        AdvanceError::InvalidRequest(_) | AdvanceError::Config(_) => CliError::Usage(e.to_string()),
        _ if e.code().is_some() => CliError::Vendor(e.to_string()),
        _ => CliError::Failed(e.to_string()),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string(value).map_err(|e| CliError::Failed(format!("printing the answer: {e}")))
}

/// Runs an ADVANCE command.
pub(crate) async fn run_advance(cmd: AdvanceCommand) -> Result<String, CliError> {
    match cmd {
        AdvanceCommand::Token {
            connection,
            period_seconds,
        } => {
            let period = period_seconds
                .map(PeriodSeconds::new)
                .transpose()
                .map_err(|e| CliError::Usage(format!("--period-seconds: {e}")))?;
            let data = connection
                .client(period)?
                .generate_token()
                .await
                .map_err(advance_error)?;
            to_json(&data)
        }
        AdvanceCommand::IdvUrl {
            connection,
            return_url,
            fail_return_url,
            country,
            user_id,
        } => {
            let country = CountryCode::new(&country)
                .map_err(|e| CliError::Usage(format!("--country: {e}")))?;
            let request = GenerateUrlRequest::new(&return_url, &fail_return_url, &country, user_id)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let data = connection
                .client(None)?
                .generate_url(&request)
                .await
                .map_err(advance_error)?;
            to_json(&data)
        }
        AdvanceCommand::IdvResult {
            connection,
            signature_id,
        } => {
            let data = connection
                .client(None)?
                .get_result(&signature_id)
                .await
                .map_err(advance_error)?;
            to_json(&data)
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum EnvArg {
    Sandbox,
    Live,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AetCommand {
    /// Send one signed request; prints the JSON answer.
    Request {
        /// The API token (sent as `Bearer …`). Defaults to $SIGIL_TOKEN.
        #[arg(
            long,
            value_name = "T",
            env = "SIGIL_TOKEN",
            hide_env_values = true,
            allow_hyphen_values = true
        )]
        token: SecretText,
        #[command(flatten)]
        secret: SecretArg,
        /// HTTP method.
        #[arg(long, value_name = "M", value_parser = parse_method)]
        method: http::Method,
        /// Path, e.g. /v3/users.
        #[arg(long, value_name = "P")]
        path: String,
        /// A JSON body.
        #[arg(long, value_name = "JSON", value_parser = parse_json, conflicts_with = "multipart")]
        body: Option<Value>,
        /// Upload this file as a multipart form (field `file`), signed with the empty body.
        #[arg(long, value_name = "FILE")]
        multipart: Option<PathBuf>,
        /// The environment.
        #[arg(long = "env", value_enum, default_value_t = EnvArg::Sandbox)]
        environment: EnvArg,
        /// A custom base URL instead of the environment's, e.g. the emulator's.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
}

fn aet_error(e: AetError) -> CliError {
    match &e {
        AetError::Target(t) => target_usage(t),
        AetError::InvalidRequest(_) | AetError::Config(_) => CliError::Usage(e.to_string()),
        AetError::Api { .. } => CliError::Vendor(e.to_string()),
        _ => CliError::Failed(e.to_string()),
    }
}

/// Runs an AET command.
pub(crate) async fn run_aet(cmd: AetCommand) -> Result<String, CliError> {
    let AetCommand::Request {
        token,
        secret,
        method,
        path,
        body,
        multipart,
        environment,
        base_url,
    } = cmd;
    let mut builder =
        AetClient::builder(token.expose(), secret.resolve()?).environment(match environment {
            EnvArg::Sandbox => Environment::Sandbox,
            EnvArg::Live => Environment::Live,
        });
    if let Some(url) = base_url {
        builder = builder.base_url(url);
    }
    let client = builder.build().map_err(aet_error)?;
    let answer: Value = match multipart {
        Some(file) => {
            if method != http::Method::POST {
                return Err(CliError::Usage(
                    "--multipart uploads use --method POST".into(),
                ));
            }
            let data = std::fs::read(&file).map_err(|source| CliError::Input {
                what: format!("reading --multipart {}", file.display()),
                source,
            })?;
            let name = file
                .file_name()
                .map_or_else(|| "upload".to_owned(), |n| n.to_string_lossy().into_owned());
            let form =
                Multipart::new().file("file", name, "application/octet-stream", Bytes::from(data));
            client.upload(&path, &form).await.map_err(aet_error)?
        }
        None => {
            let body = body.map(|b| Bytes::from(b.to_string()));
            let response = client.send(method, &path, body).await.map_err(aet_error)?;
            if response.body().is_empty() {
                json!({"status": response.status().as_u16()})
            } else {
                serde_json::from_slice(response.body())
                    .map_err(|e| CliError::Failed(format!("the answer is not JSON: {e}")))?
            }
        }
    };
    to_json(&answer)
}

/// Avanan credentials and where to send them.
#[derive(Debug, Args)]
pub(crate) struct AvananConnection {
    /// The application id, e.g. US:myapp29.
    #[arg(long, value_name = "ID")]
    app_id: String,
    #[command(flatten)]
    secret: SecretArg,
    /// The region.
    #[arg(long, value_name = "R", value_parser = parse_avanan_region, default_value = "US")]
    region: AvananRegion,
    /// A custom origin instead of the region's host, e.g. the emulator's.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

impl AvananConnection {
    fn client(&self) -> Result<AvananClient, CliError> {
        let mut builder =
            AvananClient::builder(self.app_id.clone(), self.secret.resolve()?).region(self.region);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url.clone());
        }
        builder.build().map_err(avanan_error)
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum AvananCommand {
    /// Get an access token from /v1.0/auth: prints {"token":…}.
    Token {
        #[command(flatten)]
        connection: AvananConnection,
    },
    /// Send one signed request (after getting a token); prints the JSON answer.
    Request {
        #[command(flatten)]
        connection: AvananConnection,
        /// HTTP method.
        #[arg(long, value_name = "M", value_parser = parse_method)]
        method: http::Method,
        /// Path and query as sent, e.g. /v1.0/scopes.
        #[arg(long, value_name = "P")]
        path: String,
        /// A JSON body.
        #[arg(long, value_name = "JSON", value_parser = parse_json)]
        body: Option<Value>,
    },
}

fn avanan_error(e: AvananError) -> CliError {
    match &e {
        AvananError::Target(t) => target_usage(t),
        AvananError::InvalidRequest(_) | AvananError::Config(_) => CliError::Usage(e.to_string()),
        AvananError::Unauthorized { .. } | AvananError::Api { .. } => {
            CliError::Vendor(e.to_string())
        }
        _ => CliError::Failed(e.to_string()),
    }
}

/// Runs an Avanan command.
pub(crate) async fn run_avanan(cmd: AvananCommand) -> Result<String, CliError> {
    match cmd {
        AvananCommand::Token { connection } => {
            let token = connection.client()?.auth().await.map_err(avanan_error)?;
            to_json(&json!({"token": token.token.expose()}))
        }
        AvananCommand::Request {
            connection,
            method,
            path,
            body,
        } => {
            let response = connection
                .client()?
                .send(method, &path, body.as_ref())
                .await
                .map_err(avanan_error)?;
            let answer: Value = serde_json::from_slice(response.body())
                .map_err(|e| CliError::Failed(format!("the answer is not JSON: {e}")))?;
            to_json(&answer)
        }
    }
}
