//! Well-known ports as a hint of what a flow carries: what a port usually means, never proof
//! (anything can run on 443). Sources: IANA's service name registry for the registered ports,
//! Apple's "TCP and UDP ports used by Apple software products" (HT202944) for push and FaceTime.

use crate::flows::Transport;

/// What a port usually carries over a transport (UDP or TCP).
pub fn service(transport: Transport, port: u16) -> Option<&'static str> {
    let udp = transport == Transport::Udp;
    Some(match port {
        53 => "DNS",
        123 if udp => "NTP",
        443 if udp => "QUIC",
        443 => "HTTPS",
        500 if udp => "IKE",
        853 => "DNS over TLS",
        3478..=3497 => "STUN/TURN",
        4500 if udp => "IKE NAT-T / ESP in UDP",
        5060 => "SIP",
        5061 if !udp => "SIP over TLS",
        5223 if !udp => "Apple push",
        5349 => "STUN/TURN over TLS",
        5353 if udp => "mDNS",
        16384..=16387 | 16393..=16402 if udp => "FaceTime media",
        _ => return None,
    })
}

/// The hint for a conversation: the responder's port first (the service side), then the
/// initiator's. Returns which side it names (`true`: the responder) and the service.
pub fn conversation_service(
    transport: Transport,
    a_port: u16,
    b_port: u16,
) -> Option<(bool, &'static str)> {
    service(transport, b_port)
        .map(|s| (true, s))
        .or_else(|| service(transport, a_port).map(|s| (false, s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_hint_by_transport() {
        assert_eq!(service(Transport::Udp, 443), Some("QUIC"));
        assert_eq!(service(Transport::Tcp, 443), Some("HTTPS"));
        assert_eq!(service(Transport::Tcp, 5223), Some("Apple push"));
        assert_eq!(service(Transport::Udp, 5223), None);
        assert_eq!(service(Transport::Udp, 16_400), Some("FaceTime media"));
        assert_eq!(service(Transport::Udp, 16_390), None);
        assert_eq!(service(Transport::Udp, 3_490), Some("STUN/TURN"));
        assert_eq!(service(Transport::Udp, 40_000), None);
    }

    #[test]
    fn the_responder_names_the_service_first() {
        assert_eq!(
            conversation_service(Transport::Udp, 500, 4500),
            Some((true, "IKE NAT-T / ESP in UDP"))
        );
        assert_eq!(
            conversation_service(Transport::Tcp, 5223, 50_000),
            Some((false, "Apple push"))
        );
        assert_eq!(conversation_service(Transport::Tcp, 50_000, 50_001), None);
    }
}
