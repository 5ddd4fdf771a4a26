use super::*;

fn rank(terms: &[Term], texts: &[&str], limit: usize) -> Vec<String> {
    let candidates: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    rank_candidates(terms, candidates, |t| Some(t.as_str()), limit)
}

#[test]
fn more_occurrences_rank_first_and_ties_keep_newest_first() {
    let terms = [Term::Word("failed".into())];
    let ranked = rank(
        &terms,
        &["failed once", "failed, failed, failed", "failed again"],
        10,
    );
    assert_eq!(
        ranked,
        ["failed, failed, failed", "failed once", "failed again"]
    );
}

#[test]
fn rare_terms_weigh_more_than_common_ones() {
    let terms = [Term::Word("deploy".into()), Term::Word("rollback".into())];
    let ranked = rank(
        &terms,
        &[
            "deploy deploy done",
            "deploy and rollback",
            "deploy ok",
            "deploy fine",
        ],
        1,
    );
    assert_eq!(ranked, ["deploy and rollback"]);
}

#[test]
fn prefixes_phrases_and_case_are_counted() {
    let terms = [Term::Prefix("dep".into()), Term::Phrase("Went Fine".into())];
    let ranked = rank(&terms, &["deploy went", "DEPLOYMENT went fine"], 10);
    assert_eq!(ranked[0], "DEPLOYMENT went fine");
}

#[test]
fn the_limit_cuts_and_missing_text_ranks_last() {
    let terms = [Term::Word("x".into())];
    let candidates = vec![None, Some("x".to_string()), Some("y x".to_string())];
    let ranked = rank_candidates(&terms, candidates, |t| t.as_deref(), 2);
    assert_eq!(ranked, [Some("x".to_string()), Some("y x".to_string())]);
    assert!(rank(&terms, &[], 5).is_empty());
}

#[test]
fn non_ascii_text_is_lowercased_and_split_like_ascii() {
    let terms = [Term::Word("Éclair".into())];
    let ranked = rank(&terms, &["un éclair", "ÉCLAIR—éclair, au café", "cafe"], 10);
    assert_eq!(ranked, ["ÉCLAIR—éclair, au café", "un éclair", "cafe"]);
    assert_eq!(tokenize("ÉCLAIR—éclair,au"), ["éclair", "éclair", "au"]);
    assert_eq!(tokenize("Hello, WORLD 42!"), ["hello", "world", "42"]);
}

#[test]
fn counting_ascii_text_in_place_matches_counting_it_lowercased() {
    let terms = [
        Term::Word("Deploy".into()),
        Term::Prefix("fai".into()),
        Term::Phrase("went fine".into()),
    ];
    let mut counter = TermCounter::new(&terms);
    assert!(counter.is_exact());
    let counted = counter.count("DEPLOY failed; deploy FAILS. It went  Fine, deployed");
    assert_eq!(counted.counts, [2, 2, 1]);
    assert_eq!(counted.length, 8);
    assert!(counted.exact && counted.has_every_term());
    let folded = counter.count("DÉPLOY failed, went fine");
    assert!(!folded.exact, "non-ASCII text is left to FTS5");
    assert_eq!(folded.counts, [0, 1, 1]);
    assert!(!TermCounter::new(&[Term::Word("café".into())]).is_exact());
}

#[test]
fn a_prefix_after_other_words_is_a_phrase_ending_in_a_prefix() {
    let terms = [Term::Prefix("build-fa".into())];
    let mut counter = TermCounter::new(&terms);
    assert_eq!(counter.count("build failed, fast build").counts, [1]);
    assert_eq!(counter.count("failed build").counts, [0]);
}
