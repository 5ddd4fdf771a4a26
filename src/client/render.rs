//! Timeline rendering: turns decrypted events into display lines — time, a stable colour per
//! nick, 🔒 for sealed channels and DMs, edited/deleted marks, quoted replies, reaction
//! summaries, highlighted mentions (with a bell), day separators. Colour is on or off per
//! [`RenderOptions`] (the caller applies `--color` and `NO_COLOR`), and so are times with
//! seconds (`--seconds`) and clickable OSC 8 links (`--links`, see `links`). Pure functions returning
//! `String`s; used by `client::events` and the one-shot tools, tested without a terminal.

use crate::model::message::action_text;
use std::collections::BTreeMap;

use owo_colors::{OwoColorize, Style};

mod links;
mod sanitize;

pub use links::linkify;
pub use sanitize::{printable, printable_line, terminal_safe};

/// How to render: colour, bell on mentions, who "me" is, the time zone, times with seconds,
/// and whether URLs in message text become OSC 8 hyperlinks.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub color: bool,
    pub bell: bool,
    pub me: String,
    pub zone: Zone,
    /// `HH:MM:SS` instead of `HH:MM`.
    pub seconds: bool,
    /// http(s) and mailto URLs in message text become clickable OSC 8 hyperlinks.
    pub links: bool,
}

/// The time zone for times and day separators.
#[derive(Debug, Clone, Copy)]
pub enum Zone {
    Local,
    Fixed(chrono::FixedOffset),
}

/// Where a message lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Channel {
        name: String,
        sealed: bool,
    },
    /// A DM conversation, named by the other party.
    Dm {
        peer: String,
    },
}

/// A message's content as the client could read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Text(String),
    Deleted,
    /// Encrypted and not readable here; the reason is shown (e.g. "no key for #ops").
    Unreadable(String),
    /// Claims to be end-to-end encrypted but is not: a sealed channel or DM message without an
    /// envelope, or with one that does not open. Shown loudly as REJECTED, never as 🔒 text;
    /// `reason` says why and `raw` is what the server sent (sanitised when shown).
    Rejected {
        reason: String,
        raw: String,
    },
}

/// What a reply points at, as far as the client knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyQuote {
    pub id: i64,
    pub author: Option<String>,
    pub snippet: Option<String>,
}

/// One message to render.
#[derive(Debug, Clone)]
pub struct MessageView<'a> {
    pub scope: &'a Scope,
    pub id: i64,
    pub author: &'a str,
    pub ts: i64,
    pub body: &'a Body,
    pub edited: bool,
    pub reply: Option<&'a ReplyQuote>,
    pub reacts: Option<&'a BTreeMap<String, Vec<String>>>,
}

/// Renders one message line: `09:31 #general <alice> hello [1235]`.
pub fn render_message(options: &RenderOptions, view: &MessageView<'_>) -> String {
    let mut line = format!(
        "{} {} {}",
        dim(options, &format_time(options, view.ts)),
        render_scope(options, view.scope),
        render_author(options, view.author, view.body),
    );
    if let Some(reply) = view.reply {
        line.push(' ');
        line.push_str(&dim(options, &render_reply_quote(reply)));
    }
    let mentioned = match view.body {
        Body::Text(text) => !same_user(view.author, &options.me) && mentions(text, &options.me),
        _ => false,
    };
    line.push(' ');
    line.push_str(&render_body(options, view.body, mentioned));
    if view.edited && *view.body != Body::Deleted {
        line.push(' ');
        line.push_str(&dim(options, "(edited)"));
    }
    if let Some(reacts) = view.reacts.filter(|reacts| !reacts.is_empty()) {
        line.push(' ');
        line.push_str(&reaction_summary(reacts));
    }
    line.push(' ');
    line.push_str(&dim(options, &format!("[{}]", view.id)));
    if mentioned && options.bell {
        line.push('\u{7}');
    }
    line
}

/// Renders an edit: `09:32 #general alice edited [1235]: new text`.
pub fn render_edit(
    options: &RenderOptions,
    scope: &Scope,
    editor: &str,
    target: i64,
    body: &Body,
    ts: i64,
) -> String {
    format!(
        "{} {} {} {} {}",
        dim(options, &format_time(options, ts)),
        render_scope(options, scope),
        paint_nick(options, editor),
        dim(options, &format!("edited [{target}]:")),
        render_body(options, body, false),
    )
}

/// Renders a deletion: `09:33 #general alice deleted [1235] (was: "first words…")`.
pub fn render_delete(
    options: &RenderOptions,
    scope: &Scope,
    deleter: &str,
    target: i64,
    was: Option<&str>,
    ts: i64,
) -> String {
    let mut line = format!(
        "{} {} {} {}",
        dim(options, &format_time(options, ts)),
        render_scope(options, scope),
        paint_nick(options, deleter),
        dim(options, &format!("deleted [{target}]")),
    );
    if let Some(was) = was {
        line.push_str(&dim(options, &format!(" (was: \"{}\")", snippet(was, 6))));
    }
    line
}

