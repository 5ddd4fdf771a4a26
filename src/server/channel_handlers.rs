//! Channels (PROTOCOL.md §2): `join` (creating open or sealed channels, validating the sealed
//! parameters), `leave`, `member` events, `who`, the membership check every channel frame goes
//! through, the lazy load of a channel's folded ring, and `general` for every new account. The
//! `joined` reply is queued while the channel is locked, so the joiner's stream starts exactly
//! after `joined.seq`.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::errors::Reject;
use super::presence::presence_of;
use super::registry::{ChannelEntry, RingState};
use super::ring::Ring;
use super::server_state::{ServerSession, ServerState};
use crate::model::UserName;
use crate::model::limits::MAX_CHANNELS_PER_USER;
use crate::proto::{
    ChannelFrame, ChannelMode, CreateChannel, ErrorCode, JoinFrame, KDF_MAX_M_KIB, KDF_MAX_P,
    KDF_MAX_T, KdfSpec, ServerFrame, UserInfo, normalize_channel,
};

use crate::store::{HistoryQuery, NewChannel};

/// The channel every account joins on registration.
pub const GENERAL: &str = "general";

/// Resolves a channel name the session's user must be a member of (`bad_channel`, `not_member`).
pub fn member_channel(session: &ServerSession, name: &str) -> Result<Arc<ChannelEntry>, Reject> {
    let name = normalize_channel(name)?;
    let entry = session
        .state
        .registry
        .channel(&name)
        .ok_or_else(Reject::not_member)?;
    if !entry.lock().is_member(&session.user) {
        return Err(Reject::not_member());
    }
    Ok(entry)
}

/// `join`: creates the channel if needed, adds the member, replies `joined`, announces `member`.
pub async fn handle_join(
    session: &ServerSession,
    join: JoinFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let JoinFrame { ch, create } = join;
    let state = &session.state;
    let name = normalize_channel(&ch)?;
    let already_member = state
        .registry
        .channel(&name)
        .is_some_and(|entry| entry.lock().is_member(&session.user));
    if !already_member && state.registry.membership_count(&session.user) >= MAX_CHANNELS_PER_USER {
        return Err(Reject::new(
            ErrorCode::Forbidden,
            format!(
                "you are in {MAX_CHANNELS_PER_USER} channels, the most allowed; leave one first"
            ),
        ));
    }
    let entry = match state.registry.channel(&name) {
        Some(entry) => {
            if !already_member {
                check_may_join(session, &entry).await?;
            }
            entry
        }
        None => create_channel(session, &name, create).await?,
    };
    if !entry.lock().is_member(&session.user) {
        state
            .store
            .add_member(&name, session.user.as_str(), state.now_ms())
            .await
            .map_err(Reject::from_store)?;
    }
    ensure_ring(state, &entry).await?;
    let mut inner = entry.lock();
    let added = state.registry.add_member(&entry, &mut inner, &session.user);
    let hist = match &inner.ring {
        RingState::Loaded(ring) => ring.snapshot(),
        _ => Vec::new(),
    };
    session.conn.send_frame(&ServerFrame::Joined {
        ch: entry.name.clone(),
        mode: entry.mode,
        salt: entry.salt.clone(),
        kdf: entry.kdf.clone(),
        kcv: entry.kcv.clone(),
        members: inner.member_names(),
        seq: inner.last_seq,
        topic: Some(inner.gov.topic.clone()).filter(|topic| !topic.is_empty()),
        hist,
        rid,
    });
    if added {
        let member = member_frame(&entry.name, session.user.as_str(), true, state.now_ms());
        inner.broadcast(&member, Some(session.conn.id));
    }
    Ok(())
}

