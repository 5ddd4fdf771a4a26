//! The bridge's configuration file: a small TOML subset (`key = value` lines with quoted
//! strings or integers, `# comments`, and one `[[link]]` table per bridged channel pair). Parsed
//! by hand so that every mistake is reported with the file, the line and the field. Secrets
//! (sealed-channel passphrases) are read here, from the file itself or from a 0600 file it
//! names, and kept zeroized. `DISCORD_TOKEN` and `CHATIFY_PASSWORD` come from the environment,
//! never from this file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use zeroize::Zeroizing;

/// Where a bridged channel's messages go on Discord.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscordPoster {
    /// Posted by the bot user as `**author**: text`.
    Bot,
    /// Posted through the channel's webhook with this name (found, or created once and then
    /// reused), with the chatify author as the poster's name.
    Webhook(String),
}

/// One Discord channel ↔ chatify channel pair.
#[derive(Debug, Clone)]
pub struct ChannelLink {
    pub discord_channel: u64,
    /// Canonical chatify channel name (no `#`).
    pub chatify_channel: String,
    pub poster: DiscordPoster,
    /// The passphrase of a sealed chatify channel (the bridge is a member and decrypts).
    pub passphrase: Option<Zeroizing<String>>,
    /// The line of the `[[link]]` header, for later error messages.
    pub line: usize,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// chatify server URL.
    pub server: String,
    /// The bridge's chatify account (marked as a bridge with `serve --bridge-account`).
    pub account: String,
    /// Directory of the message-id map; `None`: the chatify config dir.
    pub state_dir: Option<PathBuf>,
    /// Most entries kept in the message-id map (oldest forgotten first).
    pub map_capacity: u64,
    /// Outbound Discord messages queued per channel before the oldest is dropped.
    pub backlog: usize,
    /// Interval of the health line in the log.
    pub health_every: Duration,
    pub links: Vec<ChannelLink>,
}

/// A configuration mistake, naming where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}, line {line}, field `{field}`: {problem}")]
    Field {
        path: String,
        line: usize,
        field: String,
        problem: String,
    },
    #[error("{path}, line {line}: {problem}")]
    Line {
        path: String,
        line: usize,
        problem: String,
    },
    #[error("{path}: {problem}")]
    File { path: String, problem: String },
}

/// A parsed value.
enum Value {
    Text(String),
    Number(u64),
}

/// Reads and checks a configuration file.
pub fn load_config(path: &Path) -> Result<BridgeConfig, ConfigError> {
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?,
        );
    let owner_only = file_is_owner_only(path);
    parse_config(&text, &path.display().to_string(), owner_only)
}

/// Parses configuration text; `owner_only` says whether the file is unreadable by others (an
/// inline `passphrase` requires it).
pub fn parse_config(text: &str, path: &str, owner_only: bool) -> Result<BridgeConfig, ConfigError> {
    let mut parser = Parser {
        path,
        owner_only,
        config: BridgeConfig {
            server: String::new(),
            account: String::new(),
            state_dir: None,
            map_capacity: 100_000,
            backlog: 1000,
            health_every: Duration::from_secs(300),
            links: Vec::new(),
        },
        current: None,
    };
    for (index, raw) in text.lines().enumerate() {
        parser.line(index + 1, raw)?;
    }
    parser.finish_link()?;
    parser.finish()
}

struct Parser<'a> {
    path: &'a str,
    owner_only: bool,
    config: BridgeConfig,
    current: Option<LinkDraft>,
}

struct LinkDraft {
    line: usize,
    discord: Option<u64>,
    chatify: Option<String>,
    webhook: Option<String>,
    passphrase: Option<(usize, Zeroizing<String>)>,
    passphrase_file: Option<(usize, PathBuf)>,
}

