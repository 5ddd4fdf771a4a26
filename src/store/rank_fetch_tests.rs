use super::*;

#[test]
fn a_rare_term_leads_an_and_with_a_common_one() {
    // The fifth pass's benchmark: words in 95.7 % and 0.3 % of the messages.
    assert_eq!(lead_by_density(&[0.957, 0.003]), Some(1));
    assert_eq!(lead_by_density(&[0.003, 0.957, 0.9]), Some(0));
    // A word in every message costs nothing to check on the rare word's candidates.
    assert_eq!(lead_by_density(&[1.0, 0.2]), Some(1));
    // A term with no hits at all: walking it finds nothing at once.
    assert_eq!(lead_by_density(&[0.5, 0.0]), Some(1));
}

#[test]
fn terms_of_similar_frequency_are_left_to_fts5s_and() {
    // Words in 27 % and 3 %: reading ~3.7 rows per candidate costs more than FTS5's walk.
    assert_eq!(lead_by_density(&[0.27, 0.03]), None);
    assert_eq!(lead_by_density(&[0.01, 0.01]), None);
    assert_eq!(lead_by_density(&[]), None);
}

#[test]
fn a_terms_density_comes_from_the_span_of_its_newest_hits() {
    let dense: Vec<i64> = (0..LEAD_PROBE).map(|n| 1_000 - n).collect();
    assert!((term_density(&dense, 1_000) - 1.0).abs() < 1e-9);
    let sparse: Vec<i64> = (0..LEAD_PROBE).map(|n| 1_000_000 - 100 * n).collect();
    let density = term_density(&sparse, 1_000_000);
    assert!((density - 0.01).abs() < 0.001, "{density}");
    // Fewer hits than the probe asked for: those are all of them, over every id.
    assert!((term_density(&[900, 10], 1_000) - 0.002).abs() < 1e-9);
    assert_eq!(term_density(&[], 1_000), 0.0);
}
