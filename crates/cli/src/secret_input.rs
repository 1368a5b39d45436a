//! Where a secret key comes from: `--secret-key VALUE`, `SIGIL_SECRET_KEY`, or standard input
//! with `--secret-key -` (so it need not appear in the process list).

use std::io::Read;

use clap::Args;
use sigil_signing::SecretKey;
use zeroize::Zeroizing;

use crate::CliError;

/// A secret or token given on the command line: wiped on drop, never shown by `Debug`.
#[derive(Clone)]
pub(crate) struct SecretText(Zeroizing<String>);

impl SecretText {
    /// The value itself, to use; named so that every use stands out.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretText(<redacted, {} chars>)", self.0.len())
    }
}

impl std::str::FromStr for SecretText {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(Zeroizing::new(s.to_owned())))
    }
}

/// The `--secret-key` argument shared by every command.
#[derive(Debug, Args)]
pub(crate) struct SecretArg {
    /// The secret key; `-` reads it from standard input. Defaults to $SIGIL_SECRET_KEY.
    #[arg(
        long,
        env = "SIGIL_SECRET_KEY",
        hide_env_values = true,
        value_name = "SK",
        allow_hyphen_values = true
    )]
    secret_key: Option<SecretText>,
}

impl SecretArg {
    /// The key, read from wherever the user put it.
    pub(crate) fn resolve(&self) -> Result<SecretKey, CliError> {
        resolve(
            self.secret_key.as_ref().map(SecretText::expose),
            &mut std::io::stdin().lock(),
        )
    }
}

/// Resolves the `--secret-key` argument (clap has already applied `SIGIL_SECRET_KEY`).
pub(crate) fn resolve(arg: Option<&str>, stdin: &mut dyn Read) -> Result<SecretKey, CliError> {
    let Some(arg) = arg else {
        return Err(CliError::Usage(
            "a secret key is required: --secret-key VALUE, --secret-key - (standard input) or SIGIL_SECRET_KEY".into(),
        ));
    };
    let key = if arg == "-" {
        let mut text = Zeroizing::new(String::new());
        stdin
            .read_to_string(&mut text)
            .map_err(|source| CliError::Input {
                what: "reading the secret key from standard input".into(),
                source,
            })?;
        let trimmed = text.strip_suffix('\n').unwrap_or(&text);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        SecretKey::new(trimmed.as_bytes())
    } else {
        SecretKey::new(arg.as_bytes())
    };
    key.map_err(|e| CliError::Usage(format!("--secret-key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stdin_and_strips_one_line_ending() {
        let key = resolve(Some("-"), &mut &b"s3cr3t\r\n"[..]).unwrap();
        assert_eq!(key.expose_secret(), b"s3cr3t");
        let key = resolve(Some("abc"), &mut &b""[..]).unwrap();
        assert_eq!(key.expose_secret(), b"abc");
    }

    #[test]
    fn secret_text_is_never_shown() {
        let arg = SecretArg {
            secret_key: Some("s3cr3t-value".parse().unwrap()),
        };
        assert!(!format!("{arg:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn missing_or_empty_is_a_usage_error_without_the_value() {
        assert!(matches!(
            resolve(None, &mut &b""[..]),
            Err(CliError::Usage(_))
        ));
        match resolve(Some("-"), &mut &b"\n"[..]) {
            Err(CliError::Usage(msg)) => assert!(msg.contains("empty")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
