//! `callscope`: the command-line tool. `analyze` reads a capture and prints the report as text or
//! JSON; the collector commands arrive with the collector crate.

mod analyze;
mod progress;
mod text;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// What this host is doing on the network when it makes calls and tunnels.
#[derive(Parser)]
#[command(name = "callscope", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze a capture file (pcap, pcapng, optionally gzip-compressed; `-` reads standard input).
    Analyze(analyze::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
    }
}
