//! Output of the one-shot queries: the [`Record`] each message becomes (decrypted, with the
//! stable JSON Lines fields), the conversion from wire events, and printing — the REPL's
//! timeline renderer for people, JSON Lines for scripts — with a closed stdout pipe treated
//! as a quiet, successful end.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};

use serde::Serialize;

use super::{Fetched, Query};
use crate::cli::GlobalArgs;
use crate::client::render::{self, Body, MessageView, RenderOptions, ReplyQuote, Scope, Zone};
use crate::proto::governance::SysEvent;
use crate::proto::{DmEvent, MessageEvent};

/// One message as printed: the JSON Lines object of `--json` (see `JSON_FIELDS_HELP`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub id: i64,
    pub seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dm: Option<String>,
    pub u: String,
    pub ts: i64,
    pub ts_iso: String,
    pub text: Option<String>,
    pub edited: Option<i64>,
    pub deleted: bool,
    pub reply_to: Option<i64>,
    pub reacts: BTreeMap<String, Vec<String>>,
    pub sealed: bool,
    pub undecryptable: Option<String>,
    /// What the server sent for a message REJECTED as not end-to-end encrypted (not in JSON:
    /// `undecryptable` starts with "rejected:" there).
    #[serde(skip)]
    pub rejected_raw: Option<String>,
    /// A system line (a moderation event): what was done; `u` is who did it.
    pub sys: Option<SysEvent>,
}

/// A folded channel message as a record, with its body decided by
/// [`crate::client::events::channel_body`].
pub fn channel_record(event: &MessageEvent, sealed: bool, body: Body) -> Record {
    if let Some(sys) = &event.sys {
        return system_record(event, sys);
    }
    let (text, undecryptable, rejected_raw) = body_fields(body);
    Record {
        id: event.id,
        seq: Some(event.seq),
        ch: Some(event.ch.clone()),
        dm: None,
        u: event.u.clone(),
        ts: event.ts,
        ts_iso: iso_time(event.ts),
        text,
        edited: event.edited,
        deleted: event.deleted,
        reply_to: event.reply_to,
        reacts: event.reacts.clone().unwrap_or_default(),
        sealed: sealed || event.enc.is_some(),
        undecryptable,
        rejected_raw,
        sys: None,
    }
}

/// A system line as a record: its text made from `sys` (never encrypted, never sealed).
fn system_record(event: &MessageEvent, sys: &SysEvent) -> Record {
    Record {
        id: event.id,
        seq: Some(event.seq),
        ch: Some(event.ch.clone()),
        dm: None,
        u: event.u.clone(),
        ts: event.ts,
        ts_iso: iso_time(event.ts),
        text: Some(sys.describe()),
        edited: None,
        deleted: false,
        reply_to: None,
        reacts: BTreeMap::new(),
        sealed: false,
        undecryptable: None,
        rejected_raw: None,
        sys: Some(sys.clone()),
    }
}

/// A DM as a record, seen by `me`, with its body from [`crate::client::events::decrypt_dm`].
pub fn dm_record(event: &DmEvent, me: &str, body: Body) -> Record {
    let peer = if event.from.eq_ignore_ascii_case(me) {
        &event.to
    } else {
        &event.from
    };
    let (text, undecryptable, rejected_raw) = body_fields(body);
    Record {
        id: event.id,
        seq: None,
        ch: None,
        dm: Some(peer.clone()),
        u: event.from.clone(),
        ts: event.ts,
        ts_iso: iso_time(event.ts),
        text,
        edited: None,
        deleted: false,
        reply_to: None,
        reacts: BTreeMap::new(),
        sealed: true,
        undecryptable,
        rejected_raw,
        sys: None,
    }
}

/// `text`, `undecryptable` and (for a rejected one) the raw text of a body.
fn body_fields(body: Body) -> (Option<String>, Option<String>, Option<String>) {
    match body {
        Body::Text(text) => (Some(text), None, None),
        Body::Deleted => (None, None, None),
        Body::Unreadable(reason) => (None, Some(reason), None),
        Body::Rejected { reason, raw } => (None, Some(format!("rejected: {reason}")), Some(raw)),
    }
}

