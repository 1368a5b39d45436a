//! `sigil sign …` and `sigil verify …`.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::avanan::{AvananRequest, AvananSigner};
use sigil_signing::{
    Base64Signature, HexSignature, SignatureMismatch, TimestampMillis, advance::AdvanceSigner,
};

use crate::CliError;
use crate::clock::{Generators, timestamp_of};
use crate::secret_input::{SecretArg, SecretText};

/// ADVANCE token signature inputs.
#[derive(Debug, Args)]
pub(crate) struct AdvanceArgs {
    /// The accessKey.
    #[arg(long, value_name = "AK")]
    access_key: String,
    #[command(flatten)]
    secret: SecretArg,
    /// 13-digit millisecond timestamp (default: now).
    #[arg(long, value_name = "MS")]
    timestamp: Option<TimestampMillis>,
}

/// AET request signature inputs.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("body_source").multiple(false))]
pub(crate) struct AetArgs {
    #[command(flatten)]
    secret: SecretArg,
    /// HTTP method (any case; signed upper case).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    method: String,
    /// Path and query as sent, starting with /, e.g. `/v3/users?page=2` (the leading slash is
    /// not signed).
    #[arg(long, value_name = "PATH")]
    path: String,
    /// Whether the query string of --path is signed (AET's own clients exclude it).
    #[arg(long, value_enum, default_value_t = QueryArg::Exclude)]
    query: QueryArg,
    /// 13-digit millisecond timestamp (default: now).
    #[arg(long, value_name = "MS")]
    timestamp: Option<TimestampMillis>,
    /// The request body, exactly as sent (it may start with `-`).
    #[arg(
        long,
        value_name = "TEXT",
        group = "body_source",
        allow_hyphen_values = true
    )]
    body: Option<String>,
    /// Read the body from a file (streamed, never held whole in memory).
    #[arg(long, value_name = "FILE", group = "body_source")]
    body_file: Option<PathBuf>,
    /// The file this request uploads as a multipart form: signed with an empty body, as the
    /// document requires (the file must exist; its bytes are not signed).
    #[arg(long, value_name = "FILE", group = "body_source")]
    multipart: Option<PathBuf>,
    /// With --headers: the API token for the `authorization: Bearer …` header.
    #[arg(
        long,
        value_name = "T",
        env = "SIGIL_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    token: Option<SecretText>,
}

/// Avanan `x-av-sig` inputs.
#[derive(Debug, Args)]
pub(crate) struct AvananArgs {
    /// The Avanan application id (`x-av-app-id`), e.g. `US:myapp29`.
    #[arg(long, value_name = "ID")]
    app_id: String,
    #[command(flatten)]
    secret: SecretArg,
    /// `x-av-req-id` (default: a fresh UUID v4).
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    /// `x-av-date`, signed exactly as given (default: now, UTC with microseconds, no zone).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// The request string: the path as sent plus `?query`, starting with /; absent: the
    /// `/v1.0/auth` form.
    #[arg(long, value_name = "PATH")]
    request_string: Option<String>,
    /// With --headers: the `x-av-token` to send (empty for `/auth`).
    #[arg(
        long,
        value_name = "T",
        env = "SIGIL_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    token: Option<SecretText>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum QueryArg {
    Exclude,
    Include,
}

/// The method as signed: upper case, checked by the same parser as the client commands.
fn parse_method(s: &str) -> Result<String, String> {
    crate::vendor::parse_method(s).map(|m| m.as_str().to_owned())
}