/// One reaction change to render.
#[derive(Debug, Clone)]
pub struct ReactionView<'a> {
    pub scope: &'a Scope,
    pub reactor: &'a str,
    pub emoji: &'a str,
    pub on: bool,
    pub target: &'a ReplyQuote,
    /// The message's reactions after this change.
    pub after: &'a BTreeMap<String, Vec<String>>,
    pub ts: i64,
}

/// Renders a reaction change with the message's reactions after it:
/// `09:34 #general bob reacted 👍 to alice's "hello…" [1235] · 👍 2`.
pub fn render_reaction(options: &RenderOptions, view: &ReactionView<'_>) -> String {
    let (verb, preposition) = if view.on {
        ("reacted", "to")
    } else {
        ("took back", "from")
    };
    let target = view.target;
    let whose = match (&target.author, &target.snippet) {
        (Some(author), Some(text)) => {
            format!("{}'s \"{}\"", printable_line(author), snippet(text, 6))
        }
        (Some(author), None) => format!("{}'s message", printable_line(author)),
        _ => "a message".to_string(),
    };
    let mut line = format!(
        "{} {} {} {verb} {} {preposition} {whose} {}",
        dim(options, &format_time(options, view.ts)),
        render_scope(options, view.scope),
        paint_nick(options, view.reactor),
        printable(view.emoji),
        dim(options, &format!("[{}]", target.id)),
    );
    if !view.after.is_empty() {
        line.push_str(" · ");
        line.push_str(&reaction_summary(view.after));
    }
    line
}

/// A system notice: `-- alice joined #ops`.
pub fn render_notice(options: &RenderOptions, text: &str) -> String {
    format!("{} {}", dim(options, "--"), text)
}

/// A system line (a moderation event in a channel's history):
/// `09:31 #ops -- alice kicked bob (spam) [88]`. Never marked sealed: it is not encrypted.
/// `text` comes from the server: it is sanitised here.
pub fn render_system_line(
    options: &RenderOptions,
    channel: &str,
    actor: &str,
    text: &str,
    ts: i64,
    id: i64,
) -> String {
    format!(
        "{} #{} {} {} {} {}",
        dim(options, &format_time(options, ts)),
        printable(channel),
        dim(options, "--"),
        paint_nick(options, &printable(actor)),
        printable(text),
        dim(options, &format!("[{id}]"))
    )
}

/// An error or refusal, in red: `!! wrong passphrase for #ops`.
pub fn render_error(options: &RenderOptions, text: &str) -> String {
    let line = format!("!! {text}");
    if options.color {
        line.red().bold().to_string()
    } else {
        line
    }
}

/// A loud warning (a peer's key changed), impossible to miss.
pub fn render_warning(options: &RenderOptions, text: &str) -> String {
    let line = format!("!!! WARNING: {text}");
    if options.color {
        line.style(Style::new().bold().black().on_yellow())
            .to_string()
    } else {
        line
    }
}

/// The separator printed before the first event of a new day: `──── Tuesday 25 November 2026 ────`.
pub fn render_day_separator(options: &RenderOptions, day: chrono::NaiveDate) -> String {
    let text = format!("──── {} ────", day.format("%A %-d %B %Y"));
    dim(options, &text)
}

/// The calendar day of a timestamp in the chosen zone.
pub fn day_of(options: &RenderOptions, ts: i64) -> chrono::NaiveDate {
    local_time(options, ts).date_naive()
}

/// `HH:MM` (or `HH:MM:SS` with [`RenderOptions::seconds`]) of a timestamp in the chosen zone.
pub fn format_time(options: &RenderOptions, ts: i64) -> String {
    let format = if options.seconds { "%H:%M:%S" } else { "%H:%M" };
    local_time(options, ts).format(format).to_string()
}

/// The scope label: `#general`, `🔒#ops`, `🔒@bob`.
pub fn render_scope(options: &RenderOptions, scope: &Scope) -> String {
    match scope {
        Scope::Channel {
            name,
            sealed: false,
        } => bold(options, &format!("#{}", printable_line(name))),
        Scope::Channel { name, sealed: true } => {
            format!("🔒{}", bold(options, &format!("#{}", printable_line(name))))
        }
        Scope::Dm { peer } => format!("🔒{}", bold(options, &format!("@{}", printable_line(peer)))),
    }
}

/// A nick in its stable colour.
pub fn paint_nick(options: &RenderOptions, nick: &str) -> String {
    let nick = printable_line(nick);
    if options.color {
        nick.color(nick_color(&nick)).bold().to_string()
    } else {
        nick.to_string()
    }
}