/// `2026-11-25T09:30:00.000Z` for a Unix-ms time.
pub fn iso_time(ts: i64) -> String {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(ts)
        .single()
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Whether everything was written, or the reader of stdout went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printed {
    All,
    PipeClosed,
}

/// Prints the records to stdout: JSON Lines, or the timeline.
pub fn print(
    query: &Query,
    fetched: &Fetched,
    json: bool,
    global: &GlobalArgs,
) -> anyhow::Result<Printed> {
    let lines = if json {
        fetched
            .records
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?
    } else {
        let options = RenderOptions {
            color: global.use_color(std::io::stdout().is_terminal()),
            bell: false,
            me: fetched.me.clone(),
            zone: Zone::Local,
            seconds: false,
            links: false,
        };
        timeline(query, &fetched.records, &options)
    };
    write_lines(&lines)
}

/// The human timeline: an optional heading, day separators, one line per message.
pub fn timeline(query: &Query, records: &[Record], options: &RenderOptions) -> Vec<String> {
    let mut lines = Vec::with_capacity(records.len() + 4);
    if let (Query::Rewind { channel, at_ms, .. }, false) = (query, records.is_empty()) {
        let at = render::day_of(options, *at_ms).format("%A %-d %B %Y");
        let time = render::local_time(options, *at_ms).format("%H:%M:%S");
        let age = crate::client::reading::age_words(*at_ms, crate::timespec::now_ms());
        let heading = format!("#{channel} as it stood at {at} {time} ({age})");
        lines.push(render::render_notice(options, &heading));
    }
    let known: HashMap<i64, &Record> = records.iter().map(|record| (record.id, record)).collect();
    let mut last_day = None;
    for record in records {
        let day = render::day_of(options, record.ts);
        if last_day != Some(day) {
            lines.push(render::render_day_separator(options, day));
            last_day = Some(day);
        }
        lines.push(render_record(options, record, &known));
    }
    lines
}

fn render_record(
    options: &RenderOptions,
    record: &Record,
    known: &HashMap<i64, &Record>,
) -> String {
    if let (Some(sys), Some(channel)) = (&record.sys, &record.ch) {
        let text = sys.describe();
        return render::render_system_line(
            options, channel, &record.u, &text, record.ts, record.id,
        );
    }
    let scope = match (&record.ch, &record.dm) {
        (Some(name), _) => Scope::Channel {
            name: name.clone(),
            sealed: record.sealed,
        },
        (None, peer) => Scope::Dm {
            peer: peer.clone().unwrap_or_default(),
        },
    };
    let body = match (&record.text, &record.undecryptable) {
        _ if record.deleted => Body::Deleted,
        (Some(text), _) => Body::Text(text.clone()),
        (None, Some(reason)) => match &record.rejected_raw {
            Some(raw) => Body::Rejected {
                reason: reason.trim_start_matches("rejected: ").to_string(),
                raw: raw.clone(),
            },
            None => Body::Unreadable(reason.clone()),
        },
        (None, None) => Body::Unreadable("no text".to_string()),
    };
    let reply = record.reply_to.map(|id| {
        let target = known.get(&id);
        ReplyQuote {
            id,
            author: target.map(|target| target.u.clone()),
            snippet: target.and_then(|target| target.text.clone()),
        }
    });
    let view = MessageView {
        scope: &scope,
        id: record.id,
        author: &record.u,
        ts: record.ts,
        body: &body,
        edited: record.edited.is_some(),
        reply: reply.as_ref(),
        reacts: Some(&record.reacts),
    };
    render::render_message(options, &view)
}

/// Writes lines to stdout. A closed pipe is not an error: it returns [`Printed::PipeClosed`].
pub fn write_lines(lines: &[String]) -> anyhow::Result<Printed> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = lines
        .iter()
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush());
    match result {
        Ok(()) => Ok(Printed::All),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            // Nothing more can be written; drop the buffer without a second failing flush.
            let _ = out.into_parts();
            Ok(Printed::PipeClosed)
        }
        Err(error) => Err(anyhow::Error::new(error).context("writing to standard output")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::events::{ChannelOpener, channel_body};
    use crate::client::keys::KeyError;

    /// A record as the tools make it: the shared body decision, then the record.
    fn record_of(event: &MessageEvent, sealed: bool, open: &ChannelOpener<'_>) -> Record {
        channel_record(event, sealed, channel_body(event, sealed, open))
    }

    fn message(id: i64, text: Option<&str>) -> MessageEvent {
        MessageEvent {
            ch: "general".into(),
            id,
            seq: id,
            u: "alice".into(),
            c: text.map(str::to_string),
            ts: 1_764_064_800_000,
            enc: None,
            reply_to: None,
            edited: None,
            deleted: false,
            reacts: None,
            sys: None,
        }
    }

    fn never(_: &str, _: &str, _: &str) -> Result<String, KeyError> {
        Err(KeyError::Unavailable("not called".into()))
    }

    #[test]
    fn open_messages_keep_their_text_and_all_fields_serialize() {
        let record = record_of(&message(7, Some("hi")), false, &never);
        let json: serde_json::Value = serde_json::to_value(&record).expect("serializable");
        let keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "id",
            "seq",
            "ch",
            "u",
            "ts",
            "ts_iso",
            "text",
            "edited",
            "deleted",
            "reply_to",
            "reacts",
            "sealed",
            "undecryptable",
        ] {
            assert!(keys.contains(&key), "{key} missing in {keys:?}");
        }
        assert!(!keys.contains(&"dm"));
        assert_eq!(json["text"], "hi");
        assert_eq!(json["ts_iso"], "2025-11-25T10:00:00.000Z");
        assert_eq!(json["reacts"], serde_json::json!({}));
    }

    #[test]
    fn sealed_messages_are_opened_with_the_right_kind() {
        let mut event = message(9, Some("envelope"));
        event.enc = Some("xc20p1".into());
        let seen = std::cell::RefCell::new(Vec::new());
        let open = |sender: &str, kind: &str, c: &str| {
            seen.borrow_mut().push(format!("{sender}/{kind}/{c}"));
            Ok::<_, KeyError>("plain".to_string())
        };
        let record = record_of(&event, true, &open);
        assert_eq!(record.text.as_deref(), Some("plain"));
        event.edited = Some(1);
        let edited = record_of(&event, true, &open);
        assert_eq!(edited.text.as_deref(), Some("plain"));
        assert_eq!(
            *seen.borrow(),
            vec!["alice/msg/envelope", "alice/edit:9/envelope"]
        );
        let failing = record_of(&event, true, &|_, _, _| {
            Err(KeyError::Unavailable("no key".to_string()))
        });
        assert_eq!(failing.text, None);
        assert_eq!(failing.undecryptable.as_deref(), Some("no key"));
        assert!(failing.sealed);
        let mut planted = message(10, Some("planted by the server"));
        planted.ch = "ops".into();
        let rejected = record_of(&planted, true, &never);
        assert_eq!(
            rejected.text, None,
            "no envelope in a sealed channel: never text"
        );
        assert!(
            rejected
                .undecryptable
                .as_deref()
                .is_some_and(|why| why.starts_with("rejected: ")),
            "{rejected:?}"
        );
        let tampered = record_of(&event, true, &|_, _, _| {
            Err(KeyError::Crypto(crate::crypto::CryptoError::Tampered))
        });
        assert!(tampered.rejected_raw.is_some(), "{tampered:?}");
    }

    #[test]
    fn deleted_messages_have_no_text_and_dms_name_the_peer() {
        let mut event = message(3, None);
        event.deleted = true;
        let record = record_of(&event, false, &never);
        assert!(record.deleted && record.text.is_none() && record.undecryptable.is_none());
        let dm = DmEvent {
            id: 4,
            from: "Alice".into(),
            to: "bob".into(),
            c: "x".into(),
            enc: "xc20p1".into(),
            ts: 0,
            reply_to: None,
            edited: None,
            deleted: false,
            reacts: None,
        };
        assert_eq!(
            dm_record(&dm, "alice", Body::Text("yo".into()))
                .dm
                .as_deref(),
            Some("bob")
        );
        assert_eq!(
            dm_record(&dm, "bob", Body::Text("yo".into())).dm.as_deref(),
            Some("Alice")
        );
        assert_eq!(dm_record(&dm, "bob", Body::Text("yo".into())).seq, None);
    }
}
