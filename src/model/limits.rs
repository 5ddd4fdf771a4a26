//! Every limit of chatify in one table: wire sizes, name lengths, page sizes, per-message and
//! per-user caps. Each is defined here once; `proto` re-exports the wire ones under their
//! historical names, and the handlers, the store and the client read them from here.

/// Protocol version announced in `ok.proto`.
pub const PROTO_VERSION: u32 = 1;

// --- frames ---------------------------------------------------------------------------------

/// Default client-to-server frame limit (bytes of the reassembled message).
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024;
/// Frames a server sends may be larger than client frames; clients accept at least this much.
pub const CLIENT_MAX_INBOUND_FRAME: usize = 8 * 1024 * 1024;
/// Largest voice payload a client may send in one binary frame.
pub const MAX_VOICE_PAYLOAD: usize = 4 * 1024;
/// Largest `rid` accepted, in characters.
pub const MAX_RID_LEN: usize = 64;

// --- names and accounts ---------------------------------------------------------------------

/// Longest username and channel name, in bytes (both are ASCII).
pub const MAX_NAME_LEN: usize = 32;
/// Shortest account password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Channels one account may be a member of at once; bounds what a single user can make the
/// server keep in memory and put in every `ok`.
pub const MAX_CHANNELS_PER_USER: usize = 500;
/// Longest `status.text`, in characters.
pub const MAX_STATUS_TEXT_CHARS: usize = 256;

// --- pages ----------------------------------------------------------------------------------

/// `history` default and maximum page sizes.
pub const HISTORY_DEFAULT_LIMIT: u32 = 50;
pub const HISTORY_MAX_LIMIT: u32 = 500;
/// `search` default and maximum page sizes.
pub const SEARCH_DEFAULT_LIMIT: u32 = 30;
pub const SEARCH_MAX_LIMIT: u32 = 500;
/// Messages carried in `joined.hist`.
pub const JOIN_HISTORY: usize = 50;

// --- sealed channels ------------------------------------------------------------------------

/// Most Argon2id memory (KiB) a sealed channel may ask of each joiner: 256 MiB, what a phone
/// can spare. Enforced by the server when a channel is created and by every client before it
/// derives a key, so a channel creator (or a server) cannot make joiners spend 1 GiB.
pub const KDF_MAX_M_KIB: u32 = 256 * 1024;
/// Most Argon2id passes (t): 10 passes of 256 MiB take a few seconds on a phone.
pub const KDF_MAX_T: u32 = 10;
/// Most Argon2id lanes (p).
pub const KDF_MAX_P: u32 = 4;

// --- messages -------------------------------------------------------------------------------

/// Most blind search tokens a message (or a blind search) carries: the first 64 distinct words
/// (PROTOCOL.md §10). The client cuts its word list here, the server refuses more, the store
/// keeps at most this many.
pub const MAX_BLIND_TOKENS: usize = 64;
/// Longest blind token, in bytes.
pub const MAX_BLIND_TOKEN_LEN: usize = 64;
/// Longest reaction emoji, in bytes.
pub const MAX_EMOJI_BYTES: usize = 64;
/// Distinct emoji one message may carry, so reactions cannot grow a message without end.
pub const MAX_DISTINCT_REACTIONS: usize = 32;
/// Most terms of an open-channel full-text search.
pub const MAX_SEARCH_TERMS: usize = 16;

// --- governance -----------------------------------------------------------------------------

/// Longest channel topic, in bytes.
pub const MAX_TOPIC_BYTES: usize = 300;
/// Longest moderation reason (kick, ban, mute), in bytes.
pub const MAX_REASON_BYTES: usize = 200;
/// Longest mute: 28 days, in seconds.
pub const MAX_MUTE_SECS: u64 = 28 * 24 * 60 * 60;
/// `list` default and maximum page sizes.
pub const LIST_DEFAULT_LIMIT: u32 = 50;
pub const LIST_MAX_LIMIT: u32 = 200;
