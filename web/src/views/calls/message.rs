//! One message of a ladder: its start line, main header fields and SDP, with links to the
//! previous and next message. Escape (or Close) goes back to the ladder.

use callscope_analysis::sip::report::{LadderMessage, SdpMessage};
use yew::prelude::*;

use crate::route::Route;

/// Props of [`MessageDetail`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The call's (or exchange's) Call-ID.
    pub call_id: AttrValue,
    /// Index of the message.
    pub index: usize,
    /// Messages in the ladder.
    pub total: usize,
    /// The message.
    pub message: LadderMessage,
    /// Its SDP, when it carried some.
    pub sdp: Option<SdpMessage>,
    /// Its clock time.
    pub clock: AttrValue,
}

/// The SDP of a message: one line per `m=` section.
pub fn sdp_lines(s: &SdpMessage) -> Html {
    html! {
        <div class="sdp" data-testid="message-sdp">
            <p>{ format!("SDP {} (version {}), connection {}", s.kind, s.version.as_deref().unwrap_or("?"), s.connection.as_deref().unwrap_or("none")) }</p>
            <ul>
                { for s.media.iter().map(|m| {
                    let codecs: Vec<String> = m.codecs.iter().map(|c| format!("{} {}/{}", c.pt, c.name, c.clock)).collect();
                    html! {
                        <li class="mono">{ format!(
                            "{} {}:{} {} [{}] {}{}{}",
                            m.media,
                            m.address.as_deref().unwrap_or("?"),
                            m.port,
                            m.proto,
                            if codecs.is_empty() { m.formats.join(" ") } else { codecs.join(", ") },
                            m.direction,
                            if m.rtcp_mux { " rtcp-mux" } else { "" },
                            m.ptime.map(|p| format!(" ptime {p} ms")).unwrap_or_default(),
                        ) }</li>
                    }
                }) }
            </ul>
        </div>
    }
}

/// The detail panel.
#[function_component(MessageDetail)]
pub fn message_detail(props: &Props) -> Html {
    let m = &props.message;
    let id = props.call_id.to_string();
    let to = |i: usize| Route::Calls(Some(id.clone()), Some(i)).href();
    html! {
        <aside class="card message" data-testid="message-detail" aria-label="Message details">
            <div class="message-nav">
                <h3>{ format!("Message {} of {}: {}", props.index + 1, props.total, m.label) }</h3>
                <span class="spacer"></span>
                if props.index > 0 {
                    <a class="button" href={to(props.index - 1)} aria-label="Previous message">{ "‹" }</a>
                }
                if props.index + 1 < props.total {
                    <a class="button" href={to(props.index + 1)} aria-label="Next message">{ "›" }</a>
                }
                <a class="button" href={Route::Calls(Some(id.clone()), None).href()} data-testid="message-close" aria-label="Close (Escape)">{ "✕" }</a>
            </div>
            <dl class="facts">
                { crate::views::fact("Frame", m.frame.to_string()) }
                { crate::views::fact("Time", format!("{} ({:.6} s)", props.clock, m.time)) }
                { crate::views::fact("From → to", html! { <span class="mono">{ format!("{} → {} over {}", m.src, m.dst, m.transport) }</span> }) }
                { crate::views::fact("Call-ID", html! { <span class="mono">{ props.call_id.clone() }</span> }) }
                { crate::views::fact("CSeq", m.cseq.clone()) }
                if m.retransmission {
                    { crate::views::fact("Resent", "yes: the same request or final response again (tshark's resent)") }
                }
            </dl>
            if m.start_line.is_empty() {
                <p class="muted">{ "This message's header fields were not kept: the capture has more SIP than the details budget holds." }</p>
            } else {
                <pre class="start-line" data-testid="message-start-line">{ &m.start_line }</pre>
                <table class="headers" data-testid="message-headers">
                    <tbody>
                        { for m.headers.iter().map(|h| html! { <tr><th scope="row">{ &h.name }</th><td class="mono">{ &h.value }</td></tr> }) }
                    </tbody>
                </table>
            }
            if let Some(s) = &props.sdp {
                { sdp_lines(s) }
            }
            <p class="muted small">{ "Escape closes the message; the ‹ and › links step through the call." }</p>
        </aside>
    }
}
