//! Names: every name an address got and where it came from (DNS answers, TLS server names and
//! certificates, port hints), with the mobile network of 3GPP names; the DNS questions asked and
//! how they were answered; the TLS handshakes.

use std::rc::Rc;

use callscope_view::{headline, names};
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;
use crate::views::empty;

const NAME_COLUMNS: [Column; 6] = [
    Column::text("Address"),
    Column::text("Name"),
    Column::text("Source")
        .help("DNS answer, TLS server name or certificate; a port is a hint only"),
    Column::text("Mobile network")
        .help("Operator and country of a 3GPP name (TS 23.003), or a listed carrier name"),
    Column::num("Learned (s)").help("Seconds after the capture's first packet"),
    Column::num("Frame"),
];

const DNS_COLUMNS: [Column; 9] = [
    Column::text("Name asked"),
    Column::text("Type"),
    Column::text("Answer").help("The last response's code; 'no answer' when none was captured"),
    Column::text("Answers"),
    Column::num("Queries"),
    Column::num("Responses"),
    Column::text("Client"),
    Column::text("Server"),
    Column::num("Frame"),
];

const TLS_COLUMNS: [Column; 8] = [
    Column::text("Client"),
    Column::text("Server"),
    Column::text("Server name (SNI)"),
    Column::text("Version"),
    Column::text("ALPN")
        .help("Application protocol chosen (offered, when the server's hello was not seen)"),
    Column::text("Certificate")
        .help("Subject of the server certificate (TLS 1.2 and earlier; TLS 1.3 encrypts it)"),
    Column::num("Start (s)"),
    Column::num("Frame"),
];

/// The names section.
#[function_component(Names)]
pub fn names_view() -> Html {
    let shown = use_shown();
    let tables = use_memo(shown.clone(), |shown| {
        let Some(shown) = shown else {
            return (Rows::of(vec![]), Rows::of(vec![]), Rows::of(vec![]));
        };
        let r = &shown.report;
        let learned = r
            .names
            .iter()
            .map(|n| {
                let network = n.network.as_ref().map(names::network);
                Row::new(vec![
                    Cell::addr(&n.addr),
                    Cell::text(&n.name)
                        .title(names::with_chain(n))
                        .class("mono"),
                    Cell::text(names::source(&n.source)).class(if n.source == "port" {
                        "muted"
                    } else {
                        "good"
                    }),
                    Cell::opt(network),
                    if n.source == "port" {
                        Cell::opt(None::<String>)
                    } else {
                        Cell::num(n.first, format!("{:.3}", n.first))
                    },
                    if n.frame == 0 {
                        Cell::opt(None::<String>)
                    } else {
                        Cell::id(n.frame)
                    },
                ])
            })
            .collect();
        let dns = r
            .dns
            .queries
            .iter()
            .map(|q| {
                let answer = q.rcode.clone().unwrap_or_else(|| "no answer".into());
                let ok = answer == "NOERROR";
                Row::new(vec![
                    Cell::text(&q.name).class("mono"),
                    Cell::text(&q.qtype),
                    Cell::text(answer).class(if ok { "good" } else { "bad" }),
                    Cell::opt((!q.answers.is_empty()).then(|| q.answers.join(", "))).class("mono"),
                    Cell::count(q.queries),
                    Cell::count(q.responses),
                    Cell::addr(&q.client),
                    Cell::addr(&q.server),
                    Cell::id(q.frame),
                ])
            })
            .collect();
        let tls = r
            .tls
            .sessions
            .iter()
            .map(|s| {
                let alpn = s.alpn.clone().or_else(|| {
                    (!s.alpn_offered.is_empty())
                        .then(|| format!("offered {}", s.alpn_offered.join(", ")))
                });
                let cert = s.certificate_subject.as_ref().map(|subject| {
                    Cell::text(subject).title(format!(
                        "issuer {}; names {}",
                        s.certificate_issuer.as_deref().unwrap_or("?"),
                        s.certificate_names.join(", ")
                    ))
                });
                Row::new(vec![
                    Cell::addr(&s.client),
                    Cell::addr(&s.server),
                    Cell::opt(s.sni.clone()).class("mono"),
                    Cell::text(if s.quic {
                        format!("{} (QUIC)", s.version)
                    } else {
                        s.version.clone()
                    }),
                    Cell::opt(alpn),
                    cert.unwrap_or_else(|| Cell::opt(None::<String>)),
                    Cell::num(s.start, format!("{:.3}", s.start)),
                    Cell::id(s.frame),
                ])
            })
            .collect();
        (Rows::of(learned), Rows::of(dns), Rows::of(tls))
    });
    let Some(shown) = shown else { return html! {} };
    let r = &shown.report;
    let (learned, dns, tls) = (*tables).clone();
    html! {
        <div class="view" data-testid="view-names">
            <p class="lede" data-testid="names-headline">{ headline::names(r) }</p>
            if r.names.is_empty() {
                { empty("No names in this capture: no DNS answer, no TLS handshake, and no well-known port named any address.") }
            } else {
                <section class="card">
                    <h2>{ "Names for addresses" }</h2>
                    <SortTable columns={Rc::new(NAME_COLUMNS.to_vec())} rows={learned} testid="names-table" what="names" />
                </section>
            }
            if r.dns.messages > 0 {
                <section class="card">
                    <h2>{ "DNS questions" }</h2>
                    <SortTable columns={Rc::new(DNS_COLUMNS.to_vec())} rows={dns} testid="dns-table" what="questions" />
                </section>
            }
            if !r.tls.sessions.is_empty() {
                <section class="card">
                    <h2>{ "TLS handshakes" }</h2>
                    <SortTable columns={Rc::new(TLS_COLUMNS.to_vec())} rows={tls} testid="tls-table" what="handshakes" />
                </section>
            }
        </div>
    }
}
