//! The compile errors of `#[derive(Entity)]` and `#[dynaschema::test]`, pinned: each
//! points at the mistake. trybuild builds the cases in a project of its own, with this
//! package's dependencies: `dynaschema` without its HTTPS client or local server, which
//! the cases do not need, so that a fresh build of them costs little.

use std::path::Path;

#[test]
fn compile_errors() {
    // trybuild builds the cases in a project of its own, whose manifest directory is
    // where `#[dynamo(schema = "fixtures/store.toml")]` looks: the fixtures go there too.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the temporary directory is in the target directory");
    let project = target.join("tests/trybuild").join(env!("CARGO_PKG_NAME"));
    let fixtures = project.join("fixtures");
    std::fs::create_dir_all(&fixtures).expect("the trybuild project can be written to");
    for fixture in ["store.toml", "sessions.toml", "tasks.toml"] {
        // The fixtures are the integration tests'.
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures")
            .join(fixture);
        std::fs::copy(source, fixtures.join(fixture)).expect("the fixtures are copied");
    }

    // The cases are only checked, never run: their project's dependencies (proc macros
    // and build scripts are compiled in full) need no debug information, which would
    // triple their size on disk. trybuild's cargo inherits this environment.
    //
    // trybuild checks the dependencies with its rustflags, then the cases with one flag
    // more (`--diagnostic-width=140`): for cargo, other flags, so every dependency was
    // checked a second time (26 s of a cold run). The same flags for both, given where
    // cargo reads them first, check them once; the cases see trybuild's second set.
    const RUSTFLAGS: [&str; 6] = [
        "--cfg",
        "trybuild",
        "--verbose",
        "-A",
        "dead_code",
        "--diagnostic-width=140",
    ];
    // SAFETY: this binary's only test; no other thread reads the environment.
    unsafe {
        std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
        std::env::set_var("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS.join("\x1f"));
    }
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
