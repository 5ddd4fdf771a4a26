//! The REPL's command language (DESIGN.md §6): turns one input line into a [`Command`], or a
//! [`ParseError`] with a helpful sentence. Plain text is a message to the current channel or
//! DM; a line starting with `/` is a command; `#channel` alone switches channels and `@user`
//! alone makes the DM with that user current; an unknown command is never sent. Also parses the time expressions of `/rewind` ([`parse_when`]).
//! Pure code: used by `client::app` (execution), `client::repl` (completion) and unit tests.

use crate::proto::PresenceState;

mod args;
mod moderation;

pub use moderation::{ModCommand, ModCommandAction, mode_completions, parse_duration_secs};

use args::{
    channel_arg, id_and_text, no_arguments, only_id, optional_channel, optional_user,
    required_text, split_word, unknown_command, user_and_text, user_arg,
};

/// A `/rewind` time (see [`crate::timespec`]) as Unix milliseconds.
pub fn parse_when(text: &str, now_ms: i64) -> Result<i64, ParseError> {
    crate::timespec::parse_time(text, now_ms).map_err(|error| ParseError::new(error.to_string()))
}

/// Every command name the parser accepts, for completion and "did you mean".
pub const COMMAND_NAMES: &[&str] = &[
    "/join",
    "/leave",
    "/switch",
    "/msg",
    "/dm",
    "/me",
    "/reply",
    "/edit",
    "/delete",
    "/react",
    "/history",
    "/more",
    "/clear",
    "/ignore",
    "/unignore",
    "/search",
    "/rewind",
    "/who",
    "/users",
    "/status",
    "/away",
    "/back",
    "/voice",
    "/fingerprint",
    "/trust",
    "/unread",
    "/mentions",
    "/invite",
    "/kick",
    "/ban",
    "/unban",
    "/mute",
    "/unmute",
    "/op",
    "/deop",
    "/topic",
    "/mode",
    "/list",
    "/help",
    "/quit",
];

/// Where `/msg` sends, or `/switch` goes: a channel (`#ops`) or a user (a DM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Channel(String),
    User(String),
}

/// One parsed input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Plain text: a message to the current channel or DM.
    Say(String),
    Join {
        channel: String,
        sealed: bool,
    },
    Leave {
        channel: Option<String>,
    },
    /// `#ch`, `@user`, `/switch #ch|@user`, `/dm user` without text.
    Switch {
        target: Target,
    },
    Msg {
        target: Target,
        text: String,
    },
    Dm {
        user: String,
        text: String,
    },
    Me {
        text: String,
    },
    Reply {
        id: i64,
        text: String,
    },
    Edit {
        id: i64,
        text: String,
    },
    Delete {
        id: i64,
    },
    React {
        id: i64,
        emoji: String,
    },
    History {
        count: Option<u32>,
    },
    /// `/more` or `/history more`: the page before the last one shown of the current place.
    More,
    /// `/clear`: clears the terminal (screen and scrollback) in interactive mode.
    Clear,
    /// `/ignore user`, or `/ignore` alone to list the ignored users.
    Ignore {
        user: Option<String>,
    },
    Unignore {
        user: String,
    },
    Search {
        words: String,
    },
    Rewind {
        when: String,
    },
    Who {
        channel: Option<String>,
    },
    Users,
    /// `/status` alone shows the connection; with a state it sets presence.
    Status {
        set: Option<(PresenceState, String)>,
    },
    /// `/away text` sets away; `/away` alone (or `/back`) returns to online.
    Away {
        text: Option<String>,
    },
    Voice {
        join: bool,
        room: Option<String>,
    },
    Fingerprint {
        user: Option<String>,
    },
    Trust {
        user: String,
    },
    Unread,
    Mentions,
    /// End this session on the server and quit.
    Logout,
    /// List your sessions, or revoke one.
    Sessions(SessionsAction),
    /// Change your password (asked for, never on the command line).
    Password,
    /// `/invite`, `/kick`, `/ban`, `/unban`, `/mute`, `/unmute`, `/op`, `/deop`, `/topic`, `/mode`.
    Moderate(ModCommand),
    /// `/list [after]`: a page of the server's listed channels.
    List {
        after: Option<String>,
    },
    Help {
        topic: Option<String>,
    },
    Quit,
    /// An empty or whitespace-only line: nothing to do.
    Nothing,
}

