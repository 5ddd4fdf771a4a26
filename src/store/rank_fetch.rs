//! The candidates of a ranked search (`StoreReader::search` with `SearchSort::Rank`): the newest
//! [`RANK_CANDIDATES`] matches in the asked channels, each counted for BM25 as it is read
//! (`rank::TermCounter`), then ranked (`rank::best_first`) and only the best read whole.
//!
//! The words are matched without the channel phrase (which matches every message of a channel,
//! so ANDing it walks the channel's whole posting list), newest first, in chunks no larger than
//! what is still missing, and each chunk is looked up by id, keeping those in the channels and
//! passing the filters. For an AND of words of very different frequency, FTS5's own AND walks
//! the common word's posting list across the rare word's whole span; instead the rarest term
//! alone leads (`lead_term`, from each term's newest [`LEAD_PROBE`] hits) and the others are
//! checked on each candidate's text, where the text splits exactly as FTS5's `unicode61` splits
//! it (ASCII), and by FTS5 on that one row otherwise. Either way the candidates are exactly the
//! newest matches FTS5 would give.

use rusqlite::params;

use super::error::StoreError;
use super::fts;
use super::rank::{self, Counted, TermCounter};
use super::reader::StoreReader;
use super::rows;
use super::search::{SearchFilters, search_sql};
use crate::model::MessageEvent;
use crate::proto;

/// How many of the newest matches a ranked search ranks (so a query matching most of a huge
/// channel still answers in milliseconds).
pub(crate) const RANK_CANDIDATES: i64 = 2_000;

/// How many of the newest hits of the walked words, in any channel, a ranked search looks
/// through for its candidates before it lets FTS5 restrict the channels (the full expression).
const RANK_SCAN: i64 = 4 * RANK_CANDIDATES;

/// Hits per term read to estimate how common each term of an AND is.
const LEAD_PROBE: i64 = 256;

/// What reading one candidate's row costs, in postings FTS5 walks (from the fifth pass's
/// profiles at 1 M messages: ~2.5 µs per row against ~11 ns per posting, rounded down).
const ROW_READ_COST_IN_POSTINGS: f64 = 128.0;

/// The newest matches of the words alone (no channel phrase) below an id: the rowids of
/// `message_fts` are message ids. ?1 the terms expression, ?2 the exclusive upper id, ?3 the
/// limit.
pub(crate) const TERMS_NEWEST: &str = "SELECT rowid FROM message_fts
    WHERE message_fts MATCH ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3";

/// Whether the indexed row ?2 matches the terms expression ?1.
pub(crate) const ROW_MATCHES: &str =
    "SELECT 1 FROM message_fts WHERE message_fts MATCH ?1 AND rowid = ?2";

/// The id and text of the messages among a list of ids that are in the channels and pass the
/// filters, newest first: what ranking reads (the whole rows only for the best ones). ?1 the
/// ids and ?2 the channel scopes (JSON arrays), ?3 since, ?4 until, ?5 from.
pub(crate) const CANDIDATES_AMONG_IDS: &str = "SELECT m.id, m.c FROM messages m
    WHERE m.id IN (SELECT value FROM json_each(?1))
      AND m.scope IN (SELECT value FROM json_each(?2))
      AND m.ts >= ?3 AND m.ts < ?4
      AND (?5 IS NULL OR m.sender = ?5 COLLATE NOCASE) AND m.deleted = 0
    ORDER BY m.id DESC";

/// The messages with the given ids (a JSON array), in no particular order.
pub(crate) const MESSAGES_BY_IDS: &str = "SELECT {M} FROM messages m
    WHERE m.id IN (SELECT value FROM json_each(?1)) AND m.deleted = 0";

/// Ranked-search candidates, newest first: ids and what ranking needs of each.
#[derive(Default)]
struct Candidates {
    ids: Vec<i64>,
    documents: Vec<Counted>,
}