/// Flags shared by every `sign` scheme.
#[derive(Debug, Args)]
pub(crate) struct SignFlags {
    /// Print everything to send instead of the signature (each scheme says what that is).
    #[arg(long)]
    headers: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SignCommand {
    /// ADVANCE `generate-token`: hex(SHA-256(accessKey ‖ secretKey ‖ timestamp)).
    #[command(
        after_help = "Examples:\n  sigil sign advance --access-key 19f3bfc87cdb9c33 --secret-key 440cc5dee302a30b --timestamp 1665683270207\n  sigil sign advance --access-key AK --secret-key - --headers < sk.txt",
        mut_arg("headers", |a| a.help("Print the generate-token JSON body to send (accessKey, signature, timestamp) instead of the signature"))
    )]
    Advance {
        #[command(flatten)]
        args: AdvanceArgs,
        #[command(flatten)]
        flags: SignFlags,
    },
    /// AET: base64(HMAC-SHA256(secret, timestamp ‖ METHOD ‖ path ‖ body)).
    #[command(
        after_help = "Examples:\n  sigil sign aet --secret-key S --method POST --path /v3/users --body '{\"firstName\":\"Ada\"}'\n  sigil sign aet --secret-key S --method GET --path '/v3/users?page=2' --query include --headers --token T\n  sigil sign aet --secret-key S --method POST --path /v3/documents --multipart ./scan.png",
        mut_arg("headers", |a| a.help("Print the request headers to send (timestamp, signature, and authorization with --token) instead of the signature"))
    )]
    Aet {
        #[command(flatten)]
        args: AetArgs,
        #[command(flatten)]
        flags: SignFlags,
    },
    /// Avanan x-av-sig: hex(SHA-256(base64(reqId ‖ appId ‖ date ‖ requestString? ‖ secret))).
    #[command(
        after_help = "Examples:\n  sigil sign avanan --app-id US:myapp29 --secret-key my_avanan_secret \\\n    --request-id d290f1ee-6c54-4b01-90e6 --date 2021-04-10T00:00:00.000Z\n  sigil sign avanan --app-id US:myapp29 --secret-key S --request-string /v1.0/scopes --headers --token JWT",
        mut_arg("headers", |a| a.help("Print the five x-av-* request headers to send (x-av-token with --token) instead of the signature"))
    )]
    Avanan {
        #[command(flatten)]
        args: AvananArgs,
        #[command(flatten)]
        flags: SignFlags,
    },
}

/// The received signature for `verify`.
#[derive(Debug, Args)]
pub(crate) struct SignatureArg {
    /// The signature to check.
    #[arg(long, value_name = "SIG")]
    signature: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum VerifyCommand {
    /// Verify an ADVANCE signature (--timestamp required).
    #[command(
        mut_arg("timestamp", |a| a.required(true).help("The 13-digit millisecond timestamp that was signed")),
        after_help = "Examples:\n  sigil verify advance --access-key 19f3bfc87cdb9c33 --secret-key 440cc5dee302a30b \\\n    --timestamp 1665683270207 --signature 22e20a4519cad37ecd5abb5c666828b2cfb06764ec3734c5faa5132c5e369585"
    )]
    Advance {
        #[command(flatten)]
        args: AdvanceArgs,
        #[command(flatten)]
        received: SignatureArg,
    },
    /// Verify an AET signature (--timestamp required).
    #[command(
        mut_arg("timestamp", |a| a.required(true).help("The 13-digit millisecond timestamp that was signed")),
        mut_arg("token", |a| a.hide(true)),
        after_help = "Examples:\n  sigil verify aet --secret-key S --method GET --path /v3/users --timestamp 1700000000123 --signature 'base64…='"
    )]
    Aet {
        #[command(flatten)]
        args: AetArgs,
        #[command(flatten)]
        received: SignatureArg,
    },
    /// Verify an Avanan x-av-sig (--request-id and --date required).
    #[command(
        mut_arg("request_id", |a| a.required(true).help("The x-av-req-id that was signed")),
        mut_arg("date", |a| a.required(true).help("The x-av-date that was signed, exactly")),
        mut_arg("token", |a| a.hide(true)),
        after_help = "Examples:\n  sigil verify avanan --app-id US:myapp29 --secret-key my_avanan_secret --request-id d290f1ee-6c54-4b01-90e6 \\\n    --date 2021-04-10T00:00:00.000Z --signature 2462b23346ab0642b65d7d094aca5fb4c29fd96d0468deceae2704d258e81497"
    )]
    Avanan {
        #[command(flatten)]
        args: AvananArgs,
        #[command(flatten)]
        received: SignatureArg,
    },
}

/// The inputs of one signature with every generated value filled in.
enum Resolved {
    Advance {
        access_key: String,
        timestamp: TimestampMillis,
        signer: AdvanceSigner,
    },
    Aet {
        timestamp: TimestampMillis,
        method: String,
        path: String,
        query: QueryPolicy,
        body: BodySource,
        token: Option<SecretText>,
        signer: AetSigner,
    },
    Avanan {
        request_id: String,
        app_id: String,
        date: String,
        request_string: Option<String>,
        token: Option<SecretText>,
        signer: AvananSigner,
    },
}

