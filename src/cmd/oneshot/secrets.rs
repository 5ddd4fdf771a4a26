//! Where the one-shot commands get secrets from, in order: a file named by a flag, an
//! environment variable, then a prompt with echo off (only when stdin is a terminal). Used for
//! the account password (no saved session) and sealed-channel passphrases (no cached key).
//! Secrets are zeroized on drop and never logged.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use zeroize::Zeroizing;

/// Environment variable with the account password.
pub const PASSWORD_ENV: &str = "CHATIFY_PASSWORD";
/// Environment variable with the sealed-channel passphrase.
pub const PASSPHRASE_ENV: &str = "CHATIFY_PASSPHRASE";

/// The account password of `user`: `--password-file`, `$CHATIFY_PASSWORD`, or a prompt.
pub fn password(file: Option<&Path>, user: &str) -> anyhow::Result<Zeroizing<String>> {
    let found = from_file_or_env(file, PASSWORD_ENV, "the password file")?;
    if let Some(password) = found {
        return Ok(password);
    }
    prompt(&format!("password for {user}: "))?.with_context(|| {
        format!(
            "no saved session for {user} and no password: run `chatify connect --user {user}` \
             once, or set CHATIFY_PASSWORD, or pass --password-file"
        )
    })
}

/// The passphrase of sealed channel `#channel`: `--passphrase-file`, `$CHATIFY_PASSPHRASE`, or a
/// prompt. `None` when none of them is available (no terminal to prompt on).
pub fn passphrase(file: Option<&Path>, channel: &str) -> anyhow::Result<Option<Zeroizing<String>>> {
    let found = from_file_or_env(file, PASSPHRASE_ENV, "the passphrase file")?;
    if found.is_some() {
        return Ok(found);
    }
    prompt(&format!("passphrase for #{channel}: "))
}

/// The short reason shown on each message of a sealed channel whose key is unavailable.
pub fn missing_key_reason(channel: &str) -> String {
    format!("no key for #{channel}")
}

/// What to tell the user when a sealed channel's passphrase is needed but unavailable.
pub fn passphrase_hint(channel: &str) -> String {
    format!(
        "no key for #{channel}: set CHATIFY_PASSPHRASE or pass --passphrase-file \
         (or run interactively to be asked)"
    )
}

fn from_file_or_env(
    file: Option<&Path>,
    env: &str,
    what: &str,
) -> anyhow::Result<Option<Zeroizing<String>>> {
    if let Some(path) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading {what} {}", path.display()))?,
        );
        let first = text.lines().next().unwrap_or_default();
        anyhow::ensure!(!first.is_empty(), "{what} {} is empty", path.display());
        return Ok(Some(Zeroizing::new(first.to_string())));
    }
    Ok(std::env::var(env)
        .ok()
        .filter(|value| !value.is_empty())
        .map(Zeroizing::new))
}

fn prompt(text: &str) -> anyhow::Result<Option<Zeroizing<String>>> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let answer =
        Zeroizing::new(rpassword::prompt_password(text).context("reading from the terminal")?);
    Ok((!answer.is_empty()).then_some(answer))
}