impl Candidates {
    fn push(&mut self, id: i64, counted: Counted) {
        self.ids.push(id);
        self.documents.push(counted);
    }

    fn truncate(&mut self, wanted: usize) {
        self.ids.truncate(wanted);
        self.documents.truncate(wanted);
    }
}

/// One ranked search's query.
pub(crate) struct RankedQuery<'a> {
    pub(crate) terms: &'a [fts::Term],
    pub(crate) channels: &'a [String],
    /// The full MATCH expression (terms and channel phrase).
    pub(crate) expression: &'a str,
    pub(crate) filters: &'a SearchFilters<'a>,
}

impl StoreReader {
    /// The `limit` best matches of a ranked search, best first.
    pub(crate) fn ranked_search(
        &self,
        query: &RankedQuery,
        limit: i64,
    ) -> Result<Vec<MessageEvent>, StoreError> {
        let fetch = RANK_CANDIDATES.max(limit);
        let candidates = self.ranked_candidates(query, fetch)?;
        let keep = usize::try_from(limit).unwrap_or(0);
        let best: Vec<i64> = rank::best_first(&candidates.documents, keep)
            .into_iter()
            .map(|index| candidates.ids[index])
            .collect();
        self.messages_in_order(&best)
    }

    /// The newest `fetch` matches in the query's channels, counted (see the module comment).
    fn ranked_candidates(&self, query: &RankedQuery, fetch: i64) -> Result<Candidates, StoreError> {
        let Some(words) = fts::terms_expression(query.terms) else {
            return Ok(Candidates::default());
        };
        let mut counter = TermCounter::new(query.terms);
        let lead = self.lead_term(query.terms, &counter)?;
        let walked = lead
            .and_then(|index| fts::terms_expression(&query.terms[index..=index]))
            .unwrap_or_else(|| words.clone());
        let scopes: Vec<String> = query
            .channels
            .iter()
            .map(|ch| proto::channel_scope(ch))
            .collect();
        let scopes = serde_json::to_string(&scopes).unwrap_or_default();
        let filters = query.filters;
        let wanted = usize::try_from(fetch).unwrap_or(usize::MAX);
        let mut newest_ids = self.conn.prepare_cached(TERMS_NEWEST)?;
        let mut among = self.conn.prepare_cached(CANDIDATES_AMONG_IDS)?;
        let mut found = Candidates::default();
        let (mut scanned, mut below) = (0_i64, i64::MAX);
        while found.ids.len() < wanted {
            let missing = i64::try_from(wanted - found.ids.len()).unwrap_or(i64::MAX);
            let room = missing.min(RANK_SCAN - scanned);
            if room <= 0 {
                break;
            }
            let ids = newest_ids
                .query_map(params![walked, below, room], |row| row.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            scanned += i64::try_from(ids.len()).unwrap_or(i64::MAX);
            below = ids.last().copied().unwrap_or(below);
            let chunk = serde_json::to_string(&ids).unwrap_or_default();
            let params = params![chunk, scopes, filters.since, filters.until, filters.from];
            let mut rows = among.query(params)?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let text = row.get_ref(1)?.as_str_or_null().ok().flatten();
                let counted = counter.count(text.unwrap_or_default());
                if lead.is_none() || self.matches_every_term(&words, id, &counted)? {
                    found.push(id, counted);
                }
            }
            if i64::try_from(ids.len()).unwrap_or(i64::MAX) < room {
                // The walked words have no more hits: what was found is every candidate.
                found.truncate(wanted);
                return Ok(found);
            }
        }
        if found.ids.len() >= wanted {
            found.truncate(wanted);
            return Ok(found);
        }
        let mut found = Candidates::default();
        for message in self.newest_matches(query.expression, filters, fetch)? {
            let counted = counter.count(message.c.as_deref().unwrap_or_default());
            found.push(message.id, counted);
        }
        Ok(found)
    }

