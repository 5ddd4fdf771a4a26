//! Relevance order for ranked search, computed on the candidate set alone. FTS5's `bm25()` needs
//! each phrase's document frequency over the whole index, which it counts by walking the
//! phrase's full posting list on every query — O(channel size) for a common word and for the
//! channel-restriction phrase that matches every message of the channel (35–130 ms at 1 M
//! messages). Instead, the newest `RANK_CANDIDATES` matches are fetched in rowid order (as fast
//! as a newest-first search) and ranked here with Okapi BM25 (k1 = 1.2, b = 0.75) whose
//! statistics — document count, document frequencies, average length — are those of the
//! candidates. Which messages are found is still decided by FTS5; only their order is computed
//! here. Used by `search`.

use super::fts::Term;

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalisation.
const B: f64 = 0.75;

/// Sorts `candidates` (newest first, as fetched) best first by BM25 of `terms` over their
/// `text`, ties newest first, and keeps the first `limit`.
pub(crate) fn rank_candidates<T>(
    terms: &[Term],
    mut candidates: Vec<T>,
    text: impl Fn(&T) -> Option<&str>,
    limit: usize,
) -> Vec<T> {
    let needles: Vec<Needle> = terms.iter().map(Needle::from_term).collect();
    // One lowercase buffer for all documents and one token list per document: the candidates'
    // text is most of a ranked search's work, so no allocation per token.
    let mut lowered = String::new();
    let documents: Vec<(Vec<u32>, usize)> = candidates
        .iter()
        .map(|candidate| {
            lowercase_into(text(candidate).unwrap_or_default(), &mut lowered);
            let tokens = split_tokens(&lowered);
            let counts = needles.iter().map(|n| n.count_in(&tokens)).collect();
            (counts, tokens.len())
        })
        .collect();
    let scores = bm25_scores(&documents, needles.len());
    // Candidates arrive newest first; a stable sort by score keeps that order among ties.
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut slots: Vec<Option<T>> = candidates.drain(..).map(Some).collect();
    order
        .into_iter()
        .take(limit)
        .filter_map(|index| slots[index].take())
        .collect()
}

/// BM25 score of every document, from per-term occurrence counts and token lengths.
fn bm25_scores(documents: &[(Vec<u32>, usize)], term_count: usize) -> Vec<f64> {
    let total = documents.len() as f64;
    if documents.is_empty() {
        return Vec::new();
    }
    let average_length =
        (documents.iter().map(|(_, length)| *length).sum::<usize>() as f64 / total).max(1.0);
    let idf: Vec<f64> = (0..term_count)
        .map(|term| {
            let frequency = documents.iter().filter(|(c, _)| c[term] > 0).count() as f64;
            // The "+1" form of Lucene: never negative, so a word in every candidate still counts.
            (1.0 + (total - frequency + 0.5) / (frequency + 0.5)).ln()
        })
        .collect();
    documents
        .iter()
        .map(|(counts, length)| {
            let norm = K1 * (1.0 - B + B * *length as f64 / average_length);
            counts
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

/// One search term as lowercase tokens.
enum Needle {
    Word(String),
    Prefix(String),
    Phrase(Vec<String>),
}

impl Needle {
    fn from_term(term: &Term) -> Needle {
        match term {
            Term::Word(word) => {
                let mut tokens = tokenize(word);
                match tokens.len() {
                    1 => Needle::Word(tokens.remove(0)),
                    _ => Needle::Phrase(tokens),
                }
            }
            Term::Prefix(stem) => Needle::Prefix(tokenize(stem).pop().unwrap_or_default()),
            Term::Phrase(phrase) => Needle::Phrase(tokenize(phrase)),
        }
    }

    /// Occurrences in a tokenized document.
    fn count_in(&self, tokens: &[&str]) -> u32 {
        let count = match self {
            Needle::Word(word) => tokens.iter().filter(|t| **t == word).count(),
            Needle::Prefix(stem) => tokens.iter().filter(|t| t.starts_with(stem)).count(),
            Needle::Phrase(words) if words.is_empty() => 0,
            Needle::Phrase(words) => tokens
                .windows(words.len())
                .filter(|window| window.iter().eq(words.iter()))
                .count(),
        };
        u32::try_from(count).unwrap_or(u32::MAX)
    }
}

/// Lowercase runs of letters and digits (close to FTS5's `unicode61`; diacritics are kept, so
/// a folded match counts as zero occurrences here — it was still found, only ranked lower).
fn tokenize(text: &str) -> Vec<String> {
    let mut lowered = String::new();
    lowercase_into(text, &mut lowered);
    split_tokens(&lowered)
        .into_iter()
        .map(str::to_string)
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

/// The runs of letters and digits of an already lowercased text (ASCII text byte by byte).
fn split_tokens(lowered: &str) -> Vec<&str> {
    let mut tokens = Vec::with_capacity(lowered.len() / 4 + 1);
    if !lowered.is_ascii() {
        let runs = lowered.split(|c: char| !c.is_alphanumeric());
        tokens.extend(runs.filter(|token| !token.is_empty()));
        return tokens;
    }
    let mut start = None;
    for (index, byte) in lowered.bytes().enumerate() {
        match (byte.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(index),
            (false, Some(from)) => {
                tokens.push(&lowered[from..index]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        tokens.push(&lowered[from..]);
    }
    tokens
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
