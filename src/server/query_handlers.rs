//! Queries (PROTOCOL.md §5): `history` (folded pages by `before`/time window, raw catch-up with
//! `after`, DMs), `search` (`q` on open channels, `idx` on sealed ones, or every open channel of
//! the user), and `rewind`. Limits are clamped; all reads run on the store's read-only
//! connections; a reply that would exceed the server's frame limit is trimmed (setting `more`).

use super::channel_handlers::member_channel;
use super::errors::Reject;
use super::frames::event_frame;
use super::server_state::ServerSession;
use crate::model::MessageEvent;
use crate::proto::{
    self, ChannelMode, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT, HistoryFrame, RewindFrame,
    SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, SearchFrame, SearchSort, ServerFrame,
    validate_username,
};
use crate::store::{HistoryQuery, SearchOptions};

/// Which end of a page's event list to drop from when it must be trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrimEnd {
    Front,
    Back,
}

/// `history`.
pub async fn handle_history(
    session: &ServerSession,
    request: HistoryFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    if request.after.is_some()
        && (request.before.is_some() || request.since.is_some() || request.until.is_some())
    {
        return Err(Reject::bad_frame(
            "after cannot be combined with before, since or until",
        ));
    }
    let limit = clamp(request.limit, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT);
    let mut query = HistoryQuery {
        limit,
        before_seq: request.before,
        since_ms: request.since,
        until_ms: request.until,
        from: request.from.clone(),
        ..HistoryQuery::default()
    };
    let mut retained_from = None;
    let (events, more, ch, dm, trim) = match (request.ch, request.dm) {
        (Some(ch), None) => {
            let channel = member_channel(session, &ch)?.name.clone();
            let name = channel.clone();
            let purge_mark_channel = channel.clone();
            // The purge mark is read after the page: a retention sweep commits its purge and its
            // mark together, so a page that lacks purged messages always comes with their mark
            // (read before, a sweep in between gave a purged page without `retained_from`).
            let page = if let Some(after) = request.after {
                // Catch-up reads the event log itself, through the log seam.
                let scope = proto::channel_scope(&name);
                let page = session
                    .state
                    .log
                    .read_scope(&scope, after, limit)
                    .await
                    .map_err(Reject::from_store)?;
                let events = page.events.into_iter().map(event_frame).collect();
                (events, page.more, Some(channel), None, TrimEnd::Back)
            } else {
                let page = read(session, move |r| r.history(&name, &query)).await?;
                let events = page.events.into_iter().map(message_frame).collect();
                (events, page.more, Some(channel), None, TrimEnd::Front)
            };
            retained_from = retained_from_of(session, &purge_mark_channel).await?;
            page
        }
        (None, Some(peer)) => {
            if request.after.is_some() {
                return Err(Reject::bad_frame("after applies to channels only"));
            }
            let peer = existing_user(session, &peer).await?;
            // DM events carry ids, not seqs: `before` pages DMs by id.
            query.before_id = query.before_seq.take();
            let me = session.user.to_string();
            let other = peer.clone();
            let page = read(session, move |r| r.folded_dm_history(&me, &other, &query)).await?;
            let events = page.events.into_iter().map(ServerFrame::Dm).collect();
            (events, page.more, None, Some(peer), TrimEnd::Front)
        }
        _ => return Err(Reject::bad_frame("history takes exactly one of ch and dm")),
    };
    let build = |events, trimmed| ServerFrame::History {
        ch: ch.clone(),
        dm: dm.clone(),
        events,
        more: more || trimmed,
        retained_from,
        rid: rid.clone(),
    };
    send_fitting(session, events, trim, build);
    Ok(())
}

/// `search`.
pub async fn handle_search(
    session: &ServerSession,
    request: SearchFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let options = SearchOptions {
        limit: clamp(request.limit, SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT),
        sort: request.sort.unwrap_or_default(),
        since_ms: request.since,
        until_ms: request.until,
        from: request.from.clone(),
    };
    let (ch, events) = match (request.ch, request.q, request.idx) {
        (Some(ch), q, idx) => {
            let (name, events) = search_channel(session, &ch, q, idx, options).await?;
            (Some(name), events)
        }
        (None, Some(q), None) => (None, search_open_channels(session, q, options).await?),
        (None, _, _) => {
            return Err(Reject::bad_frame(
                "search without ch takes q (open channels only)",
            ));
        }
    };
    let events: Vec<ServerFrame> = events.into_iter().map(message_frame).collect();
    let build = |events, _trimmed| ServerFrame::Search {
        ch: ch.clone(),
        events,
        rid: rid.clone(),
    };
    // Newest first: the oldest matches are at the back.
    send_fitting(session, events, TrimEnd::Back, build);
    Ok(())
}

