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

use std::time::Duration;

use sigil_transport::{TargetError, Timeouts, TransportError};

use crate::CliError;
use crate::secret_input::{SecretArg, SecretText};

/// Exactly one of `ids` (upper case, as documented).
fn one_of<T: Copy>(s: &str, all: &[T], id: impl Fn(T) -> &'static str) -> Result<T, String> {
    all.iter().copied().find(|r| id(*r) == s).ok_or_else(|| {
        let ids: Vec<&str> = all.iter().map(|r| id(*r)).collect();
        format!("unknown region {s:?}: one of {}", ids.join(", "))
    })
}

fn parse_advance_region(s: &str) -> Result<AdvanceRegion, String> {
    one_of(s, &AdvanceRegion::ALL, AdvanceRegion::id)
}

fn parse_avanan_region(s: &str) -> Result<AvananRegion, String> {
    one_of(s, &AvananRegion::ALL, AvananRegion::id)
}

/// `--timeout`: the whole call's deadline (each attempt gets at most 10 s of it).
fn timeouts(operation: Duration) -> Timeouts {
    let defaults = Timeouts::default();
    Timeouts {
        attempt: defaults.attempt.min(operation),
        operation,
        ..defaults
    }
}

/// A network failure, naming the URL and what probably went wrong.
fn network_failure(url: &str, e: &TransportError) -> CliError {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let hint = if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
        " (the server does not speak TLS on that port: try http://)"
    } else if lower.contains("connection refused") {
        " (connection refused: is a server listening there?)"
    } else if lower.contains("dns error") || lower.contains("failed to lookup") {
        " (the host name does not resolve)"
    } else if lower.contains("certificate") {
        " (the server's TLS certificate was refused)"
    } else {
        ""
    };
    CliError::Failed(format!("{url}: {text}{hint}"))
}

/// A `--body-file`'s JSON.
fn read_json_file(path: &PathBuf) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Input {
        what: format!("reading --body-file {}", path.display()),
        source,
    })?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("--body-file {}: not JSON: {e}", path.display())))
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
    /// The region whose host and path prefix to use: ID, IN, MY, PH, SG, TH, VN or MX.
    #[arg(long, value_name = "REGION", value_parser = parse_advance_region, default_value = "ID")]
    region: AdvanceRegion,
    /// A custom origin (scheme://host:port) instead of the region's host, e.g. the emulator's.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The whole call's deadline, token included, e.g. 10s.
    #[arg(long, value_name = "DURATION", value_parser = crate::bounds::parse_call_timeout, default_value = "30s")]
    timeout: Duration,
}

impl AdvanceConnection {
    fn url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| self.region.origin().to_owned())
    }

    fn client(&self, period: Option<PeriodSeconds>) -> Result<AdvanceClient, CliError> {
        let mut builder = AdvanceClient::builder(self.access_key.clone(), self.secret.resolve()?)
            .region(self.region)
            .timeouts(timeouts(self.timeout));
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url.clone());
        }
        if let Some(period) = period {
            builder = builder.period(period);
        }
        builder.build().map_err(|e| advance_error(&self.url(), e))
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdvanceCommand {
    /// Get an access token: prints {"token":…,"expiredTime":…}.
    #[command(
        after_help = "Examples:\n  sigil advance token --access-key AK --secret-key - < sk.txt\n  sigil advance token --access-key sampleaccesskey --secret-key samplesecretkey --base-url http://127.0.0.1:8080 --period-seconds 600"
    )]
    Token {
        #[command(flatten)]
        connection: AdvanceConnection,
        /// Token validity, 60..=86400 seconds (default: the server's 3600).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(60..=86_400))]
        period_seconds: Option<u64>,
    },
    /// Open an H5 ID verification session: prints {"signatureId":…,"url":…,"expiredTime":…}.
    #[command(
        after_help = "Examples:\n  sigil advance idv-url --access-key AK --secret-key SK --region SG \\\n    --return-url https://shop.example/ok --fail-return-url https://shop.example/no --country IDN"
    )]
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
    #[command(
        after_help = "Examples:\n  sigil advance idv-result --access-key AK --secret-key SK --signature-id ed8b21c0c87ad617"
    )]
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

