//! Which process made a macOS tunnel interface. `utunN` and `ipsecN` exist while a process holds
//! a kernel-control socket connected to `com.apple.net.utun_control` or
//! `com.apple.net.ipsec_control` with unit N+1: the kernel names the interface after the
//! socket's unit (XNU `bsd/net/if_utun.c` `utun_ctl_connect`: `"utun%d", utun_unit - 1`;
//! `bsd/net/if_ipsec.c` `ipsec_ctl_connect` likewise) and removes it when the socket closes. lsof
//! shows these descriptors as type `systm`, name `[ctl com.apple.net.ipsec_control id 9 unit 1]`
//! (its `kcsi_unit`, the socket's `sc_unit`), which is how one finds that CommCenter made
//! `ipsec0` for Wi-Fi calling.

use std::collections::BTreeMap;

use crate::macos_netstat::ControlSocket;

/// `UTUN_CONTROL_NAME` (XNU `bsd/net/if_utun.h`).
pub const UTUN_CONTROL: &str = "com.apple.net.utun_control";
/// `IPSEC_CONTROL_NAME` (XNU `bsd/net/if_ipsec.h`).
pub const IPSEC_CONTROL: &str = "com.apple.net.ipsec_control";

/// The interface a kernel-control socket makes: unit N of the utun or ipsec control is
/// `utun(N−1)` or `ipsec(N−1)`. `None` for other controls and for unit 0 (not connected).
pub fn tunnel_interface(control: &str, unit: u32) -> Option<String> {
    let stem = match control {
        UTUN_CONTROL => "utun",
        IPSEC_CONTROL => "ipsec",
        _ => return None,
    };
    Some(format!("{stem}{}", unit.checked_sub(1)?))
}

/// A kernel-control descriptor seen in a process through libproc (`pidfdinfo` of a
/// `SOCKINFO_KERN_CTL` socket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldControl {
    /// The process holding the descriptor.
    pub pid: u32,
    /// `kcsi_name`.
    pub control: String,
    /// `kcsi_unit`.
    pub unit: u32,
}

/// The owner of each tunnel interface, by name. Holders seen through libproc come first: of
/// several (an inherited descriptor), the one netstat names as the socket's last user, else the
/// lowest pid, the parent that usually made it. Tunnels whose holder libproc could not see
/// (another user's process, without root) take netstat's last user (`so_last_pid`, never 0).
pub fn tunnel_owners(held: &[HeldControl], netstat: &[ControlSocket]) -> BTreeMap<String, u32> {
    let last_users: BTreeMap<String, u32> = netstat
        .iter()
        .filter(|c| c.owner.pid != 0)
        .filter_map(|c| Some((tunnel_interface(&c.control, c.unit)?, c.owner.pid)))
        .collect();
    let mut holders: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for h in held {
        if let Some(name) = tunnel_interface(&h.control, h.unit) {
            holders.entry(name).or_default().push(h.pid);
        }
    }
    let mut owners = last_users.clone();
    for (name, pids) in holders {
        let last = last_users.get(&name).filter(|p| pids.contains(p));
        let pid = last.copied().or_else(|| pids.iter().min().copied());
        if let Some(pid) = pid {
            owners.insert(name, pid);
        }
    }
    owners
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::macos_netstat::{parse_netstat_anv, Owner};

    const KCTL: &str = include_str!("../tests/fixtures/macos/netstat-anv-kctl-sequoia.txt");

    fn held(pid: u32, control: &str, unit: u32) -> HeldControl {
        HeldControl {
            pid,
            control: control.into(),
            unit,
        }
    }

    #[test]
    fn unit_n_is_interface_n_minus_one() {
        // lsof -p 412: `systm … [ctl com.apple.net.ipsec_control id 9 unit 1]`.
        assert_eq!(
            tunnel_interface(IPSEC_CONTROL, 1).as_deref(),
            Some("ipsec0")
        );
        assert_eq!(tunnel_interface(UTUN_CONTROL, 4).as_deref(), Some("utun3"));
        assert_eq!(tunnel_interface(UTUN_CONTROL, 0), None);
        assert_eq!(tunnel_interface("com.apple.network.statistics", 3), None);
    }

    #[test]
    fn netstat_names_every_tunnel_owner_without_root() {
        let controls = parse_netstat_anv(KCTL).unwrap().controls;
        let owners = tunnel_owners(&[], &controls);
        let expect: BTreeMap<String, u32> = [
            ("ipsec0", 412),
            ("utun0", 583),
            ("utun1", 583),
            ("utun2", 340),
            ("utun3", 340),
            ("utun4", 1204),
        ]
        .into_iter()
        .map(|(n, p)| (n.to_owned(), p))
        .collect();
        assert_eq!(owners, expect);
    }

    #[test]
    fn a_holder_seen_through_libproc_wins_over_the_last_user() {
        let controls = parse_netstat_anv(KCTL).unwrap().controls;
        // utun4: a helper (1300) holds it, netstat's last user 1204 is not among the holders.
        let owners = tunnel_owners(&[held(1300, UTUN_CONTROL, 5)], &controls);
        assert_eq!(owners["utun4"], 1300);
        assert_eq!(owners["ipsec0"], 412);
    }

    #[test]
    fn of_several_holders_the_last_user_then_the_lowest_pid() {
        let shared = [held(700, IPSEC_CONTROL, 1), held(412, IPSEC_CONTROL, 1)];
        let last = ControlSocket {
            control: IPSEC_CONTROL.into(),
            unit: 1,
            owner: Owner {
                pid: 700,
                process: None,
                epid: Some(0),
            },
        };
        assert_eq!(tunnel_owners(&shared, &[last])["ipsec0"], 700);
        assert_eq!(tunnel_owners(&shared, &[])["ipsec0"], 412);
    }
}
