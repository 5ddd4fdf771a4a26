//! Generates the shell completions (`completions/`) and man pages (`man/`) from the clap
//! definitions in `cli.rs`. The files are committed; `tests/cli_docs.rs` fails when they are
//! stale and rewrites them when run with `CHATIFY_BLESS=1`. `chatify-connect.1` also lists the
//! in-chat commands, key bindings, files, environment and examples (`connect_page`).

use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;

mod connect_page;

/// One generated file: its path relative to the repository root and its contents.
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// Every completion script and man page, in a stable order.
pub fn generate_all() -> Result<Vec<GeneratedFile>, std::io::Error> {
    let mut files = completion_files();
    files.extend(man_pages()?);
    Ok(files)
}

fn completion_files() -> Vec<GeneratedFile> {
    let shells = [
        (Shell::Bash, "chatify.bash"),
        (Shell::Zsh, "_chatify"),
        (Shell::Fish, "chatify.fish"),
        (Shell::Elvish, "chatify.elv"),
        (Shell::PowerShell, "_chatify.ps1"),
    ];
    shells
        .into_iter()
        .map(|(shell, file_name)| {
            let mut command = crate::cli::Cli::command();
            let mut contents = Vec::new();
            clap_complete::generate(shell, &mut command, "chatify", &mut contents);
            GeneratedFile {
                path: PathBuf::from("completions").join(file_name),
                contents,
            }
        })
        .collect()
}

fn man_pages() -> Result<Vec<GeneratedFile>, std::io::Error> {
    let mut command = crate::cli::Cli::command();
    command.build();
    let mut pages = vec![render_man(command.clone(), "chatify.1")?];
    for subcommand in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("chatify-{}", subcommand.get_name());
        let page = subcommand
            .clone()
            .name(name.clone())
            .bin_name(name.replace('-', " "));
        pages.push(render_man(page, &format!("{name}.1"))?);
    }
    Ok(pages)
}

fn render_man(command: clap::Command, file_name: &str) -> Result<GeneratedFile, std::io::Error> {
    let mut contents = Vec::new();
    clap_mangen::Man::new(command).render(&mut contents)?;
    if file_name == "chatify-connect.1" {
        contents.extend_from_slice(connect_page::extra_sections().as_bytes());
    }
    Ok(GeneratedFile {
        path: PathBuf::from("man").join(file_name),
        contents,
    })
}
