//! The client's one read path: what `/history`, `/search` and `/rewind` of the REPL and the
//! one-shot tools (`chatify history/search/rewind`) read, paged and filtered the same way over a
//! live session (here) or a database file (`database`, for `--db`), and opened the same way for
//! both (`opening`: a channel's keys or a DM key; the decision itself is
//! [`crate::client::events::decrypt`]'s: sealed means sealed, rejected is said loudly). No
//! terminal, no prompts.

pub mod database;
pub mod opening;

use super::conn::ClientError;
use super::session::Session;
use crate::proto::{
    self, ClientFrame, DmEvent, HISTORY_MAX_LIMIT, HistoryFrame, MessageEvent, RewindFrame,
    SearchFrame, SearchSort, ServerFrame,
};

/// Time window and author filter of a query (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub from: Option<String>,
}

/// What a search looks for: words (an open channel, searched by the server's full-text index)
/// or blind tokens (a sealed channel; made by the key ring from the words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerms {
    Words { q: String, sort: Option<SearchSort> },
    BlindTokens(Vec<String>),
}

/// Up to `limit` messages of `channel` (oldest first), paged back from the newest, and
/// whether older ones exist.
pub async fn channel_history(
    session: &Session,
    channel: &str,
    window: &Window,
    limit: u32,
) -> Result<(Vec<MessageEvent>, bool), ClientError> {
    let mut pager = Pager::new(limit);
    while let Some(want) = pager.want() {
        let frame = ClientFrame::History(HistoryFrame {
            ch: Some(channel.to_string()),
            dm: None,
            limit: Some(want),
            before: pager.oldest().map(|event: &MessageEvent| event.seq),
            since: window.since_ms,
            until: window.until_ms,
            after: None,
            from: window.from.clone(),
        });
        match session.request(frame).await? {
            ServerFrame::History { events, more, .. } => {
                pager.add(ServerFrame::message_events(events), more)
            }
            other => return Err(unexpected(&other)),
        }
    }
    Ok(pager.finish())
}

/// Up to `limit` DMs with `peer` (oldest first), and whether older ones exist. DM frames carry
/// no seq, so a page ends where the next begins by time: `until` just after the oldest one
/// held, dropping those already held (by id).
pub async fn dm_history(
    session: &Session,
    peer: &str,
    window: &Window,
    limit: u32,
) -> Result<(Vec<DmEvent>, bool), ClientError> {
    let mut pager: Pager<DmEvent> = Pager::new(limit);
    while let Some(want) = pager.want() {
        let (until, overlap, oldest_id) = match pager.oldest() {
            None => (window.until_ms, 0, i64::MAX),
            Some(oldest) => {
                let overlap = pager.collected().iter().take_while(|e| e.ts == oldest.ts);
                (
                    Some(oldest.ts.saturating_add(1)),
                    overlap.count(),
                    oldest.id,
                )
            }
        };
        let overlap = u32::try_from(overlap).unwrap_or(u32::MAX);
        if overlap >= HISTORY_MAX_LIMIT {
            // More DMs in one millisecond than a page holds: cannot page further by time.
            pager.stop();
            break;
        }
        let frame = ClientFrame::History(HistoryFrame {
            ch: None,
            dm: Some(peer.to_string()),
            limit: Some(overlap.saturating_add(want).min(HISTORY_MAX_LIMIT)),
            before: None,
            since: window.since_ms,
            until,
            after: None,
            from: window.from.clone(),
        });
        match session.request(frame).await? {
            ServerFrame::History { events, more, .. } => {
                let older: Vec<DmEvent> = ServerFrame::dm_events(events)
                    .into_iter()
                    .filter(|e| e.id < oldest_id)
                    .collect();
                pager.add(older, more);
            }
            other => return Err(unexpected(&other)),
        }
    }
    Ok(pager.finish())
}

/// The messages of `channel` matching `terms`, as the server orders them.
pub async fn search(
    session: &Session,
    channel: &str,
    terms: SearchTerms,
    window: &Window,
    limit: Option<u32>,
) -> Result<Vec<MessageEvent>, ClientError> {
    let (q, idx, sort) = match terms {
        SearchTerms::Words { q, sort } => (Some(q), None, sort),
        SearchTerms::BlindTokens(tokens) => (None, Some(tokens), None),
    };
    let frame = ClientFrame::Search(SearchFrame {
        ch: Some(channel.to_string()),
        q,
        idx,
        limit,
        sort,
        since: window.since_ms,
        until: window.until_ms,
        from: window.from.clone(),
    });
    match session.request(frame).await? {
        ServerFrame::Search { events, .. } => Ok(ServerFrame::message_events(events)),
        other => Err(unexpected(&other)),
    }
}

/// `channel` as it stood at `at_ms`: up to `limit` messages (oldest first), by `from` only
/// when given (then a full page is asked for and filtered here).
pub async fn rewind(
    session: &Session,
    channel: &str,
    at_ms: i64,
    from: Option<&str>,
    limit: u32,
) -> Result<Vec<MessageEvent>, ClientError> {
    Ok(rewind_retained(session, channel, at_ms, from, limit)
        .await?
        .0)
}

/// [`rewind`], with where the channel's retained history begins (`retained_from`, Unix ms;
/// `None` when nothing was ever purged).
pub async fn rewind_retained(
    session: &Session,
    channel: &str,
    at_ms: i64,
    from: Option<&str>,
    limit: u32,
) -> Result<(Vec<MessageEvent>, Option<i64>), ClientError> {
    let frame = ClientFrame::Rewind(RewindFrame {
        ch: channel.to_string(),
        at: at_ms,
        limit: Some(rewind_asked(from, limit)),
    });
    match session.request(frame).await? {
        ServerFrame::Rewind {
            events,
            retained_from,
            ..
        } => {
            let events = ServerFrame::message_events(events);
            let kept = filter_from(events.iter(), from, limit).cloned().collect();
            Ok((kept, retained_from))
        }
        other => Err(unexpected(&other)),
    }
}

