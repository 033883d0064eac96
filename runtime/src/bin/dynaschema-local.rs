//! `dynaschema-local`: the embedded DynamoDB-compatible server of `dynaschema::local` as a
//! program of its own, for tools that reach it over HTTP (the ningipoints command line,
//! the AWS CLI, other languages' SDKs).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use dynaschema::local::{LocalServer, Storage};

const USAGE: &str = "\
dynaschema-local: a DynamoDB-compatible server (dynoxide, embedded) on a loopback port

Usage: dynaschema-local [--port PORT] [--db PATH | --in-memory]

Options:
  --port PORT   the port on 127.0.0.1 to serve on (default 8000; 0 picks a free one)
  --db PATH     keep the tables in this SQLite file, created when missing, so that they
                outlive the server (default .dynamodb/local-PORT.db)
  --in-memory   keep the tables in memory: they go when the server stops
  -h, --help    print this help

The server runs until it is interrupted (Ctrl-C) or terminated. Clients reach it with
any region and any credentials, for example:
  dynaschema --local plan        (--local is http://localhost:8000)
  AWS_ENDPOINT_URL=http://127.0.0.1:8000 aws dynamodb list-tables";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dynaschema-local: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut port: u16 = 8000;
    let mut storage = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--port" => {
                let value = args.next().ok_or("--port needs a port number")?;
                port = value
                    .parse()
                    .map_err(|_| format!("not a port number: {value}"))?;
            }
            "--db" => {
                storage = Some(Storage::File(
                    args.next().ok_or("--db needs a file path")?.into(),
                ))
            }
            "--in-memory" => storage = Some(Storage::Memory),
            other => return Err(format!("unknown argument `{other}`; see --help")),
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let storage = storage
        .unwrap_or_else(|| Storage::File(PathBuf::from(format!(".dynamodb/local-{port}.db"))));
    let address = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let server = runtime
        .block_on(LocalServer::serve(storage, address))
        .map_err(|e| e.to_string())?;
    let kept = match server.storage() {
        Storage::Memory => "in memory".to_owned(),
        Storage::File(path) => format!("in {}", path.display()),
        _ => "elsewhere".to_owned(),
    };
    println!(
        "dynaschema-local: serving on {} (tables kept {kept})",
        server.endpoint()
    );
    // The server has a thread of its own; this one only keeps the process alive until a
    // signal ends it. SQLite keeps the file consistent however the process ends.
    loop {
        std::thread::park();
    }
}
