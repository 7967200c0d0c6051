//! The protocol hierarchy, indented like tshark's `-z io,phs`.

use yew::prelude::*;

use super::human_bytes;
use super::report::SectionProps;

/// The hierarchy section.
#[function_component(Hierarchy)]
pub fn hierarchy(props: &SectionProps) -> Html {
    let total = props.report.capture.packets.max(1) as f64;
    html! {
        <section>
            <h2>{ "Protocol hierarchy" }</h2>
            <table data-testid="hierarchy">
                <thead><tr><th>{ "Protocol" }</th><th class="num">{ "Frames" }</th><th class="num">{ "% frames" }</th><th class="num">{ "Bytes" }</th></tr></thead>
                <tbody>{ for props.report.hierarchy.iter().map(|n| html! {
                    <tr>
                        <td style={format!("padding-left:{}em", n.path.len())}>{ n.path.last().cloned().unwrap_or_default() }</td>
                        <td class="num">{ n.frames }</td>
                        <td class="num">{ format!("{:.1}", n.frames as f64 * 100.0 / total) }</td>
                        <td class="num" title={n.bytes.to_string()}>{ human_bytes(n.bytes) }</td>
                    </tr>
                }) }</tbody>
            </table>
        </section>
    }
}