/// A signature of either encoding.
enum AnySignature {
    Hex(HexSignature),
    Base64(Base64Signature),
}

impl AnySignature {
    fn verify(&self, received: &[u8]) -> Result<(), SignatureMismatch> {
        match self {
            AnySignature::Hex(s) => s.verify(received),
            AnySignature::Base64(s) => s.verify(received),
        }
    }
}

impl std::fmt::Display for AnySignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnySignature::Hex(s) => s.fmt(f),
            AnySignature::Base64(s) => s.fmt(f),
        }
    }
}

enum BodySource {
    None,
    Text(String),
    File(PathBuf),
    Multipart,
}

fn require<T>(value: Option<T>, flag: &str) -> Result<T, CliError> {
    value.ok_or_else(|| CliError::Usage(format!("verify needs {flag} (all inputs are explicit)")))
}

impl AdvanceArgs {
    fn resolve(self, now: Option<&Generators<'_>>) -> Result<Resolved, CliError> {
        let timestamp = match (self.timestamp, now) {
            (Some(t), _) => t,
            (None, Some(now)) => timestamp_of(now.clock.now())?,
            (None, None) => require(None, "--timestamp")?,
        };
        let signer = AdvanceSigner::new(&self.access_key, &self.secret.resolve()?);
        Ok(Resolved::Advance {
            access_key: self.access_key,
            timestamp,
            signer,
        })
    }
}

impl AetArgs {
    fn resolve(self, now: Option<&Generators<'_>>) -> Result<Resolved, CliError> {
        let timestamp = match (self.timestamp, now) {
            (Some(t), _) => t,
            (None, Some(now)) => timestamp_of(now.clock.now())?,
            (None, None) => require(None, "--timestamp")?,
        };
        if !self.path.starts_with('/') {
            return Err(CliError::Usage(format!(
                "--path: give the path and query as sent, starting with /, e.g. /v3/users (not {:?})",
                self.path.chars().take(60).collect::<String>()
            )));
        }
        let body = match (self.body, self.body_file, self.multipart) {
            (Some(text), _, _) => BodySource::Text(text),
            (_, Some(file), _) => BodySource::File(file),
            (_, _, Some(file)) => {
                std::fs::metadata(&file).map_err(|source| CliError::Input {
                    what: format!("--multipart {}", file.display()),
                    source,
                })?;
                BodySource::Multipart
            }
            _ => BodySource::None,
        };
        Ok(Resolved::Aet {
            timestamp,
            method: self.method,
            path: self.path,
            query: match self.query {
                QueryArg::Exclude => QueryPolicy::Exclude,
                QueryArg::Include => QueryPolicy::Include,
            },
            body,
            token: self.token,
            signer: AetSigner::new(&self.secret.resolve()?),
        })
    }
}

impl AvananArgs {
    fn resolve(self, now: Option<&Generators<'_>>) -> Result<Resolved, CliError> {
        let (request_id, date) = match now {
            Some(now) => (
                self.request_id.unwrap_or_else(|| now.ids.next_id()),
                match self.date {
                    Some(date) => date,
                    None => sigil_avanan::DateFormat::Micros
                        .format(now.clock.now())
                        .map_err(|e| CliError::Failed(e.to_string()))?,
                },
            ),
            None => (
                require(self.request_id, "--request-id")?,
                require(self.date, "--date")?,
            ),
        };
        if let Some(rs) = self
            .request_string
            .as_deref()
            .filter(|rs| !rs.starts_with('/'))
        {
            return Err(CliError::Usage(format!(
                "--request-string: give the path and query as sent, starting with /, e.g. /v1.0/scopes (not {:?})",
                rs.chars().take(60).collect::<String>()
            )));
        }
        Ok(Resolved::Avanan {
            request_id,
            app_id: self.app_id,
            date,
            request_string: self.request_string,
            token: self.token,
            signer: AvananSigner::new(&self.secret.resolve()?),
        })
    }
}