/// The stable colour of a nick: the same name (any case) always gets the same colour, from
/// eight hues 45° apart at middle lightness (xterm-256 colours), so two names never differ
/// only by brightness (blue and bright blue) and every colour reads on dark and light
/// backgrounds alike.
pub fn nick_color(nick: &str) -> owo_colors::DynColors {
    const PALETTE: [u8; 8] = [
        167, // red
        172, // orange
        70,  // green
        37,  // teal
        33,  // blue
        98,  // purple
        169, // pink
        136, // ochre
    ];
    let hash = blake3::hash(nick.to_lowercase().as_bytes());
    let index = usize::from(hash.as_bytes()[0]) % PALETTE.len();
    owo_colors::DynColors::Xterm(owo_colors::XtermColors::from(PALETTE[index]))
}

/// Whether `text` mentions `me`: the name as a whole word (optionally after `@`), any case.
pub fn mentions(text: &str, me: &str) -> bool {
    if me.is_empty() {
        return false;
    }
    let me = me.to_lowercase();
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .any(|word| word.to_lowercase() == me)
}

/// The first `words` words of a text, with `…` when cut.
pub fn snippet(text: &str, words: usize) -> String {
    let text = printable(text);
    let all: Vec<&str> = text.split_whitespace().collect();
    if all.len() <= words {
        all.join(" ")
    } else {
        format!("{}…", all[..words].join(" "))
    }
}

/// `👍 2 ❤️ 1`: each emoji with its count, in a stable order.
pub fn reaction_summary(reacts: &BTreeMap<String, Vec<String>>) -> String {
    reacts
        .iter()
        .filter(|(_, users)| !users.is_empty())
        .map(|(emoji, users)| format!("{} {}", printable(emoji), users.len()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_author(options: &RenderOptions, author: &str, body: &Body) -> String {
    match body {
        Body::Text(text) if action_text(text).is_some() => {
            format!("* {}", paint_nick(options, author))
        }
        _ => format!("<{}>", paint_nick(options, author)),
    }
}

fn render_body(options: &RenderOptions, body: &Body, mentioned: bool) -> String {
    match body {
        Body::Text(text) => {
            let text = printable(action_text(text).unwrap_or(text));
            let text = text.as_str();
            // Continuation lines of a multi-line message line up under the text.
            let indented;
            let text = if text.contains('\n') {
                // As wide as the time in front: `09:31 ` or `09:31:07 `.
                let indent = if options.seconds {
                    "\n         "
                } else {
                    "\n      "
                };
                indented = text.replace('\n', indent);
                indented.as_str()
            } else {
                text
            };
            let linked;
            let text = if options.links {
                linked = linkify(text);
                linked.as_str()
            } else {
                text
            };
            if mentioned && options.color {
                text.style(Style::new().bold().black().on_yellow())
                    .to_string()
            } else if mentioned {
                format!(">> {text}")
            } else {
                text.to_string()
            }
        }
        Body::Deleted => dim(options, "(message deleted)"),
        Body::Unreadable(reason) => {
            let text = format!("(encrypted: {})", printable(reason));
            if options.color {
                text.magenta().to_string()
            } else {
                text
            }
        }
        Body::Rejected { reason, raw } => {
            let text = format!(
                "⚠ REJECTED, not end-to-end encrypted ({}); the server sent: \"{}\"",
                printable(reason),
                snippet(raw, 12)
            );
            if options.color {
                text.style(Style::new().bold().red()).to_string()
            } else {
                text
            }
        }
    }
}

fn render_reply_quote(reply: &ReplyQuote) -> String {
    match (&reply.author, &reply.snippet) {
        (Some(author), Some(text)) => {
            format!("↪ {}: \"{}\"", printable_line(author), snippet(text, 6))
        }
        (Some(author), None) => format!("↪ {} [{}]", printable_line(author), reply.id),
        _ => format!("↪ [{}]", reply.id),
    }
}

/// `ts` in the options' time zone (local or UTC).
pub fn local_time(options: &RenderOptions, ts: i64) -> chrono::DateTime<chrono::FixedOffset> {
    use chrono::TimeZone;
    let utc = chrono::Utc
        .timestamp_millis_opt(ts)
        .single()
        .unwrap_or_default();
    match options.zone {
        Zone::Fixed(offset) => utc.with_timezone(&offset),
        Zone::Local => utc.with_timezone(&chrono::Local).fixed_offset(),
    }
}

fn same_user(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn dim(options: &RenderOptions, text: &str) -> String {
    if options.color {
        text.dimmed().to_string()
    } else {
        text.to_string()
    }
}

fn bold(options: &RenderOptions, text: &str) -> String {
    if options.color {
        text.bold().to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
