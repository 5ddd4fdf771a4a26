//! One module per subcommand. Each exposes `Args` (clap) and `run`, and is glue only: it opens
//! what the command needs (database, connection, key files) and calls into the library.
//! `dispatch` is the single entry point `main` calls.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod account;
pub mod connect;
pub mod history;
pub mod keygen;
pub mod logout;
pub mod migrate;
pub mod oneshot;
pub mod password;
pub mod rewind;
pub mod search;
pub mod serve;
pub mod sessions;

/// Runs the parsed command line; the exit code is the command's own (0 ok, 1 nothing found, 2 error).
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(args, &global),
        Command::Connect(args) => connect::run(args, &global),
        Command::History(args) => history::run(args, &global),
        Command::Search(args) => search::run(args, &global),
        Command::Rewind(args) => rewind::run(args, &global),
        Command::Migrate(args) => migrate::run(args, &global),
        Command::Keygen(args) => keygen::run(args, &global),
        Command::Logout(args) => logout::run(args, &global),
        Command::Sessions(args) => sessions::run(args, &global),
        Command::Password(args) => password::run(args, &global),
    }
}
