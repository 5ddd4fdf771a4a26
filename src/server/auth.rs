//! Authentication (PROTOCOL.md §1, DESIGN.md §5): `auth` with `register:true` (throttled per
//! address), password login and session resume; Argon2 on the blocking pool behind the
//! two-lane `password_gate` (logins from a known address first); random session tokens stored
//! only as a BLAKE3 hash; the login throttle; `pk` updates with `key` announcements; and the
//! `ok` reply, built while the user's channels are locked so its `seq` values are exactly where
//! the connection's broadcasts begin. Called by the connection's read loop before authentication.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::errors::Reject;
use super::outbound::ConnHandle;
use super::password_gate::Lane;
use super::presence::{announce_key, announce_presence};
use super::ratelimit::throttle_key;
use super::registry::ChannelEntry;
use super::server_state::ServerState;
use crate::model::UserName;
use crate::proto::{
    AuthFrame, ErrorCode, MIN_PASSWORD_CHARS, PROTO_VERSION, PresenceState, ServerFrame, ServerInfo,
};
use crate::store::Account;

/// A successful `auth`: the user as registered, the hash of the session token, and the
/// connection's place under the account's connection cap.
pub struct Authenticated {
    pub user: UserName,
    pub token_hash: [u8; 32],
    pub account_slot: super::connection_caps::CapSlot,
}

/// Runs one `auth` attempt. On success the `ok` frame has been queued and the connection is
/// registered and subscribed.
pub async fn authenticate(
    state: &Arc<ServerState>,
    conn: &Arc<ConnHandle>,
    request: AuthFrame,
    rid: Option<String>,
    address: IpAddr,
) -> Result<Authenticated, Reject> {
    if let Some(pk) = &request.pk {
        validate_public_key(pk)?;
    }
    let done = if let Some(token) = &request.session {
        resume(state, &request.u, token.expose()).await?
    } else if request.register {
        register(state, &request, address).await?
    } else {
        login(state, &request, address).await?
    };
    let user = UserName::parse(&done.user).map_err(|_| {
        tracing::error!("a stored account has an invalid name");
        Reject::internal()
    })?;
    let Some(account_slot) = state.caps.enter_account(&user) else {
        return Err(Reject::new(
            ErrorCode::TooManyConnections,
            format!(
                "this account already has {} connections open; close one first",
                state.config.max_connections_per_account
            ),
        ));
    };
    let pk_changed = match &request.pk {
        Some(pk) if done.stored_pk.as_deref() != Some(pk.as_str()) => {
            if !done.new_account {
                state
                    .store
                    .set_public_key(user.as_str(), pk)
                    .await
                    .map_err(Reject::from_store)?;
            }
            Some(pk.clone())
        }
        _ => None,
    };
    let session_hash = token_hash(&done.token);
    if request.presences {
        conn.set_presence_batches();
    }
    finish_login(state, conn, &user, done.token, rid).await?;
    state.live_sessions.attach(session_hash, conn);
    if let Some(pk) = pk_changed {
        announce_key(state, &user, &pk, state.now_ms(), Some(conn.id));
    }
    Ok(Authenticated {
        user,
        token_hash: session_hash,
        account_slot,
    })
}

/// A successful credential check.
struct Verified {
    /// The user as registered.
    user: String,
    token: String,
    /// The public key stored before this login.
    stored_pk: Option<String>,
    /// The account was created by this request (its `pk` is stored already).
    new_account: bool,
}

fn account_disabled() -> Reject {
    Reject::new(
        ErrorCode::AccountDisabled,
        "this account is disabled; ask the server's operator",
    )
}

fn auth_failed() -> Reject {
    Reject::new(ErrorCode::AuthFailed, "wrong username or password")
}

async fn resume(state: &ServerState, user: &str, token: &str) -> Result<Verified, Reject> {
    let hash = token_hash(token);
    let now = state.now_ms();
    let owner = state
        .store
        .read(move |reader| reader.session_user(&hash, now))
        .await
        .map_err(Reject::from_store)?;
    let same_user = |owner: &String| UserName::parse(owner).is_ok_and(|owner| owner.is(user));
    let Some(owner) = owner.filter(same_user) else {
        return Err(Reject::new(
            ErrorCode::AuthFailed,
            "the session is unknown or expired; log in with your password",
        ));
    };
    state
        .store
        .touch_session(hash, now)
        .await
        .map_err(Reject::from_store)?;
    let account = load_account(state, &owner).await?.ok_or_else(auth_failed)?;
    if account.disabled {
        return Err(account_disabled());
    }
    Ok(Verified {
        user: account.name,
        token: token.to_string(),
        stored_pk: account.pk,
        new_account: false,
    })
}

