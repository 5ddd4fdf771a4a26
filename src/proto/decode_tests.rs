//! Unit tests of `decode_client_frame`'s two paths: the fast one (head, then frame, from the
//! text) answers exactly as the explained one (through a JSON tree) wherever it answers, and it
//! does answer for well-formed frames.

use super::client_decode::decode_well_formed_client_frame;
use super::decode_client_frame_explained;

const WELL_FORMED: &[&str] = &[
    r#"{"t":"auth","u":"alice","pw":"correct horse","pk":"AAAA","register":true,"rid":"x"}"#,
    r#"{"t":"join","ch":"ops","create":{"mode":"sealed","salt":"s","kdf":{"alg":"argon2id","m":65536,"t":3,"p":1},"kcv":"k"}}"#,
    r#"{"t":"msg","ch":"ops","c":"e","enc":"xc20p1","idx":["a"],"reply_to":1234}"#,
    r#"{"t":"msg","ch":"general","c":"caf\u00e9 \"quoted\" \\ 👍","rid":null}"#,
    r#"{"rid":"first","t":"msg","ch":"general","c":"rid before t"}"#,
    r#"{"t":"react","ch":"general","id":1,"emoji":"👍","on":true}"#,
    r#"{"t":"history","ch":"general","after":41,"limit":500}"#,
    r#"{"t":"search","ch":"ops","idx":["tok"],"limit":30}"#,
    r#"{"t":"rewind","ch":"general","at":1764000000000,"limit":50}"#,
    r#"{"t":"typing","to":"bob","on":true,"unknown_field":{"nested":[1,2,3]}}"#,
    r#"{"t":"status","state":"away","text":"lunch"}"#,
    r#"{"t":"vleave"}"#,
    r#"  {"t":"ping","rid":"p"}  "#,
    r#"{"t":"m\u0073g","ch":"general","c":"an escaped t"}"#,
    r#"{"t":"edit","ch":"general","id":12,"c":"fixed","as":"bob"}"#,
    r#"{"t":"delete","ch":"general","id":12}"#,
    r#"{"t":"dm","to":"bob","c":"e","enc":"x25519-xc20p1","reply_to":null}"#,
    r#"{"t":"mark","dm":"bob","id":77}"#,
    r#"{"t":"history","dm":"bob","before":9,"limit":18446744073709551615}"#,
    r#"{"t":"search","ch":"general","q":"deploy","sort":"rank"}"#,
    r#"{"t":"leave","ch":"general","rid":"l"}"#,
    r#"{"t":"who","ch":"general"}"#,
    r#"{"t":"auth","u":"bob","session":"tok","presences":true}"#,
    r#"{"t":"password","pw":"old \"one\"","new_pw":"new one","rid":"pw"}"#,
];

const ILL_FORMED: &[&str] = &[
    "",
    "not json",
    "[1,2]",
    r#"["ping"]"#,
    r#" ["ping",null]"#,
    r#"["msg","general","a JSON array is not a frame"]"#,
    r#"{"t":"msg","ch":"general","c":"x","reply_to":1.5}"#,
    r#"{"t":"history","ch":"general","limit":-1}"#,
    r#"{"t":"react","ch":"general","id":1,"emoji":"x"}"#,
    r#"{"t":"auth","pw":"no user name"}"#,
    r#"{"t":"password","pw":"only the old one"}"#,
    r#"{"t":"ping"} trailing"#,
    r#"{"t":7}"#,
    r#"{"rid":"x"}"#,
    r#"{"t":"nosuchframe","rid":"x"}"#,
    r#"{"t":"ping","rid":7}"#,
    r#"{"t":"ping","t":"msg","ch":"general","c":"the tree keeps the last t"}"#,
    r#"{"t":"ping","rid":"a","rid":"b"}"#,
    r#"{"t":"msg","ch":"general","c":7}"#,
    r#"{"t":"edit","ch":"general","id":"x","c":"y"}"#,
    r#"{"t":"msg","ch":"general","c":"\ud800"}"#,
];

#[test]
fn the_fast_path_decodes_every_well_formed_frame_as_the_tree_does() {
    for text in WELL_FORMED {
        let fast = decode_well_formed_client_frame(text).unwrap_or_else(|| panic!("{text}"));
        let explained = decode_client_frame_explained(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fast, explained, "{text}");
    }
    let long_rid = format!(r#"{{"t":"ping","rid":"{}"}}"#, "r".repeat(65));
    assert!(decode_well_formed_client_frame(&long_rid).is_none());
}

#[test]
fn where_the_fast_path_answers_for_an_odd_frame_it_agrees_with_the_tree() {
    for text in ILL_FORMED {
        if let Some(fast) = decode_well_formed_client_frame(text) {
            assert_eq!(
                Some(fast),
                decode_client_frame_explained(text).ok(),
                "{text}"
            );
        }
    }
}
