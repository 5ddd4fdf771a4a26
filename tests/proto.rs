//! The wire types of `chatify::proto` against the exact JSON of PROTOCOL.md: client frames
//! decode (or are refused with the right error code and the `rid` echoed), server frames encode
//! with the binding field names, and the name rules for users and channels hold.

use chatify::proto::{
    self, ChannelMode, ClientFrame, ErrorCode, MessageEvent, ServerFrame, decode_client_frame,
};
use chatify::proto::{AuthFrame, HistoryFrame, JoinFrame};
use serde_json::{Value, json};

#[test]
fn refused_frames_get_the_documented_error_codes() {
    let cases: &[(&str, ErrorCode, Option<&str>)] = &[
        ("not json", ErrorCode::BadFrame, None),
        ("[1,2]", ErrorCode::BadFrame, None),
        (r#"{"rid":"a"}"#, ErrorCode::BadFrame, Some("a")),
        (r#"{"t":5,"rid":"b"}"#, ErrorCode::BadFrame, Some("b")),
        (
            r#"{"t":"shout","rid":"c"}"#,
            ErrorCode::UnknownType,
            Some("c"),
        ),
        (r#"{"t":"msg","rid":"d"}"#, ErrorCode::BadFrame, Some("d")),
        (
            r#"{"t":"msg","ch":"general","c":7}"#,
            ErrorCode::BadFrame,
            None,
        ),
        (
            r#"{"t":"edit","ch":"general","id":"x","c":"y"}"#,
            ErrorCode::BadFrame,
            None,
        ),
        (r#"{"t":"ping","rid":7}"#, ErrorCode::BadFrame, None),
    ];
    for (text, code, rid) in cases {
        let error = decode_client_frame(text).expect_err(text);
        assert_eq!(error.code, *code, "{text}");
        assert_eq!(error.rid.as_deref(), *rid, "{text}");
        assert!(!error.message.is_empty());
    }
    let long_rid = format!(r#"{{"t":"ping","rid":"{}"}}"#, "r".repeat(65));
    assert_eq!(
        decode_client_frame(&long_rid).unwrap_err().code,
        ErrorCode::BadFrame
    );
}

#[test]
fn client_frames_of_the_protocol_decode() {
    let (frame, rid) = decode_client_frame(
        r#"{"t":"auth","u":"alice","pw":"correct horse","pk":"AAAA","register":true,"rid":"x"}"#,
    )
    .unwrap();
    assert_eq!(rid.as_deref(), Some("x"));
    assert!(matches!(
        frame,
        ClientFrame::Auth(AuthFrame { register: true, .. })
    ));
    let (frame, _) = decode_client_frame(
        r#"{"t":"join","ch":"ops","create":{"mode":"sealed","salt":"s","kdf":{"alg":"argon2id","m":65536,"t":3,"p":1},"kcv":"k"}}"#,
    )
    .unwrap();
    let ClientFrame::Join(JoinFrame {
        create: Some(create),
        ..
    }) = frame
    else {
        panic!("join")
    };
    assert_eq!(create.mode, ChannelMode::Sealed);
    assert_eq!(create.kdf.unwrap().m, 65536);
    for text in [
        r#"{"t":"msg","ch":"ops","c":"e","enc":"xc20p1","idx":["a"],"reply_to":1234}"#,
        r#"{"t":"react","ch":"general","id":1,"emoji":"👍","on":true}"#,
        r#"{"t":"history","ch":"general","after":41,"limit":500}"#,
        r#"{"t":"search","ch":"ops","idx":["tok"],"limit":30}"#,
        r#"{"t":"rewind","ch":"general","at":1764000000000,"limit":50}"#,
        r#"{"t":"typing","to":"bob","on":true}"#,
        r#"{"t":"status","state":"away","text":"lunch"}"#,
        r#"{"t":"vleave"}"#,
        r#"{"t":"ping","rid":"p"}"#,
    ] {
        decode_client_frame(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

#[test]
fn server_frames_use_the_binding_field_names() {
    let msg = ServerFrame::Msg(MessageEvent {
        ch: "general".into(),
        id: 1235,
        seq: 42,
        u: "alice".into(),
        c: Some("hello".into()),
        ts: 1,
        enc: None,
        reply_to: None,
        edited: None,
        deleted: false,
        reacts: None,
        sys: None,
    });
    let value: Value = serde_json::from_str(&msg.to_json()).unwrap();
    assert_eq!(
        value,
        json!({"t":"msg","ch":"general","id":1235,"seq":42,"u":"alice","c":"hello","ts":1})
    );
    let error = ServerFrame::error(ErrorCode::NotMember, "not a member", Some("r".into()));
    let value: Value = serde_json::from_str(&error.to_json()).unwrap();
    assert_eq!(
        value,
        json!({"t":"err","code":"not_member","m":"not a member","rid":"r"})
    );
    let ack = ServerFrame::Ack {
        rid: Some("c1".into()),
        id: 9,
        seq: Some(3),
        ts: 5,
    };
    let value: Value = serde_json::from_str(&ack.to_json()).unwrap();
    assert_eq!(value, json!({"t":"ack","rid":"c1","id":9,"seq":3,"ts":5}));
}

#[test]
fn a_deleted_folded_message_carries_no_content() {
    let deleted = MessageEvent {
        ch: "general".into(),
        id: 7,
        seq: 3,
        u: "bob".into(),
        c: None,
        ts: 10,
        enc: None,
        reply_to: None,
        edited: None,
        deleted: true,
        reacts: None,
        sys: None,
    };
    let value: Value = serde_json::to_value(ServerFrame::Msg(deleted)).unwrap();
    assert_eq!(
        value,
        json!({"t":"msg","ch":"general","id":7,"seq":3,"u":"bob","ts":10,"deleted":true})
    );
}

#[test]
fn server_frames_roundtrip_through_the_client_decoder() {
    let text = r#"{"t":"ok","u":"alice","session":"tok","proto":1,
        "server":{"name":"chatify","version":"0.1.0","max_frame":65536},
        "users":[{"u":"bob","pk":"pk","online":true,"state":"online","text":""}],
        "channels":[{"ch":"general","mode":"open","members":2,"seq":41}]}"#;
    let ServerFrame::Ok {
        users, channels, ..
    } = proto::decode_server_frame(text).unwrap()
    else {
        panic!("ok frame")
    };
    assert_eq!(users[0].u, "bob");
    assert_eq!(channels[0].seq, 41);
    let unknown = proto::decode_server_frame(r#"{"t":"err","code":"new_code","m":"x"}"#).unwrap();
    assert!(matches!(
        unknown,
        ServerFrame::Err {
            code: ErrorCode::Other,
            ..
        }
    ));
}

#[test]
fn names_follow_the_protocol_rules() {
    for good in ["alice", "Bob_1", "a-b", &"x".repeat(32)] {
        assert!(proto::validate_username(good).is_ok(), "{good}");
    }
    for bad in ["", "al ice", "ålice", &"x".repeat(33), "a.b"] {
        assert_eq!(
            proto::validate_username(bad).unwrap_err().code,
            ErrorCode::BadUsername
        );
    }
    assert_eq!(proto::normalize_channel("#General").unwrap(), "general");
    assert_eq!(proto::normalize_channel("ops-2_x").unwrap(), "ops-2_x");
    for bad in ["#", "", "a b", "#café", &"c".repeat(33), "##x"] {
        assert_eq!(
            proto::normalize_channel(bad).unwrap_err().code,
            ErrorCode::BadChannel
        );
    }
    assert_eq!(proto::dm_scope("Bob", "alice"), "@alice:bob");
    assert_eq!(proto::channel_scope("ops"), "#ops");
}

#[test]
fn encoded_client_frames_carry_the_rid() {
    let text = proto::encode_client_frame(&ClientFrame::Ping {}, Some("p1"));
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value, json!({"t":"ping","rid":"p1"}));
}

#[test]
fn a_limit_beyond_u32_saturates_and_a_negative_one_is_refused() {
    let limit = |text: &str| match decode_client_frame(text) {
        Ok((ClientFrame::History(HistoryFrame { limit, .. }), _)) => Ok(limit),
        Ok(other) => panic!("not history: {other:?}"),
        Err(error) => Err(error.code),
    };
    assert_eq!(
        limit(r#"{"t":"history","ch":"g","limit":99999999999999}"#),
        Ok(Some(u32::MAX))
    );
    assert_eq!(limit(r#"{"t":"history","ch":"g","limit":7}"#), Ok(Some(7)));
    assert_eq!(limit(r#"{"t":"history","ch":"g"}"#), Ok(None));
    assert_eq!(
        limit(r#"{"t":"history","ch":"g","limit":-1}"#),
        Err(ErrorCode::BadFrame)
    );
}

#[test]
fn passwords_and_session_tokens_never_print() {
    let (frame, _) =
        decode_client_frame(r#"{"t":"auth","u":"alice","pw":"correct horse","session":"tok-123"}"#)
            .unwrap();
    let printed = format!("{frame:?}");
    assert!(
        !printed.contains("correct horse") && !printed.contains("tok-123"),
        "{printed}"
    );
    let encoded = proto::encode_client_frame(&frame, None);
    assert!(encoded.contains("correct horse") && encoded.contains("tok-123"));
}
