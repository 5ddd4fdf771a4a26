//! Search queries of [`StoreReader`]: FTS5 full-text search over open channels (newest first, or
//! BM25 over the newest candidates, see `rank`) and blind-token search in a sealed channel.
//! Results are folded messages from the `messages` current state; deleted messages are never
//! found (their index entries are removed on delete) and edited ones are found by their latest
//! text.

use rusqlite::types::Value;
use rusqlite::{ToSql, params};

use super::error::StoreError;
use super::fts;
use super::history::sql;
use super::rank;
use super::reader::StoreReader;
use super::rows;
use super::types::SearchOptions;
use crate::model::MessageEvent;
use crate::model::limits::MAX_BLIND_TOKENS;
use crate::proto::{self, SearchSort};

/// Newest matches first; also the candidates of a ranked search (see `rank`).
pub(crate) const SEARCH_NEWEST: &str = "SELECT {M} FROM message_fts
    JOIN messages m ON m.id = message_fts.rowid
    WHERE message_fts MATCH ?1 AND m.ts >= ?2 AND m.ts < ?3
      AND (?4 IS NULL OR m.sender = ?4 COLLATE NOCASE) AND m.deleted = 0
    ORDER BY message_fts.rowid DESC LIMIT ?5";

/// How many of the newest matches a ranked search ranks (so a query matching most of a huge
/// channel still answers in milliseconds).
pub(crate) const RANK_CANDIDATES: i64 = 2_000;

/// How many of the newest matches of the words, in any channel, a ranked search looks through
/// for its candidates before it lets FTS5 restrict the channels (see `ranked_candidates`).
const RANK_SCAN: i64 = 4 * RANK_CANDIDATES;

/// The newest matches of the words alone (no channel phrase) below an id: the rowids of
/// `message_fts` are message ids. ?1 the terms expression, ?2 the exclusive upper id, ?3 the
/// limit.
const TERMS_NEWEST: &str = "SELECT rowid FROM message_fts
    WHERE message_fts MATCH ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3";

/// The id and text of the messages among a list of ids that are in the channels and pass the
/// filters, newest first: what ranking reads (the whole rows only for the best ones). ?1 the
/// ids and ?2 the channel scopes (JSON arrays), ?3 since, ?4 until, ?5 from.
const CANDIDATES_AMONG_IDS: &str = "SELECT m.id, m.c FROM messages m
    WHERE m.id IN (SELECT value FROM json_each(?1))
      AND m.scope IN (SELECT value FROM json_each(?2))
      AND m.ts >= ?3 AND m.ts < ?4
      AND (?5 IS NULL OR m.sender = ?5 COLLATE NOCASE) AND m.deleted = 0
    ORDER BY m.id DESC";

/// The messages with the given ids (a JSON array), in no particular order.
const MESSAGES_BY_IDS: &str = "SELECT {M} FROM messages m
    WHERE m.id IN (SELECT value FROM json_each(?1)) AND m.deleted = 0";

/// What ranking needs of a matching message: its id and its current text.
struct RankCandidate {
    id: i64,
    c: Option<String>,
}

/// A search's time and sender filters.
struct SearchFilters<'a> {
    since: i64,
    until: i64,
    from: Option<&'a str>,
}

impl StoreReader {
    /// Full-text search over the given open channels: every word must match, `pre*` matches a
    /// prefix, `"a phrase"` matches words in sequence. Best (bm25) or newest first. No usable
    /// terms is an empty result; unsupported input (a one-letter prefix, too many terms) is
    /// `BadQuery`.
    pub fn search(
        &self,
        channels: &[String],
        query: &str,
        options: &SearchOptions,
    ) -> Result<Vec<MessageEvent>, StoreError> {
        let terms = fts::parse_query(query)?;
        let Some(expression) = fts::match_expression(&terms, channels) else {
            return Ok(Vec::new());
        };
        let limit = i64::from(options.limit.min(proto::SEARCH_MAX_LIMIT));
        let filters = SearchFilters {
            since: options.since_ms.unwrap_or(i64::MIN),
            until: options.until_ms.unwrap_or(i64::MAX),
            from: options.from.as_deref(),
        };
        Ok(match options.sort {
            SearchSort::Rank => {
                let fetch = RANK_CANDIDATES.max(limit);
                let candidates =
                    self.ranked_candidates(&terms, channels, &expression, &filters, fetch)?;
                let keep = usize::try_from(limit).unwrap_or(0);
                let best = rank::rank_candidates(&terms, candidates, |m| m.c.as_deref(), keep);
                self.messages_in_order(&best)?
            }
            SearchSort::Newest => self.newest_matches(&expression, &filters, limit)?,
        })
    }

