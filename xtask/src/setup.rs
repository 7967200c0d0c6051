//! Installs what the commands need, skipping whatever is already present: the wasm32 target,
//! Trunk and wasm-bindgen-cli at pinned versions, Debian packages, npm packages.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Trunk 0.21.14 builds with rustc 1.95 (0.22 needs ≥ 1.96.1).
pub const TRUNK_VERSION: &str = "0.21.14";

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Prints a step header.
pub fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// Runs a command in the workspace root, failing with its exit status.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {shown}");
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Builds the plain release CLI (`cargo build --release -p callscope`); its path.
pub fn release_cli() -> Result<PathBuf> {
    run(Command::new("cargo").args(["build", "--release", "-p", "callscope"]))?;
    Ok(root().join("target/release/callscope"))
}

/// Output of a command, or None when it cannot run.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.current_dir(root()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    home.map(|h| h.join("bin").join(name))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// A tool from `cargo install`, by absolute path when it is there (PATH may lack ~/.cargo/bin).
pub fn tool(name: &str) -> PathBuf {
    let p = cargo_bin(name);
    if p.is_file() {
        p
    } else {
        PathBuf::from(name)
    }
}

/// The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("wasm-bindgen not found in Cargo.lock")
}

fn ensure_cargo_tool(krate: &str, bin: &str, version: &str, extra: &[&str]) -> Result<()> {
    let have = output(Command::new(tool(bin)).arg("--version")).unwrap_or_default();
    if have.split_whitespace().any(|w| w == version) {
        eprintln!("{bin} {version}: present");
        return Ok(());
    }
    step(&format!(
        "installing {krate} {version} (first time only; Trunk takes ~10 minutes on 2 cores)"
    ));
    run(Command::new("cargo")
        .args(["install", krate, "--version", version])
        .args(extra))
}

/// The wasm32 target for the page's crates.
pub fn wasm_target() -> Result<()> {
    rust_target("wasm32-unknown-unknown")
}

/// A rustup target (the standard library for another platform), added when missing.
pub fn rust_target(name: &str) -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == name) {
        eprintln!("rustup target {name}: present");
        return Ok(());
    }
    step(&format!("adding rustup target {name}"));
    run(Command::new("rustup").args(["target", "add", name]))
}

/// A rustup component (`clippy`, `rustfmt`), added when missing: a minimal toolchain lacks both.
pub fn rust_component(name: &str) -> Result<()> {
    let installed = output(Command::new("rustup").args(["component", "list", "--installed"]))
        .unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim().starts_with(&format!("{name}-")))
    {
        eprintln!("rustup component {name}: present");
        return Ok(());
    }
    step(&format!("adding rustup component {name}"));
    run(Command::new("rustup").args(["component", "add", name]))
}

/// Everything `trunk build` needs: the target, Trunk, the matching wasm-bindgen CLI, the crates.
pub fn page_tools() -> Result<()> {
    step("page tools");
    wasm_target()?;
    ensure_cargo_tool(
        "trunk",
        "trunk",
        TRUNK_VERSION,
        &["--locked", "--no-default-features", "--features", "rustls"],
    )?;
    // `--locked` fails for wasm-bindgen-cli 0.2.130 (a locked dependency was yanked), so resolve.
    ensure_cargo_tool(
        "wasm-bindgen-cli",
        "wasm-bindgen",
        &locked_wasm_bindgen()?,
        &[],
    )?;
    // Trunk runs offline (Trunk.toml); the crates must be in the local registry first.
    run(Command::new("cargo").args(["fetch", "--target", "wasm32-unknown-unknown"]))
}

/// Builds the page into dist/.
pub fn build_page() -> Result<()> {
    step("building the page (trunk build --release)");
    run(Command::new(tool("trunk")).args(["build", "--release"]))?;
    crate::dist::finish(&root().join("dist"))
}

/// Debian packages, installed with apt-get when any is missing.
pub fn apt(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !output(Command::new("dpkg-query").args(["-W", "-f", "${Status}", p]))
                .is_some_and(|s| s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        eprintln!("debian packages {}: present", packages.join(" "));
        return Ok(());
    }
    step(&format!(
        "installing debian packages: {}",
        missing.join(" ")
    ));
    let sudo: &[&str] = if output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0") {
        &[]
    } else {
        &["sudo"]
    };
    let apt_get = |args: &[&str]| {
        let mut full: Vec<&str> = sudo.to_vec();
        full.push("apt-get");
        full.extend_from_slice(args);
        let mut cmd = Command::new(full[0]);
        cmd.args(&full[1..])
            .env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd)
    };
    apt_get(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(missing.iter().copied());
    apt_get(&args)
}

/// npm packages of a folder with a package-lock.json (`npm ci` unless node_modules is current).
pub fn npm(dir: &str) -> Result<()> {
    let d = root().join(dir);
    let lock = d.join("package-lock.json");
    let stamp = d.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::read(&lock), std::fs::read(&stamp)) {
        (Ok(_), Ok(_)) => {
            stamp.metadata().and_then(|m| m.modified()).ok()
                >= lock.metadata().and_then(|m| m.modified()).ok()
        }
        _ => false,
    };
    if fresh {
        eprintln!("npm packages in {dir}: present");
        return Ok(());
    }
    step(&format!("installing npm packages in {dir}"));
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--prefix", dir]))
}
