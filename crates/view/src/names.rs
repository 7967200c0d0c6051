//! How names and verdicts are written, the same words in the CLI and the page: where a name came
//! from, the mobile network a 3GPP name belongs to, and a verdict's confidence.

use std::net::IpAddr;

use callscope_analysis::report::{MobileNetwork, Name, Report};
use callscope_analysis::verdicts::Confidence;

/// Where a name came from, in words.
pub fn source(source: &str) -> &'static str {
    match source {
        "dns" => "DNS answer",
        "sni" => "TLS server name",
        "cert" => "TLS certificate",
        "port" => "port (hint)",
        _ => "other",
    }
}

/// A role of a 3GPP name, in words.
pub fn role(role: &str) -> &'static str {
    match role {
        "epdg" => "ePDG (Wi-Fi calling gateway)",
        "epdg-sos" => "emergency ePDG",
        "ims" => "IMS (carrier voice core)",
        "nai" => "subscriber identity",
        _ => "3GPP network name",
    }
}

/// `T-Mobile, United States — ePDG (Wi-Fi calling gateway), MCC 310 MNC 260`.
pub fn network(n: &MobileNetwork) -> String {
    let who = match (&n.operator, &n.country) {
        (Some(o), Some(c)) => format!("{o}, {c}"),
        (Some(o), None) => o.clone(),
        (None, Some(c)) => format!("unknown operator, {c}"),
        (None, None) => "unknown operator".to_owned(),
    };
    format!("{who} — {}, MCC {} MNC {}", role(&n.role), n.mcc, n.mnc)
}

/// A name with what it leads to: `www.example.com → edge.example.net` for a CNAME chain.
pub fn with_chain(n: &Name) -> String {
    if n.chain.len() > 1 {
        n.chain.join(" → ")
    } else {
        n.name.clone()
    }
}

/// The best name of a host, as its endpoint carries it, with
/// the mobile network when the name is a 3GPP one: `epdg.epc.mnc260.mcc310.pub.3gppnetwork.org
/// (T-Mobile, United States — ePDG (Wi-Fi calling gateway), MCC 310 MNC 260)`.
pub fn of_address(report: &Report, host: IpAddr) -> Option<String> {
    let name = report
        .endpoints
        .iter()
        .find(|e| e.addr.0 == host)
        .and_then(|e| e.name.clone())?;
    let net = report
        .names
        .iter()
        .find(|n| n.addr.0 == host && n.name == name)
        .and_then(|n| n.network.as_ref());
    Some(match net {
        Some(net) => format!("{name} ({})", network(net)),
        None => name,
    })
}

/// A verdict's confidence, as a word for a badge.
pub fn confidence(c: Confidence) -> &'static str {
    c.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_reads_as_operator_country_and_role() {
        let n = MobileNetwork {
            role: "epdg".into(),
            mcc: "310".into(),
            mnc: "260".into(),
            operator: Some("T-Mobile".into()),
            country: Some("United States".into()),
        };
        assert_eq!(
            network(&n),
            "T-Mobile, United States — ePDG (Wi-Fi calling gateway), MCC 310 MNC 260"
        );
        let unknown = MobileNetwork {
            operator: None,
            country: None,
            role: "ims".into(),
            ..n
        };
        assert_eq!(
            network(&unknown),
            "unknown operator — IMS (carrier voice core), MCC 310 MNC 260"
        );
        assert_eq!(source("sni"), "TLS server name");
    }

    #[test]
    fn an_address_is_named_by_its_endpoint_with_its_network() {
        let mut r = Report::default();
        r.endpoints.push(callscope_analysis::report::Endpoint {
            addr: "208.54.70.10".parse().unwrap(),
            name: Some("epdg.epc.mnc260.mcc310.pub.3gppnetwork.org".into()),
            ..Default::default()
        });
        assert_eq!(
            of_address(&r, [208, 54, 70, 10].into()).as_deref(),
            Some("epdg.epc.mnc260.mcc310.pub.3gppnetwork.org")
        );
        r.names.push(Name {
            addr: "208.54.70.10".parse().unwrap(),
            name: "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org".into(),
            network: Some(MobileNetwork {
                role: "epdg".into(),
                mcc: "310".into(),
                mnc: "260".into(),
                operator: Some("T-Mobile".into()),
                country: None,
            }),
            ..Name::default()
        });
        assert!(of_address(&r, [208, 54, 70, 10].into())
            .unwrap()
            .ends_with("(T-Mobile — ePDG (Wi-Fi calling gateway), MCC 310 MNC 260)"));
        assert_eq!(of_address(&r, [192, 0, 2, 1].into()), None);
    }
}
