//! `cargo xtask serve`: build the page and serve dist/ on 127.0.0.1 (port 8080 unless `--port N`).
//!
//! A small static server of our own instead of `trunk serve`: no live-reload socket, the CSP header
//! the page is meant to run under, and `application/wasm` for streaming compilation.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};

use crate::setup;

pub fn run(args: &[String]) -> Result<()> {
    let port = match args.iter().position(|a| a == "--port") {
        Some(i) => args
            .get(i + 1)
            .context("--port needs a number")?
            .parse()
            .context("--port needs a number")?,
        None => 8080u16,
    };
    if !args.iter().any(|a| a == "--no-build") {
        setup::page_tools()?;
        setup::build_page()?;
    }
    let dist = setup::root().join("dist");
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    eprintln!("\ncallscope page: http://127.0.0.1:{port}/  (Ctrl-C stops)");
    for stream in listener.incoming().flatten() {
        let dist = dist.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &dist);
        });
    }
    Ok(())
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn handle(mut stream: TcpStream, dist: &Path) -> Result<()> {
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone()?);
    reader.read_line(&mut line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let target = target.split(['?', '#']).next().unwrap_or("/");
    let mut path = PathBuf::from(dist);
    for part in Path::new(target.trim_start_matches('/')).components() {
        if let Component::Normal(p) = part {
            path.push(p);
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    match std::fs::read(&path) {
        Ok(body) => {
            write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nContent-Security-Policy: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n", mime(&path), body.len(), crate::dist::CSP)?;
            stream.write_all(&body)?;
        }
        Err(_) => {
            let body = b"not found";
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(body)?;
        }
    }
    Ok(())
}
