//! Safe translation of a user's search text into an FTS5 MATCH expression. The user's syntax is
//! small — words (all must match), `pre*` prefixes and `"quoted phrases"` — and every term is
//! re-emitted as a quoted FTS5 string, so FTS5 operators, column filters, parentheses or stray
//! quotes in the input are only ever searched for as text and can never reach the parser as
//! syntax. Also the per-channel token that restricts a search to a list of channels. Pure; used
//! by `reader` (queries) and `append`/`migrations` (indexing).

use super::error::StoreError;
use crate::model::limits::MAX_SEARCH_TERMS;

/// Fewest letters before a `*`.
pub(crate) const MIN_PREFIX_CHARS: usize = 2;

/// One term of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term {
    Word(String),
    Prefix(String),
    Phrase(String),
}

/// Splits the user's text into terms. Terms with no letter or digit are dropped (they could not
/// match anything); an unterminated quote runs to the end of the text. No terms at all is
/// `Ok(empty)`, which the caller answers with an empty result.
pub(crate) fn parse_query(text: &str) -> Result<Vec<Term>, StoreError> {
    let mut terms = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&next) = chars.peek() {
        if next.is_whitespace() {
            chars.next();
            continue;
        }
        let term = if next == '"' {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
            Term::Phrase(phrase)
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            word_term(word)?
        };
        let text = match &term {
            Term::Word(text) | Term::Prefix(text) | Term::Phrase(text) => text,
        };
        if text.chars().any(char::is_alphanumeric) {
            terms.push(term);
        }
    }
    if terms.len() > MAX_SEARCH_TERMS {
        return Err(StoreError::BadQuery(format!(
            "a search has at most {MAX_SEARCH_TERMS} words or phrases"
        )));
    }
    Ok(terms)
}

fn word_term(word: String) -> Result<Term, StoreError> {
    let Some(stem) = word.strip_suffix('*') else {
        return Ok(Term::Word(word));
    };
    let stem = stem.trim_end_matches('*');
    // The prefix applies to the last run of letters/digits (that is what FTS5 will expand).
    let last_run = stem
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric())
        .count();
    if last_run < MIN_PREFIX_CHARS {
        if !stem.chars().any(char::is_alphanumeric) {
            return Ok(Term::Word(String::new()));
        }
        return Err(StoreError::BadQuery(format!(
            "a prefix search needs at least {MIN_PREFIX_CHARS} letters before the *"
        )));
    }
    Ok(Term::Prefix(stem.to_string()))
}

/// The MATCH expression: all terms on column `c`, restricted to the channel tokens on `ch`.
/// `None` when there is nothing to search (no terms or no channels).
pub(crate) fn match_expression(terms: &[Term], channels: &[String]) -> Option<String> {
    if channels.is_empty() {
        return None;
    }
    let text = terms_expression(terms)?;
    let scope = channels
        .iter()
        .map(|channel| quote(&channel_token(channel)))
        .collect::<Vec<_>>()
        .join(" OR ");
    Some(format!("{text} AND ch : ({scope})"))
}

/// The FTS5 expression matching every term in the `c` column, in any channel (ranked search
/// restricts the channels outside FTS5 first, see `search`). `None` for no terms.
pub(crate) fn terms_expression(terms: &[Term]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    let text = terms
        .iter()
        .map(|term| match term {
            Term::Word(word) | Term::Phrase(word) => quote(word),
            Term::Prefix(stem) => format!("{} *", quote(stem)),
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    Some(format!("c : ({text})"))
}

/// The token stored in the FTS `ch` column: `ch` + the channel name in hex, one unambiguous
/// alphanumeric token for every valid channel name (`my-chan` and `my_chan` differ).
pub(crate) fn channel_token(channel: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut token = String::with_capacity(2 + channel.len() * 2);
    token.push_str("ch");
    for byte in channel.bytes() {
        token.push(char::from(HEX[usize::from(byte >> 4)]));
        token.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    token
}

/// An FTS5 string: double quotes around, inner double quotes doubled.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Term> {
        parse_query(text).expect("a valid query")
    }

    #[test]
    fn splits_words_prefixes_and_phrases() {
        assert_eq!(
            words(r#"  deploy  dep* "build failed" "#),
            vec![
                Term::Word("deploy".into()),
                Term::Prefix("dep".into()),
                Term::Phrase("build failed".into()),
            ]
        );
        assert_eq!(
            words(r#"say "unterminated phrase"#),
            vec![
                Term::Word("say".into()),
                Term::Phrase("unterminated phrase".into())
            ]
        );
    }

    #[test]
    fn fts_syntax_in_input_is_quoted_not_interpreted() {
        let terms = words(r#"NEAR(a b) c:secret OR -x ^start {c ch}:y"#);
        let expression = match_expression(&terms, &["general".into()]).expect("terms");
        assert_eq!(
            expression,
            r#"c : ("NEAR(a" AND "b)" AND "c:secret" AND "OR" AND "-x" AND "^start" AND "{c" AND "ch}:y") AND ch : ("ch67656e6572616c")"#
        );
    }

    #[test]
    fn drops_terms_without_letters_and_rejects_short_prefixes() {
        assert_eq!(words(r#"!!! * "" "?" -- "#), Vec::<Term>::new());
        assert!(matches!(
            parse_query("d*"),
            Err(StoreError::BadQuery(message)) if message.contains("at least 2")
        ));
        assert_eq!(words("déploy**"), vec![Term::Prefix("déploy".into())]);
    }

    #[test]
    fn too_many_terms_is_a_typed_error() {
        let text = (0..=MAX_SEARCH_TERMS)
            .map(|n| format!("w{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(matches!(parse_query(&text), Err(StoreError::BadQuery(_))));
    }

    #[test]
    fn channel_tokens_are_distinct_for_similar_names() {
        assert_ne!(channel_token("my-chan"), channel_token("my_chan"));
        assert_eq!(channel_token("ab"), "ch6162");
        assert_eq!(match_expression(&words("x"), &[]), None);
    }
}
