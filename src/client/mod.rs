//! The chatify client: the protocol client library (connection, authentication, reconnect and
//! gap-free resume), the key ring (identity, sealed-channel and DM keys, trust on first use),
//! the command parser, the inbound event handlers and the timeline renderer, and the REPL shell.
//! Used by `chatify connect`, the one-shot `history`/`search`/`rewind` commands, the Discord
//! bridge and the integration tests. Only `repl` touches the terminal.
//!
//! Map: `conn` (one WebSocket, rid-matched requests) · `session` (login, saved tokens,
//! reconnect, resume) · `resume` (seq bookkeeping) · `tokens` (saved session files) · `keys`
//! (key ring) · `outbox` (submitted lines, sent in order exactly once) · `command` (input language; times via `crate::timespec`) · `state` + `events` (chat state, inbound
//! handlers) · `typing` (typing-indicator clocks) · `render` (display lines) · `app` (command
//! execution) · `repl` (terminal).
//!
//! A one-shot tool reads a channel like this:
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use chatify::client::{events, keys::KeyRing, render};
//! use chatify::client::session::{Session, SessionOptions};
//! use chatify::proto::{ClientFrame, HistoryFrame, ServerFrame};
//!
//! let (server, user) = ("ws://127.0.0.1:8765", "alice");
//! let config_dir = chatify::paths::config_dir()?;
//! let (keys, _created) = KeyRing::open(&config_dir, server, user, false)?;
//! let mut options = SessionOptions::new(server, user);
//! options.config_dir = Some(config_dir); // use (and refresh) the saved session token
//! options.public_key = Some(keys.public_key_b64());
//! options.reconnect = false;
//! let (session, _events) = Session::connect(options).await?; // Err(PasswordNeeded) => ask
//! let mut keys = keys;
//! let still_locked = keys.unlock_cached(&session.welcome().channels);
//! let request = ClientFrame::History(HistoryFrame {
//!     ch: Some("general".into()), dm: None, limit: Some(50), before: None,
//!     since: None, until: None, after: None, from: None,
//! });
//! if let ServerFrame::History { events, .. } = session.request(request).await? {
//!     for event in events {
//!         if let ServerFrame::Msg(message) = event {
//!             let body = events::decrypt_message(Some(&keys), true, &message);
//!             # let _ = (body, &still_locked, render::snippet("", 1));
//!         }
//!     }
//! }
//! session.close();
//! # Ok(())
//! # }
//! ```

pub mod app;
pub mod command;
pub mod conn;
pub mod dial;
pub mod events;
pub mod keys;
pub mod line_budget;
pub mod outbox;
pub mod reading;
pub mod render;
pub mod repl;
pub mod resume;
pub mod session;
pub mod state;
pub mod tokens;
pub mod typing;