    /// The newest `limit` matches of a full MATCH expression (terms and channel phrase).
    fn newest_matches(
        &self,
        expression: &str,
        filters: &SearchFilters,
        limit: i64,
    ) -> Result<Vec<MessageEvent>, StoreError> {
        let mut statement = self.conn.prepare_cached(&search_sql(SEARCH_NEWEST))?;
        let params = params![
            expression,
            filters.since,
            filters.until,
            filters.from,
            limit
        ];
        let rows = statement.query_map(params, rows::message_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The newest `fetch` matches in `channels`, the candidates of a ranked search. The channel
    /// phrase of the MATCH expression matches every message of a channel, so ANDing it walks
    /// the channel's whole posting list (O(channel size), most of a ranked search's time). So
    /// the words alone are matched, newest first, in chunks no larger than what is still
    /// missing (a word common in the channel costs one lookup per candidate), and each chunk is
    /// looked up by id, keeping those in the channels: exact whenever that finds `fetch`
    /// candidates within the words' newest [`RANK_SCAN`] hits or the words have no more hits.
    /// Only otherwise (the channels hold a small share of the words' hits) does the full
    /// expression, with the channel phrase, decide.
    fn ranked_candidates(
        &self,
        terms: &[fts::Term],
        channels: &[String],
        expression: &str,
        filters: &SearchFilters,
        fetch: i64,
    ) -> Result<Vec<RankCandidate>, StoreError> {
        let Some(words) = fts::terms_expression(terms) else {
            return Ok(Vec::new());
        };
        let scopes: Vec<String> = channels.iter().map(|ch| proto::channel_scope(ch)).collect();
        let scopes = serde_json::to_string(&scopes).unwrap_or_default();
        let wanted = usize::try_from(fetch).unwrap_or(usize::MAX);
        let mut newest_ids = self.conn.prepare_cached(TERMS_NEWEST)?;
        let mut among = self.conn.prepare_cached(CANDIDATES_AMONG_IDS)?;
        let mut found: Vec<RankCandidate> = Vec::new();
        let (mut scanned, mut below) = (0_i64, i64::MAX);
        while found.len() < wanted {
            let missing = i64::try_from(wanted - found.len()).unwrap_or(i64::MAX);
            let room = missing.min(RANK_SCAN - scanned);
            if room <= 0 {
                break;
            }
            let ids = newest_ids
                .query_map(params![words, below, room], |row| row.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            scanned += i64::try_from(ids.len()).unwrap_or(i64::MAX);
            below = ids.last().copied().unwrap_or(below);
            let chunk = serde_json::to_string(&ids).unwrap_or_default();
            let params = params![chunk, scopes, filters.since, filters.until, filters.from];
            let rows = among.query_map(params, |row| {
                Ok(RankCandidate {
                    id: row.get(0)?,
                    c: row.get(1)?,
                })
            })?;
            found.extend(rows.collect::<Result<Vec<_>, _>>()?);
            if i64::try_from(ids.len()).unwrap_or(i64::MAX) < room {
                // The words have no more hits: what was found is every candidate.
                found.truncate(wanted);
                return Ok(found);
            }
        }
        if found.len() >= wanted {
            found.truncate(wanted);
            return Ok(found);
        }
        let newest = self.newest_matches(expression, filters, fetch)?;
        Ok(newest
            .into_iter()
            .map(|message| RankCandidate {
                id: message.id,
                c: message.c,
            })
            .collect())
    }

    /// The whole messages of ranked candidates, in the candidates' order (one that was deleted
    /// since it was ranked is left out).
    fn messages_in_order(&self, best: &[RankCandidate]) -> Result<Vec<MessageEvent>, StoreError> {
        let ids: Vec<i64> = best.iter().map(|candidate| candidate.id).collect();
        let ids = serde_json::to_string(&ids).unwrap_or_default();
        let mut statement = self.conn.prepare_cached(&search_sql(MESSAGES_BY_IDS))?;
        let mut by_id: std::collections::HashMap<i64, MessageEvent> = statement
            .query_map(params![ids], rows::message_from_row)?
            .map(|row| row.map(|message| (message.id, message)))
            .collect::<Result<_, _>>()?;
        Ok(best
            .iter()
            .filter_map(|candidate| by_id.remove(&candidate.id))
            .collect())
    }

    /// Sealed-channel search: messages whose current blind tokens include ALL `tokens`, newest
    /// first. No tokens is an empty result.
    pub fn search_blind(
        &self,
        channel: &str,
        tokens: &[String],
        options: &SearchOptions,
    ) -> Result<Vec<MessageEvent>, StoreError> {
        let mut distinct: Vec<&String> = Vec::with_capacity(tokens.len());
        for token in tokens {
            if !token.is_empty() && !distinct.contains(&token) {
                distinct.push(token);
            }
        }
        if distinct.is_empty() {
            return Ok(Vec::new());
        }
        if distinct.len() > MAX_BLIND_TOKENS {
            return Err(StoreError::BadQuery(format!(
                "a search has at most {MAX_BLIND_TOKENS} tokens"
            )));
        }
        let limit = i64::from(options.limit.min(proto::SEARCH_MAX_LIMIT));
        let mut values: Vec<Value> = vec![
            Value::Text(proto::channel_scope(channel)),
            Value::Integer(options.since_ms.unwrap_or(i64::MIN)),
            Value::Integer(options.until_ms.unwrap_or(i64::MAX)),
            options.from.clone().map_or(Value::Null, Value::Text),
            Value::Integer(limit),
        ];
        values.extend(distinct.iter().map(|token| Value::Text((*token).clone())));
        let params: Vec<&dyn ToSql> = values.iter().map(|value| value as &dyn ToSql).collect();
        let mut statement = self.conn.prepare_cached(&blind_sql(distinct.len()))?;
        let rows = statement.query_map(params.as_slice(), rows::message_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

/// Expands a search template (`{M}`: the message columns `message_from_row` reads).
pub(crate) fn search_sql(template: &str) -> String {
    sql(template)
}

/// The blind search for `count` tokens: walk the first token's postings newest first and probe
/// the others by primary key. Parameters: ?1 scope, ?2 since, ?3 until, ?4 from, ?5 limit,
/// ?6… the tokens.
pub(crate) fn blind_sql(count: usize) -> String {
    let mut joins = String::new();
    for n in 1..count {
        joins.push_str(&format!(
            " JOIN blind_tokens b{n} ON b{n}.scope = b0.scope AND b{n}.token = ?{param} AND b{n}.msg_id = b0.msg_id",
            param = n + 6
        ));
    }
    sql(&format!(
        "SELECT {{M}} FROM blind_tokens b0{joins}
         JOIN messages m ON m.id = b0.msg_id
         WHERE b0.scope = ?1 AND b0.token = ?6 AND m.ts >= ?2 AND m.ts < ?3
           AND (?4 IS NULL OR m.sender = ?4 COLLATE NOCASE) AND m.deleted = 0
         ORDER BY b0.msg_id DESC LIMIT ?5"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::history::plan_tests::{assert_index_ranges, latest_schema, plan};

    #[test]
    fn search_queries_use_the_fts_index_and_blind_postings() {
        let (_dir, conn) = latest_schema();
        let newest = plan(&conn, &search_sql(SEARCH_NEWEST));
        assert!(
            newest.iter().any(|line| line.contains("VIRTUAL TABLE")),
            "{newest:?}"
        );
        assert_index_ranges("search newest", &newest, false);
        let words = plan(&conn, TERMS_NEWEST);
        assert!(
            words.iter().any(|line| line.contains("VIRTUAL TABLE")),
            "{words:?}"
        );
        for (name, query) in [
            ("candidates among ids", CANDIDATES_AMONG_IDS.to_string()),
            ("messages by ids", search_sql(MESSAGES_BY_IDS)),
        ] {
            let among = plan(&conn, &query);
            assert!(
                among
                    .iter()
                    .any(|line| line.contains("INTEGER PRIMARY KEY")),
                "{name}: messages looked up by id: {among:?}"
            );
            assert_index_ranges(name, &among, true);
        }
        for count in [1, 2, 5] {
            let lines = plan(&conn, &blind_sql(count));
            assert_index_ranges("blind search", &lines, false);
        }
    }
}
