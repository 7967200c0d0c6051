//! One call (or non-call exchange) by Call-ID: who called whom and how it went, its ladder with
//! the selected message's details beside it, its SDP offers and answers, its media streams and
//! its transactions.

use std::rc::Rc;

use crate::components::player::{AudioPlayer, Inputs};
use callscope_analysis::rtp::RtpStream;
use callscope_analysis::sip::report::{Call, Exchange, LadderMessage, SdpMessage};
use callscope_view::format;
use callscope_view::ladder::{self, Options};
use yew::prelude::*;

use super::ladder::LadderSvg;
use super::list::{party, state_text};
use super::message::{sdp_lines, MessageDetail};
use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::{use_page, use_shown};
use crate::route::Route;
use crate::state::{Action, LadderPrefs, TimeMode};
use crate::views::{fact, link};

/// Props of [`CallPage`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Call-ID.
    pub id: AttrValue,
    /// Selected message.
    pub message: Option<usize>,
}

enum Found<'a> {
    Call(usize, &'a Call),
    Exchange(&'a Exchange),
}

/// The call's page.
#[function_component(CallPage)]
pub fn call_page(props: &Props) -> Html {
    let shown = use_shown();
    let page = use_page();
    let merge = page.as_ref().is_some_and(|p| p.ladder.merge_hosts);
    let layout = use_memo(
        (shown.clone(), props.id.clone(), merge),
        |(shown, id, merge)| {
            let Some(shown) = shown else {
                return ladder::Ladder::default();
            };
            let r = &shown.report;
            let options = Options {
                merge_hosts: *merge,
            };
            if let Some(c) = r.sip.calls.iter().find(|c| c.call_id == **id) {
                let streams: Vec<(usize, &RtpStream)> = c
                    .media
                    .iter()
                    .filter_map(|&i| r.rtp.streams.get(i).map(|s| (i, s)))
                    .collect();
                ladder::layout(&c.messages, &streams, options)
            } else if let Some(e) = r.sip.exchanges.iter().find(|e| e.call_id == **id) {
                ladder::layout(&e.messages, &[], options)
            } else {
                ladder::Ladder::default()
            }
        },
    );
    let audio = use_memo((shown.clone(), props.id.clone()), |(shown, id)| {
        let r = &shown.as_ref()?.report;
        let call = r.sip.calls.iter().find(|c| c.call_id == **id)?;
        let request = callscope_audio::from_report::call(r, id)?;
        Some(Inputs::new(r, request, Some(call)))
    });
    let (Some(shown), Some(page)) = (shown, page) else {
        return html! {};
    };
    let r = &shown.report;
    let found = r
        .sip
        .calls
        .iter()
        .enumerate()
        .find(|(_, c)| c.call_id == *props.id)
        .map(|(i, c)| Found::Call(i, c))
        .or_else(|| {
            r.sip
                .exchanges
                .iter()
                .find(|e| e.call_id == *props.id)
                .map(Found::Exchange)
        });
    let Some(found) = found else {
        return html! {
            <div class="view" data-testid="view-call">
                <p class="crumbs">{ link(&Route::Calls(None, None), "← All calls") }</p>
                <section class="card" data-testid="not-found"><p>{ format!("No call or SIP exchange with Call-ID {} in this capture.", props.id) }</p></section>
            </div>
        };
    };
    let (messages, sdp): (&[LadderMessage], &[SdpMessage]) = match &found {
        Found::Call(_, c) => (&c.messages, &c.sdp),
        Found::Exchange(e) => (&e.messages, &[]),
    };
    let prefs = page.ladder;
    let set = |prefs: LadderPrefs| {
        let dispatch = page.dispatch.clone();
        move || dispatch.dispatch(Action::Ladder(prefs))
    };
    let toggle_merge = {
        let f = set(LadderPrefs {
            merge_hosts: !prefs.merge_hosts,
            ..prefs
        });
        Callback::from(move |_: Event| f())
    };
    let time_button = |mode: TimeMode, text: &'static str| {
        let f = set(LadderPrefs {
            time: mode,
            ..prefs
        });
        html! {
            <button type="button" class={classes!((prefs.time == mode).then_some("on"))} aria-pressed={(prefs.time == mode).to_string()} onclick={Callback::from(move |_: MouseEvent| f())}>{ text }</button>
        }
    };
    let selected = props.message.filter(|&i| i < messages.len());
    let file_stem = format!(
        "call-{}",
        props
            .id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(24)
            .collect::<String>()
    );
    let save_svg = {
        let layout = layout.clone();
        let name = crate::download::name(&shown.name, &format!("{file_stem}.svg"));
        let title = format!("{} — Call-ID {}", shown.name, props.id);
        Callback::from(move |_: MouseEvent| {
            let _ = crate::download::save(
                &name,
                "image/svg+xml",
                &callscope_view::ladder_svg::svg(&layout, &title),
            );
        })
    };
    let save_text = {
        let text = callscope_view::call_text::call_text(r, &props.id).unwrap_or_default();
        let name = crate::download::name(&shown.name, &format!("{file_stem}.txt"));
        Callback::from(move |_: MouseEvent| {
            let _ = crate::download::save(&name, "text/plain", &text);
        })
    };
    let detail = selected.map(|i| {
        let m = &messages[i];
        html! {
            <MessageDetail call_id={props.id.clone()} index={i} total={messages.len()} message={m.clone()}
                sdp={sdp.iter().find(|s| s.frame == m.frame).cloned()} clock={page.clock(&shown, m.time)} />
        }
    });
    let summary = match &found {
        Found::Call(i, c) => call_summary(&shown, &page, *i, c),
        Found::Exchange(e) => html! {
            <section class="card">
                <h2>{ format!("{} {}", e.kind.to_uppercase(), e.from) }</h2>
                <dl class="facts">
                    { fact("Call-ID", html! { <span class="mono" data-testid="call-id">{ &e.call_id }</span> }) }
                    { fact("From", e.from.clone()) }
                    { fact("To", e.to.clone()) }
                    { fact("Status", e.status.map_or_else(|| "no final response".to_owned(), |s| s.to_string())) }
                    if let Some(ev) = &e.event { { fact("Event", ev.clone()) } }
                    if let Some(ct) = &e.content_type { { fact("Content-Type", ct.clone()) } }
                    { fact("Start", page.clock(&shown, e.start)) }
                </dl>
            </section>
        },
    };
    let dropped = match &found {
        Found::Call(_, c) => c.messages_dropped,
        Found::Exchange(e) => e.messages_dropped,
    };
    let listen = match (&found, audio.as_ref()) {
        (Found::Call(..), Some(inputs)) => html! {
            // Keyed by the call: another call's page starts with its own player, not this one's audio.
            <AudioPlayer key={props.id.to_string()} request={inputs.request.clone()} events={inputs.events.clone()} dtmf={inputs.dtmf.clone()}
                name={AttrValue::from(crate::download::name(&shown.name, &format!("{file_stem}.wav")))} />
        },
        _ => html! {},
    };
    html! {
        <div class="view" data-testid="view-call">
            <p class="crumbs">{ link(&Route::Calls(None, None), "← All calls") }</p>
            { summary }
            { listen }
            <section class="card">
                <div class="ladder-tools">
                    <h2>{ "Ladder" }</h2>
                    <span class="spacer"></span>
                    <label class="check"><input type="checkbox" checked={prefs.merge_hosts} onchange={toggle_merge} data-testid="merge-hosts" />{ " One column per host" }</label>
                    <span class="segmented" role="group" aria-label="Time column">
                        { time_button(TimeMode::Relative, "Relative") }
                        { time_button(TimeMode::Absolute, "Clock") }
                        { time_button(TimeMode::Delta, "Delta") }
                    </span>
                    <button type="button" onclick={save_svg} data-testid="save-ladder-svg" title="The ladder as an SVG file">{ "SVG" }</button>
                    <button type="button" onclick={save_text} data-testid="save-ladder-text" title="The call as callscope analyze --call prints it">{ "Text" }</button>
                    { page.export_button(callscope_view::extract::call(r, &props.id), crate::download::name(&shown.name, &format!("{file_stem}.pcapng")), "save-call-pcapng") }
                </div>
                <p class="muted small">{ "Click an arrow (or Tab to it and press Enter) to see the message; ↑ and ↓ move between arrows. Thick arrows are RTP streams, ↻ marks a retransmission." }</p>
                <div class={classes!("ladder-layout", detail.is_some().then_some("with-detail"))}>
                    <LadderSvg ladder={layout.clone()} call_id={props.id.clone()} {selected} time={prefs.time} start_unix={r.capture.start_unix} tz={page.tz} />
                    { for detail }
                </div>
                if dropped > 0 {
                    <p class="warning">{ format!("{} more messages were not kept (per-call bound).", format::count(dropped)) }</p>
                }
            </section>
            if let Found::Call(_, c) = &found {
                { call_tables(&shown.report, c) }
            }
        </div>
    }
}

