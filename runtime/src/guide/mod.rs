//! The guide: dynaschema a subject at a time, from the first entity to the table's
//! migrations. The item documentation is the reference for each type and method; the
//! chapters show how the pieces fit together.
//!
//! 1. [`entities`]: entities and key templates: the derive, its options, key types, and
//!    what is checked against schema.toml.
//! 2. [`indexes`]: global and local secondary indexes, their projections, typed index
//!    queries, and collections of entity types read together.
//! 3. [`queries`]: queries and scans, sort-key ranges, filters, limits, batch reads, and
//!    pages with cursors.
//! 4. [`writes`]: puts, updates and deletes with their conditions, transactions, batch
//!    writes and partition deletes.
//! 5. [`lifecycle`]: an item's life: versions, creation and update times, time to live,
//!    and upserts.
//! 6. [`uniqueness`]: unique values kept by guard items, within the table or a scope.
//! 7. [`cli`]: schema.toml, and the `dynaschema` command line that plans, applies, shows,
//!    exports and adopts tables.
//! 8. [`migrations`]: table migrations planned and applied from code, and versioned data
//!    migrations.
//! 9. [`failures`]: lost answers, unknown outcomes, retries, and the errors.
//! 10. [`testing`]: the embedded local server, `#[dynaschema::test]`, and the
//!     `dynaschema-local` program.
//!
//! Every example is a doc test. Those that need a table run against the embedded server
//! when the crate's `local` feature is on (`cargo test -p dynaschema --features local
//! --doc`), and are only compiled otherwise (those of [`testing`] need the feature even
//! to compile); their setup (start a server, provision the schema.toml shown) is hidden,
//! and is the one [`testing`] describes.

pub mod entities {
    #![doc = include_str!("entities.md")]
}

pub mod indexes {
    #![doc = include_str!("indexes.md")]
}

pub mod queries {
    #![doc = include_str!("queries.md")]
}

pub mod writes {
    #![doc = include_str!("writes.md")]
}

pub mod lifecycle {
    #![doc = include_str!("lifecycle.md")]
}

pub mod uniqueness {
    #![doc = include_str!("uniqueness.md")]
}

pub mod cli {
    #![doc = include_str!("cli.md")]
}

pub mod migrations {
    #![doc = include_str!("migrations.md")]
}

pub mod failures {
    #![doc = include_str!("failures.md")]
}

pub mod testing {
    #![doc = include_str!("testing.md")]
}
