//! Process names that macOS/iOS captures carry: Apple process information blocks in pcapng
//! (mac__*_pib.pcapng) and the PKTAP header (mac__LINKTYPE_PKTAP_258.pcap), attributed to
//! processes and conversations. The numbers were cross-checked against the files' own blocks
//! (PIB pid/name, EPB option 0x8001) and tshark 4.0.17 (`-z conv,tcp`, PKTAP "Process ID: 512").

use crate::support;

use callscope_analysis::report::{Conversation, Process};
use callscope_analysis::Report;

/// The report for `public/NAME`, or `None` (with a notice) when ../shared/captures is absent.
fn report_for(name: &str) -> Option<Report> {
    let Some(shared) = support::shared_captures() else {
        eprintln!("notice: ../shared/captures is absent; skipping {name}");
        return None;
    };
    let path = shared.join("public").join(name);
    if !path.is_file() {
        eprintln!("notice: {} is absent; skipping", path.display());
        return None;
    }
    Some(support::analyze_file(&path))
}

fn process(pid: u32, name: &str, flows: u64, packets: u64, bytes: u64) -> Process {
    Process {
        pid,
        name: name.into(),
        path: None,
        flows,
        packets,
        bytes,
    }
}

/// A conversation as the tests spell it: (transport, a, b, packets, process).
#[derive(Debug)]
struct Row<'a>(&'a Conversation);

impl PartialEq<(&str, &str, &str, u64, Option<&str>)> for Row<'_> {
    fn eq(
        &self,
        (transport, a, b, packets, process): &(&str, &str, &str, u64, Option<&str>),
    ) -> bool {
        let c = self.0;
        c.transport.to_string() == *transport
            && c.a.to_string() == *a
            && c.b.to_string() == *b
            && c.packets == *packets
            && c.process.as_ref().map(ToString::to_string).as_deref() == *process
    }
}

/// Every conversation, in report order.
fn conversations(report: &Report) -> Vec<Row<'_>> {
    report.conversations.iter().map(Row).collect()
}

fn assert_every_conversation_has_a_process(report: &Report) {
    for c in &report.conversations {
        assert!(
            c.process.is_some(),
            "{} {} ↔ {} has no process",
            c.transport,
            c.a,
            c.b
        );
    }
}

#[test]
fn lo0_iperf_client_and_server() {
    let Some(report) = report_for("mac__lo0_dltnull_pib.pcapng") else {
        return;
    };
    assert_eq!(report.capture.packets, 24);
    assert_eq!(report.capture.interfaces[0].name.as_deref(), Some("lo0"));
    // Three PIBs: 53245 twice (with and without UUID) and 53147; same pid and name count once.
    assert_eq!(
        report.processes,
        vec![
            process(53245, "iperf", 1, 12, 17694),
            // Both ends of the loopback flow are processes of this host: each counts it.
            process(53147, "iperf", 1, 12, 17694)
        ]
    );
    assert_eq!(
        conversations(&report),
        vec![(
            "udp",
            "127.0.0.1:50160",
            "127.0.0.1:5001",
            24,
            Some("iperf (53245)")
        )]
    );
}

#[test]
fn utun3_packetdrill() {
    let Some(report) = report_for("mac__utun3_dltnull_pib.pcapng") else {
        return;
    };
    assert_eq!(report.capture.packets, 4);
    assert_eq!(report.capture.interfaces[0].name.as_deref(), Some("utun3"));
    // One of the four EPBs carries no process option.
    assert_eq!(
        report.processes,
        vec![process(554, "packetdrill", 1, 3, 188)]
    );
    assert_eq!(
        conversations(&report),
        vec![(
            "tcp",
            "192.168.0.1:57734",
            "192.0.2.1:8080",
            4,
            Some("packetdrill (554)")
        )]
    );
}

