//! Validated names. A [`UserName`] keeps the spelling it was given (the display spelling, e.g.
//! as registered) but compares, hashes and orders ignoring ASCII case, so maps keyed by it need
//! no lowercasing. A [`ChannelName`] is stored in its canonical form (lowercase, no `#`), so its
//! derived comparisons already ignore case. A [`Scope`] is where an event is stored: a channel
//! or the DM pair of two users, spelled `#name` or `@a:b` (lowercase, sorted) in the log.
//! Every constructor validates with the rules of PROTOCOL.md, and so does deserialization.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::limits::MAX_NAME_LEN;

/// A name that breaks the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a username is 1 to 32 of the characters A-Z, a-z, 0-9, _ and -")]
    User,
    #[error("a channel name is 1 to 32 of the characters a-z, 0-9, _ and -")]
    Channel,
    #[error("a scope is #channel or @user:user")]
    Scope,
}

/// A username: 1–32 of `[A-Za-z0-9_-]`, in its display spelling; equal ignoring ASCII case.
#[derive(Clone)]
pub struct UserName(String);

impl UserName {
    /// Validates `text` and keeps it as spelled.
    pub fn parse(text: &str) -> Result<UserName, NameError> {
        let ok = !text.is_empty()
            && text.len() <= MAX_NAME_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(UserName(text.to_string()))
        } else {
            Err(NameError::User)
        }
    }

    /// The name as spelled when it was made.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical (lowercase) spelling: what the log stores in DM scopes and envelopes.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// Whether `text` names this user (any case). For raw text that may not be a valid name.
    pub fn is(&self, text: &str) -> bool {
        self.0.eq_ignore_ascii_case(text)
    }

    fn folded_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.bytes().map(|b| b.to_ascii_lowercase())
    }
}

impl PartialEq for UserName {
    fn eq(&self, other: &UserName) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for UserName {}

impl Hash for UserName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for byte in self.folded_bytes() {
            state.write_u8(byte);
        }
        // A terminator, as `str` hashes one, so prefixes do not collide systematically.
        state.write_u8(0xff);
    }
}

impl Ord for UserName {
    fn cmp(&self, other: &UserName) -> Ordering {
        self.folded_bytes().cmp(other.folded_bytes())
    }
}

impl PartialOrd for UserName {
    fn partial_cmp(&self, other: &UserName) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A channel name in canonical form: 1–32 of `[a-z0-9_-]`, without the `#`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelName(String);

impl ChannelName {
    /// Strips one leading `#`, lowercases and validates.
    pub fn parse(text: &str) -> Result<ChannelName, NameError> {
        let bare = text.strip_prefix('#').unwrap_or(text).to_ascii_lowercase();
        let ok = !bare.is_empty()
            && bare.len() <= MAX_NAME_LEN
            && bare
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(ChannelName(bare))
        } else {
            Err(NameError::Channel)
        }
    }

    /// The canonical name, without `#`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an event is stored: a channel, or the DM pair of two users (kept sorted, so
/// `Scope::dm(a, b) == Scope::dm(b, a)`). Displayed as the log spells it: `#name`, `@a:b`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Channel(ChannelName),
    Dm(UserName, UserName),
}

impl Scope {
    /// The DM scope of two users, in either order.
    pub fn dm(user_a: &UserName, user_b: &UserName) -> Scope {
        if user_a <= user_b {
            Scope::Dm(user_a.clone(), user_b.clone())
        } else {
            Scope::Dm(user_b.clone(), user_a.clone())
        }
    }

    /// Reads the log's spelling back: `#name` or `@a:b`.
    pub fn parse(text: &str) -> Result<Scope, NameError> {
        if let Some(channel) = text.strip_prefix('#') {
            let name = ChannelName::parse(channel).map_err(|_| NameError::Scope)?;
            if name.as_str() == channel {
                return Ok(Scope::Channel(name));
            }
        } else if let Some((a, b)) = text.strip_prefix('@').and_then(|pair| pair.split_once(':')) {
            let (a, b) = (UserName::parse(a), UserName::parse(b));
            if let (Ok(a), Ok(b)) = (a, b) {
                return Ok(Scope::dm(&a, &b));
            }
        }
        Err(NameError::Scope)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Channel(name) => write!(formatter, "#{name}"),
            Scope::Dm(a, b) => write!(formatter, "@{}:{}", a.canonical(), b.canonical()),
        }
    }
}

/// The text-like impls of a name newtype whose field 0 is its `String` and whose `parse` validates:
/// `Display`/`Debug` show the text, `AsRef<str>`, `String::from`, `FromStr`.
macro_rules! name_text_impls {
    ($type:ident) => {
        impl fmt::Display for $type {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }

        impl fmt::Debug for $type {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, formatter)
            }
        }

        impl AsRef<str> for $type {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$type> for String {
            fn from(name: $type) -> String {
                name.0
            }
        }

        impl std::str::FromStr for $type {
            type Err = NameError;
            fn from_str(text: &str) -> Result<$type, NameError> {
                $type::parse(text)
            }
        }
    };
}

name_text_impls!(UserName);
name_text_impls!(ChannelName);

macro_rules! serde_as_validated_text {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$type, D::Error> {
                let text = String::deserialize(deserializer)?;
                <$type>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

serde_as_validated_text!(UserName);
serde_as_validated_text!(ChannelName);
serde_as_validated_text!(Scope);