/// What `/sessions` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionsAction {
    List,
    Revoke(String),
}

/// Why a line is not a valid command; `message` is one helpful sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
}

impl ParseError {
    /// A refusal with this sentence.
    pub fn new(message: impl Into<String>) -> Self {
        ParseError {
            message: message.into(),
        }
    }
}

/// Parses one input line.
pub fn parse_line(line: &str) -> Result<Command, ParseError> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Ok(Command::Nothing);
    }
    if let Some(rest) = trimmed.strip_prefix("//") {
        // `//text` sends a message that starts with a slash.
        return Ok(Command::Say(format!("/{rest}")));
    }
    if trimmed.starts_with('#') && !trimmed.contains(char::is_whitespace) {
        return Ok(Command::Switch {
            target: Target::Channel(channel_arg(trimmed)?),
        });
    }
    if trimmed.starts_with('@') && !trimmed.contains(char::is_whitespace) {
        return Ok(Command::Switch {
            target: Target::User(user_arg(trimmed)?),
        });
    }
    let Some(body) = trimmed.strip_prefix('/') else {
        return Ok(Command::Say(
            line.trim_end_matches(['\r', '\n']).to_string(),
        ));
    };
    let (name, rest) = split_word(body);
    parse_named(&name.to_ascii_lowercase(), rest)
}

/// The help text: one line per command.
pub fn help_lines() -> Vec<&'static str> {
    vec![
        "text                   send to the current channel or DM (//text sends a leading slash)",
        "#ch  /switch #ch       make #ch the current channel",
        "@user  /switch @user   make the DM with user current: plain text goes to them, encrypted",
        "/join #ch [--sealed]   join or create a channel; --sealed makes it end-to-end encrypted",
        "/leave [#ch]           leave the current (or named) channel; in a DM, go back to the channel",
        "/msg #ch|user text     send to a channel or a user without switching",
        "/dm user [text]        send an end-to-end encrypted direct message (no text: open the DM)",
        "/me text               an action: * you text (sealed with the text in sealed places)",
        "/reply id text         reply to message [id] (in a channel or a DM)",
        "/edit id text          replace your message or DM [id] (a DM edit is encrypted too)",
        "/delete id             delete your message or DM [id]",
        "/react id emoji        add (or, again, remove) a reaction, to a message or a DM",
        "/history [n]           the last n messages of the current channel or DM (default 20)",
        "/more  /history more   the page of older messages before the last one shown",
        "/clear                 clear the terminal screen and scrollback (interactive mode)",
        "/ignore [user]         hide user's messages, DMs, typing and presence here (alone: list)",
        "/unignore user         show user's lines again",
        "/search words          search the current channel (prefix dep*, \"a phrase\"; not DMs)",
        "/rewind when           the channel as it stood at 1h / 2d ago, 09:30, 2026-11-25 09:30",
        "/who [#ch]             members of the channel and their presence",
        "/users                 everyone you share a channel with",
        "/status [state [text]] show the connection, or set online|away|busy with a text",
        "/away [text]  /back    set or clear away",
        "/voice join|leave [#room]  join or leave the channel's voice room",
        "/fingerprint [user]    your key's fingerprint, or a user's",
        "/trust user            accept a user's new key after checking its fingerprint",
        "/unread                channels and DMs with unread messages",
        "/mentions              recent messages that mention you",
        "/sessions [revoke ID]  your sessions on the server, or end one",
        "/password              change your password (every other session ends)",
        "/logout                end this session on the server and quit",
        "/list [after-#ch]      the server's listed channels with topic and member count",
        "/invite [#ch] user     let user join an invite-only channel (operators)",
        "/kick [#ch] user [why] remove user from the channel (operators)",
        "/ban [#ch] user [why]  remove and keep out user   /unban [#ch] user",
        "/mute [#ch] user 10m [why]  silence user for a while   /unmute [#ch] user",
        "/op [#ch] user  /deop [#ch] user   make or unmake an operator",
        "/topic [#ch] text|--clear   set the channel topic (operators)",
        "/mode [#ch] +i|-i +m|-m +s|-s retention=7d|off   invite-only, moderated, secret, retention",
        "/help                  this list          /quit  leave chatify",
    ]
}