/// One channel: `q` for an open channel, `idx` for a sealed one, never the other.
async fn search_channel(
    session: &ServerSession,
    ch: &str,
    q: Option<String>,
    idx: Option<Vec<String>>,
    mut options: SearchOptions,
) -> Result<(String, Vec<MessageEvent>), Reject> {
    let channel = member_channel(session, ch)?;
    let name = channel.name.clone();
    let events = match (channel.mode, q, idx) {
        (ChannelMode::Open, Some(q), None) => {
            let q = non_empty_query(q)?;
            search_store(session, vec![name], q, options).await?
        }
        (ChannelMode::Sealed, None, Some(tokens)) => {
            if tokens.is_empty() {
                return Err(Reject::bad_frame("idx must hold at least one blind token"));
            }
            options.sort = SearchSort::Newest;
            read(session, move |r| r.search_blind(&name, &tokens, &options)).await?
        }
        (ChannelMode::Open, _, _) => {
            return Err(Reject::bad_frame(
                "an open channel is searched with q (and no idx)",
            ));
        }
        (ChannelMode::Sealed, _, _) => {
            return Err(Reject::bad_frame(
                "a sealed channel is searched with idx (blind tokens) and no q",
            ));
        }
    };
    Ok((channel.name.clone(), events))
}

/// Without `ch`: every open channel the user is a member of.
async fn search_open_channels(
    session: &ServerSession,
    q: String,
    options: SearchOptions,
) -> Result<Vec<MessageEvent>, Reject> {
    let q = non_empty_query(q)?;
    let channels: Vec<String> = session
        .state
        .registry
        .user_channels(&session.user)
        .iter()
        .filter(|c| c.mode == ChannelMode::Open && c.lock().is_member(&session.user))
        .map(|c| c.name.clone())
        .collect();
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    search_store(session, channels, q, options).await
}

/// A full-text search with read-your-writes (`Store::search`: the index is brought up to date
/// with every acked message first).
async fn search_store(
    session: &ServerSession,
    channels: Vec<String>,
    q: String,
    options: SearchOptions,
) -> Result<Vec<MessageEvent>, Reject> {
    session
        .state
        .store
        .search(channels, q, options)
        .await
        .map_err(Reject::from_store)
}

/// `rewind`.
pub async fn handle_rewind(
    session: &ServerSession,
    rewind: RewindFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let RewindFrame { ch, at, limit } = rewind;
    let channel = member_channel(session, &ch)?.name.clone();
    let limit = clamp(limit, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT);
    let name = channel.clone();
    let events = read(session, move |r| r.rewind(&name, at, limit)).await?;
    let events: Vec<ServerFrame> = events.into_iter().map(message_frame).collect();
    let retained_from = retained_from_of(session, &channel).await?;
    let build = |events, _trimmed| ServerFrame::Rewind {
        ch: channel.clone(),
        at,
        events,
        retained_from,
        rid: rid.clone(),
    };
    send_fitting(session, events, TrimEnd::Front, build);
    Ok(())
}

async fn read<T: Send + 'static>(
    session: &ServerSession,
    f: impl FnOnce(&crate::store::StoreReader) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, Reject> {
    session
        .state
        .store
        .read(f)
        .await
        .map_err(Reject::from_store)
}

/// Where a channel's retained history begins (`retained_from`): `None` if never purged.
async fn retained_from_of(session: &ServerSession, channel: &str) -> Result<Option<i64>, Reject> {
    let channel = channel.to_string();
    read(session, move |r| r.purged_before(&channel)).await
}

/// The message object of a folded message.
fn message_frame(message: MessageEvent) -> ServerFrame {
    ServerFrame::Msg(message)
}

/// Resolves a DM peer to the name as registered (`no_such_user` when unknown).
pub(super) async fn existing_user(session: &ServerSession, name: &str) -> Result<String, Reject> {
    validate_username(name).map_err(|_| Reject::no_such_user())?;
    let lookup = name.to_string();
    let account = read(session, move |r| r.account(&lookup)).await?;
    account.map(|a| a.name).ok_or_else(Reject::no_such_user)
}