fn advance_error(url: &str, e: AdvanceError) -> CliError {
    match &e {
        AdvanceError::Target(t) => target_usage(t),
        AdvanceError::Transport(t) => network_failure(url, t),
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
                .map_err(|e| advance_error(&connection.url(), e))?;
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
                .map_err(idv_usage_error)?;
            let data = connection
                .client(None)?
                .generate_url(&request)
                .await
                .map_err(|e| advance_error(&connection.url(), e))?;
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
                .map_err(|e| advance_error(&connection.url(), e))?;
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
    #[command(
        after_help = "Examples:\n  sigil aet request --token T --secret-key - --method GET --path /v3/users < secret.txt\n  sigil aet request --token T --secret-key S --method POST --path /v3/users --body '{\"firstName\":\"Ada\"}'\n  sigil aet request --token T --secret-key S --method POST --path /v3/documents --multipart ./scan.png"
    )]
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
        /// Path and query, starting with /, e.g. /v3/users?page=2.
        #[arg(long, value_name = "PATH")]
        path: String,
        /// A JSON body, sent (and signed) as given.
        #[arg(long, value_name = "JSON", value_parser = parse_json, group = "aet_body")]
        body: Option<Value>,
        /// Read the JSON body from a file.
        #[arg(long, value_name = "FILE", group = "aet_body")]
        body_file: Option<PathBuf>,
        /// Upload this file as a multipart form (field `file`), signed with the empty body.
        #[arg(long, value_name = "FILE", group = "aet_body")]
        multipart: Option<PathBuf>,
        /// The environment.
        #[arg(long = "env", value_enum, default_value_t = EnvArg::Sandbox)]
        environment: EnvArg,
        /// A custom origin (scheme://host:port) instead of the environment's.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// The whole call's deadline, e.g. 10s.
        #[arg(long, value_name = "DURATION", value_parser = crate::bounds::parse_call_timeout, default_value = "30s")]
        timeout: Duration,
    },
}

