//! End-to-end encryption and account-password primitives (DESIGN.md §4, PROTOCOL.md §10).
//! Owned by the crypto work; see the crypto issue.
