//! Relevance order for ranked search, computed on the candidate set alone. FTS5's `bm25()` needs
//! each phrase's document frequency over the whole index, which it counts by walking the
//! phrase's full posting list on every query — O(channel size) for a common word and for the
//! channel-restriction phrase that matches every message of the channel (35–130 ms at 1 M
//! messages). Instead, the newest `RANK_CANDIDATES` matches are fetched in rowid order (as fast
//! as a newest-first search) and ranked here with Okapi BM25 (k1 = 1.2, b = 0.75) whose
//! statistics — document count, document frequencies, average length — are those of the
//! candidates. Which messages are found is still decided by FTS5 (or, for an AND led by its
//! rarest term, by the exact same split of an ASCII text, see `rank_fetch`); only their order is
//! computed here. Used by `rank_fetch`.

use super::fts::Term;

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalisation.
const B: f64 = 0.75;
/// FTS5 cuts longer tokens (of the text and of the query) to this many bytes
/// (`FTS5_MAX_TOKEN_SIZE`), so a text this long may match where whole tokens would not.
const FTS5_MAX_TOKEN_BYTES: usize = 32_768;

/// Sorts `candidates` (newest first, as fetched) best first by BM25 of `terms` over their
/// `text`, ties newest first, and keeps the first `limit`.
#[cfg(test)]
pub(crate) fn rank_candidates<T>(
    terms: &[Term],
    mut candidates: Vec<T>,
    text: impl Fn(&T) -> Option<&str>,
    limit: usize,
) -> Vec<T> {
    let mut counter = TermCounter::new(terms);
    let documents: Vec<Counted> = candidates
        .iter()
        .map(|candidate| counter.count(text(candidate).unwrap_or_default()))
        .collect();
    let mut slots: Vec<Option<T>> = candidates.drain(..).map(Some).collect();
    best_first(&documents, limit)
        .into_iter()
        .filter_map(|index| slots[index].take())
        .collect()
}

/// The indexes of the `limit` best `documents` (newest first, as fetched) by BM25, best first,
/// ties newest first.
pub(crate) fn best_first(documents: &[Counted], limit: usize) -> Vec<usize> {
    let scores = bm25_scores(documents);
    // Candidates arrive newest first; a stable sort by score keeps that order among ties.
    let mut order: Vec<usize> = (0..documents.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order.truncate(limit);
    order
}

/// What ranking needs of one document: each term's occurrences and its length in tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Counted {
    pub(crate) counts: Vec<u32>,
    pub(crate) length: u32,
    /// The text was split exactly as FTS5's `unicode61` splits it (ASCII, no over-long token),
    /// so "every count is above zero" is exactly "FTS5 finds every term in it".
    pub(crate) exact: bool,
}

impl Counted {
    /// Every term occurs (meaningful as "FTS5 matches it" only when `exact`).
    pub(crate) fn has_every_term(&self) -> bool {
        self.counts.iter().all(|&count| count > 0)
    }
}

/// Counts the terms of a query in one text after another, reusing its buffers (the candidates'
/// text is most of a ranked search's work: no allocation per token or per text but the counts).
pub(crate) struct TermCounter {
    needles: Vec<Needle>,
    lowered: String,
    tokens: Vec<(usize, usize)>,
}

impl TermCounter {
    pub(crate) fn new(terms: &[Term]) -> TermCounter {
        TermCounter {
            needles: terms.iter().map(Needle::from_term).collect(),
            lowered: String::new(),
            tokens: Vec::new(),
        }
    }

    /// Whether the query's terms are tokenized exactly as FTS5 tokenizes them (ASCII, not
    /// over-long), so [`Counted::exact`] texts can be matched here instead of by FTS5.
    pub(crate) fn is_exact(&self) -> bool {
        self.needles.iter().all(|needle| {
            !needle.tokens.is_empty()
                && needle
                    .tokens
                    .iter()
                    .all(|token| token.is_ascii() && token.len() < FTS5_MAX_TOKEN_BYTES)
        })
    }

    /// The terms' occurrences in `text` and its length in tokens. ASCII text is split in place
    /// (tokens compared ignoring ASCII case); other text is lowercased first.
    pub(crate) fn count(&mut self, text: &str) -> Counted {
        let ascii = text.is_ascii();
        let source = if ascii {
            text
        } else {
            lowercase_into(text, &mut self.lowered);
            self.lowered.as_str()
        };
        split_token_ranges(source, &mut self.tokens);
        let counts = self
            .needles
            .iter()
            .map(|needle| needle.count_in(source, &self.tokens))
            .collect();
        Counted {
            counts,
            length: u32::try_from(self.tokens.len()).unwrap_or(u32::MAX),
            exact: ascii && text.len() < FTS5_MAX_TOKEN_BYTES,
        }
    }
}