async fn register(
    state: &ServerState,
    request: &AuthFrame,
    address: IpAddr,
) -> Result<Verified, Reject> {
    if state.config.registration == super::config::Registration::Closed {
        return Err(Reject::new(
            ErrorCode::RegistrationClosed,
            "this server does not accept new registrations",
        ));
    }
    crate::proto::validate_username(&request.u)?;
    let password = request.pw.clone().unwrap_or_default();
    if password.expose().chars().count() < MIN_PASSWORD_CHARS {
        return Err(Reject::new(
            ErrorCode::WeakPassword,
            "a password needs at least 8 characters",
        ));
    }
    if let Err(wait) = state.registrations.try_register(address) {
        return Err(Reject::new(
            ErrorCode::RateLimited,
            format!(
                "too many registrations from your address; try again in {} s",
                wait.as_secs().max(1)
            ),
        ));
    }
    let phc = with_password_slot(state, Lane::Ordinary, move || {
        crate::crypto::hash_password(password.expose())
    })
    .await?
    .map_err(|error| {
        tracing::error!(%error, "hashing a password failed");
        Reject::internal()
    })?;
    let account = state
        .store
        .create_account(&request.u, &phc, request.pk.as_deref(), state.now_ms())
        .await
        .map_err(Reject::from_store)?;
    tracing::info!(user = %account.name, "account registered");
    super::channel_handlers::note_new_account(state, &account.name).await;
    let token = new_session(state, &account.name).await?;
    // A first key counts as a change, so members of `general` learn it.
    Ok(Verified {
        user: account.name,
        token,
        stored_pk: None,
        new_account: true,
    })
}

async fn login(
    state: &ServerState,
    request: &AuthFrame,
    address: IpAddr,
) -> Result<Verified, Reject> {
    let Some(password) = request.pw.clone() else {
        return Err(Reject::bad_frame("auth needs pw (or session)"));
    };
    let known_address = is_login_address(state, &request.u, address).await?;
    let attempt = match state
        .throttle
        .begin_attempt(&request.u, address, known_address)
        .await
    {
        Ok(attempt) => attempt,
        Err(wait) => {
            let seconds = wait.as_secs().max(1);
            return Err(Reject::new(
                ErrorCode::RateLimited,
                format!("too many failed logins; try again in {seconds} s"),
            ));
        }
    };
    let account = if crate::proto::validate_username(&request.u).is_ok() {
        load_account(state, &request.u).await?
    } else {
        None
    };
    let phc = account.as_ref().map(|a| a.password_phc.clone());
    let lane = match (&account, known_address) {
        (Some(_), true) => Lane::Priority,
        _ => Lane::Ordinary,
    };
    let verified = with_password_slot(state, lane, move || {
        let phc = phc.unwrap_or_else(|| dummy_phc().to_string());
        crate::crypto::verify_password(password.expose(), &phc)
    })
    .await?;
    match account {
        Some(account) if verified && account.disabled => {
            attempt.succeeded();
            Err(account_disabled())
        }
        Some(account) if verified => {
            attempt.succeeded();
            remember_login_address(state, &account.name, address).await?;
            let token = new_session(state, &account.name).await?;
            Ok(Verified {
                user: account.name,
                token,
                stored_pk: account.pk,
                new_account: false,
            })
        }
        _ => {
            // Counted by `begin_attempt` before Argon2 ran; dropping it makes it a failure.
            drop(attempt);
            tracing::info!(%address, "failed login");
            Err(auth_failed())
        }
    }
}

/// Whether `user` logged in with its password from `address` (as the throttle counts it: IPv6
/// by /64) before, as the store remembers it across restarts.
pub(super) async fn is_login_address(
    state: &ServerState,
    user: &str,
    address: IpAddr,
) -> Result<bool, Reject> {
    let Ok(user) = UserName::parse(user) else {
        return Ok(false);
    };
    let address = throttle_key(address).to_string();
    state
        .store
        .read(move |reader| reader.is_login_address(user.as_str(), &address))
        .await
        .map_err(Reject::from_store)
}

/// Remembers `address` as one `user` logs in from (the store keeps the newest 8).
async fn remember_login_address(
    state: &ServerState,
    user: &str,
    address: IpAddr,
) -> Result<(), Reject> {
    let address = throttle_key(address).to_string();
    state
        .store
        .remember_login_address(user, &address, state.now_ms())
        .await
        .map_err(Reject::from_store)
}

