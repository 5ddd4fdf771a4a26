//! Secret input: account passwords and sealed-channel passphrases. In a terminal they are read
//! with echo off (rpassword), twice when creating something; in pipe mode a passphrase is
//! `CHATIFY_PASSPHRASE` or else the next line of stdin (read once: nobody types blind there).
//! Part of `client::repl`, the only terminal code.

use anyhow::Context;
use zeroize::Zeroizing;

use super::command_worker::PromptDesk;
use crate::client::app::{PromptFuture, Prompter};

/// Reads a password with echo off from the terminal; asks twice when `confirm`.
pub fn prompt_password(label: &str, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    loop {
        let first = Zeroizing::new(
            rpassword::prompt_password(format!("{label}: "))
                .context("reading from the terminal")?,
        );
        if !confirm {
            return Ok(first);
        }
        let second = Zeroizing::new(
            rpassword::prompt_password("again, to confirm: ")
                .context("reading from the terminal")?,
        );
        if first == second {
            return Ok(first);
        }
        eprintln!("the two entries differ; try again");
    }
}

/// Reads a password file: its first line, without the line ending.
pub fn read_password_file(path: &std::path::Path) -> anyhow::Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    );
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        anyhow::bail!(
            "{} is empty; put the password on its first line",
            path.display()
        );
    }
    Ok(Zeroizing::new(first.to_string()))
}

/// Passphrases from the terminal (echo off, asked on the editor thread through the
/// [`PromptDesk`]), or `CHATIFY_PASSPHRASE` when set.
pub struct TerminalPrompter {
    preset: Option<Zeroizing<String>>,
    desk: PromptDesk,
}

impl TerminalPrompter {
    pub fn new(preset: Option<Zeroizing<String>>, desk: PromptDesk) -> Self {
        TerminalPrompter { preset, desk }
    }
}

impl Prompter for TerminalPrompter {
    fn passphrase<'a>(&'a self, channel: &'a str, confirm: bool) -> PromptFuture<'a> {
        Box::pin(async move {
            if let Some(preset) = &self.preset {
                return Some(preset.clone());
            }
            let label = if confirm {
                format!("new passphrase for 🔒#{channel} (share it with its members)")
            } else {
                format!("passphrase for 🔒#{channel}")
            };
            self.desk.ask(label, confirm).await
        })
    }

    fn preset_passphrase(&self) -> Option<Zeroizing<String>> {
        self.preset.clone()
    }

    fn password<'a>(&'a self, label: &'a str, confirm: bool) -> PromptFuture<'a> {
        Box::pin(async move {
            self.desk
                .ask(label.to_string(), confirm)
                .await
                .filter(|password| !password.is_empty())
        })
    }
}

/// Passphrases in pipe mode: `CHATIFY_PASSPHRASE`, else the next stdin line.
pub struct PipePrompter {
    preset: Option<Zeroizing<String>>,
    input: super::pipe::Input,
}

impl PipePrompter {
    pub fn new(preset: Option<Zeroizing<String>>, input: super::pipe::Input) -> Self {
        PipePrompter { preset, input }
    }
}

impl Prompter for PipePrompter {
    fn passphrase<'a>(&'a self, _channel: &'a str, _confirm: bool) -> PromptFuture<'a> {
        Box::pin(async move {
            if let Some(preset) = &self.preset {
                return Some(preset.clone());
            }
            let line = self.input.lock().await.recv().await?;
            Some(Zeroizing::new(line))
        })
    }

    fn preset_passphrase(&self) -> Option<Zeroizing<String>> {
        self.preset.clone()
    }

    fn reads_answers_from_input(&self) -> bool {
        self.preset.is_none()
    }

    fn password<'a>(&'a self, _label: &'a str, _confirm: bool) -> PromptFuture<'a> {
        Box::pin(async move {
            let line = self.input.lock().await.recv().await?;
            Some(Zeroizing::new(line)).filter(|password| !password.is_empty())
        })
    }
}