#[test]
fn en0_acwebsecagent() {
    let Some(report) = report_for("mac__en0_pib_ndpi_mpeg.pcapng") else {
        return;
    };
    assert_eq!(report.capture.packets, 19);
    // Apple writes if_name and the PIB name with their NUL terminators; neither shows.
    assert_eq!(report.capture.interfaces[0].name.as_deref(), Some("en0"));
    assert_eq!(
        report.processes,
        vec![process(224, "acwebsecagent", 1, 10, 9889)]
    );
    assert_eq!(
        conversations(&report),
        vec![(
            "tcp",
            "192.168.80.160:55804",
            "46.101.157.119:80",
            19,
            Some("acwebsecagent (224)")
        )]
    );
}

#[test]
fn ios_network_test_over_wifi_and_cellular() {
    let Some(report) = report_for("mac__ios_en0_pdpip0_pib.pcapng") else {
        return;
    };
    assert_eq!(report.capture.packets, 197);
    let interfaces: Vec<(Option<&str>, &str, u64)> = report
        .capture
        .interfaces
        .iter()
        .map(|i| (i.name.as_deref(), i.link_type.as_str(), i.packets))
        .collect();
    assert_eq!(
        interfaces,
        vec![(Some("en0"), "EN10MB", 190), (Some("pdp_ip0"), "NULL", 7)]
    );
    assert_eq!(
        report.processes,
        vec![
            process(1500, "network_test", 1, 36, 22948),
            process(1505, "network_test", 2, 65, 37322),
            process(0, "kernel_task", 2, 9, 4736),
            process(1524, "network_test", 1, 39, 23170),
            process(1528, "network_test", 1, 36, 22948),
        ]
    );
    assert_eq!(
        conversations(&report),
        vec![
            (
                "tcp",
                "10.42.53.132:50000",
                "52.41.70.31:5201",
                36,
                Some("network_test (1500)")
            ),
            (
                "tcp",
                "10.42.53.132:50002",
                "52.41.70.31:5201",
                79,
                Some("network_test (1505)")
            ),
            (
                "tcp",
                "[2607:fb90:3635:797b:5986:1647:4961:b852]:50003",
                "[2607:7700:0:13::3429:461f]:5201",
                7,
                Some("network_test (1505)")
            ),
            (
                "tcp",
                "10.42.53.132:50004",
                "52.41.70.31:5201",
                39,
                Some("network_test (1524)")
            ),
            (
                "tcp",
                "10.42.53.132:50005",
                "52.41.70.31:5201",
                36,
                Some("network_test (1528)")
            ),
        ]
    );
}

#[test]
fn every_conversation_of_a_pib_capture_has_a_process() {
    for name in [
        "mac__lo0_dltnull_pib.pcapng",
        "mac__utun3_dltnull_pib.pcapng",
        "mac__en0_pib_ndpi_mpeg.pcapng",
        "mac__ios_en0_pdpip0_pib.pcapng",
    ] {
        let Some(report) = report_for(name) else {
            continue;
        };
        assert!(!report.conversations.is_empty(), "{name}");
        assert_every_conversation_has_a_process(&report);
        assert!(
            report
                .processes
                .iter()
                .all(|p| !p.name.is_empty() && !p.name.contains('\0')),
            "{name}: {:?}",
            report.processes
        );
    }
}

#[test]
fn pktap_record_names_its_process() {
    let Some(report) = report_for("mac__LINKTYPE_PKTAP_258.pcap") else {
        return;
    };
    assert_eq!(report.capture.packets, 1);
    assert_eq!(report.capture.link_types, vec!["PKTAP"]);
    // pth_pid 512; pth_comm is all zeros in this file (tshark: "Command name: " empty).
    assert_eq!(report.processes, vec![process(512, "", 1, 1, 182)]);
    let conversation = &report.conversations[..];
    assert_eq!(conversation.len(), 1);
    assert_eq!(
        (
            conversation[0].a.to_string().as_str(),
            conversation[0].b.to_string().as_str()
        ),
        ("10.32.4.27:63538", "10.32.100.15:53")
    );
    let process = conversation[0]
        .process
        .as_ref()
        .expect("the DNS query's process");
    assert_eq!(process.pid, 512, "{process}");
}
