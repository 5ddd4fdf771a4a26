//! The committed shell completions (`completions/`) and man pages (`man/`) must match what the
//! current clap definitions generate. Run `CHATIFY_BLESS=1 cargo test --test cli_docs` to
//! regenerate them after changing the command line.

use std::path::Path;

#[test]
fn completions_and_man_pages_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("CHATIFY_BLESS").is_some();
    let files = chatify::cli_docs::generate_all().expect("generating completions and man pages");
    let mut stale = Vec::new();
    for file in &files {
        let path = root.join(&file.path);
        let current = std::fs::read(&path).unwrap_or_default();
        if current != file.contents {
            if bless {
                std::fs::create_dir_all(path.parent().expect("generated files live in a folder"))
                    .expect("creating the output folder");
                std::fs::write(&path, &file.contents).expect("writing a generated file");
            } else {
                stale.push(file.path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `CHATIFY_BLESS=1 cargo test --test cli_docs` and commit"
    );
}

#[test]
fn every_subcommand_has_a_man_page() {
    let files = chatify::cli_docs::generate_all().expect("generating completions and man pages");
    let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    for page in [
        "man/chatify.1",
        "man/chatify-serve.1",
        "man/chatify-connect.1",
        "man/chatify-migrate.1",
    ] {
        assert!(
            names.iter().any(|n| n == page),
            "missing {page} in {names:?}"
        );
    }
    for script in [
        "completions/chatify.bash",
        "completions/_chatify",
        "completions/chatify.fish",
    ] {
        assert!(names.iter().any(|n| n == script), "missing {script}");
    }
}
