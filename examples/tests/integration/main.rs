//! The integration tests of ningipoints, one module per area, in one test binary: its
//! functions, both command lines, the data migrations, request counts, and the whole
//! example under the fault proxy.

mod cli;
mod faults;
mod migrations;
mod points;
mod provision_cli;
mod requests;