fn aet_error(url: &str, e: AetError) -> CliError {
    match &e {
        AetError::Target(t) => target_usage(t),
        AetError::Transport(t) => network_failure(url, t),
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
        body_file,
        multipart,
        environment,
        base_url,
        timeout,
    } = cmd;
    let environment = match environment {
        EnvArg::Sandbox => Environment::Sandbox,
        EnvArg::Live => Environment::Live,
    };
    let url = base_url
        .clone()
        .unwrap_or_else(|| environment.base_url().to_owned());
    let aet_error = |e| aet_error(&url, e);
    let body = match body_file {
        Some(file) => Some(read_json_file(&file)?),
        None => body,
    };
    let mut builder = AetClient::builder(token.expose(), secret.resolve()?)
        .environment(environment)
        .timeouts(timeouts(timeout));
    if let Some(url) = base_url {
        builder = builder.base_url(url);
    }
    let client = builder.build().map_err(aet_error)?;
    // Every mistake that can be caught before the network is a usage error naming its flag.
    client.target(&path).map_err(aet_error)?;
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
#[group(id = "avanan_way_in", required = true, multiple = false, args = ["app_id", "client_id"])]
pub(crate) struct AvananConnection {
    /// The application id, e.g. US:myapp29 (the signed scheme; --secret-key is its secret).
    #[arg(long, value_name = "ID")]
    app_id: Option<String>,
    /// A Check Point Infinity Portal client id instead of an application id: --secret-key is
    /// then its access key, the token comes from POST /auth/external and calls go to the
    /// region's Infinity gateway under /app/hec-api.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// With --client-id: the scopes header (comma-separated farm:customer pairs) for keys
    /// that act for several tenants.
    #[arg(long, value_name = "SCOPES", conflicts_with = "app_id")]
    scopes: Option<String>,
    #[command(flatten)]
    secret: SecretArg,
    /// The region: US, EU, AU, CA, UK, IN or UAE.
    #[arg(long, value_name = "REGION", value_parser = parse_avanan_region, default_value = "US")]
    region: AvananRegion,
    /// A custom origin (scheme://host:port) instead of the region's host, e.g. the emulator's.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The whole call's deadline, token included, e.g. 10s.
    #[arg(long, value_name = "DURATION", value_parser = crate::bounds::parse_call_timeout, default_value = "30s")]
    timeout: Duration,
}

impl AvananConnection {
    fn url(&self) -> String {
        self.base_url.clone().unwrap_or_else(|| {
            if self.client_id.is_some() {
                self.region.infinity_origin()
            } else {
                self.region.origin()
            }
        })
    }

    fn client(&self) -> Result<AvananClient, CliError> {
        let secret = self.secret.resolve()?;
        let mut builder = match (&self.client_id, &self.app_id) {
            (Some(client_id), _) => {
                let builder = AvananClient::infinity_builder(client_id.clone(), secret);
                match &self.scopes {
                    Some(scopes) => builder.scopes(scopes.clone()),
                    None => builder,
                }
            }
            (None, app_id) => AvananClient::builder(app_id.clone().unwrap_or_default(), secret),
        }
        .region(self.region)
        .timeouts(timeouts(self.timeout));
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url.clone());
        }
        builder.build().map_err(|e| avanan_error(&self.url(), e))
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum AvananCommand {
    /// Get an access token (signed /v1.0/auth, or with --client-id the Infinity Portal's
    /// POST /auth/external): prints {"token":…}.
    #[command(
        after_help = "Examples:\n  sigil avanan token --app-id US:myapp29 --secret-key - < secret.txt\n  sigil avanan token --app-id US:myapp29 --secret-key my_avanan_secret --base-url http://127.0.0.1:8080\n  sigil avanan token --client-id CLIENT_ID --secret-key - --region EU < access-key.txt\n  sigil avanan token --client-id 5a1e6f0c2b3d4e8f9a0b1c2d3e4f5a6b --secret-key f0e1d2c3b4a5968778695a4b3c2d1e0f --base-url http://127.0.0.1:8080"
    )]
    Token {
        #[command(flatten)]
        connection: AvananConnection,
    },
    /// Send one request (after getting a token), signed or with --client-id as a bearer
    /// call under /app/hec-api; the same /v1.0/… paths either way; prints the JSON answer.
    #[command(
        after_help = "Examples:\n  sigil avanan request --app-id US:myapp29 --secret-key S --method GET --path /v1.0/scopes\n  sigil avanan request --client-id CLIENT_ID --secret-key - --method GET --path /v1.0/scopes < access-key.txt\n  sigil avanan request --app-id US:myapp29 --secret-key S --method POST --path /v1.0/event/query \\\n    --body '{\"requestData\":{\"eventTypes\":[\"phishing\"]}}'"
    )]
    Request {
        #[command(flatten)]
        connection: AvananConnection,
        /// HTTP method.
        #[arg(long, value_name = "M", value_parser = parse_method)]
        method: http::Method,
        /// Path and query, starting with /, e.g. /v1.0/scopes.
        #[arg(long, value_name = "PATH")]
        path: String,
        /// A JSON body, sent as given.
        #[arg(long, value_name = "JSON", value_parser = parse_json, group = "avanan_body")]
        body: Option<Value>,
        /// Read the JSON body from a file.
        #[arg(long, value_name = "FILE", group = "avanan_body")]
        body_file: Option<PathBuf>,
    },
}

fn avanan_error(url: &str, e: AvananError) -> CliError {
    match &e {
        AvananError::Target(t) => target_usage(t),
        AvananError::Transport(t) => network_failure(url, t),
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
            let token = connection
                .client()?
                .auth()
                .await
                .map_err(|e| avanan_error(&connection.url(), e))?;
            to_json(&json!({"token": token.token.expose()}))
        }
        AvananCommand::Request {
            connection,
            method,
            path,
            body,
            body_file,
        } => {
            let body = match body_file {
                Some(file) => Some(read_json_file(&file)?),
                None => body,
            };
            let response = connection
                .client()?
                .send(method, &path, body.as_ref())
                .await
                .map_err(|e| avanan_error(&connection.url(), e))?;
            let answer: Value = serde_json::from_slice(response.body())
                .map_err(|e| CliError::Failed(format!("the answer is not JSON: {e}")))?;
            to_json(&answer)
        }
    }
}

/// A refused `generate-url` request as a usage error naming the flag the user typed, not the
/// JSON field it fills.
fn idv_usage_error(error: sigil_models::ModelError) -> CliError {
    use sigil_models::ModelError;
    let flag = |field: &str| match field {
        "returnUrl" => "--return-url",
        "failReturnUrl" => "--fail-return-url",
        "userId" => "--user-id",
        _ => "--country",
    };
    CliError::Usage(match error {
        ModelError::Url { field, reason } => {
            format!("{}: must be an absolute http(s) URL: {reason}", flag(field))
        }
        ModelError::Empty { field } => format!("{}: must not be empty", flag(field)),
        other => other.to_string(),
    })
}