impl Parser<'_> {
    fn field_error(&self, line: usize, field: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError::Field {
            path: self.path.to_string(),
            line,
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    fn line(&mut self, line: usize, raw: &str) -> Result<(), ConfigError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Ok(());
        }
        if trimmed.starts_with('[') {
            let header = strip_comment(trimmed).trim();
            if header != "[[link]]" {
                return Err(ConfigError::Line {
                    path: self.path.to_string(),
                    line,
                    problem: format!("unknown table {header}: only [[link]] tables exist"),
                });
            }
            self.finish_link()?;
            self.current = Some(LinkDraft {
                line,
                discord: None,
                chatify: None,
                webhook: None,
                passphrase: None,
                passphrase_file: None,
            });
            return Ok(());
        }
        let Some((key, rest)) = trimmed.split_once('=') else {
            return Err(ConfigError::Line {
                path: self.path.to_string(),
                line,
                problem: "expected `field = value`".into(),
            });
        };
        let key = key.trim();
        let value =
            parse_value(rest.trim()).map_err(|problem| self.field_error(line, key, problem))?;
        if self.current.is_some() {
            self.link_field(line, key, value)
        } else {
            self.top_field(line, key, value)
        }
    }

    fn top_field(&mut self, line: usize, key: &str, value: Value) -> Result<(), ConfigError> {
        match (key, value) {
            ("server", Value::Text(url)) => {
                crate::client::conn::normalize_url(&url)
                    .map_err(|e| self.field_error(line, key, e.to_string()))?;
                self.config.server = url;
            }
            ("account", Value::Text(name)) => {
                crate::proto::validate_username(&name)
                    .map_err(|e| self.field_error(line, key, e.to_string()))?;
                self.config.account = name;
            }
            ("state", Value::Text(dir)) => self.config.state_dir = Some(PathBuf::from(dir)),
            ("map_capacity", Value::Number(n)) if n >= 1000 => self.config.map_capacity = n,
            ("backlog", Value::Number(n)) if (10..=100_000).contains(&n) => {
                self.config.backlog = n as usize
            }
            ("health_minutes", Value::Number(n)) if (1..=1440).contains(&n) => {
                self.config.health_every = Duration::from_secs(n * 60)
            }
            ("map_capacity", _) => {
                return Err(self.field_error(line, key, "expected a number of at least 1000"));
            }
            ("backlog", _) => {
                return Err(self.field_error(line, key, "expected a number from 10 to 100000"));
            }
            ("health_minutes", _) => {
                return Err(self.field_error(
                    line,
                    key,
                    "expected a number of minutes from 1 to 1440",
                ));
            }
            ("server" | "account" | "state", Value::Number(_)) => {
                return Err(self.field_error(line, key, "expected a quoted string"));
            }
            ("discord" | "chatify" | "webhook" | "passphrase" | "passphrase_file", _) => {
                return Err(self.field_error(line, key, "belongs in a [[link]] table"));
            }
            _ => return Err(self.field_error(line, key, "unknown field")),
        }
        Ok(())
    }

    fn link_field(&mut self, line: usize, key: &str, value: Value) -> Result<(), ConfigError> {
        let (owner_only, path) = (self.owner_only, self.path);
        let problem = |p: &str| ConfigError::Field {
            path: path.to_string(),
            line,
            field: key.to_string(),
            problem: p.to_string(),
        };
        let Some(draft) = self.current.as_mut() else {
            return Err(problem("outside a [[link]] table"));
        };
        match (key, value) {
            ("discord", Value::Number(id)) if id > 0 => draft.discord = Some(id),
            ("discord", Value::Text(id)) => match id.parse::<u64>() {
                Ok(id) if id > 0 => draft.discord = Some(id),
                _ => return Err(problem("expected a Discord channel id (a number)")),
            },
            ("discord", _) => return Err(problem("expected a Discord channel id (a number)")),
            ("chatify", Value::Text(name)) => match crate::proto::normalize_channel(&name) {
                Ok(name) => draft.chatify = Some(name),
                Err(error) => return Err(problem(&error.to_string())),
            },
            ("webhook", Value::Text(name)) if (1..=80).contains(&name.chars().count()) => {
                draft.webhook = Some(name)
            }
            ("passphrase", Value::Text(secret)) if !secret.is_empty() => {
                if !owner_only {
                    return Err(problem(
                        "an inline passphrase needs a config file only its owner can read (chmod 600), or use passphrase_file",
                    ));
                }
                draft.passphrase = Some((line, Zeroizing::new(secret)));
            }
            ("passphrase_file", Value::Text(file)) => {
                draft.passphrase_file = Some((line, PathBuf::from(file)))
            }
            ("chatify" | "webhook" | "passphrase" | "passphrase_file", _) => {
                return Err(problem(
                    "expected a non-empty quoted string (webhook names are 1 to 80 characters)",
                ));
            }
            _ => return Err(problem("unknown field in [[link]]")),
        }
        Ok(())
    }

    fn finish_link(&mut self) -> Result<(), ConfigError> {
        let Some(draft) = self.current.take() else {
            return Ok(());
        };
        let line = draft.line;
        let discord_channel = draft
            .discord
            .ok_or_else(|| self.field_error(line, "discord", "missing in this [[link]]"))?;
        let chatify_channel = draft
            .chatify
            .ok_or_else(|| self.field_error(line, "chatify", "missing in this [[link]]"))?;
        let passphrase = match (draft.passphrase, draft.passphrase_file) {
            (Some(_), Some((at, _))) => {
                return Err(self.field_error(
                    at,
                    "passphrase_file",
                    "give passphrase or passphrase_file, not both",
                ));
            }
            (Some((_, secret)), None) => Some(secret),
            (None, Some((at, file))) => Some(
                read_passphrase_file(&file)
                    .map_err(|p| self.field_error(at, "passphrase_file", p))?,
            ),
            (None, None) => None,
        };
        for other in &self.config.links {
            if other.discord_channel == discord_channel {
                return Err(self.field_error(
                    line,
                    "discord",
                    format!(
                        "channel {discord_channel} is already linked at line {}",
                        other.line
                    ),
                ));
            }
            if other.chatify_channel == chatify_channel {
                return Err(self.field_error(
                    line,
                    "chatify",
                    format!(
                        "#{chatify_channel} is already linked at line {}",
                        other.line
                    ),
                ));
            }
        }
        self.config.links.push(ChannelLink {
            discord_channel,
            chatify_channel,
            poster: draft
                .webhook
                .map_or(DiscordPoster::Bot, DiscordPoster::Webhook),
            passphrase,
            line,
        });
        Ok(())
    }

    fn finish(self) -> Result<BridgeConfig, ConfigError> {
        let missing = |field: &str| ConfigError::File {
            path: self.path.to_string(),
            problem: format!("field `{field}` is missing (put it before the first [[link]])"),
        };
        if self.config.server.is_empty() {
            return Err(missing("server"));
        }
        if self.config.account.is_empty() {
            return Err(missing("account"));
        }
        if self.config.links.is_empty() {
            return Err(ConfigError::File {
                path: self.path.to_string(),
                problem: "no [[link]] table: nothing to bridge".into(),
            });
        }
        Ok(self.config)
    }
}