fn parse_named(name: &str, rest: &str) -> Result<Command, ParseError> {
    match name {
        "join" | "j" => parse_join(rest),
        "leave" | "part" => Ok(Command::Leave {
            channel: optional_channel(rest)?,
        }),
        "switch" | "s" | "go" => parse_switch(rest),
        "msg" => parse_msg(rest),
        "dm" | "query" => match split_word(rest) {
            ("", _) => Err(ParseError::new("usage: /dm user [text]")),
            (user, text) if text.trim().is_empty() => Ok(Command::Switch {
                target: Target::User(user_arg(user)?),
            }),
            _ => {
                let (user, text) = user_and_text(rest, "usage: /dm user [text]")?;
                Ok(Command::Dm { user, text })
            }
        },
        "me" => Ok(Command::Me {
            text: required_text(rest, "usage: /me text")?,
        }),
        "reply" | "re" => {
            let (id, text) = id_and_text(rest, "usage: /reply id text")?;
            Ok(Command::Reply { id, text })
        }
        "edit" => {
            let (id, text) = id_and_text(rest, "usage: /edit id new text")?;
            Ok(Command::Edit { id, text })
        }
        "delete" | "del" => Ok(Command::Delete {
            id: only_id(rest, "usage: /delete id")?,
        }),
        "react" => {
            let (id, emoji) = id_and_text(rest, "usage: /react id emoji")?;
            if emoji.contains(char::is_whitespace) {
                return Err(ParseError::new("usage: /react id emoji (one emoji)"));
            }
            Ok(Command::React { id, emoji })
        }
        _ => parse_named_rest(name, rest),
    }
}

fn parse_named_rest(name: &str, rest: &str) -> Result<Command, ParseError> {
    match name {
        "history" | "hist" => parse_history(rest),
        "search" | "find" => Ok(Command::Search {
            words: required_text(rest, "usage: /search words")?,
        }),
        "rewind" => Ok(Command::Rewind {
            when: required_text(rest, "usage: /rewind 1h | 09:30 | 2026-11-25 09:30")?,
        }),
        "who" | "names" => Ok(Command::Who {
            channel: optional_channel(rest)?,
        }),
        "users" => no_arguments(rest, Command::Users, "/users"),
        "more" => no_arguments(rest, Command::More, "/more"),
        "clear" | "cls" => no_arguments(rest, Command::Clear, "/clear"),
        "ignore" => Ok(Command::Ignore {
            user: optional_user(rest)?,
        }),
        "unignore" => match optional_user(rest)? {
            Some(user) => Ok(Command::Unignore { user }),
            None => Err(ParseError::new("usage: /unignore user")),
        },
        "status" => parse_status(rest),
        "away" => Ok(Command::Away {
            text: Some(rest.trim().to_string()).filter(|t| !t.is_empty()),
        }),
        "back" => no_arguments(rest, Command::Away { text: None }, "/back"),
        "voice" => parse_voice(rest),
        "fingerprint" | "fp" => Ok(Command::Fingerprint {
            user: optional_user(rest)?,
        }),
        "trust" => match optional_user(rest)? {
            Some(user) => Ok(Command::Trust { user }),
            None => Err(ParseError::new("usage: /trust user")),
        },
        "unread" => no_arguments(rest, Command::Unread, "/unread"),
        "mentions" => no_arguments(rest, Command::Mentions, "/mentions"),
        "logout" => no_arguments(rest, Command::Logout, "/logout"),
        "password" | "passwd" => no_arguments(rest, Command::Password, "/password"),
        "sessions" => match split_word(rest) {
            ("", _) => Ok(Command::Sessions(SessionsAction::List)),
            ("revoke", id) if !id.trim().is_empty() && !id.trim().contains(' ') => Ok(
                Command::Sessions(SessionsAction::Revoke(id.trim().to_string())),
            ),
            _ => Err(ParseError::new("usage: /sessions [revoke ID]")),
        },
        "help" | "h" | "?" => Ok(Command::Help {
            topic: Some(rest.trim().trim_start_matches('/').to_string()).filter(|t| !t.is_empty()),
        }),
        "quit" | "exit" | "q" => Ok(Command::Quit),
        _ => moderation::parse_governance(name, rest).unwrap_or_else(|| Err(unknown_command(name))),
    }
}

