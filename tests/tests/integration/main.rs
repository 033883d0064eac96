//! The integration tests of the runtime and the derive, one module per area, in one test
//! binary: every module shares the embedded server (or the moto server) the harness starts
//! once per process, and the AWS SDK, dynoxide and SQLite are linked once.

mod batch;
mod data_migrations;
mod derive;
mod faults;
mod harness;
mod indexes;
mod lifecycle;
mod local;
mod migration_engine;
mod operations;
mod provision;
mod query;
mod store;
mod table_migration;
mod transact;
mod unique;
