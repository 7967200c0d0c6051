//! The verdicts, first on the overview: what the capture shows in plain words, how sure that is,
//! and links to the evidence (tunnels, calls, streams, names, conversations, processes).

use callscope_analysis::verdicts::{Confidence, Evidence, Verdict};
use callscope_view::headline;
use yew::prelude::*;

use crate::context::use_shown;
use crate::route::Route;

/// Evidence lists longer than this show their first items and a count.
const SHOWN: usize = 8;

/// The verdicts card.
#[function_component(Verdicts)]
pub fn verdicts() -> Html {
    let Some(shown) = use_shown() else {
        return html! {};
    };
    let r = &shown.report;
    html! {
        <section class="card verdicts" data-testid="verdicts" aria-label="Verdicts">
            <h2>{ "Verdicts" }</h2>
            if r.verdicts.is_empty() {
                <p class="muted" data-testid="verdicts-none">{ headline::verdicts(r) }</p>
            }
            { for r.verdicts.iter().map(verdict) }
        </section>
    }
}

fn verdict(v: &Verdict) -> Html {
    let level = v.confidence.as_str();
    html! {
        <article class={classes!("verdict", level)} data-testid="verdict" data-id={v.id.clone()}>
            <h3>
                <span class={classes!("badge", level)} title={confidence_help(v.confidence)}>{ level }</span>
                { " " }{ &v.title }
            </h3>
            <p>{ &v.detail }</p>
            if let (Some(c), false) = (&v.certain_if, v.confidence == Confidence::Certain) {
                <p class="muted certain-if">{ format!("Certain if: {c}") }</p>
            }
            { evidence(&v.evidence) }
        </article>
    }
}

fn confidence_help(c: Confidence) -> &'static str {
    match c {
        Confidence::Certain => "The evidence admits no other reading",
        Confidence::Likely => {
            "The evidence fits and nothing contradicts it, but another reading remains"
        }
        Confidence::Possible => "A hint worth checking",
    }
}

/// One link per piece of evidence the page has a view for; frames and interfaces as text.
fn evidence(e: &Evidence) -> Html {
    let mut links: Vec<Html> = Vec::new();
    let push = |links: &mut Vec<Html>, route: Route, text: String| {
        links.push(html! { <a href={route.href()} data-testid="evidence">{ text }</a> });
    };
    for &t in e.tunnels.iter().take(SHOWN) {
        push(
            &mut links,
            Route::Tunnels(Some(t)),
            format!("tunnel {}", t + 1),
        );
    }
    for id in e.calls.iter().take(SHOWN) {
        push(
            &mut links,
            Route::Calls(Some(id.clone()), None),
            format!("call {}", short(id)),
        );
    }
    for &s in e.streams.iter().take(SHOWN) {
        push(
            &mut links,
            Route::Media(Some(s)),
            format!("stream {}", s + 1),
        );
    }
    for n in e.names.iter().take(SHOWN) {
        push(&mut links, Route::Names, n.clone());
    }
    for f in e.flows.iter().take(SHOWN) {
        push(&mut links, Route::Network, f.clone());
    }
    for p in e.processes.iter().take(SHOWN) {
        push(&mut links, Route::Processes(Some(p.pid)), p.to_string());
    }
    for i in e.interfaces.iter().take(SHOWN) {
        links.push(html! { <span class="mono">{ i }</span> });
    }
    if !e.frames.is_empty() {
        let mut frames: Vec<String> = e.frames.iter().take(SHOWN).map(u64::to_string).collect();
        if e.frames.len() > SHOWN {
            frames.push(format!("… {} more", e.frames.len() - SHOWN));
        }
        let label = if e.frames.len() == 1 {
            "frame"
        } else {
            "frames"
        };
        links.push(html! { <span>{ format!("{label} {}", frames.join(", ")) }</span> });
    }
    if links.is_empty() {
        return html! {};
    }
    html! {
        <p class="evidence"><span class="muted">{ "Evidence: " }</span>{ for links.into_iter().map(|l| html! { <>{ l }{ " " }</> }) }</p>
    }
}

/// A Call-ID short enough for a link: its first 16 characters.
fn short(id: &str) -> String {
    match id.char_indices().nth(16) {
        Some((at, _)) => format!("{}…", &id[..at]),
        None => id.to_owned(),
    }
}
