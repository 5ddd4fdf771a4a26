//! Text conversions at the border: Discord markup made readable for chatify (user, role and
//! channel mentions by name, custom emoji as `:name:`, attachments as links), the relayed
//! author name `name@discord`, and chatify messages shaped for Discord (webhook poster names
//! Discord accepts, `**author**: text` for bot posts, the 2000-character limit).

use super::seam::{DiscordMessage, MentionNames};
use crate::model::message::action_text;

/// The network tag of relayed authors (`alice@discord`).
pub const NETWORK: &str = "discord";
/// Longest Discord message, in characters.
pub const DISCORD_MAX_CHARS: usize = 2000;

/// The chatify text of a Discord message: markup made readable, then one attachment URL per
/// line. Empty when there is nothing to show (e.g. a sticker alone).
pub fn discord_to_chatify(message: &DiscordMessage) -> String {
    let mut text = readable_markup(&message.content, &message.names);
    for url in &message.attachments {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(url);
    }
    text
}

/// Replaces `<@id>`, `<@!id>`, `<@&id>`, `<#id>`, `<:name:id>` and `<a:name:id>` with names.
pub fn readable_markup(content: &str, names: &MentionNames) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match tail
            .find('>')
            .and_then(|end| Some((end, replace_tag(&tail[1..end], names)?)))
        {
            Some((end, readable)) => {
                out.push_str(&readable);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn replace_tag(tag: &str, names: &MentionNames) -> Option<String> {
    let lookup = |list: &[(u64, String)], id: &str| {
        let id: u64 = id.parse().ok()?;
        Some(
            list.iter()
                .find(|(known, _)| *known == id)
                .map(|(_, n)| n.clone()),
        )
    };
    if let Some(id) = tag.strip_prefix("@&") {
        let name = lookup(&names.roles, id)?;
        return Some(format!("@{}", name.unwrap_or_else(|| "role".into())));
    }
    if let Some(id) = tag.strip_prefix('@') {
        let name = lookup(&names.users, id.strip_prefix('!').unwrap_or(id))?;
        return Some(format!("@{}", name.unwrap_or_else(|| "user".into())));
    }
    if let Some(id) = tag.strip_prefix('#') {
        let name = lookup(&names.channels, id)?;
        return Some(format!("#{}", name.unwrap_or_else(|| "channel".into())));
    }
    let emoji = tag.strip_prefix("a:").or_else(|| tag.strip_prefix(':'))?;
    let (name, id) = emoji.split_once(':')?;
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && id.parse::<u64>().is_ok();
    valid.then(|| format!(":{name}:"))
}

/// The relayed author of a Discord user: the display name with whitespace turned into `_`,
/// control characters and `@` dropped, at most 32 characters, then `@discord`.
pub fn relayed_author(display_name: &str, author_id: u64) -> String {
    let name: String = display_name
        .chars()
        .filter(|c| !c.is_control() && *c != '@')
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .take(32)
        .collect();
    let name = if name.is_empty() || name.len() > 96 {
        format!("user{author_id}")
    } else {
        name
    };
    format!("{name}@{NETWORK}")
}

/// A webhook poster name Discord accepts (1 to 80 characters, never containing "discord" or
/// "clyde", which Discord refuses).
pub fn webhook_username(author: &str) -> String {
    let mut name: String = author
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    for (banned, replacement) in [("discord", "disc0rd"), ("clyde", "clyd3")] {
        while let Some(at) = name.to_ascii_lowercase().find(banned) {
            name.replace_range(at..at + banned.len(), replacement);
        }
    }
    if name.trim().is_empty() {
        "chatify".into()
    } else {
        name
    }
}

/// The Discord text of a chatify message: as is through a webhook, `**author**: text` as the
/// bot; an action (`/me waves`) as Discord shows one, `*waves*` (`*author waves*` as the bot);
/// cut to Discord's limit with an ellipsis.
pub fn chatify_to_discord(author: &str, text: &str, through_webhook: bool) -> String {
    let full = match (action_text(text), through_webhook) {
        (Some(action), true) => format!("*{action}*"),
        (Some(action), false) => format!("*{author} {action}*"),
        (None, true) => text.to_string(),
        (None, false) => format!("**{author}**: {text}"),
    };
    if full.chars().count() <= DISCORD_MAX_CHARS {
        return full;
    }
    let mut cut: String = full.chars().take(DISCORD_MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_is_relayed_as_a_discord_action() {
        let waves = crate::model::message::action_body("waves");
        assert_eq!(chatify_to_discord("alice", &waves, true), "*waves*");
        assert_eq!(chatify_to_discord("alice", &waves, false), "*alice waves*");
        assert_eq!(chatify_to_discord("alice", "hi", false), "**alice**: hi");
    }

    #[test]
    fn discord_markup_becomes_readable() {
        let names = MentionNames {
            users: vec![(11, "Ann".into())],
            roles: vec![(22, "mods".into())],
            channels: vec![(33, "general".into())],
        };
        let text = "hi <@11> <@!11> <@&22> in <#33> <:party:123> <a:wave:9> <@99> a<b> x < y";
        assert_eq!(
            readable_markup(text, &names),
            "hi @Ann @Ann @mods in #general :party: :wave: @user a<b> x < y"
        );
        let message = DiscordMessage {
            channel: 1,
            id: 2,
            author_id: 3,
            author_name: "Ann".into(),
            webhook_id: None,
            content: String::new(),
            reply_to: None,
            attachments: vec!["https://cdn.example/cat.png".into()],
            names: MentionNames::default(),
        };
        assert_eq!(discord_to_chatify(&message), "https://cdn.example/cat.png");
    }

    #[test]
    fn names_are_shaped_for_each_side() {
        assert_eq!(relayed_author("Zoë K", 5), "Zoë_K@discord");
        assert_eq!(relayed_author("@\u{7}", 5), "user5@discord");
        assert_eq!(
            relayed_author(&"x".repeat(40), 5),
            format!("{}@discord", "x".repeat(32))
        );
        assert_eq!(webhook_username("DiscordFan"), "disc0rdFan");
        assert_eq!(webhook_username("clyde"), "clyd3");
        assert_eq!(chatify_to_discord("bob", "hi", false), "**bob**: hi");
        let long = chatify_to_discord("bob", &"y".repeat(3000), true);
        assert_eq!(long.chars().count(), DISCORD_MAX_CHARS);
        assert!(long.ends_with('…'));
    }
}