pub(super) async fn load_account(
    state: &ServerState,
    user: &str,
) -> Result<Option<Account>, Reject> {
    let user = user.to_string();
    state
        .store
        .read(move |reader| reader.account(&user))
        .await
        .map_err(Reject::from_store)
}

/// Runs an Argon2 computation on the blocking pool once `lane` gets a turn at the password gate
/// (at most `password_hash_concurrency` at once); a full ordinary lane is `rate_limited`.
pub(super) async fn with_password_slot<T: Send + 'static>(
    state: &ServerState,
    lane: Lane,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Reject> {
    let _permit = state.password_gate.acquire(lane).await.map_err(|_| {
        Reject::new(
            ErrorCode::RateLimited,
            "the server is busy checking passwords; try again in a moment",
        )
    })?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Reject::internal())
}

/// A PHC string with the production cost that no password matches, verified against for unknown
/// users so that their failures take as long as wrong passwords.
fn dummy_phc() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::fill(&mut secret[..]);
        crate::crypto::hash_password(&URL_SAFE_NO_PAD.encode(secret)).unwrap_or_default()
    })
}

async fn new_session(state: &ServerState, user: &str) -> Result<String, Reject> {
    let mut secret = [0u8; 32];
    rand::fill(&mut secret[..]);
    let token = URL_SAFE_NO_PAD.encode(secret);
    state
        .store
        .create_session(user, token_hash(&token), state.now_ms())
        .await
        .map_err(Reject::from_store)?;
    Ok(token)
}

/// What the store keeps of a session token: its BLAKE3 hash.
pub fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

fn validate_public_key(pk: &str) -> Result<(), Reject> {
    match STANDARD.decode(pk) {
        Ok(bytes) if bytes.len() == 32 => Ok(()),
        _ => Err(Reject::bad_frame(
            "pk must be a standard base64 X25519 public key (32 bytes)",
        )),
    }
}

/// Queues `ok`, subscribes the connection to the user's channels, registers it, and announces
/// the user online when this is their first connection.
async fn finish_login(
    state: &Arc<ServerState>,
    conn: &Arc<ConnHandle>,
    user: &UserName,
    session: String,
    rid: Option<String>,
) -> Result<(), Reject> {
    conn.set_user(user);
    let (users, users_more) =
        super::users::sharing_users_page(state, user, None, super::users::OK_USERS_LIMIT).await?;
    let channels = state.registry.user_channels(user);
    {
        let mut guards: Vec<_> = channels.iter().map(|c| c.lock()).collect();
        let mut infos = Vec::with_capacity(channels.len());
        for (entry, inner) in channels.iter().zip(guards.iter_mut()) {
            if inner.is_member(user) {
                infos.push(entry.info(inner));
                inner.subscribe(conn.clone());
            }
        }
        conn.send_frame(&ServerFrame::Ok {
            u: user.to_string(),
            session: crate::proto::SecretString::new(session),
            proto: PROTO_VERSION,
            server: ServerInfo {
                name: state.config.server_name.clone(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                max_frame: state.config.max_frame,
            },
            users,
            users_more,
            channels: infos,
            rid,
        });
    }
    let first = state.registry.add_connection(user, conn);
    subscribe_late_joins(&state.registry.user_channels(user), conn, user);
    if first {
        announce_presence(state, user, PresenceState::Online, "", Some(conn.id));
    }
    tracing::info!(conn = conn.id, %user, "authenticated");
    Ok(())
}

/// Channels joined from another connection while this one was logging in.
fn subscribe_late_joins(channels: &[Arc<ChannelEntry>], conn: &Arc<ConnHandle>, user: &UserName) {
    for entry in channels {
        let mut inner = entry.lock();
        if inner.is_member(user) {
            inner.subscribe(conn.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_blake3_of_the_token_text() {
        assert_eq!(token_hash("abc"), *blake3::hash(b"abc").as_bytes());
        assert_ne!(token_hash("abc"), token_hash("abd"));
    }

    #[test]
    fn debug_output_hides_the_password_and_the_session_token() {
        let request = AuthFrame {
            u: "alice".into(),
            pw: Some(crate::proto::SecretString::new("hunter2-secret")),
            pk: None,
            register: false,
            session: Some(crate::proto::SecretString::new("token-secret")),
            presences: false,
        };
        let shown = format!("{request:?}");
        assert!(
            shown.contains("alice") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn public_keys_must_be_32_bytes_of_standard_base64() {
        assert!(validate_public_key(&STANDARD.encode([7u8; 32])).is_ok());
        assert!(validate_public_key(&STANDARD.encode([7u8; 31])).is_err());
        assert!(validate_public_key("not base64!").is_err());
    }
}
