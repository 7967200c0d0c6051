//! 3GPP network names: the domain names and NAIs of 3GPP TS 23.003 that carry a mobile network
//! code, decoded to a role (ePDG, IMS, subscriber identity) and the operator.
//!
//! A phone doing Wi-Fi calling looks up its carrier's ePDG by a name built from its SIM's MCC and
//! MNC (`epdg.epc.mnc260.mcc310.pub.3gppnetwork.org`), and identifies itself in IKE with an NAI
//! in the same domain. Seen in DNS or IKE, such a name says which carrier the tunnel goes to. A
//! few carriers name their ePDGs in their own domains instead; [`known_carrier`] lists them.

use super::operators::{self, digits, Operator};

/// Longest name looked at: DNS names stop at 253 characters; an NAI adds its user part.
const MAX_NAME: usize = 512;

/// What a 3GPP name is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The operator's ePDG, the IPsec gateway of Wi-Fi calling: `epdg.epc.mnc<MNC>.mcc<MCC>`
    /// `.pub.3gppnetwork.org` (TS 23.003 §19.4.2.9.2), also in the `epdg.epc.geo.…` form some
    /// operators publish for geographic load balancing.
    Epdg,
    /// The ePDG for emergency calls: `sos.epdg.epc.…` (§19.4.2.9A.2), also location based
    /// (`tac-lb<..>.tac-hb<..>.tac.sos.epdg.epc.…`, §19.4.2.9A.3).
    EpdgEmergency,
    /// Another ePDG name: location based (`tac-lb<..>.tac-hb<..>.tac.epdg.epc.…`,
    /// `lac<..>.epdg.epc.…`, §19.4.2.9.3) or an operator's own prefix (`ss.epdg.epc.…`).
    EpdgVariant,
    /// The IMS home network domain `ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org` (§13.2) or a host
    /// in it (a P-CSCF, `pcscf.ims.…`): where SIP goes once the tunnel is up.
    Ims,
    /// A subscriber identity, `<user>@<realm>`: the NAI of §19.3 (`…@nai.epc.mnc….mcc…`), the
    /// WLAN NAI of §14 (`…@wlan.mnc….mcc…`) or the IMS private identity of §13.3 (`…@ims.…`).
    Nai,
    /// Any other name under `mnc<MNC>.mcc<MCC>.3gppnetwork.org` (EPC nodes, APNs, §19.4).
    Other,
}

/// A decoded 3GPP name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkName {
    /// What the name is for.
    pub role: Role,
    /// Mobile country code from the name, three digits.
    pub mcc: String,
    /// Mobile network code as written in the name (domain names pad it to three digits;
    /// [`Operator::mnc`] has the operator's own form).
    pub mnc: String,
    /// The operator of the code, when the table knows it.
    pub operator: Option<&'static Operator>,
}

/// Decodes a 3GPP name, case-insensitively, with or without a trailing dot.
///
/// ePDG and IMS names are recognised with or without the `pub.` of the public domain (§19.4),
/// so an internal name in a capture still counts. MCC must be 3 digits and MNC 2 or 3 in the
/// name; any other name, or one with malformed labels, gives `None`.
pub fn parse(name: &str) -> Option<NetworkName> {
    let name = normalize(name)?;
    let (user, domain) = match name.rsplit_once('@') {
        Some((user, domain)) => (Some(user), domain),
        None => (None, name.as_str()),
    };
    if let Some(user) = user {
        if user.is_empty() || user.bytes().any(|b| b <= b' ' || b == b'@' || b == 0x7f) {
            return None;
        }
    }
    if domain.len() > 253 {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let (prefix, mnc, mcc) = plmn_domain(&labels)?;
    let role = if user.is_some() {
        Role::Nai
    } else {
        role_of(prefix)
    };
    Some(NetworkName {
        role,
        mcc: mcc.to_owned(),
        mnc: mnc.to_owned(),
        operator: operators::lookup(mcc, mnc),
    })
}

/// Lowercase without one trailing dot; `None` for non-ASCII or overlong input.
fn normalize(name: &str) -> Option<String> {
    if name.len() > MAX_NAME || !name.is_ascii() {
        return None;
    }
    let mut lower = name.to_ascii_lowercase();
    if lower.ends_with('.') {
        lower.pop();
    }
    Some(lower)
}

/// Splits `<prefix>.mnc<MNC>.mcc<MCC>[.pub].3gppnetwork.org` into prefix labels, MNC and MCC.
fn plmn_domain<'a, 'b>(labels: &'b [&'a str]) -> Option<(&'b [&'a str], &'a str, &'a str)> {
    let rest = labels.strip_suffix(&["3gppnetwork", "org"])?;
    let rest = rest.strip_suffix(&["pub"]).unwrap_or(rest);
    let (mcc, rest) = rest.split_last()?;
    let (mnc, prefix) = rest.split_last()?;
    let mcc = mcc.strip_prefix("mcc").filter(|d| digits(d, 3, 3))?;
    let mnc = mnc.strip_prefix("mnc").filter(|d| digits(d, 2, 3))?;
    prefix
        .iter()
        .all(|label| host_label(label))
        .then_some((prefix, mnc, mcc))
}