/// How many messages a rewind asks for: `limit`, or a full page when filtered by author here
/// (the server's rewind has no author filter).
fn rewind_asked(from: Option<&str>, limit: u32) -> u32 {
    if from.is_some() {
        HISTORY_MAX_LIMIT
    } else {
        limit
    }
}

/// Collects a history of up to `limit` messages from pages fetched newest-first (each page is
/// oldest first, as the protocol returns them), at most [`proto::HISTORY_MAX_LIMIT`] at a time.
#[derive(Debug)]
pub struct Pager<T> {
    limit: u32,
    collected: Vec<T>,
    more: bool,
    finished: bool,
}

impl<T> Pager<T> {
    pub fn new(limit: u32) -> Self {
        Pager {
            limit,
            collected: Vec::new(),
            more: false,
            finished: false,
        }
    }

    /// How many to ask for next; `None` when done.
    pub fn want(&self) -> Option<u32> {
        let have = u32::try_from(self.collected.len()).unwrap_or(u32::MAX);
        let left = self.limit.saturating_sub(have);
        (!self.finished && left > 0).then(|| left.min(proto::HISTORY_MAX_LIMIT))
    }

    /// The oldest message collected so far (the paging cursor).
    pub fn oldest(&self) -> Option<&T> {
        self.collected.first()
    }

    /// Everything collected so far, oldest first.
    pub fn collected(&self) -> &[T] {
        &self.collected
    }

    /// Adds the next older page; `more` says whether older ones exist beyond it.
    pub fn add(&mut self, mut page: Vec<T>, more: bool) {
        self.more = more;
        if page.is_empty() || !more {
            self.finished = true;
        }
        page.append(&mut self.collected);
        self.collected = page;
    }

    /// Stops paging (no progress possible) keeping `more` as it is.
    pub fn stop(&mut self) {
        self.finished = true;
    }

    /// The messages, oldest first, and whether older ones exist.
    pub fn finish(self) -> (Vec<T>, bool) {
        (self.collected, self.more)
    }
}

/// The last `limit` of `events` (oldest first) written by `from` (any author when `None`).
pub fn filter_from<'a>(
    events: impl Iterator<Item = &'a MessageEvent>,
    from: Option<&str>,
    limit: u32,
) -> impl Iterator<Item = &'a MessageEvent> {
    let kept: Vec<&MessageEvent> = events
        .filter(|event| from.is_none_or(|from| event.u.eq_ignore_ascii_case(from)))
        .collect();
    let skip = kept
        .len()
        .saturating_sub(usize::try_from(limit).unwrap_or(usize::MAX));
    kept.into_iter().skip(skip)
}

/// How long before `now_ms` the moment `at_ms` is, in words with sensible units: `45 s ago`,
/// `5 min 10 s ago`, `2 h 5 min ago`, `3 d 4 h ago` (`in …` for a moment still ahead). The
/// heading of a rewind says it beside the time of day.
pub fn age_words(at_ms: i64, now_ms: i64) -> String {
    const UNITS: [(i64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")];
    let seconds = (now_ms.saturating_sub(at_ms) / 1_000).saturating_abs();
    // The largest unit that fits, and the one just below it when not zero (2 h 5 min).
    let largest = UNITS
        .iter()
        .position(|(size, _)| seconds >= *size)
        .unwrap_or(UNITS.len() - 1);
    let (size, name) = UNITS[largest];
    let mut words = format!("{} {name}", seconds / size);
    if let Some((next, next_name)) = UNITS.get(largest + 1) {
        let rest = seconds % size / next;
        if rest > 0 {
            words.push_str(&format!(" {rest} {next_name}"));
        }
    }
    if at_ms > now_ms {
        format!("in {words}")
    } else {
        format!("{words} ago")
    }
}

fn unexpected(frame: &ServerFrame) -> ClientError {
    let kind = serde_json::to_value(frame)
        .ok()
        .and_then(|value| value.get("t").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default();
    ClientError::Unexpected(format!("{kind:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_said_in_the_largest_sensible_units() {
        let now = 10_000_000_000;
        let ago = |ms: i64| age_words(now - ms, now);
        assert_eq!(ago(0), "0 s ago");
        assert_eq!(ago(45_000), "45 s ago");
        assert_eq!(ago(60_000), "1 min ago");
        assert_eq!(ago(310_000), "5 min 10 s ago");
        assert_eq!(ago(2 * 3_600_000 + 5 * 60_000 + 7_000), "2 h 5 min ago");
        assert_eq!(ago(2 * 3_600_000 + 7_000), "2 h ago");
        assert_eq!(ago(3 * 86_400_000 + 4 * 3_600_000), "3 d 4 h ago");
        assert_eq!(age_words(now + 90_000, now), "in 1 min 30 s");
    }

    #[test]
    fn pager_collects_pages_oldest_first_up_to_the_limit() {
        let mut pager = Pager::new(1200);
        assert_eq!(pager.want(), Some(500));
        pager.add((700..1200).collect(), true);
        assert_eq!(pager.oldest(), Some(&700));
        assert_eq!(pager.want(), Some(500));
        pager.add((200..700).collect(), true);
        assert_eq!(pager.want(), Some(200));
        pager.add((0..200).collect(), false);
        assert_eq!(pager.want(), None);
        let (all, more) = pager.finish();
        assert_eq!(all, (0..1200).collect::<Vec<_>>());
        assert!(!more);
        let mut short = Pager::new(10);
        short.add(vec![1, 2, 3], false);
        assert_eq!(short.want(), None);
    }
}