    /// A candidate found by the lead term alone matches every term: decided on its text when
    /// that splits as FTS5 splits it, else by FTS5 on its row.
    fn matches_every_term(
        &self,
        words: &str,
        id: i64,
        counted: &Counted,
    ) -> Result<bool, StoreError> {
        if counted.exact {
            return Ok(counted.has_every_term());
        }
        let mut statement = self.conn.prepare_cached(ROW_MATCHES)?;
        Ok(statement.exists(params![words, id])?)
    }

    /// The term an AND should walk alone (the others checked per candidate), when that is
    /// cheaper than FTS5's AND: `None` for one term, for terms this side cannot match exactly
    /// (non-ASCII), and when the rarest term is not rare enough against the others. Each term's
    /// frequency is estimated from the id span of its newest [`LEAD_PROBE`] hits.
    fn lead_term(
        &self,
        terms: &[fts::Term],
        counter: &TermCounter,
    ) -> Result<Option<usize>, StoreError> {
        if terms.len() < 2 || !counter.is_exact() {
            return Ok(None);
        }
        let mut statement = self.conn.prepare_cached(TERMS_NEWEST)?;
        let mut probes = Vec::with_capacity(terms.len());
        for term in terms {
            let expression = fts::terms_expression(std::slice::from_ref(term)).unwrap_or_default();
            let ids = statement
                .query_map(params![expression, i64::MAX, LEAD_PROBE], |row| {
                    row.get::<_, i64>(0)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            probes.push(ids);
        }
        let newest = probes
            .iter()
            .filter_map(|ids| ids.first())
            .copied()
            .max()
            .unwrap_or(0);
        let densities: Vec<f64> = probes.iter().map(|ids| term_density(ids, newest)).collect();
        Ok(lead_by_density(&densities))
    }
}

/// The share of ids up to `newest` that hold a term, estimated from its newest hits (all of
/// them when fewer than [`LEAD_PROBE`]).
fn term_density(newest_hits: &[i64], newest: i64) -> f64 {
    let (Some(&first), Some(&last)) = (newest_hits.first(), newest_hits.last()) else {
        return 0.0;
    };
    let hits = newest_hits.len() as f64;
    let span = if (newest_hits.len() as i64) < LEAD_PROBE {
        newest.max(1)
    } else {
        (newest.max(first) - last + 1).max(1)
    };
    hits / span as f64
}

/// The rarest term, when walking it alone and reading the rows it finds beyond the AND's costs
/// less than FTS5's AND walking the other terms' postings over its span (with the terms taken
/// as independent: of the rarest term's hits, the product of the others' densities match).
pub(crate) fn lead_by_density(densities: &[f64]) -> Option<usize> {
    let (rarest, &rare) = densities
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))?;
    if rare <= 0.0 {
        return Some(rarest);
    }
    let others = densities
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != rarest)
        .map(|(_, density)| density.min(1.0));
    let (sum, product) = others.fold((0.0, 1.0), |(sum, product), d| (sum + d, product * d));
    (sum / rare > (1.0 - product) * ROW_READ_COST_IN_POSTINGS).then_some(rarest)
}

impl StoreReader {
    /// The whole messages of the ranked ids, in that order (one that was deleted since it was
    /// ranked is left out).
    fn messages_in_order(&self, best: &[i64]) -> Result<Vec<MessageEvent>, StoreError> {
        let ids = serde_json::to_string(best).unwrap_or_default();
        let mut statement = self.conn.prepare_cached(&search_sql(MESSAGES_BY_IDS))?;
        let mut by_id: std::collections::HashMap<i64, MessageEvent> = statement
            .query_map(params![ids], rows::message_from_row)?
            .map(|row| row.map(|message| (message.id, message)))
            .collect::<Result<_, _>>()?;
        Ok(best.iter().filter_map(|id| by_id.remove(id)).collect())
    }
}

#[cfg(test)]
#[path = "rank_fetch_tests.rs"]
mod tests;
