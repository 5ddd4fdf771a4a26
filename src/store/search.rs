//! Search queries of [`StoreReader`]: FTS5 full-text search over open channels (newest first, or
//! BM25 over the newest candidates, see `rank_fetch` and `rank`) and blind-token search in a
//! sealed channel.
//! Results are folded messages from the `messages` current state; deleted messages are never
//! found (their index entries are removed on delete) and edited ones are found by their latest
//! text.

use rusqlite::types::Value;
use rusqlite::{ToSql, params};

use super::error::StoreError;
use super::fts;
use super::history::sql;
use super::rank_fetch::RankedQuery;
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

/// A search's time and sender filters.
pub(crate) struct SearchFilters<'a> {
    pub(crate) since: i64,
    pub(crate) until: i64,
    pub(crate) from: Option<&'a str>,
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
                let query = RankedQuery {
                    terms: &terms,
                    channels,
                    expression: &expression,
                    filters: &filters,
                };
                self.ranked_search(&query, limit)?
            }
            SearchSort::Newest => self.newest_matches(&expression, &filters, limit)?,
        })
    }

    /// The newest `limit` matches of a full MATCH expression (terms and channel phrase).
    pub(crate) fn newest_matches(
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
    use crate::store::rank_fetch::{
        CANDIDATES_AMONG_IDS, MESSAGES_BY_IDS, ROW_MATCHES, TERMS_NEWEST,
    };

    #[test]
    fn search_queries_use_the_fts_index_and_blind_postings() {
        let (_dir, conn) = latest_schema();
        let newest = plan(&conn, &search_sql(SEARCH_NEWEST));
        assert!(
            newest.iter().any(|line| line.contains("VIRTUAL TABLE")),
            "{newest:?}"
        );
        assert_index_ranges("search newest", &newest, false);
        for query in [TERMS_NEWEST, ROW_MATCHES] {
            let words = plan(&conn, query);
            assert!(
                words.iter().any(|line| line.contains("VIRTUAL TABLE")),
                "{words:?}"
            );
        }
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
