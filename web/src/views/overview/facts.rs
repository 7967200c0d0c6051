//! The capture's facts: format, link types, interfaces with their packets, when it started and
//! ended (in the viewer's zone), how long, packets and bytes, what could not be decoded, and the
//! limits the analysis hit.

use callscope_view::{capture, format};
use yew::prelude::*;

use crate::context::{use_page, use_shown};
use crate::views::{fact, fact_id};

/// The facts card.
#[function_component(Facts)]
pub fn facts() -> Html {
    let (Some(shown), Some(page)) = (use_shown(), use_page()) else {
        return html! {};
    };
    let r = &shown.report;
    let c = &r.capture;
    let limits = capture::limits_hit(r);
    let mbps = shown.bytes / 1e6 / (shown.ms / 1e3).max(1e-3);
    html! {
        <section class="card" data-testid="summary">
            <h2>{ "Capture" }</h2>
            <dl class="facts">
                { fact_id("File", shown.name.clone(), "file-name") }
                { fact_id("Format", c.format.clone(), "format") }
                { fact_id("Link types", c.link_types.join(", "), "link-types") }
                { fact_id("Start", format!("{} {}", page.clock(&shown, 0.0), format::zone(page.tz)), "start") }
                { fact_id("End", format!("{} {}", page.clock(&shown, c.duration), format::zone(page.tz)), "end") }
                { fact_id("Duration", format!("{} ({:.3} s)", format::duration(c.duration), c.duration), "duration") }
                { fact_id("Packets", format::count(c.packets), "packets") }
                { fact_id("Bytes", format!("{} ({})", format::count(c.bytes), format::bytes(c.bytes)), "bytes") }
                { fact_id("Endpoints", format::count(r.endpoints.len() as u64), "endpoints") }
                { fact_id("Conversations", format::count(r.conversations.len() as u64), "conversations") }
                { fact_id("Malformed", format::count(c.malformed), "malformed") }
                if c.unknown_link_type > 0 {
                    { fact("Link type not decoded", format!("{} packets", format::count(c.unknown_link_type))) }
                }
                if !shown.shared {
                    { fact_id("Decoded in", format!("{:.0} ms ({} at {mbps:.0} MB/s, in this tab)", shown.ms, format::bytes(shown.bytes as u64)), "timing") }
                    if let Some(drawn) = page.drawn_ms {
                        { fact_id("On screen", format!("{drawn:.0} ms after the file was given (reading, decoding, handing the report over and drawing it)"), "drawn") }
                    }
                }
            </dl>
            <h3>{ "Interfaces" }</h3>
            <ul class="interfaces" data-testid="interfaces">
                { for c.interfaces.iter().map(|i| html! {
                    <li>
                        <strong>{ i.name.clone().unwrap_or_else(|| format!("interface {}", i.index)) }</strong>
                        { format!(" {} · {} packets", i.link_type, format::count(i.packets)) }
                        { i.span.map(|[a, b]| format!(" · {a:.3}–{b:.3} s")).unwrap_or_default() }
                    </li>
                }) }
            </ul>
            if !c.malformed_reasons.is_empty() {
                <h3>{ "Not decoded" }</h3>
                <ul class="reasons">
                    { for c.malformed_reasons.iter().map(|m| html! { <li>{ format!("{} × {} (first in frame {})", format::count(m.count), m.reason, m.first_frame) }</li> }) }
                </ul>
            }
            <h3>{ "Limits" }</h3>
            if limits.is_empty() {
                <p class="muted" data-testid="limits">{ "None hit: everything in the file was analysed." }</p>
            } else {
                <ul class="reasons warning" data-testid="limits">
                    { for limits.iter().map(|(what, n)| html! { <li>{ format!("{} {what}", format::count(*n)) }</li> }) }
                </ul>
            }
        </section>
    }
}
