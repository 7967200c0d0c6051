//! RTCP: per reporting source (loss, jitter, round trip), then every report in capture order.

use std::rc::Rc;

use callscope_view::format;
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;

/// The RTCP tables.
#[function_component(Rtcp)]
pub fn rtcp() -> Html {
    let shown = use_shown();
    let tables = use_memo(shown.clone(), |shown| {
        let Some(shown) = shown else {
            return (Rows::of(vec![]), Rows::of(vec![]));
        };
        let rtcp = &shown.report.rtcp;
        let sources = rtcp
            .sources
            .iter()
            .map(|s| {
                Row::new(vec![
                    Cell::addr(&s.src),
                    Cell::addr(&s.dst),
                    Cell::text(s.ssrc.to_string()).class("mono"),
                    Cell::opt(s.cname.clone()),
                    Cell::text(
                        s.packets
                            .iter()
                            .map(|(k, n)| format!("{k} {n}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    Cell::opt_num(s.last_fraction_lost_pct, |v| format!("{v:.1} %")),
                    Cell::opt_num(s.max_cumulative_lost.map(f64::from), |v| format!("{v:.0}")),
                    Cell::opt_num(s.max_jitter_ms, |v| format!("{v:.3}")),
                    Cell::opt_num(s.rtt_mean_ms, |v| format!("{v:.1}")),
                ])
            })
            .collect();
        let reports = rtcp
            .reports
            .iter()
            .map(|e| {
                Row::new(vec![
                    Cell::id(e.frame),
                    Cell::num(e.time, format!("{:.6}", e.time)),
                    Cell::addr(&e.src),
                    Cell::addr(&e.dst),
                    Cell::text(e.ssrc.to_string()).class("mono"),
                    Cell::text(&e.kind),
                    Cell::opt_num(e.fraction_lost.map(f64::from), |v| format!("{v:.0}/256")),
                    Cell::opt_num(e.cumulative_lost.map(f64::from), |v| format!("{v:.0}")),
                    Cell::opt_num(e.jitter_ms, |v| format!("{v:.3}")),
                    Cell::opt_num(e.rtt_ms, |v| format!("{v:.1}")),
                    Cell::opt(e.detail.clone().or_else(|| e.cname.clone())),
                ])
            })
            .collect();
        (Rows::of(sources), Rows::of(reports))
    });
    let Some(shown) = shown else { return html! {} };
    let rtcp = &shown.report.rtcp;
    if rtcp.packets == 0 {
        return html! {};
    }
    let (sources, reports) = (*tables).clone();
    html! {
        <>
            <section class="card">
                <h2>{ "RTCP sources" }</h2>
                <p class="muted small">{ format!("{} RTCP datagrams{}{}.", format::count(rtcp.packets),
                    if rtcp.srtcp_packets > 0 { format!(", {} SRTCP", format::count(rtcp.srtcp_packets)) } else { String::new() },
                    if rtcp.malformed > 0 { format!(", {} malformed", format::count(rtcp.malformed)) } else { String::new() }) }</p>
                <SortTable columns={Rc::new(vec![
                    Column::text("From"), Column::text("To"), Column::text("SSRC"), Column::text("CNAME"), Column::text("Packets"),
                    Column::num("Last loss"), Column::num("Max cumulative lost"), Column::num("Max jitter (ms)"), Column::num("Mean RTT (ms)"),
                ])} rows={sources} testid="rtcp-sources" what="RTCP sources" />
            </section>
            <section class="card">
                <h2>{ "RTCP reports" }</h2>
                <SortTable columns={Rc::new(vec![
                    Column::num("Frame"), Column::num("Time (s)"), Column::text("From"), Column::text("To"), Column::text("SSRC"), Column::text("Kind"),
                    Column::num("Fraction lost"), Column::num("Cumulative lost"), Column::num("Jitter (ms)"), Column::num("RTT (ms)"), Column::text("Detail"),
                ])} rows={reports} testid="rtcp-reports" what="RTCP reports" />
                if rtcp.reports_dropped > 0 {
                    <p class="warning">{ format!("{} more reports were not kept (bound).", format::count(rtcp.reports_dropped)) }</p>
                }
            </section>
        </>
    }
}
