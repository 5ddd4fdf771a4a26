//! Durable events (PROTOCOL.md §3, §4): `msg`, `edit`, `delete`, `react` and `dm` (a DM's
//! `dm_edit`, `dm_delete` and `dm_react` are `dm_changes`). Each handler
//! validates the frame against the channel's mode (`must_encrypt` for plaintext in a sealed
//! channel or a DM, `bad_frame` for `enc` in an open one), checks membership, and submits the
//! append; the store assigns id/seq/ts and the fan-out dispatcher broadcasts and acks after commit.
//! Target checks (author, deleted, unknown) are the store's, mapped to `forbidden` /
//! `no_such_message`. Mutes and moderated channels are checked first (`governance`), and an
//! operator's `delete` of someone else's message is a moderation action. A bridge account (`ServerConfig::bridge_accounts`) may name the relayed
//! author with `as`; the event is then stored and broadcast with `u` = that `name@network`.

use super::channel_handlers::member_channel;
use super::errors::Reject;
use super::fanout::submit;
use super::governance::{check_may_speak, moderator_delete};
use super::server_state::ServerSession;
use crate::model::limits::{MAX_BLIND_TOKEN_LEN, MAX_BLIND_TOKENS, MAX_EMOJI_BYTES};
use crate::proto::{
    ChannelMode, DeleteFrame, DmFrame, ENC_XC20P1, EditFrame, ErrorCode, MsgFrame, ReactFrame,
    validate_relayed_author, validate_username,
};
use crate::store::AppendOp;

/// `msg`.
pub fn handle_msg(
    session: &ServerSession,
    message: MsgFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let channel = member_channel(session, &message.ch)?;
    check_may_speak(session, &channel)?;
    check_encryption(channel.mode, message.enc.as_deref(), message.idx.as_deref())?;
    if message.c.is_empty() {
        return Err(Reject::bad_frame("c must not be empty"));
    }
    if message.reply_to.is_some_and(|id| id <= 0) {
        return Err(Reject::bad_frame("reply_to must be a message id"));
    }
    let sender = event_sender(session, message.relayed_as)?;
    let op = AppendOp::Msg {
        channel: channel.name.clone(),
        sender,
        c: message.c,
        enc: message.enc,
        idx: message.idx.unwrap_or_default(),
        reply_to: message.reply_to,
    };
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}

/// `edit`.
pub fn handle_edit(
    session: &ServerSession,
    edit: EditFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let channel = member_channel(session, &edit.ch)?;
    check_may_speak(session, &channel)?;
    check_encryption(channel.mode, edit.enc.as_deref(), edit.idx.as_deref())?;
    if edit.c.is_empty() {
        return Err(Reject::bad_frame("c must not be empty"));
    }
    let sender = event_sender(session, edit.relayed_as)?;
    let op = AppendOp::Edit {
        channel: channel.name.clone(),
        sender,
        target: edit.id,
        c: edit.c,
        enc: edit.enc,
        idx: edit.idx,
    };
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}

/// `delete`: the author's own, or any message for an operator (recorded as a system line).
pub async fn handle_delete(
    session: &ServerSession,
    delete: DeleteFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let channel = member_channel(session, &delete.ch)?;
    let moderated = match delete.relayed_as {
        Some(_) => None,
        None => moderator_delete(session, &channel, delete.id).await?,
    };
    let op = match moderated {
        Some(op) => op,
        None => AppendOp::Delete {
            channel: channel.name.clone(),
            sender: event_sender(session, delete.relayed_as)?,
            target: delete.id,
        },
    };
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}

/// `react`.
pub fn handle_react(
    session: &ServerSession,
    react: ReactFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let ReactFrame { ch, id, emoji, on } = react;
    let channel = member_channel(session, &ch)?;
    check_may_speak(session, &channel)?;
    check_emoji(&emoji)?;
    let op = AppendOp::React {
        channel: channel.name.clone(),
        sender: session.user.to_string(),
        target: id,
        emoji,
        on,
    };
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}

/// `dm`: always end-to-end encrypted; the recipient must exist (online or not).
pub async fn handle_dm(
    session: &ServerSession,
    dm: DmFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let DmFrame {
        to,
        c,
        enc,
        reply_to,
    } = dm;
    let enc = check_dm_envelope(enc, &c)?;
    if reply_to.is_some_and(|id| id <= 0) {
        return Err(Reject::bad_frame("reply_to must be a message id"));
    }
    let op = AppendOp::Dm {
        from: session.user.to_string(),
        to: registered_peer(session, to).await?,
        c,
        enc,
        reply_to,
    };
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}

