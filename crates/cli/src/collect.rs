//! `callscope collect [--json] [-o FILE]`: this host's interfaces, routes and sockets with their
//! processes, as text close to `ifconfig`, `netstat -rn` and `lsof -i`, or as `facts.json`
//! (schema "callscope.facts/1"). Needs no privileges; what they would add is said, not hidden.

use crate::safe_text::SafeText;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use callscope_collector::facts::{Facts, Interface, Route, Socket};
use callscope_collector::names;

#[derive(clap::Args)]
pub struct Args {
    /// Print the facts as JSON (what `callscope analyze --facts` and the page read).
    #[arg(long)]
    json: bool,
    /// Write the JSON facts to this file (e.g. facts.json) instead of printing them.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let facts = callscope_collector::collect();
    if let Some(path) = &args.output {
        return match callscope_collector::capture::write_facts(path, &facts) {
            Ok(()) => {
                eprintln!(
                    "callscope: wrote {} ({} interfaces, {} routes, {} sockets)",
                    path.display(),
                    facts.interfaces.len(),
                    facts.routes.len(),
                    facts.sockets.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("callscope: {e}");
                ExitCode::from(1)
            }
        };
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &facts)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        // Interface and process names are the host's: escaped like a capture's strings.
        write_text(&mut SafeText(&mut out), &facts)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("callscope: writing the facts: {e}");
            ExitCode::from(1)
        }
    }
}

/// The whole text view: interfaces, routes, sockets, then notes.
pub fn write_text(out: &mut dyn Write, facts: &Facts) -> io::Result<()> {
    writeln!(
        out,
        "{} ({}{}), {}{}",
        facts.host.hostname,
        facts.host.os,
        facts
            .host
            .release
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default(),
        facts.host.collector,
        if facts.host.privileged {
            ", as root"
        } else {
            ", unprivileged"
        }
    )?;
    writeln!(out, "\nInterfaces")?;
    for i in &facts.interfaces {
        write_interface(out, i, facts.host.os == "macos")?;
    }
    write_routes(out, &facts.routes)?;
    write_sockets(out, &facts.sockets)?;
    if !facts.notes.is_empty() {
        writeln!(out, "\nNotes")?;
        for n in &facts.notes {
            writeln!(out, "  {n}")?;
        }
    }
    Ok(())
}

/// One ifconfig-like block: `name: flags=N<…> mtu M`, then one line per address.
fn write_interface(out: &mut dyn Write, i: &Interface, hex_flags: bool) -> io::Result<()> {
    let value = if hex_flags {
        format!("{:x}", i.flags_value)
    } else {
        i.flags_value.to_string()
    };
    write!(out, "{}: flags={value}<{}>", i.name, i.flags.join(","))?;
    if let Some(mtu) = i.mtu {
        write!(out, " mtu {mtu}")?;
    }
    write!(out, " index {} kind {}", i.index, i.kind)?;
    if i.default_route {
        write!(out, " default-route")?;
    }
    writeln!(out)?;
    for a in &i.addresses {
        let word = if a.family == "ipv6" { "inet6" } else { "inet" };
        write!(out, "\t{word} {}/{}", a.addr, a.prefix)?;
        if let Some(p) = &a.peer {
            write!(out, " --> {p}")?;
        }
        if let Some(b) = &a.broadcast {
            write!(out, " broadcast {b}")?;
        }
        writeln!(out, " scope {} class {}", a.scope, a.class)?;
    }
    if let Some(mac) = &i.mac {
        writeln!(out, "\tether {mac}")?;
    }
    Ok(())
}

/// A `netstat -rn`-like table per family.
fn write_routes(out: &mut dyn Write, routes: &[Route]) -> io::Result<()> {
    writeln!(out, "\nRoutes")?;
    for (family, title) in [("ipv4", "Internet:"), ("ipv6", "Internet6:")] {
        let rows: Vec<&Route> = routes.iter().filter(|r| r.family == family).collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "{title}")?;
        writeln!(
            out,
            "{:<32} {:<28} {:<8} {:<10} {:>7}  Default",
            "Destination", "Gateway", "Flags", "Netif", "Metric"
        )?;
        for r in rows {
            writeln!(
                out,
                "{:<32} {:<28} {:<8} {:<10} {:>7}  {}",
                r.destination,
                r.gateway.as_deref().unwrap_or("-"),
                names::route_flag_letters(&r.flags),
                r.interface,
                r.metric.map(|m| m.to_string()).unwrap_or_default(),
                default_note(r)
            )?;
        }
    }
    Ok(())
}

/// An `lsof -i -P -n`-like table.
fn write_sockets(out: &mut dyn Write, sockets: &[Socket]) -> io::Result<()> {
    writeln!(out, "\nSockets")?;
    writeln!(
        out,
        "{:<16} {:>7} {:<10} {:<5} {:<46} {:<46} {:<12} PATH",
        "COMMAND", "PID", "USER", "PROTO", "LOCAL", "REMOTE", "STATE"
    )?;
    let mut sorted: Vec<&Socket> = sockets.iter().collect();
    sorted.sort_by(|a, b| {
        a.pid
            .is_none()
            .cmp(&b.pid.is_none())
            .then(a.process.cmp(&b.process))
            .then(a.pid.cmp(&b.pid))
            .then(a.protocol.cmp(&b.protocol))
            .then(a.local.cmp(&b.local))
    });
    for s in sorted {
        writeln!(
            out,
            "{:<16} {:>7} {:<10} {:<5} {:<46} {:<46} {:<12} {}",
            s.process.as_deref().unwrap_or("?"),
            s.pid.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            s.user
                .clone()
                .or_else(|| s.uid.map(|u| u.to_string()))
                .unwrap_or_default(),
            s.protocol.to_uppercase(),
            s.local,
            s.remote.as_deref().unwrap_or("*"),
            s.state,
            match (&s.path, &s.unknown) {
                (Some(p), _) => p.clone(),
                (None, Some(why)) => format!("({why})"),
                (None, None) => String::new(),
            }
        )?;
    }
    Ok(())
}

/// The Default column: `yes` for the default in effect; a /0 that is not says why.
fn default_note(r: &Route) -> String {
    match (&r.table, r.scoped, r.default) {
        (_, _, true) => "yes".into(),
        (Some(t), _, _) => format!("table {t}"),
        (None, true, _) => "scoped".into(),
        _ => String::new(),
    }
}