/// The role of the labels before `mnc<MNC>`.
fn role_of(prefix: &[&str]) -> Role {
    let epdg = prefix.strip_suffix(&["geo"]).unwrap_or(prefix);
    if let Some(before) = epdg.strip_suffix(&["epdg", "epc"]) {
        return match before.last() {
            None => Role::Epdg,
            Some(&"sos") => Role::EpdgEmergency,
            Some(_) => Role::EpdgVariant,
        };
    }
    if prefix.last() == Some(&"ims") {
        Role::Ims
    } else {
        Role::Other
    }
}

/// A DNS label as hosts use them: 1–63 of `a-z 0-9 - _` (already lowercased).
fn host_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A carrier whose ePDG is named in its own domain rather than under 3gppnetwork.org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownCarrier {
    /// The ePDG name; subdomains of it match too.
    pub domain: &'static str,
    /// The carrier's brand.
    pub name: &'static str,
    /// Its mobile country code.
    pub mcc: &'static str,
    /// Its main mobile network code (a carrier may hold several).
    pub mnc: &'static str,
    /// ISO 3166 alpha-2 country code.
    pub country_code: &'static str,
    /// Country name, spelled as in the operator table.
    pub country: &'static str,
}

/// Carrier ePDG names outside 3gppnetwork.org. Every name is in the "Wi-Fi calling ePDG's" list
/// of AdGuard DnsLibs' default fallback domains (`proxy/src/dnsproxy.cpp`, names it must not
/// filter); each row says where the carrier and code come from besides. See `DATA.md`.
const KNOWN_CARRIERS: &[KnownCarrier] = &[
    // AT&T Mobility. Also in public firewall guides that allow Wi-Fi calling by host name.
    KnownCarrier {
        domain: "epdg.epc.att.net",
        name: "AT&T",
        mcc: "310",
        mnc: "410",
        country_code: "US",
        country: "United States of America",
    },
    // Verizon Wireless. Also Android carrier config (`iwlan.epdg_static_address_string`) and
    // Verizon's modem configuration (`epdg_fqdn:wo.vzwwo.com`), and firewall guides.
    KnownCarrier {
        domain: "wo.vzwwo.com",
        name: "Verizon",
        mcc: "311",
        mnc: "480",
        country_code: "US",
        country: "United States of America",
    },
    // Sprint, now T-Mobile US (the operator table names 310/120 T-Mobile); spcsdns.net is
    // Sprint PCS's DNS domain.
    KnownCarrier {
        domain: "primgw.vowifina.spcsdns.net",
        name: "Sprint",
        mcc: "310",
        mnc: "120",
        country_code: "US",
        country: "United States of America",
    },
    // Asia Pacific Telecom (brand Gt). Also MediaTek's Wi-Fi calling modem defaults
    // (`custom_wo_config.c`, `epdg_fqdn`).
    KnownCarrier {
        domain: "epdg.epc.aptg.com.tw",
        name: "Asia Pacific Telecom",
        mcc: "466",
        mnc: "05",
        country_code: "TW",
        country: "Taiwan",
    },
    // M1 (MobileOne). Also MediaTek's modem defaults ("MobileOne/Singapore").
    KnownCarrier {
        domain: "epdg.mobileone.net.sg",
        name: "M1",
        mcc: "525",
        mnc: "03",
        country_code: "SG",
        country: "Singapore",
    },
    // Globe Telecom. Also open-source VoWiFi client presets for PLMN 515/02.
    KnownCarrier {
        domain: "weconnect.globe.com.ph",
        name: "Globe",
        mcc: "515",
        mnc: "02",
        country_code: "PH",
        country: "Philippines",
    },
    // Three Hong Kong (Hutchison). Also open-source VoWiFi client presets for PLMN 454/03.
    KnownCarrier {
        domain: "wlan.three.com.hk",
        name: "Three",
        mcc: "454",
        mnc: "03",
        country_code: "HK",
        country: "Hong Kong",
    },
    // Reliance Jio. Also Samsung's ePDG service (static FQDN for Jio). Jio holds one MNC per
    // telecom circle (405/840, 405/854–874); 840 stands for them all.
    KnownCarrier {
        domain: "vowifi.jio.com",
        name: "Jio",
        mcc: "405",
        mnc: "840",
        country_code: "IN",
        country: "India",
    },
];

