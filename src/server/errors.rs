//! `Reject`: why a client frame was refused, as an error code and one human sentence, and the
//! mapping from store errors to protocol codes (`unavailable` when storage fails, never SQL text or
//! paths on the wire). Every handler returns `Result<_, Reject>`; the dispatcher turns a `Reject`
//! into an `err` frame echoing the request's `rid`.

use std::borrow::Cow;

use crate::proto::{ErrorCode, FrameError, ServerFrame};
use crate::store::StoreError;

/// A refused request: the `err` frame's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
}

impl Reject {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Reject {
        Reject {
            code,
            message: message.into(),
        }
    }

    pub fn bad_frame(message: impl Into<Cow<'static, str>>) -> Reject {
        Reject::new(ErrorCode::BadFrame, message)
    }

    pub fn not_member() -> Reject {
        Reject::new(ErrorCode::NotMember, "you are not a member of that channel")
    }

    pub fn no_such_user() -> Reject {
        Reject::new(ErrorCode::NoSuchUser, "there is no such user")
    }

    pub fn unavailable() -> Reject {
        Reject::new(
            ErrorCode::Unavailable,
            "storage is unavailable right now; try again later",
        )
    }

    pub fn internal() -> Reject {
        Reject::new(
            ErrorCode::Internal,
            "the server failed to handle this request",
        )
    }

    /// Maps a store error to the protocol; storage failures are logged (without payloads).
    pub fn from_store(error: StoreError) -> Reject {
        match error {
            StoreError::UserExists => Reject::new(ErrorCode::UserExists, "that username is taken"),
            StoreError::NoSuchUser => Reject::no_such_user(),
            StoreError::NoSuchChannel => Reject::not_member(),
            StoreError::NoSuchMessage => Reject::new(
                ErrorCode::NoSuchMessage,
                "no such message (unknown or deleted)",
            ),
            StoreError::Forbidden => Reject::new(
                ErrorCode::Forbidden,
                "only the author of a message may do that",
            ),
            StoreError::TooManyReactions { .. } => {
                Reject::new(ErrorCode::Forbidden, error.to_string())
            }
            StoreError::BadQuery(reason) => Reject::bad_frame(reason),
            StoreError::Banned => {
                Reject::new(ErrorCode::Banned, "that account is banned from the channel")
            }
            StoreError::TargetNotMember => Reject::new(
                ErrorCode::NotMember,
                "that account is not a member of the channel",
            ),
            StoreError::Conflict(reason) => Reject::new(ErrorCode::Forbidden, reason),
            StoreError::Unavailable(_) | StoreError::Sqlite(_) | StoreError::Io { .. } => {
                tracing::warn!(error = %error, "storage failure");
                Reject::unavailable()
            }
            other => {
                tracing::error!(error = %other, "unexpected storage error");
                Reject::internal()
            }
        }
    }

    /// The `err` frame for this rejection.
    pub fn to_frame(&self, rid: Option<String>) -> ServerFrame {
        ServerFrame::error(self.code, self.message.clone().into_owned(), rid)
    }
}

impl From<FrameError> for Reject {
    fn from(error: FrameError) -> Reject {
        Reject::new(error.code, error.message)
    }
}

impl From<StoreError> for Reject {
    fn from(error: StoreError) -> Reject {
        Reject::from_store(error)
    }
}