/// `info` (added): a channel's mode and sealed-channel parameters, without joining. Anyone
/// logged in may ask and learns what a join would reveal: of an invite-only channel (every
/// sealed one by default) a non-member who was not invited gets `invite_only` (or `banned`).
pub async fn handle_info(
    session: &ServerSession,
    request: ChannelFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let name = normalize_channel(&request.ch)?;
    let entry = session.state.registry.channel(&name);
    if let Some(entry) = &entry
        && !entry.lock().is_member(&session.user)
    {
        // An outsider learns no more than `join` would tell them (invite-only, banned).
        check_may_join(session, entry).await?;
    }
    let frame = match entry {
        Some(entry) => ServerFrame::Info {
            ch: entry.name.clone(),
            exists: true,
            mode: Some(entry.mode),
            salt: entry.salt.clone(),
            kdf: entry.kdf.clone(),
            kcv: entry.kcv.clone(),
            rid,
        },
        None => ServerFrame::Info {
            ch: name.to_string(),
            exists: false,
            mode: None,
            salt: None,
            kdf: None,
            kcv: None,
            rid,
        },
    };
    session.conn.send_frame(&frame);
    Ok(())
}

/// `leave`: removes the member (all of the user's connections), replies `left`, announces it.
pub async fn handle_leave(
    session: &ServerSession,
    leave: ChannelFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let entry = member_channel(session, &leave.ch)?;
    session
        .state
        .store
        .remove_member(&entry.name, session.user.as_str())
        .await
        .map_err(Reject::from_store)?;
    super::voice::leave_room_of_user(&session.state, &entry.name, &session.user);
    let mut inner = entry.lock();
    if session
        .state
        .registry
        .remove_member(&entry, &mut inner, &session.user)
    {
        let member = member_frame(
            &entry.name,
            session.user.as_str(),
            false,
            session.state.now_ms(),
        );
        inner.broadcast(&member, None);
        // The user's other connections are no longer subscribed; tell them too.
        for conn in session.state.registry.user_connections(&session.user) {
            if conn.id != session.conn.id {
                conn.send_text(&member);
            }
        }
    }
    session.conn.send_frame(&ServerFrame::Left {
        ch: entry.name.clone(),
        by: None,
        rid,
    });
    Ok(())
}

/// `who` (added): a channel's members with their keys and presence.
pub async fn handle_who(
    session: &ServerSession,
    who: ChannelFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let entry = member_channel(session, &who.ch)?;
    let names = entry.lock().member_names();
    let accounts = session
        .state
        .store
        .read(move |reader| {
            names
                .iter()
                .map(|name| Ok((reader.account(name)?, reader.is_admin(name)?)))
                .collect::<Result<Vec<_>, crate::store::StoreError>>()
        })
        .await
        .map_err(Reject::from_store)?;
    let now = session.state.now_ms();
    let inner = entry.lock();
    let members = accounts
        .into_iter()
        .filter_map(|(account, admin)| {
            let account = account?;
            Some((UserName::parse(&account.name).ok()?, account, admin))
        })
        .map(|(name, account, admin)| {
            let (online, state, text) = presence_of(&session.state, &name);
            UserInfo {
                role: inner.role_of(&name),
                admin,
                muted_until: inner.muted_until(&name, now),
                u: account.name,
                pk: account.pk,
                online,
                state,
                text,
            }
        })
        .collect();
    drop(inner);
    session.conn.send_frame(&ServerFrame::Who {
        ch: entry.name.clone(),
        members,
        rid,
    });
    Ok(())
}

/// Before a non-member joins an existing channel: a banned account gets `banned`; an invite-only
/// channel needs an invitation (its owner and server admins need none). The refusal names the
/// channel and nothing else about it: no mode, members, key check value or history.
async fn check_may_join(session: &ServerSession, entry: &ChannelEntry) -> Result<(), Reject> {
    let (invite_only, is_owner) = {
        let inner = entry.lock();
        (
            inner.gov.invite_only,
            inner.gov.owner.as_ref() == Some(&session.user),
        )
    };
    let channel = entry.name.clone();
    let user = session.user.to_string();
    let (banned, invited, admin) = session
        .state
        .store
        .read(move |reader| {
            Ok((
                reader.is_banned(&channel, &user)?,
                reader.is_invited(&channel, &user)?,
                reader.is_admin(&user)?,
            ))
        })
        .await
        .map_err(Reject::from_store)?;
    if banned {
        return Err(Reject::new(
            ErrorCode::Banned,
            format!("you are banned from #{}", entry.name),
        ));
    }
    if invite_only && !invited && !is_owner && !admin {
        return Err(Reject::new(
            ErrorCode::InviteOnly,
            format!(
                "#{} needs an invitation from one of its operators",
                entry.name
            ),
        ));
    }
    Ok(())
}

