//! The `--db` source of the client's read path: the queries the live session answers
//! (`reading::channel_history`, `dm_history`, `search`, `rewind_retained`), answered from a
//! database file through a read-only [`StoreReader`] (no server; the file is never modified),
//! paged and filtered the same way. Bodies are opened by `reading::opening`, as for the live
//! source. No terminal.

use super::{Pager, SearchTerms, Window, filter_from};
use crate::proto::{DmEvent, MessageEvent, SearchSort};
use crate::store::{HistoryQuery, SearchOptions, StoreError, StoreReader};

/// Up to `limit` messages of `channel` (oldest first), paged back from the newest, and
/// whether older ones exist.
pub fn channel_history(
    reader: &StoreReader,
    channel: &str,
    window: &Window,
    limit: u32,
) -> Result<(Vec<MessageEvent>, bool), StoreError> {
    let mut pager = Pager::new(limit);
    while let Some(want) = pager.want() {
        let query = HistoryQuery {
            limit: want,
            before_seq: pager.oldest().map(|event: &MessageEvent| event.seq),
            before_id: None,
            since_ms: window.since_ms,
            until_ms: window.until_ms,
            from: window.from.clone(),
        };
        let page = reader.history(channel, &query)?;
        pager.add(page.events, page.more);
    }
    Ok(pager.finish())
}

/// Up to `limit` DMs between `me` and `peer` (oldest first), paged back by id, and whether
/// older ones exist.
pub fn dm_history(
    reader: &StoreReader,
    me: &str,
    peer: &str,
    window: &Window,
    limit: u32,
) -> Result<(Vec<DmEvent>, bool), StoreError> {
    let mut pager = Pager::new(limit);
    while let Some(want) = pager.want() {
        let query = HistoryQuery {
            limit: want,
            before_seq: None,
            before_id: pager.oldest().map(|event: &DmEvent| event.id),
            since_ms: window.since_ms,
            until_ms: window.until_ms,
            from: window.from.clone(),
        };
        let page = reader.folded_dm_history(me, peer, &query)?;
        pager.add(page.events, page.more);
    }
    Ok(pager.finish())
}

/// The messages of `channel` matching `terms`, newest first (words may ask for rank order; a
/// blind-token search is always newest first).
pub fn search(
    reader: &StoreReader,
    channel: &str,
    terms: &SearchTerms,
    window: &Window,
    limit: u32,
) -> Result<Vec<MessageEvent>, StoreError> {
    let mut options = SearchOptions {
        limit,
        sort: SearchSort::Newest,
        since_ms: window.since_ms,
        until_ms: window.until_ms,
        from: window.from.clone(),
    };
    match terms {
        SearchTerms::Words { q, sort } => {
            options.sort = sort.unwrap_or(options.sort);
            reader.search(&[channel.to_string()], q, &options)
        }
        SearchTerms::BlindTokens(tokens) => reader.search_blind(channel, tokens, &options),
    }
}

/// `channel` as it stood at `at_ms`: up to `limit` messages (oldest first), by `from` only
/// when given, and where its retained history begins (`None`: nothing was ever purged).
pub fn rewind_retained(
    reader: &StoreReader,
    channel: &str,
    at_ms: i64,
    from: Option<&str>,
    limit: u32,
) -> Result<(Vec<MessageEvent>, Option<i64>), StoreError> {
    let events = reader.rewind(channel, at_ms, super::rewind_asked(from, limit))?;
    let kept = filter_from(events.iter(), from, limit).cloned().collect();
    Ok((kept, reader.purged_before(channel)?))
}