fn non_empty_query(q: String) -> Result<String, Reject> {
    if q.trim().is_empty() {
        Err(Reject::bad_frame("q must contain at least one word"))
    } else {
        Ok(q)
    }
}

/// `limit` defaulted, at least 1 and at most `max`.
fn clamp(limit: Option<u32>, default: u32, max: u32) -> u32 {
    limit.unwrap_or(default).clamp(1, max)
}

/// Serializes `build(events, false)` and queues it; when it exceeds the server's frame limit,
/// trims events from `end` and sends `build(kept, true)` instead.
fn send_fitting(
    session: &ServerSession,
    events: Vec<ServerFrame>,
    end: TrimEnd,
    build: impl Fn(Vec<ServerFrame>, bool) -> ServerFrame,
) {
    let max_bytes = session.state.config.max_outbound_frame;
    let frame = build(events, false);
    let json = frame.to_json();
    if json.len() <= max_bytes {
        session.conn.send_text(&json.into());
        return;
    }
    let events = match frame {
        ServerFrame::History { events, .. }
        | ServerFrame::Search { events, .. }
        | ServerFrame::Rewind { events, .. } => events,
        _ => Vec::new(),
    };
    let (kept, _) = trim_to_fit(events, end, max_bytes, |e| build(e, true));
    session.conn.send_frame(&build(kept, true));
}

/// Drops events from one end until `build(events)` serializes within `max_bytes`. Returns the
/// events kept and whether any were dropped.
fn trim_to_fit(
    mut events: Vec<ServerFrame>,
    end: TrimEnd,
    max_bytes: usize,
    build: impl Fn(Vec<ServerFrame>) -> ServerFrame,
) -> (Vec<ServerFrame>, bool) {
    let sizes: Vec<usize> = events.iter().map(|e| e.to_json().len() + 1).collect();
    let overhead = build(Vec::new()).to_json().len();
    let mut total: usize = overhead + sizes.iter().sum::<usize>();
    if total <= max_bytes {
        return (events, false);
    }
    let mut drop_count = 0;
    let order: Box<dyn Iterator<Item = &usize>> = match end {
        TrimEnd::Front => Box::new(sizes.iter()),
        TrimEnd::Back => Box::new(sizes.iter().rev()),
    };
    for size in order {
        if total <= max_bytes {
            break;
        }
        total -= size;
        drop_count += 1;
    }
    match end {
        TrimEnd::Front => {
            events.drain(..drop_count);
        }
        TrimEnd::Back => events.truncate(events.len() - drop_count),
    }
    (events, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::MessageEvent;

    fn event(seq: i64, text_len: usize) -> ServerFrame {
        ServerFrame::Msg(MessageEvent {
            ch: "general".into(),
            id: seq,
            seq,
            u: "alice".into(),
            c: Some("x".repeat(text_len)),
            ts: 1,
            enc: None,
            reply_to: None,
            edited: None,
            deleted: false,
            reacts: None,
            sys: None,
        })
    }

    fn seqs(events: &[ServerFrame]) -> Vec<i64> {
        events
            .iter()
            .filter_map(|e| match e {
                ServerFrame::Msg(m) => Some(m.seq),
                _ => None,
            })
            .collect()
    }

    fn page(events: Vec<ServerFrame>) -> ServerFrame {
        ServerFrame::History {
            ch: Some("general".into()),
            dm: None,
            events,
            more: true,
            retained_from: None,
            rid: None,
        }
    }

    #[test]
    fn trimming_drops_the_requested_end_and_fits() {
        let events: Vec<ServerFrame> = (1..=10).map(|s| event(s, 1000)).collect();
        let (kept, trimmed) = trim_to_fit(events.clone(), TrimEnd::Front, 5000, page);
        assert!(trimmed);
        assert!(page(kept.clone()).to_json().len() <= 5000);
        assert_eq!(seqs(&kept).last(), Some(&10));
        let (kept, _) = trim_to_fit(events.clone(), TrimEnd::Back, 5000, page);
        assert_eq!(seqs(&kept).first(), Some(&1));
        let (kept, trimmed) = trim_to_fit(events, TrimEnd::Front, 1 << 20, page);
        assert!(!trimmed);
        assert_eq!(kept.len(), 10);
    }

    #[test]
    fn limits_are_defaulted_and_clamped() {
        assert_eq!(clamp(None, 50, 500), 50);
        assert_eq!(clamp(Some(0), 50, 500), 1);
        assert_eq!(clamp(Some(100_000), 50, 500), 500);
    }
}