/// BM25 score of every document, from per-term occurrence counts and token lengths.
fn bm25_scores(documents: &[Counted]) -> Vec<f64> {
    let total = documents.len() as f64;
    let Some(first) = documents.first() else {
        return Vec::new();
    };
    let term_count = first.counts.len();
    let average_length = (documents
        .iter()
        .map(|document| f64::from(document.length))
        .sum::<f64>()
        / total)
        .max(1.0);
    let idf: Vec<f64> = (0..term_count)
        .map(|term| {
            let frequency = documents.iter().filter(|d| d.counts[term] > 0).count() as f64;
            // The "+1" form of Lucene: never negative, so a word in every candidate still counts.
            (1.0 + (total - frequency + 0.5) / (frequency + 0.5)).ln()
        })
        .collect();
    documents
        .iter()
        .map(|document| {
            let norm = K1 * (1.0 - B + B * f64::from(document.length) / average_length);
            document
                .counts
                .iter()
                .zip(&idf)
                .map(|(&count, idf)| {
                    let tf = f64::from(count);
                    idf * tf * (K1 + 1.0) / (tf + norm)
                })
                .sum()
        })
        .collect()
}

/// One search term as lowercase tokens in sequence, the last one a prefix for `pre*` (as FTS5
/// reads a quoted string followed by `*`).
struct Needle {
    tokens: Vec<String>,
    last_is_prefix: bool,
}

impl Needle {
    fn from_term(term: &Term) -> Needle {
        match term {
            Term::Word(text) | Term::Phrase(text) => Needle {
                tokens: tokenize(text),
                last_is_prefix: false,
            },
            Term::Prefix(stem) => Needle {
                tokens: tokenize(stem),
                last_is_prefix: true,
            },
        }
    }

    /// Occurrences in a document split into `tokens` (byte ranges of `text`, which is ASCII or
    /// already lowercase).
    fn count_in(&self, text: &str, tokens: &[(usize, usize)]) -> u32 {
        let Some(width) = (!self.tokens.is_empty()).then_some(self.tokens.len()) else {
            return 0;
        };
        let bytes = text.as_bytes();
        let count =
            tokens
                .windows(width)
                .filter(|window| {
                    window.iter().zip(&self.tokens).enumerate().all(
                        |(at, (&(from, to), needle))| {
                            let token = &bytes[from..to];
                            let needle = needle.as_bytes();
                            if self.last_is_prefix && at + 1 == width {
                                token.len() >= needle.len()
                                    && token[..needle.len()].eq_ignore_ascii_case(needle)
                            } else {
                                token.eq_ignore_ascii_case(needle)
                            }
                        },
                    )
                })
                .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }
}

/// Lowercase runs of letters and digits (close to FTS5's `unicode61`; diacritics are kept, so
/// a folded match counts as zero occurrences here — it was still found, only ranked lower).
fn tokenize(text: &str) -> Vec<String> {
    let mut lowered = String::new();
    lowercase_into(text, &mut lowered);
    let mut ranges = Vec::new();
    split_token_ranges(&lowered, &mut ranges);
    ranges
        .into_iter()
        .map(|(from, to)| lowered[from..to].to_string())
        .collect()
}

/// `text` in lowercase, written over `into` (ASCII text, the common case, without a per-char
/// walk).
fn lowercase_into(text: &str, into: &mut String) {
    into.clear();
    if text.is_ascii() {
        into.push_str(text);
        into.make_ascii_lowercase();
    } else {
        into.extend(text.chars().flat_map(char::to_lowercase));
    }
}

/// The runs of letters and digits of `text` (ASCII byte by byte; other text by chars) as byte
/// ranges, written over `into`.
fn split_token_ranges(text: &str, into: &mut Vec<(usize, usize)>) {
    into.clear();
    let mut start = None;
    if !text.is_ascii() {
        for (index, c) in text.char_indices() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(index),
                (false, Some(from)) => {
                    into.push((from, index));
                    start = None;
                }
                _ => {}
            }
        }
    } else {
        for (index, byte) in text.bytes().enumerate() {
            match (byte.is_ascii_alphanumeric(), start) {
                (true, None) => start = Some(index),
                (false, Some(from)) => {
                    into.push((from, index));
                    start = None;
                }
                _ => {}
            }
        }
    }
    if let Some(from) = start {
        into.push((from, text.len()));
    }
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
