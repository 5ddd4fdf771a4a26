//! placeholder, owned by its issue.
