//! The capture summary: format, link types, packets, bytes, duration, and what went wrong.

use std::rc::Rc;

use callscope_analysis::Report;
use yew::prelude::*;

use super::human_bytes;

/// Props of [`Summary`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// File name.
    pub name: AttrValue,
    /// The report.
    pub report: Rc<Report>,
    /// File size.
    pub bytes: f64,
    /// Milliseconds the analysis took.
    pub ms: f64,
}

/// The summary card.
#[function_component(Summary)]
pub fn summary(props: &Props) -> Html {
    let c = &props.report.capture;
    let item = |label: &str, value: String, testid: &str| {
        html! {
            <div><dt>{ label }</dt><dd data-testid={testid.to_string()}>{ value }</dd></div>
        }
    };
    let mbps = props.bytes / 1e6 / (props.ms / 1e3).max(1e-3);
    let interfaces: Vec<String> = c
        .interfaces
        .iter()
        .map(|i| {
            format!(
                "{} ({})",
                i.name.clone().unwrap_or_else(|| format!("#{}", i.index)),
                i.link_type
            )
        })
        .collect();
    html! {
        <section data-testid="summary">
            <h2>{ &props.name }</h2>
            <dl class="summary">
                { item("Format", c.format.clone(), "format") }
                { item("Link types", c.link_types.join(", "), "link-types") }
                { item("Interfaces", interfaces.join(", "), "interfaces") }
                { item("Packets", c.packets.to_string(), "packets") }
                { item("Bytes", c.bytes.to_string(), "bytes") }
                { item("Duration", format!("{:.3} s", c.duration), "duration") }
                { item("Endpoints", props.report.endpoints.len().to_string(), "endpoints") }
                { item("Conversations", props.report.conversations.len().to_string(), "conversations") }
                { item("Malformed", c.malformed.to_string(), "malformed") }
                { item("Decoded in", format!("{:.0} ms ({} at {mbps:.0} MB/s)", props.ms, human_bytes(props.bytes as u64)), "timing") }
            </dl>
            if let Some(err) = &c.error {
                <p class={if c.truncated { "warning" } else { "error" }} data-testid="capture-error">
                    { if c.truncated { "Truncated: " } else { "Stopped: " } }{ err }{ ". The report covers what was read before." }
                </p>
            }
            if c.unknown_link_type > 0 {
                <p class="warning">{ format!("{} packets use a link type callscope does not decode yet.", c.unknown_link_type) }</p>
            }
        </section>
    }
}