/// After registration: the store has put the account into `general`; mirror that and announce it.
pub async fn note_new_account(state: &ServerState, user: &str) {
    let Ok(name) = UserName::parse(user) else {
        return;
    };
    let entry = match state.registry.channel(GENERAL) {
        Some(entry) => entry,
        None => match state.store.read(|reader| reader.channel(GENERAL)).await {
            Ok(Some(record)) => state.registry.insert_channel(record),
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "reading channel general after registration");
                return;
            }
        },
    };
    let mut inner = entry.lock();
    if state.registry.add_member(&entry, &mut inner, &name) {
        inner.broadcast(&member_frame(GENERAL, user, true, state.now_ms()), None);
    }
}

/// Makes sure the channel's folded ring is in memory (read once from the store).
pub async fn ensure_ring(state: &ServerState, entry: &Arc<ChannelEntry>) -> Result<(), Reject> {
    for _attempt in 0..3 {
        if matches!(entry.lock().ring, RingState::Loaded(_)) {
            return Ok(());
        }
        let _loading = entry.ring_load.lock().await;
        if matches!(entry.lock().ring, RingState::Loaded(_)) {
            return Ok(());
        }
        entry.lock().ring = RingState::Loading(Vec::new());
        let name = entry.name.clone();
        let query = HistoryQuery {
            limit: u32::try_from(state.registry.ring_size()).unwrap_or(u32::MAX),
            ..HistoryQuery::default()
        };
        let page = state
            .store
            .read(move |reader| reader.history(&name, &query))
            .await;
        let mut inner = entry.lock();
        let buffered = std::mem::replace(&mut inner.ring, RingState::Unloaded);
        let page = page.map_err(Reject::from_store)?;
        if let RingState::Loading(buffered) = buffered {
            let mut ring = Ring::from_folded(page.events, state.registry.ring_size());
            for event in &buffered {
                ring.apply(event);
            }
            inner.ring = RingState::Loaded(ring);
            return Ok(());
        }
        // Too many events arrived while loading; try again.
    }
    Err(Reject::unavailable())
}

async fn create_channel(
    session: &ServerSession,
    name: &str,
    create: Option<CreateChannel>,
) -> Result<Arc<ChannelEntry>, Reject> {
    let create = create.unwrap_or(CreateChannel {
        mode: ChannelMode::Open,
        salt: None,
        kdf: None,
        kcv: None,
    });
    validate_create(&create)?;
    let record = session
        .state
        .store
        .create_channel(NewChannel {
            name: name.to_string(),
            mode: create.mode,
            salt: create.salt,
            kdf: create.kdf,
            kcv: create.kcv,
            creator: session.user.to_string(),
            now_ms: session.state.now_ms(),
        })
        .await
        .map_err(Reject::from_store)?;
    tracing::info!(
        channel = name,
        mode = record.mode.as_str(),
        "channel created"
    );
    Ok(session.state.registry.insert_channel(record))
}

/// Checks `join.create` for a new channel: an open channel takes no key parameters; a sealed
/// one needs a 16-byte salt and kcv and sane Argon2id parameters.
pub fn validate_create(create: &CreateChannel) -> Result<(), Reject> {
    match create.mode {
        ChannelMode::Open => {
            if create.salt.is_some() || create.kdf.is_some() || create.kcv.is_some() {
                return Err(Reject::bad_frame(
                    "an open channel takes no salt, kdf or kcv",
                ));
            }
            Ok(())
        }
        ChannelMode::Sealed => {
            check_b64_16(create.salt.as_deref(), "salt")?;
            check_b64_16(create.kcv.as_deref(), "kcv")?;
            match &create.kdf {
                Some(kdf) => check_kdf(kdf),
                None => Err(Reject::bad_frame("a sealed channel needs kdf")),
            }
        }
    }
}

