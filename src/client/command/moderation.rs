//! Parsing of the governance commands: `/invite`, `/kick`, `/ban`, `/unban`, `/mute`,
//! `/unmute`, `/op`, `/deop`, `/topic`, `/mode` and `/list`. Each moderation command takes an
//! optional `#channel` first (the current channel otherwise). Part of `client::command`; pure.

use super::args::{channel_arg, split_word, user_arg};
use super::{Command, ParseError};
use crate::proto::governance::ChannelSettings;

/// A moderation command, on `channel` (`None`: the current channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModCommand {
    pub channel: Option<String>,
    pub action: ModCommandAction,
}

/// What a [`ModCommand`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModCommandAction {
    Invite {
        user: String,
    },
    Kick {
        user: String,
        reason: Option<String>,
    },
    Ban {
        user: String,
        reason: Option<String>,
    },
    Unban {
        user: String,
    },
    Mute {
        user: String,
        secs: u64,
        reason: Option<String>,
    },
    Unmute {
        user: String,
    },
    Op {
        user: String,
    },
    Deop {
        user: String,
    },
    Topic {
        topic: String,
    },
    Mode(ChannelSettings),
}

/// Usage sentences, one per command.
const USAGE: &[(&str, &str)] = &[
    ("invite", "usage: /invite [#ch] user"),
    ("kick", "usage: /kick [#ch] user [reason]"),
    ("ban", "usage: /ban [#ch] user [reason]"),
    ("unban", "usage: /unban [#ch] user"),
    (
        "mute",
        "usage: /mute [#ch] user duration [reason] (duration: 30s, 10m, 2h, 1d)",
    ),
    ("unmute", "usage: /unmute [#ch] user"),
    ("op", "usage: /op [#ch] user"),
    ("deop", "usage: /deop [#ch] user"),
    ("topic", "usage: /topic [#ch] text, or /topic [#ch] --clear"),
    (
        "mode",
        "usage: /mode [#ch] +i|-i (invite-only) +m|-m (moderated) +s|-s (secret: unlisted) retention=7d|off",
    ),
];

fn usage(name: &str) -> ParseError {
    let text = USAGE
        .iter()
        .find(|(command, _)| *command == name)
        .map_or("usage: see /help", |(_, text)| text);
    ParseError::new(text)
}

/// Parses a governance command by name; `None` when `name` is not one of them.
pub(super) fn parse_governance(name: &str, rest: &str) -> Option<Result<Command, ParseError>> {
    let name = match name {
        "invite" | "inv" => "invite",
        "kick" | "k" => "kick",
        "ban" => "ban",
        "unban" => "unban",
        "mute" | "timeout" => "mute",
        "unmute" => "unmute",
        "op" => "op",
        "deop" => "deop",
        "topic" => "topic",
        "mode" => "mode",
        "list" => return Some(parse_list(rest)),
        _ => return None,
    };
    Some(parse_moderation(name, rest))
}

fn parse_list(rest: &str) -> Result<Command, ParseError> {
    let (after, extra) = split_word(rest);
    if !extra.is_empty() {
        return Err(ParseError::new(
            "usage: /list [after-#ch] (pages through the listed channels)",
        ));
    }
    let after = (!after.is_empty())
        .then(|| channel_arg(after))
        .transpose()?;
    Ok(Command::List { after })
}

fn parse_moderation(name: &str, rest: &str) -> Result<Command, ParseError> {
    let (first, after_first) = split_word(rest);
    let (channel, rest) = if first.starts_with('#') {
        (Some(channel_arg(first)?), after_first)
    } else {
        (None, rest.trim_start())
    };
    let action = match name {
        "topic" => parse_topic(rest)?,
        "mode" => ModCommandAction::Mode(parse_mode(rest)?),
        _ => parse_targeted(name, rest)?,
    };
    Ok(Command::Moderate(ModCommand { channel, action }))
}

fn parse_targeted(name: &str, rest: &str) -> Result<ModCommandAction, ParseError> {
    let (user, tail) = split_word(rest);
    if user.is_empty() {
        return Err(usage(name));
    }
    let user = user_arg(user.trim_start_matches('@'))?;
    let reason = Some(tail.trim().to_string()).filter(|r| !r.is_empty());
    let no_tail = |action: ModCommandAction| {
        if reason.is_some() {
            Err(usage(name))
        } else {
            Ok(action)
        }
    };
    match name {
        "invite" => no_tail(ModCommandAction::Invite { user }),
        "unban" => no_tail(ModCommandAction::Unban { user }),
        "unmute" => no_tail(ModCommandAction::Unmute { user }),
        "op" => no_tail(ModCommandAction::Op { user }),
        "deop" => no_tail(ModCommandAction::Deop { user }),
        "kick" => Ok(ModCommandAction::Kick { user, reason }),
        "ban" => Ok(ModCommandAction::Ban { user, reason }),
        _ => {
            let (duration, reason) = split_word(tail);
            let secs = parse_duration_secs(duration).ok_or_else(|| usage("mute"))?;
            let reason = Some(reason.trim().to_string()).filter(|r| !r.is_empty());
            Ok(ModCommandAction::Mute { user, secs, reason })
        }
    }
}

