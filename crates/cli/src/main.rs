//! `callscope`: the command-line tool. `analyze` reads a capture and prints the report as text or
//! JSON; `collect` prints this host's interfaces, routes and socket owners; `capture` records a
//! capture with those facts beside it.

mod analyze;
mod audio;
mod capture;
mod collect;
mod json_out;
mod ladder;
mod progress;
mod safe_text;
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
    /// Print this host's interfaces, routes and TCP/UDP sockets with their processes (no
    /// privileges needed; --json for facts.json).
    Collect(collect::Args),
    /// Record a capture (pcapng) with facts.json beside it, so flows can be named by process.
    Capture(capture::Args),
}

fn main() -> ExitCode {
    callscope_collector::return_freed_large_blocks();
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Collect(args) => collect::run(args),
        Command::Capture(args) => capture::run(args),
    }
}