/// The carrier whose ePDG `name` is (or is a subdomain of), from a short listed table.
pub fn known_carrier(name: &str) -> Option<KnownCarrier> {
    let name = normalize(name)?;
    KNOWN_CARRIERS
        .iter()
        .find(|carrier| match name.strip_suffix(carrier.domain) {
            Some(head) => head.is_empty() || head.ends_with('.'),
            None => false,
        })
        .copied()
}

/// Who a name belongs to: the answer of [`operator_of`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carrier {
    /// What the name is for ([`Role::Epdg`] for a [`KnownCarrier`]).
    pub role: Role,
    /// Mobile country code.
    pub mcc: String,
    /// Mobile network code, in the operator's own form when it is known (`15`, not `015`).
    pub mnc: String,
    /// The operator's name, when known.
    pub name: Option<&'static str>,
    /// ISO 3166 alpha-2 country code, when known.
    pub country_code: Option<&'static str>,
    /// Country name, when known.
    pub country: Option<&'static str>,
}

/// The carrier behind a name: a 3GPP name ([`parse`]) or a known carrier ePDG
/// ([`known_carrier`]). A 3GPP name whose code the table lacks still answers, without a name.
pub fn operator_of(name: &str) -> Option<Carrier> {
    if let Some(parsed) = parse(name) {
        let op = parsed.operator;
        let known = |s: &'static String| Some(s.as_str()).filter(|s| !s.is_empty());
        return Some(Carrier {
            role: parsed.role,
            mcc: parsed.mcc,
            mnc: op.map_or(parsed.mnc, |o| o.mnc.clone()),
            name: op.map(|o| o.name.as_str()),
            country_code: op.and_then(|o| known(&o.country_code)),
            country: op.and_then(|o| known(&o.country)),
        });
    }
    known_carrier(name).map(|c| Carrier {
        role: Role::Epdg,
        mcc: c.mcc.to_owned(),
        mnc: c.mnc.to_owned(),
        name: Some(c.name),
        country_code: Some(c.country_code),
        country: Some(c.country),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn role(name: &str) -> Option<Role> {
        parse(name).map(|n| n.role)
    }

    #[test]
    fn t_mobile_us_epdg() {
        let n = parse("epdg.epc.mnc260.mcc310.pub.3gppnetwork.org").unwrap();
        assert_eq!(n.role, Role::Epdg);
        assert_eq!((n.mcc.as_str(), n.mnc.as_str()), ("310", "260"));
        let op = n.operator.unwrap();
        assert!(op.name.contains("T-Mobile"), "{op:?}");
        assert_eq!(op.country_code, "US");
        assert!(op.country.contains("United States"));
    }

    #[test]
    fn prefixed_epdg_is_a_variant() {
        let n = parse("ss.epdg.epc.mnc001.mcc234.pub.3gppnetwork.org").unwrap();
        assert_eq!(n.role, Role::EpdgVariant);
        assert_eq!((n.mcc.as_str(), n.mnc.as_str()), ("234", "001"));
        assert_eq!(
            role("x-1.ss.epdg.epc.mnc001.mcc234.pub.3gppnetwork.org"),
            Some(Role::EpdgVariant)
        );
    }

    #[test]
    fn emergency_epdg() {
        assert_eq!(
            role("sos.epdg.epc.mnc015.mcc234.pub.3gppnetwork.org"),
            Some(Role::EpdgEmergency)
        );
        assert_eq!(
            role("tac-lb34.tac-hb12.tac.sos.epdg.epc.mnc260.mcc310.pub.3gppnetwork.org"),
            Some(Role::EpdgEmergency)
        );
    }

    #[test]
    fn geo_and_location_epdg() {
        let geo = parse("epdg.epc.geo.mnc260.mcc310.pub.3gppnetwork.org").unwrap();
        assert_eq!(geo.role, Role::Epdg);
        assert_eq!((geo.mcc.as_str(), geo.mnc.as_str()), ("310", "260"));
        assert_eq!(
            role("ss.epdg.epc.geo.mnc260.mcc310.pub.3gppnetwork.org"),
            Some(Role::EpdgVariant)
        );
        for name in [
            "tac-lb0a.tac-hb1b.tac.epdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
            "tac-lb56.tac-mb34.tac-hb12.5gstac.epdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
            "lac01ab.epdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
        ] {
            assert_eq!(role(name), Some(Role::EpdgVariant), "{name}");
        }
    }

    #[test]
    fn ims_domain_vodafone_uk() {
        let n = parse("ims.mnc015.mcc234.3gppnetwork.org").unwrap();
        assert_eq!(n.role, Role::Ims);
        assert_eq!(n.mnc, "015");
        let op = n.operator.unwrap();
        assert_eq!(op.mnc, "15");
        assert!(op.name.contains("Vodafone"), "{op:?}");
        assert_eq!(op.country_code, "GB");
        assert_eq!(
            role("pcscf.ims.mnc015.mcc234.3gppnetwork.org"),
            Some(Role::Ims)
        );
    }

    #[test]
    fn nai() {
        let n = parse("0234150999999999@nai.epc.mnc015.mcc234.3gppnetwork.org").unwrap();
        assert_eq!(n.role, Role::Nai);
        assert_eq!((n.mcc.as_str(), n.mnc.as_str()), ("234", "015"));
        assert!(n.operator.unwrap().name.contains("Vodafone"));
        assert_eq!(
            role("1310260123456789@wlan.mnc260.mcc310.3gppnetwork.org"),
            Some(Role::Nai)
        );
        assert_eq!(role("@nai.epc.mnc015.mcc234.3gppnetwork.org"), None);
        assert_eq!(role("a b@nai.epc.mnc015.mcc234.3gppnetwork.org"), None);
    }

    #[test]
    fn other_names_under_a_network() {
        assert_eq!(role("epc.mnc015.mcc234.3gppnetwork.org"), Some(Role::Other));
        assert_eq!(role("mnc015.mcc234.3gppnetwork.org"), Some(Role::Other));
        assert_eq!(
            role("n3iwf.5gc.mnc015.mcc234.pub.3gppnetwork.org"),
            Some(Role::Other)
        );
    }

    #[test]
    fn case_and_trailing_dot() {
        let n = parse("EPDG.EPC.MNC260.MCC310.PUB.3GPPNETWORK.ORG.").unwrap();
        assert_eq!(n.role, Role::Epdg);
        assert_eq!((n.mcc.as_str(), n.mnc.as_str()), ("310", "260"));
        assert!(n.operator.is_some());
    }

    #[test]
    fn padded_mnc_falls_back_to_two_digits() {
        let n = parse("epdg.epc.mnc030.mcc234.pub.3gppnetwork.org").unwrap();
        assert_eq!(n.mnc, "030");
        assert_eq!(n.operator.unwrap().mnc, "30");
        let c = operator_of("epdg.epc.mnc030.mcc234.pub.3gppnetwork.org").unwrap();
        assert_eq!(c.mnc, "30");
    }

    #[test]
    fn rejects_malformed() {
        for name in [
            "",
            ".",
            "epdg.epc.mncxx.mcc310.pub.3gppnetwork.org",
            "epdg.epc.mnc260.mcc31.pub.3gppnetwork.org",
            "epdg.epc.mnc260.mcc3100.pub.3gppnetwork.org",
            "epdg.epc.mnc2.mcc310.pub.3gppnetwork.org",
            "epdg.epc.mnc2600.mcc310.pub.3gppnetwork.org",
            "epdg.epc.mcc310.mnc260.pub.3gppnetwork.org",
            "epdg..mnc260.mcc310.pub.3gppnetwork.org",
            "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org..",
            "epdg.epc.mnc260.mcc310.pub.3gppnetwork.com",
            "epdg.epc.mcc310.visited-country.pub.3gppnetwork.org",
            "3gppnetwork.org",
            "épdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
            "epdg.epc.mnc２６０.mcc310.pub.3gppnetwork.org",
        ] {
            assert_eq!(parse(name), None, "{name}");
            assert_eq!(operator_of(name), None, "{name}");
        }
        let long = format!(
            "{}.epdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
            "a.".repeat(300)
        );
        assert_eq!(parse(&long), None);
        assert_eq!(parse(&"x".repeat(100_000)), None);
    }

    #[test]
    fn unknown_code_still_parses() {
        let n = parse("epdg.epc.mnc98.mcc999.pub.3gppnetwork.org").unwrap();
        assert_eq!(n.operator, None);
        let c = operator_of("epdg.epc.mnc98.mcc999.pub.3gppnetwork.org").unwrap();
        assert_eq!(
            (c.mcc.as_str(), c.mnc.as_str(), c.name),
            ("999", "98", None)
        );
    }

    #[test]
    fn att_and_verizon() {
        let att = known_carrier("epdg.epc.att.net").unwrap();
        assert_eq!(
            (att.name, att.mcc, att.mnc, att.country_code),
            ("AT&T", "310", "410", "US")
        );
        assert_eq!(known_carrier("NS1.EPDG.EPC.ATT.NET."), Some(att));
        let vzw = known_carrier("wo.vzwwo.com").unwrap();
        assert_eq!(
            (vzw.name, vzw.mcc, vzw.mnc, vzw.country_code),
            ("Verizon", "311", "480", "US")
        );
        assert_eq!(known_carrier("a.b.wo.vzwwo.com"), Some(vzw));
    }

    #[test]
    fn known_carrier_needs_a_label_boundary() {
        assert_eq!(known_carrier("xwo.vzwwo.com"), None);
        assert_eq!(known_carrier("vzwwo.com"), None);
        assert_eq!(known_carrier("epdg.epc.att.net.example.com"), None);
        assert_eq!(known_carrier("user@epdg.epc.att.net"), None);
    }

    #[test]
    fn known_carriers_match_the_operator_table() {
        for c in KNOWN_CARRIERS {
            let op = operators::lookup(c.mcc, c.mnc).unwrap_or_else(|| panic!("{c:?}"));
            assert_eq!(op.country_code, c.country_code, "{c:?}");
            assert_eq!(op.country, c.country, "{c:?}");
            assert_eq!(known_carrier(c.domain), Some(*c));
        }
    }

    #[test]
    fn operator_of_both_kinds() {
        let tmo = operator_of("epdg.epc.mnc260.mcc310.pub.3gppnetwork.org").unwrap();
        assert_eq!(tmo.role, Role::Epdg);
        assert!(tmo.name.unwrap().contains("T-Mobile"));
        assert_eq!(tmo.country_code, Some("US"));
        let att = operator_of("epdg.epc.att.net").unwrap();
        assert_eq!(att.role, Role::Epdg);
        assert_eq!((att.mcc.as_str(), att.mnc.as_str()), ("310", "410"));
        assert_eq!((att.name, att.country_code), (Some("AT&T"), Some("US")));
        assert!(att.country.unwrap().contains("United States"));
    }

    #[test]
    fn not_a_carrier() {
        assert_eq!(operator_of("example.com"), None);
        assert_eq!(operator_of("courier.push.apple.com"), None);
        assert_eq!(known_carrier("example.com"), None);
    }

    proptest! {
        #[test]
        fn any_string_is_safe(s in any::<String>()) {
            let _ = parse(&s);
            let _ = known_carrier(&s);
            let _ = operator_of(&s);
        }

        #[test]
        fn name_like_strings_are_safe(s in "[a-zA-Z0-9@._-]{0,80}") {
            let _ = operator_of(&format!("{s}.mnc026.mcc310.pub.3gppnetwork.org"));
            let _ = operator_of(&s);
        }
    }
}