fn call_summary(
    shown: &crate::state::ShownRef,
    page: &crate::context::PageCtx,
    index: usize,
    c: &Call,
) -> Html {
    let r = &shown.report;
    let process = shown.links.call_process(r, index);
    html! {
        <section class="card">
            <h2>
                { format!("{} → {} ", party(c.caller_name.as_deref(), &c.caller), c.callee) }
                <span class={classes!("state", format!("state-{}", c.state.as_str().replace(' ', "-")))} data-testid="call-state">{ state_text(c) }</span>
            </h2>
            <dl class="facts">
                { fact("Call-ID", html! { <span class="mono" data-testid="call-id">{ &c.call_id }</span> }) }
                { fact("From", c.from.clone()) }
                { fact("To", c.to.clone()) }
                if let Some(pai) = &c.asserted_identity { { fact("P-Asserted-Identity", pai.clone()) } }
                if let Some(contact) = &c.contact { { fact("Contact", contact.clone()) } }
                { fact("Caller → callee", html! { <span class="mono">{ format!("{} → {} over {}", c.caller_addr, c.callee_addr, c.transport) }</span> }) }
                { fact("Start", page.clock(shown, c.start)) }
                { fact("Duration", c.duration.map_or_else(|| "—".into(), format::duration)) }
                { fact("Post-dial delay", c.post_dial_delay_ms.map_or_else(|| "—".into(), format::ms)) }
                { fact("Setup", c.setup_ms.map_or_else(|| "—".into(), format::ms)) }
                { fact("Talk time", c.talk_time.map_or_else(|| "—".into(), format::duration)) }
                if let Some(who) = &c.hangup_by { { fact("Hung up by", who.clone()) } }
                { fact("Messages", html! { <span data-testid="call-messages">{ format::count(c.messages.len() as u64 + c.messages_dropped) }</span> }) }
                { fact("Retransmissions", format::count(c.retransmissions)) }
                if c.auth_challenges > 0 { { fact("Auth challenges", c.auth_challenges.to_string()) } }
                { fact("User agents", if c.user_agents.is_empty() { "—".to_owned() } else { c.user_agents.join(", ") }) }
                { fact("Worst MOS", callscope_view::media::call_mos(r, c).map_or_else(|| "—".into(), |m| format!("{m:.2}"))) }
                { fact("Process", process.map_or_else(|| "unknown".to_owned(), ToString::to_string)) }
            </dl>
        </section>
    }
}

