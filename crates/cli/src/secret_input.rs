//! Where a secret key comes from: `--secret-key VALUE`, `SIGIL_SECRET_KEY`, or standard input
//! with `--secret-key -` (so it need not appear in the process list).

use std::io::Read;

use clap::Args;
use sigil_signing::SecretKey;
use zeroize::Zeroizing;

use crate::CliError;

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
    secret_key: Option<String>,
}

impl SecretArg {
    /// The key, read from wherever the user put it.
    pub(crate) fn resolve(&self) -> Result<SecretKey, CliError> {
        resolve(self.secret_key.as_deref(), &mut std::io::stdin().lock())
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
