//! The protocol hierarchy, indented like tshark's `-z io,phs`, with a bar for each share.

use callscope_view::format;
use yew::prelude::*;

use crate::context::use_shown;

/// The hierarchy.
#[function_component(Hierarchy)]
pub fn hierarchy() -> Html {
    let Some(shown) = use_shown() else {
        return html! {};
    };
    let r = &shown.report;
    let total = r.capture.packets.max(1) as f64;
    html! {
        <section class="card">
            <h2>{ "Protocol hierarchy" }</h2>
            <div class="scroll" tabindex="0" role="region" aria-label="protocol hierarchy table">
                <table data-testid="hierarchy" class="hierarchy">
                    <thead><tr><th scope="col">{ "Protocol" }</th><th class="num" scope="col">{ "Frames" }</th><th class="num" scope="col">{ "% frames" }</th><th class="num" scope="col">{ "Bytes" }</th></tr></thead>
                    <tbody>{ for r.hierarchy.iter().map(|n| {
                        let share = n.frames as f64 * 100.0 / total;
                        html! {
                            <tr>
                                <td style={format!("padding-left:{:.1}em", 0.4 + (n.path.len() as f64 - 1.0) * 0.9)}>
                                    { n.path.last().cloned().unwrap_or_default() }
                                </td>
                                <td class="num">{ format::count(n.frames) }</td>
                                <td class="num share"><span class="meter" style={format!("width:{share:.1}%")}></span>{ format!("{share:.1}") }</td>
                                <td class="num" title={format!("{} bytes", format::count(n.bytes))}>{ format::bytes(n.bytes) }</td>
                            </tr>
                        }
                    }) }</tbody>
                </table>
            </div>
        </section>
    }
}