/// The `enc` of a DM or a DM edit: present (`must_encrypt` otherwise) and `xc20p1`, with a
/// non-empty `c`.
pub(super) fn check_dm_envelope(enc: Option<String>, c: &str) -> Result<String, Reject> {
    let Some(enc) = enc else {
        return Err(Reject::new(
            ErrorCode::MustEncrypt,
            "direct messages must be end-to-end encrypted (enc)",
        ));
    };
    check_enc_name(&enc)?;
    if c.is_empty() {
        return Err(Reject::bad_frame("c must not be empty"));
    }
    Ok(enc)
}

/// The account a DM frame's `to` names, as registered (`no_such_user` when there is none).
pub(super) async fn registered_peer(session: &ServerSession, to: String) -> Result<String, Reject> {
    validate_username(&to).map_err(|_| Reject::no_such_user())?;
    let recipient = session
        .state
        .store
        .read(move |reader| reader.account(&to))
        .await
        .map_err(Reject::from_store)?
        .ok_or_else(Reject::no_such_user)?;
    Ok(recipient.name)
}

/// An `emoji` of a reaction: 1 to 64 bytes without control characters (`bad_frame` otherwise).
pub(super) fn check_emoji(emoji: &str) -> Result<(), Reject> {
    if emoji.is_empty() || emoji.len() > MAX_EMOJI_BYTES || emoji.chars().any(char::is_control) {
        return Err(Reject::bad_frame(
            "emoji must be 1 to 64 bytes of printable text",
        ));
    }
    Ok(())
}

/// The `u` of an event: the account, or the relayed author `as` when the account is a bridge
/// (`forbidden` for any other account, so nobody can pose as someone relayed).
fn event_sender(session: &ServerSession, relayed_as: Option<String>) -> Result<String, Reject> {
    let Some(author) = relayed_as else {
        return Ok(session.user.to_string());
    };
    if !session
        .state
        .config
        .is_bridge_account(session.user.as_str())
    {
        return Err(Reject::new(
            ErrorCode::Forbidden,
            "only bridge accounts may relay messages with as",
        ));
    }
    validate_relayed_author(&author).map_err(|error| Reject::bad_frame(error.message))?;
    Ok(author)
}

/// Open channels take plaintext only; sealed channels take `xc20p1` envelopes only.
fn check_encryption(
    mode: ChannelMode,
    enc: Option<&str>,
    idx: Option<&[String]>,
) -> Result<(), Reject> {
    match (mode, enc) {
        (ChannelMode::Open, Some(_)) => Err(Reject::bad_frame(
            "this channel is open: send plaintext without enc",
        )),
        (ChannelMode::Open, None) if idx.is_some() => Err(Reject::bad_frame(
            "idx (blind tokens) belongs to sealed channels only",
        )),
        (ChannelMode::Open, None) => Ok(()),
        (ChannelMode::Sealed, None) => Err(Reject::new(
            ErrorCode::MustEncrypt,
            "this channel is sealed: messages must be end-to-end encrypted (enc)",
        )),
        (ChannelMode::Sealed, Some(enc)) => {
            check_enc_name(enc)?;
            check_blind_tokens(idx.unwrap_or_default())
        }
    }
}

fn check_enc_name(enc: &str) -> Result<(), Reject> {
    if enc == ENC_XC20P1 {
        Ok(())
    } else {
        Err(Reject::bad_frame("enc must be xc20p1"))
    }
}

fn check_blind_tokens(tokens: &[String]) -> Result<(), Reject> {
    let ok = tokens.len() <= MAX_BLIND_TOKENS
        && tokens
            .iter()
            .all(|t| !t.is_empty() && t.len() <= MAX_BLIND_TOKEN_LEN);
    if ok {
        Ok(())
    } else {
        Err(Reject::bad_frame(
            "idx holds at most 64 blind tokens of 1 to 64 bytes",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_rules_follow_the_channel_mode() {
        let code = |r: Result<(), Reject>| r.err().map(|e| e.code);
        assert_eq!(code(check_encryption(ChannelMode::Open, None, None)), None);
        assert_eq!(
            code(check_encryption(ChannelMode::Open, Some("xc20p1"), None)),
            Some(ErrorCode::BadFrame)
        );
        assert_eq!(
            code(check_encryption(ChannelMode::Sealed, None, None)),
            Some(ErrorCode::MustEncrypt)
        );
        assert_eq!(
            code(check_encryption(ChannelMode::Sealed, Some("xc20p1"), None)),
            None
        );
        assert_eq!(
            code(check_encryption(ChannelMode::Sealed, Some("rot13"), None)),
            Some(ErrorCode::BadFrame)
        );
        let too_many: Vec<String> = (0..65).map(|i| format!("t{i}")).collect();
        assert_eq!(
            code(check_encryption(
                ChannelMode::Sealed,
                Some("xc20p1"),
                Some(&too_many)
            )),
            Some(ErrorCode::BadFrame)
        );
    }
}