fn parse_topic(rest: &str) -> Result<ModCommandAction, ParseError> {
    let text = rest.trim();
    match text {
        "" => Err(usage("topic")),
        "--clear" => Ok(ModCommandAction::Topic {
            topic: String::new(),
        }),
        _ => Ok(ModCommandAction::Topic {
            topic: text.to_string(),
        }),
    }
}

/// `+i -m +s retention=7d` (and the long names `invite-only`, `moderated`, `secret`/`unlisted`,
/// `listed`) into the settings to change.
fn parse_mode(rest: &str) -> Result<ChannelSettings, ParseError> {
    let mut settings = ChannelSettings::default();
    for word in rest.split_whitespace() {
        if let Some(value) = word.strip_prefix("retention=") {
            let secs = match value {
                "off" | "0" | "forever" => 0,
                _ => parse_duration_secs(value).ok_or_else(|| usage("mode"))?,
            };
            settings.retention = Some(secs);
            continue;
        }
        let (on, flag) = match word.split_at_checked(1) {
            Some(("+", flag)) => (true, flag),
            Some(("-", flag)) => (false, flag),
            _ => return Err(usage("mode")),
        };
        match flag {
            "i" | "invite-only" => settings.invite_only = Some(on),
            "m" | "moderated" => settings.moderated = Some(on),
            "s" | "secret" | "unlisted" => settings.listed = Some(!on),
            "listed" => settings.listed = Some(on),
            _ => return Err(usage("mode")),
        }
    }
    if settings.is_empty() {
        return Err(usage("mode"));
    }
    Ok(settings)
}

/// The words `/mode` takes, for the line editor's completion.
pub const MODE_WORDS: &[&str] = &[
    "+i",
    "-i",
    "+m",
    "-m",
    "+s",
    "-s",
    "+invite-only",
    "-invite-only",
    "+moderated",
    "-moderated",
    "+listed",
    "-listed",
    "retention=7d",
    "retention=30d",
    "retention=off",
];

/// Completion candidates for the word being typed after a `/mode` command (`first` is the
/// line's first word): its settings, unless the word is a `#channel`. `None` elsewhere.
pub fn mode_completions(first: &str, word: &str) -> Option<&'static [&'static str]> {
    (first.eq_ignore_ascii_case("/mode") && !word.starts_with('#')).then_some(MODE_WORDS)
}

/// `30s`, `10m`, `2h`, `1d`, `1w`, `1h30m` (the ages `timespec` reads) or plain seconds, as
/// seconds; `None` when not one, or zero.
pub fn parse_duration_secs(text: &str) -> Option<u64> {
    let secs = match text.parse::<u64>() {
        Ok(plain) => plain,
        Err(_) => u64::try_from(crate::timespec::parse_age_ms(text)? / 1_000).ok()?,
    };
    (secs > 0).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Command {
        crate::client::command::parse_line(line).expect(line)
    }

    #[test]
    fn moderation_commands_take_an_optional_channel_then_a_user() {
        assert_eq!(
            parsed("/kick #ops bob being rude"),
            Command::Moderate(ModCommand {
                channel: Some("ops".into()),
                action: ModCommandAction::Kick {
                    user: "bob".into(),
                    reason: Some("being rude".into())
                },
            })
        );
        assert_eq!(
            parsed("/mute @bob 10m"),
            Command::Moderate(ModCommand {
                channel: None,
                action: ModCommandAction::Mute {
                    user: "bob".into(),
                    secs: 600,
                    reason: None
                },
            })
        );
        assert_eq!(parsed("/list"), Command::List { after: None });
        for bad in [
            "/kick",
            "/mute bob",
            "/mute bob soon",
            "/op bob extra",
            "/mode",
            "/mode +x",
            "/topic",
        ] {
            let error = crate::client::command::parse_line(bad).expect_err(bad);
            assert!(error.message.starts_with("usage: /"), "{bad}: {error}");
        }
    }

    #[test]
    fn every_completed_mode_word_parses_and_channels_are_left_alone() {
        for word in MODE_WORDS {
            assert!(parse_mode(word).is_ok(), "{word}");
        }
        assert_eq!(mode_completions("/mode", "+"), Some(MODE_WORDS));
        assert_eq!(mode_completions("/mode", "#op"), None);
        assert_eq!(mode_completions("/topic", "+"), None);
    }

    #[test]
    fn modes_read_irc_letters_long_names_and_retention() {
        let settings = parse_mode("+i -s +moderated retention=7d").expect("mode");
        assert_eq!(
            settings,
            ChannelSettings {
                invite_only: Some(true),
                listed: Some(true),
                moderated: Some(true),
                retention: Some(7 * 86_400),
            }
        );
        assert_eq!(parse_mode("retention=off").expect("off").retention, Some(0));
        assert_eq!(parse_duration_secs("90"), Some(90));
        assert_eq!(parse_duration_secs("0m"), None);
        assert_eq!(parse_duration_secs("5y"), None);
    }
}
