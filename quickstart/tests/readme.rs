//! This crate is the README's quick start: the README quotes its files, and this test
//! keeps the quotes and the files the same, so that the quick start a user pastes is
//! the one the suite builds and tests.

use std::path::Path;

/// The fenced blocks of the README's quick start, in order.
fn quick_start_blocks() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).expect("the README");
    let start = readme
        .find("## Quick start")
        .expect("a quick start section");
    let section = &readme[start..];
    let section = &section[..section[2..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 2)];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            blocks.push(body.join("\n") + "\n");
        }
    }
    blocks
}

fn file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path)
}

#[test]
fn the_readme_quotes_this_crate() {
    let blocks = quick_start_blocks();
    assert!(blocks.len() >= 3, "{blocks:?}");
    // The README's crate sits beside a clone; this one inside it.
    let dependencies = blocks[0].replace("../dynaschema/runtime", "../runtime");
    assert!(
        file("Cargo.toml").ends_with(&dependencies),
        "Cargo.toml's dependencies differ from the README's:\n{dependencies}"
    );
    assert_eq!(
        blocks[1],
        file("schema.toml"),
        "schema.toml differs from the README's"
    );
    assert_eq!(
        blocks[2],
        file("src/lib.rs"),
        "src/lib.rs differs from the README's"
    );
}