fn parse_join(rest: &str) -> Result<Command, ParseError> {
    let mut channel = None;
    let mut sealed = false;
    for word in rest.split_whitespace() {
        match word {
            "--sealed" | "-s" => sealed = true,
            _ if word.starts_with('-') => {
                return Err(ParseError::new(format!(
                    "unknown option {word}: usage: /join #channel [--sealed]"
                )));
            }
            _ if channel.is_none() => channel = Some(channel_arg(word)?),
            _ => return Err(ParseError::new("usage: /join #channel [--sealed]")),
        }
    }
    match channel {
        Some(channel) => Ok(Command::Join { channel, sealed }),
        None => Err(ParseError::new("usage: /join #channel [--sealed]")),
    }
}

fn parse_switch(rest: &str) -> Result<Command, ParseError> {
    let usage = "usage: /switch #channel or /switch @user";
    let (target, extra) = split_word(rest);
    if target.is_empty() || !extra.is_empty() {
        return Err(ParseError::new(usage));
    }
    let target = if target.starts_with('@') {
        Target::User(user_arg(target)?)
    } else {
        Target::Channel(channel_arg(target)?)
    };
    Ok(Command::Switch { target })
}

fn parse_msg(rest: &str) -> Result<Command, ParseError> {
    let (target, text) = split_word(rest.trim_start());
    if target.is_empty() || text.trim().is_empty() {
        return Err(ParseError::new(
            "usage: /msg #channel text, or /msg user text",
        ));
    }
    let target = if target.starts_with('#') {
        Target::Channel(channel_arg(target)?)
    } else {
        Target::User(user_arg(target)?)
    };
    Ok(Command::Msg {
        target,
        text: text.to_string(),
    })
}

fn parse_history(rest: &str) -> Result<Command, ParseError> {
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(Command::History { count: None });
    }
    if rest.eq_ignore_ascii_case("more") {
        return Ok(Command::More);
    }
    match rest.parse::<u32>() {
        Ok(count) if count > 0 => Ok(Command::History { count: Some(count) }),
        _ => Err(ParseError::new(
            "usage: /history [n] with n a positive number, or /history more",
        )),
    }
}

fn parse_status(rest: &str) -> Result<Command, ParseError> {
    let (state, text) = split_word(rest.trim_start());
    if state.is_empty() {
        return Ok(Command::Status { set: None });
    }
    let state = match state.to_ascii_lowercase().as_str() {
        "online" | "here" => PresenceState::Online,
        "away" => PresenceState::Away,
        "busy" | "dnd" => PresenceState::Busy,
        _ => {
            return Err(ParseError::new(format!(
                "unknown state {state:?}: use /status online|away|busy [text]"
            )));
        }
    };
    Ok(Command::Status {
        set: Some((state, text.trim().to_string())),
    })
}

fn parse_voice(rest: &str) -> Result<Command, ParseError> {
    let mut words = rest.split_whitespace();
    let join = match words.next().map(str::to_ascii_lowercase).as_deref() {
        Some("join") => true,
        Some("leave") => false,
        _ => {
            return Err(ParseError::new(
                "usage: /voice join [#room] or /voice leave",
            ));
        }
    };
    let room = words.next().map(channel_arg).transpose()?;
    if words.next().is_some() {
        return Err(ParseError::new(
            "usage: /voice join [#room] or /voice leave",
        ));
    }
    Ok(Command::Voice { join, room })
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
