//! Finishing dist/ after `trunk build`, so that it works from any static host and sub-path, with
//! no inline script and offline after the first visit:
//!
//! - Trunk's inline `<script type="module">` loader moves to a file of its own
//!   (`init-<hash>.js`), so the Content-Security-Policy needs no `'unsafe-inline'` for scripts;
//!   the policy in index.html is rewritten to [`CSP`].
//! - `decoder.js`, the decoding worker's module loader: the page's own wasm module, started in a
//!   module worker, where its `main` runs the decoder (web/src/decoder.rs). One module for the
//!   page and the decoder, so the code they share (serde, the report's types, std) is sent once.
//! - `sw.js`, a service worker that caches every file of dist/ (named in it, with a cache name
//!   that changes when any file does) and answers those files from that cache, so the page loads
//!   and decodes with no network. A new build's worker waits until the old build's tabs are
//!   closed (no `skipWaiting`), so a tab never gets a decoder of another build. The page
//!   registers it and says when it is ready.
//!
//! `cargo xtask dist` builds the page and prints how to publish it.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::setup::{self, step};

/// The page's Content-Security-Policy: its own files only, wasm compilation, no inline script,
/// no third-party origin. (Inline styles are allowed: Yew sets `style` attributes.)
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'none'";

/// FNV-1a, for file names and the cache name (not for security).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Moves the inline module script of `html` into a file in `dist`, writes the decoding worker's
/// loader beside it; returns the new html.
fn external_loader(html: &str, dist: &Path) -> Result<String> {
    let open = "<script type=\"module\">";
    let Some(start) = html.find(open) else {
        bail!("dist/index.html has no inline module script to move (has Trunk changed?)");
    };
    let body_start = start + open.len();
    let end = html[body_start..]
        .find("</script>")
        .context("unclosed inline script")?
        + body_start;
    let script = &html[body_start..end];
    let name = format!("init-{:016x}.js", fnv(script.as_bytes()));
    std::fs::write(dist.join(&name), script.trim()).with_context(|| format!("writing {name}"))?;
    std::fs::write(dist.join(DECODER), decoder_loader(script)?)
        .with_context(|| format!("writing {DECODER}"))?;
    Ok(format!(
        "{}<script type=\"module\" src=\"./{name}\"></script>{}",
        &html[..start],
        &html[end + "</script>".len()..]
    ))
}

/// The name of the decoding worker's loader; web/src/bridge.rs starts it by this name.
const DECODER: &str = "decoder.js";

/// The decoding worker's loader for Trunk's module `loader` (its `import init … from './app-….js'`
/// and `init({ module_or_path: './app-…_bg.wasm' })`): the same module and wasm, started in a
/// worker (where the app's `main` runs the decoder instead of the page).
fn decoder_loader(loader: &str) -> Result<String> {
    let quoted_after = |key: &str| -> Result<&str> {
        let at = loader
            .find(key)
            .with_context(|| format!("Trunk's loader has no {key:?} (has Trunk changed?)"))?
            + key.len();
        let end = loader[at..]
            .find('\'')
            .context("unclosed quote in Trunk's loader")?
            + at;
        Ok(&loader[at..end])
    };
    let glue = quoted_after("from '")?;
    let wasm = quoted_after("module_or_path: '")?;
    Ok(format!(
        "// The decoding worker: the page's own module started in a module worker, where its main runs the\n\
         // decoder (web/src/decoder.rs). Written by `cargo xtask` (xtask/src/dist.rs).\n\
         import init from '{glue}';\n\
         await init({{ module_or_path: '{wasm}' }});\n"
    ))
}

/// Replaces the Content-Security-Policy meta's content with [`CSP`].
fn strict_csp(html: &str) -> Result<String> {
    let key = "http-equiv=\"Content-Security-Policy\" content=\"";
    let at = html
        .find(key)
        .context("dist/index.html has no Content-Security-Policy meta")?
        + key.len();
    let end = html[at..].find('"').context("unclosed CSP")? + at;
    Ok(format!("{}{CSP}{}", &html[..at], &html[end..]))
}

/// Every file under `dir`, relative, with `/`.
fn files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if e.file_type()?.is_dir() {
            files(&e.path(), &format!("{name}/"), out)?;
        } else if name != "sw.js" {
            out.push(name);
        }
    }
    Ok(())
}