/// Parses a value: a quoted string (with `\"` and `\\` escapes) or a non-negative integer,
/// optionally followed by a comment.
fn parse_value(text: &str) -> Result<Value, String> {
    if let Some(body) = text.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    let rest = chars.as_str().trim();
                    if !rest.is_empty() && !rest.starts_with('#') {
                        return Err("unexpected text after the closing quote".into());
                    }
                    return Ok(Value::Text(out));
                }
                '\\' => match chars.next() {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    _ => return Err("only \\\" and \\\\ escapes are understood".into()),
                },
                c => out.push(c),
            }
        }
        return Err("the string has no closing quote".into());
    }
    let bare = strip_comment(text).trim().replace('_', "");
    bare.parse::<u64>()
        .map(Value::Number)
        .map_err(|_| "expected a quoted string or a whole number".to_string())
}

fn strip_comment(text: &str) -> &str {
    text.split_once('#').map_or(text, |(before, _)| before)
}

/// Reads a passphrase from the first line of a file that only its owner may read.
fn read_passphrase_file(path: &Path) -> Result<Zeroizing<String>, String> {
    if !file_is_owner_only(path) {
        return Err(format!(
            "{} must be readable by its owner only (chmod 600)",
            path.display()
        ));
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?,
    );
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        return Err(format!("{} holds no passphrase", path.display()));
    }
    Ok(Zeroizing::new(first.to_string()))
}

/// Whether neither group nor others have any access to `path` (always true off Unix).
fn file_is_owner_only(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o077 == 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        true
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