fn call_tables(r: &callscope_analysis::Report, c: &Call) -> Html {
    let streams: Vec<Row> = c
        .media
        .iter()
        .filter_map(|&i| r.rtp.streams.get(i).map(|s| (i, s)))
        .map(|(i, s)| {
            let href = Route::Media(Some(i)).href();
            Row::to(
                vec![
                    Cell::id(i as u64 + 1),
                    Cell::addr(&s.src),
                    Cell::addr(&s.dst),
                    Cell::text(s.ssrc.to_string()).class("mono"),
                    Cell::text(callscope_view::media::codec(s)),
                    Cell::count(s.packets),
                    Cell::signed(s.lost).title(format!("{:.1} %", s.lost_pct)),
                    Cell::num(s.max_jitter_ms, format!("{:.3}", s.max_jitter_ms)),
                    Cell::opt_num(s.mos, |m| format!("{m:.2}")),
                ],
                href,
            )
        })
        .collect();
    let transactions: Vec<Row> = c
        .transactions
        .iter()
        .map(|t| {
            Row::new(vec![
                Cell::text(&t.method),
                Cell::id(u64::from(t.cseq)),
                Cell::id(t.frame),
                Cell::num(t.time, format!("{:.6}", t.time)),
                Cell::count(u64::from(t.retransmissions)),
                Cell::text(
                    t.responses
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Cell::opt(t.final_status.map(|s| s.to_string())),
                Cell::opt_num(t.response_ms, format::ms),
            ])
        })
        .collect();
    html! {
        <>
            if !c.sdp.is_empty() {
                <section class="card">
                    <h2>{ "SDP offers and answers" }</h2>
                    { for c.sdp.iter().map(|s| html! {
                        <div class="sdp-block">
                            <p class="mono">{ format!("frame {} · {} in {} · {} → {}", s.frame, s.kind, s.message, s.src, s.dst) }</p>
                            { sdp_lines(s) }
                        </div>
                    }) }
                </section>
            }
            if !c.media.is_empty() {
                <section class="card">
                    <h2>{ "Media" }</h2>
                    <SortTable columns={Rc::new(vec![
                        Column::num("#"), Column::text("From"), Column::text("To"), Column::text("SSRC"), Column::text("Codec"),
                        Column::num("Packets"), Column::num("Lost"), Column::num("Max jitter (ms)"), Column::num("MOS"),
                    ])} rows={Rows::of(streams)} testid="call-streams" what="streams" />
                </section>
            }
            <section class="card">
                <h2>{ "Transactions" }</h2>
                <SortTable columns={Rc::new(vec![
                    Column::text("Method"), Column::num("CSeq"), Column::num("Frame"), Column::num("Time (s)"), Column::num("Resent"),
                    Column::text("Responses"), Column::num("Final"), Column::num("Answered in"),
                ])} rows={Rows::of(transactions)} testid="call-transactions" what="transactions" />
            </section>
        </>
    }
}