/// The service worker for the files of `dist`.
fn service_worker(dist: &Path) -> Result<String> {
    let mut list = Vec::new();
    files(dist, "", &mut list)?;
    let mut stamp = Vec::new();
    for f in &list {
        stamp.extend_from_slice(f.as_bytes());
        stamp.extend_from_slice(&std::fs::read(dist.join(f))?);
    }
    let cache = format!("callscope-{:016x}", fnv(&stamp));
    let entries: Vec<String> = std::iter::once("./".to_owned())
        .chain(list.iter().map(|f| format!("./{f}")))
        .map(|f| format!("  '{f}',"))
        .collect();
    Ok(format!(
        "// callscope's service worker, written by `cargo xtask` (xtask/src/dist.rs) for this build: it caches the\n\
         // page's own files (fetched past the HTTP cache) and answers those from that cache, so the page works\n\
         // offline after one visit. It answers nothing else and never sees a capture (files are read in the page).\n\
         // A new build waits until every tab of the old one is closed, so a tab never mixes two builds.\n\
         const CACHE = '{cache}';\n\
         const FILES = [\n{}\n];\n\
         const SCOPE = new URL('./', self.location).href;\n\
         const OURS = new Set(FILES.map((f) => new URL(f, SCOPE).href));\n\
         self.addEventListener('install', (event) => {{\n\
         \x20 event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((f) => new Request(f, {{ cache: 'reload' }})))));\n\
         }});\n\
         self.addEventListener('activate', (event) => {{\n\
         \x20 event.waitUntil(caches.keys().then((keys) =>\n\
         \x20   Promise.all(keys.filter((k) => k.startsWith('callscope-') && k !== CACHE).map((k) => caches.delete(k)))));\n\
         }});\n\
         self.addEventListener('fetch', (event) => {{\n\
         \x20 const url = new URL(event.request.url);\n\
         \x20 url.search = '';\n\
         \x20 url.hash = '';\n\
         \x20 if (event.request.method !== 'GET' || !OURS.has(url.href)) return;\n\
         \x20 event.respondWith(caches.open(CACHE)\n\
         \x20   .then((cache) => cache.match(url.href))\n\
         \x20   .then((hit) => hit ?? fetch(event.request)));\n\
         }});\n",
        entries.join("\n")
    ))
}

/// Finishes dist/ as the module docs say.
pub fn finish(dist: &Path) -> Result<()> {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).context("reading dist/index.html")?;
    let html = strict_csp(&external_loader(&html, dist)?)?;
    std::fs::write(&index, html).context("writing dist/index.html")?;
    std::fs::write(dist.join("sw.js"), service_worker(dist)?).context("writing dist/sw.js")?;
    Ok(())
}

/// `cargo xtask dist`: builds the page into dist/ and says how to publish it.
pub fn run(_args: &[String]) -> Result<()> {
    setup::page_tools()?;
    setup::build_page()?;
    let dist = setup::root().join("dist");
    let mut list = Vec::new();
    files(&dist, "", &mut list)?;
    let bytes: u64 = list
        .iter()
        .filter_map(|f| std::fs::metadata(dist.join(f)).ok())
        .map(|m| m.len())
        .sum();
    step("dist/ is ready");
    println!(
        "{} files, {:.1} MB, in {}.\n\
         Publish: copy dist/ as it is to any static host, at any path (GitHub Pages, S3, nginx, a USB stick\n\
         served by `python3 -m http.server`). Serve .wasm as application/wasm. Optionally send the header\n\
         Content-Security-Policy: {CSP}\n\
         (index.html carries the same policy in a meta tag). After one visit the page works offline.",
        list.len() + 1,
        bytes as f64 / 1e6,
        dist.display()
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_inline_loader_moves_to_a_file_and_the_policy_drops_unsafe_inline() {
        let dir = std::env::temp_dir().join(format!("callscope-dist-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("static")).unwrap();
        std::fs::write(dir.join("app.wasm"), b"\0asm").unwrap();
        std::fs::write(dir.join("static/demo.pcapng"), b"demo").unwrap();
        std::fs::write(
            dir.join("index.html"),
            "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'self' 'unsafe-inline'\" />\n\
             <script type=\"module\">\nimport init, * as bindings from './app-1f.js';\nconst wasm = await init({ module_or_path: './app-1f_bg.wasm' });\n</script>\n<body></body>",
        )
        .unwrap();
        finish(&dir).unwrap();
        let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
        assert!(!html.contains("import init"), "{html}");
        assert!(
            !html.contains("unsafe-inline'; worker")
                && html.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{html}"
        );
        let name = html
            .split("src=\"./")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(name.starts_with("init-") && name.ends_with(".js"));
        assert_eq!(
            std::fs::read_to_string(dir.join(name)).unwrap(),
            "import init, * as bindings from './app-1f.js';\nconst wasm = await init({ module_or_path: './app-1f_bg.wasm' });"
        );
        let decoder = std::fs::read_to_string(dir.join(DECODER)).unwrap();
        assert!(
            decoder.contains("import init from './app-1f.js';\nawait init({ module_or_path: './app-1f_bg.wasm' });\n"),
            "{decoder}"
        );
        let sw = std::fs::read_to_string(dir.join("sw.js")).unwrap();
        for f in [
            "'./'",
            "'./index.html'",
            "'./app.wasm'",
            "'./static/demo.pcapng'",
            "'./decoder.js'",
            &format!("'./{name}'"),
        ] {
            assert!(sw.contains(f), "{f} in {sw}");
        }
        assert!(!sw.contains("'./sw.js'"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