fn check_b64_16(value: Option<&str>, field: &'static str) -> Result<(), Reject> {
    match value.map(|v| STANDARD.decode(v)) {
        Some(Ok(bytes)) if bytes.len() == 16 => Ok(()),
        _ => Err(Reject::bad_frame(format!(
            "a sealed channel needs {field}: standard base64 of 16 bytes"
        ))),
    }
}

fn check_kdf(kdf: &KdfSpec) -> Result<(), Reject> {
    let sane = kdf.alg == "argon2id"
        && (1..=KDF_MAX_P).contains(&kdf.p)
        && (1..=KDF_MAX_T).contains(&kdf.t)
        && kdf.m >= 8 * kdf.p
        && kdf.m <= KDF_MAX_M_KIB;
    if sane {
        Ok(())
    } else {
        Err(Reject::bad_frame(format!(
            "kdf must be argon2id with 1<=t<={KDF_MAX_T}, 1<=p<={KDF_MAX_P} and \
             8*p<=m<={KDF_MAX_M_KIB} (KiB): every joiner pays for it"
        )))
    }
}

/// A serialized `member` frame.
pub fn member_frame(channel: &str, user: &str, on: bool, ts: i64) -> Utf8Bytes {
    Utf8Bytes::from(
        ServerFrame::Member {
            ch: channel.to_string(),
            u: user.to_string(),
            on,
            ts,
        }
        .to_json(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(salt: Option<String>, kdf: Option<KdfSpec>, kcv: Option<String>) -> CreateChannel {
        CreateChannel {
            mode: ChannelMode::Sealed,
            salt,
            kdf,
            kcv,
        }
    }

    fn kdf(m: u32, t: u32, p: u32) -> KdfSpec {
        KdfSpec {
            alg: "argon2id".into(),
            m,
            t,
            p,
        }
    }

    #[test]
    fn sealed_create_needs_salt_kdf_and_kcv_of_the_right_shape() {
        let b16 = Some(STANDARD.encode([1u8; 16]));
        assert!(validate_create(&sealed(b16.clone(), Some(kdf(65536, 3, 1)), b16.clone())).is_ok());
        assert!(validate_create(&sealed(None, Some(kdf(65536, 3, 1)), b16.clone())).is_err());
        assert!(validate_create(&sealed(b16.clone(), None, b16.clone())).is_err());
        let short = Some(STANDARD.encode([1u8; 15]));
        assert!(validate_create(&sealed(b16.clone(), Some(kdf(65536, 3, 1)), short)).is_err());
        assert!(
            validate_create(&sealed(b16.clone(), Some(kdf(65536, 0, 1)), b16.clone())).is_err()
        );
        for unaffordable in [kdf(1024 * 1024, 3, 1), kdf(65536, 11, 1), kdf(65536, 3, 5)] {
            assert!(
                validate_create(&sealed(b16.clone(), Some(unaffordable), b16.clone())).is_err()
            );
        }
        assert!(
            validate_create(&sealed(b16.clone(), Some(kdf(262144, 10, 4)), b16.clone())).is_ok()
        );
        let mut scrypt = kdf(65536, 3, 1);
        scrypt.alg = "scrypt".into();
        assert!(validate_create(&sealed(b16.clone(), Some(scrypt), b16)).is_err());
    }

    #[test]
    fn open_create_takes_no_key_parameters() {
        let open = CreateChannel {
            mode: ChannelMode::Open,
            salt: Some(STANDARD.encode([1u8; 16])),
            kdf: None,
            kcv: None,
        };
        assert!(validate_create(&open).is_err());
    }
}
