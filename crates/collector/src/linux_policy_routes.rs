//! Linux policy routing: default routes in tables other than `main`, which `/proc/net/route`
//! does not show (it lists the main table only). wg-quick, for one, routes everything through a
//! default in table 51820 and adds rules that send traffic there; such a default is listed with
//! its table, and the main table's default stays *the* default. Read from the JSON of
//! `ip -j route show table all` (iproute2's `-json` output: one object per route with `dst`,
//! `gateway`, `dev`, `table`, `metric`, `type`). Platform-free, so it is tested anywhere.

use callscope_facts::Route;

/// The default routes of tables other than `main` and `local` in `ip -j [-6] route show table
/// all` output; `family` is `ipv4` or `ipv6`. Malformed output gives none.
pub fn other_table_defaults(json: &str, family: &str) -> Vec<Route> {
    let Ok(serde_json::Value::Array(rows)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let text = |row: &serde_json::Value, key: &str| {
        row.get(key).and_then(|v| v.as_str()).map(str::to_owned)
    };
    rows.iter()
        .filter(|row| text(row, "dst").as_deref() == Some("default"))
        // Unicast routes only (not `unreachable`, `blackhole`, `prohibit`, `throw`).
        .filter(|row| text(row, "type").is_none_or(|t| t == "unicast"))
        .filter_map(|row| {
            let table = text(row, "table")?;
            if table == "main" || table == "local" {
                return None;
            }
            Some(Route {
                family: family.into(),
                destination: if family == "ipv6" {
                    "::/0"
                } else {
                    "0.0.0.0/0"
                }
                .into(),
                gateway: text(row, "gateway"),
                interface: text(row, "dev").unwrap_or_default(),
                flags: Vec::new(),
                metric: row
                    .get("metric")
                    .and_then(|m| m.as_u64())
                    .and_then(|m| u32::try_from(m).ok()),
                default: false,
                scoped: false,
                table: Some(table),
            })
        })
        .collect()
}

/// Keeps the `default` mark on one route per family: the main table's default with the lowest
/// metric (the one the kernel uses when several are installed).
pub fn mark_the_default(routes: &mut [Route]) {
    for family in ["ipv4", "ipv6"] {
        let best = routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.family == family && r.default && r.table.is_none())
            .min_by_key(|(i, r)| (r.metric.unwrap_or(0), *i))
            .map(|(i, _)| i);
        for (i, r) in routes.iter_mut().enumerate() {
            if r.family == family {
                r.default = Some(i) == best;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ip -j route show table all` on a host running wg-quick (`wg0` with AllowedIPs 0.0.0.0/0):
    /// its default in table 51820, the main table's default through eth0, and the local table.
    const WG_QUICK: &str = r#"[
      {"dst":"default","dev":"wg0","table":"51820","flags":[]},
      {"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
      {"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]},
      {"type":"unreachable","dst":"default","table":"99","flags":[]},
      {"type":"local","dst":"127.0.0.1","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]}
    ]"#;

    #[test]
    fn a_wg_quick_default_is_listed_with_its_table() {
        let got = other_table_defaults(WG_QUICK, "ipv4");
        assert_eq!(got.len(), 1);
        assert_eq!(
            (
                got[0].destination.as_str(),
                got[0].interface.as_str(),
                got[0].table.as_deref(),
                got[0].default
            ),
            ("0.0.0.0/0", "wg0", Some("51820"), false)
        );
        assert!(other_table_defaults("not json", "ipv4").is_empty());
    }

    #[test]
    fn one_default_per_family_the_lowest_metric_of_the_main_table() {
        let route = |family: &str, dev: &str, metric: u32, table: Option<&str>| Route {
            family: family.into(),
            interface: dev.into(),
            metric: Some(metric),
            default: true,
            table: table.map(Into::into),
            ..Route::default()
        };
        let mut routes = vec![
            route("ipv4", "wlan0", 600, None),
            route("ipv4", "eth0", 100, None),
            route("ipv4", "wg0", 0, Some("51820")),
            route("ipv6", "eth0", 1024, None),
        ];
        mark_the_default(&mut routes);
        let marked: Vec<_> = routes
            .iter()
            .map(|r| (r.interface.as_str(), r.default))
            .collect();
        assert_eq!(
            marked,
            [
                ("wlan0", false),
                ("eth0", true),
                ("wg0", false),
                ("eth0", true)
            ]
        );
    }
}
