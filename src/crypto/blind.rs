//! Blind search tokens (PROTOCOL.md §10): the words of a plaintext, each turned into
//! `base64url(keyed_hash(search_key, word)[..12])`, so the server can match sealed messages to
//! a search without seeing either. The client attaches tokens when it sends and blinds the
//! query words when it searches; both must use exactly this word rule.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Key32;

use crate::model::limits::MAX_BLIND_TOKENS;

const TOKEN_BYTES: usize = 12;

/// The words of `text`: maximal runs of `char::is_alphanumeric` characters, lowercased with
/// `str::to_lowercase` (no normalisation), kept when at least 2 Unicode scalar values long after
/// lowercasing; the first [`MAX_BLIND_TOKENS`] distinct ones in order of first appearance.
pub fn blind_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        if run.is_empty() {
            continue;
        }
        let word = run.to_lowercase();
        if word.chars().count() < 2 || words.contains(&word) {
            continue;
        }
        words.push(word);
        if words.len() == MAX_BLIND_TOKENS {
            break;
        }
    }
    words
}

/// The blind token of one (already lowercased) word.
pub fn blind_token(search_key: &Key32, word: &str) -> String {
    let hash = blake3::keyed_hash(search_key.as_bytes(), word.as_bytes());
    URL_SAFE_NO_PAD.encode(&hash.as_bytes()[..TOKEN_BYTES])
}

/// The blind tokens of the words of `text` (see [`blind_words`]), in the same order.
pub fn blind_tokens(search_key: &Key32, text: &str) -> Vec<String> {
    blind_words(text)
        .iter()
        .map(|word| blind_token(search_key, word))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_the_rule() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("a b c", &[]),
            ("Hello, HELLO hello!", &["hello"]),
            (
                "snake_case and-dash x2",
                &["snake", "case", "and", "dash", "x2"],
            ),
            ("42 is 4", &["42", "is"]),
            ("日本語のテキスト", &["日本語のテキスト"]),
            ("emoji🎉party", &["emoji", "party"]),
            ("Ǆ", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(blind_words(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn words_capped_at_64_distinct() {
        let text: String = (0..100)
            .map(|i| format!("w{} w{} ", i % 70, i % 70))
            .collect();
        let words = blind_words(&text);
        assert_eq!(words.len(), MAX_BLIND_TOKENS);
        assert_eq!(words[63], "w63");
    }

    #[test]
    fn tokens_are_16_base64url_chars_and_key_dependent() {
        let key_a = Key32::from_bytes([1; 32]);
        let key_b = Key32::from_bytes([2; 32]);
        let token = blind_token(&key_a, "deploy");
        assert_eq!(token.len(), 16);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(token, blind_token(&key_b, "deploy"));
        assert_eq!(blind_tokens(&key_a, "DEPLOY deploy"), vec![token]);
    }
}