impl Resolved {
    /// The signature.
    fn signature(&self) -> Result<AnySignature, CliError> {
        Ok(match self {
            Resolved::Advance {
                timestamp, signer, ..
            } => AnySignature::Hex(signer.sign(*timestamp)),
            Resolved::Aet {
                timestamp,
                method,
                path,
                query,
                body,
                signer,
                ..
            } => {
                let path = AetRequestPath::new(path, *query);
                match body {
                    BodySource::File(file) => {
                        let mut streaming = signer.start(*timestamp, method, path);
                        stream_file(file, |chunk| streaming.update(chunk))?;
                        AnySignature::Base64(streaming.finish())
                    }
                    other => {
                        let body = match other {
                            BodySource::Text(text) => AetBody::Bytes(text.as_bytes()),
                            BodySource::Multipart => AetBody::Multipart,
                            _ => AetBody::None,
                        };
                        AnySignature::Base64(signer.sign(&AetRequest {
                            timestamp: *timestamp,
                            method,
                            path,
                            body,
                        }))
                    }
                }
            }
            Resolved::Avanan {
                request_id,
                app_id,
                date,
                request_string,
                signer,
                ..
            } => {
                let request = match request_string {
                    Some(request_string) => AvananRequest::Request { request_string },
                    None => AvananRequest::Auth,
                };
                AnySignature::Hex(signer.sign(request_id, app_id, date, request))
            }
        })
    }

    /// What `--headers` prints: everything the vendor expects, generated values included.
    fn headers(&self) -> Result<String, CliError> {
        let signature = self.signature()?;
        Ok(match self {
            Resolved::Advance {
                access_key,
                timestamp,
                ..
            } => serde_json::json!({
                "accessKey": access_key,
                "signature": signature.to_string(),
                "timestamp": timestamp.as_millis(),
            })
            .to_string(),
            Resolved::Aet {
                timestamp,
                token,
                body,
                ..
            } => {
                let content_type = match body {
                    BodySource::Multipart => "multipart/form-data",
                    _ => "application/json",
                };
                let mut lines = vec![
                    format!("timestamp: {timestamp}"),
                    format!("signature: {signature}"),
                    "accept: application/json".to_owned(),
                    format!("content-type: {content_type}"),
                ];
                if let Some(token) = token {
                    lines.insert(1, format!("authorization: Bearer {}", token.expose()));
                }
                lines.join("\n")
            }
            Resolved::Avanan {
                request_id,
                app_id,
                date,
                token,
                ..
            } => [
                format!("x-av-req-id: {request_id}"),
                format!(
                    "x-av-token: {}",
                    token.as_ref().map_or("", SecretText::expose)
                ),
                format!("x-av-app-id: {app_id}"),
                format!("x-av-date: {date}"),
                format!("x-av-sig: {signature}"),
            ]
            .join("\n"),
        })
    }
}

fn stream_file(path: &PathBuf, mut feed: impl FnMut(&[u8])) -> Result<(), CliError> {
    let input_error = |source| CliError::Input {
        what: format!("reading --body-file {}", path.display()),
        source,
    };
    let mut file = File::open(path).map_err(input_error)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(input_error)?;
        if n == 0 {
            return Ok(());
        }
        feed(&buf[..n]);
    }
}

/// `sigil sign …`: the signature, or with `--headers` everything to send.
pub(crate) fn run_sign(cmd: SignCommand, now: &Generators<'_>) -> Result<String, CliError> {
    let (resolved, flags) = match cmd {
        SignCommand::Advance { args, flags } => (args.resolve(Some(now))?, flags),
        SignCommand::Aet { args, flags } => (args.resolve(Some(now))?, flags),
        SignCommand::Avanan { args, flags } => (args.resolve(Some(now))?, flags),
    };
    if flags.headers {
        resolved.headers()
    } else {
        Ok(resolved.signature()?.to_string())
    }
}

/// `sigil verify …`: `valid`, or [`CliError::Invalid`].
pub(crate) fn run_verify(cmd: VerifyCommand) -> Result<String, CliError> {
    let no_token = |given: bool| {
        if given {
            Err(CliError::Usage(
                "--token is not part of any signature: verify does not take it".into(),
            ))
        } else {
            Ok(())
        }
    };
    let (resolved, received) = match cmd {
        VerifyCommand::Advance { args, received } => (args.resolve(None)?, received),
        VerifyCommand::Aet { args, received } => {
            no_token(args.token.is_some())?;
            (args.resolve(None)?, received)
        }
        VerifyCommand::Avanan { args, received } => {
            no_token(args.token.is_some())?;
            (args.resolve(None)?, received)
        }
    };
    match resolved.signature()?.verify(received.signature.as_bytes()) {
        Ok(()) => Ok("valid".to_owned()),
        Err(SignatureMismatch) => Err(CliError::Invalid),
    }
}
