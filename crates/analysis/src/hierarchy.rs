//! Protocol hierarchy: frames and bytes per protocol path, like tshark's `-z io,phs`. Each frame is
//! counted once under its full path; every prefix of that path is a node of the tree.

use crate::FastMap;

use crate::report::HierarchyNode;

/// Deepest path we record; deeper layers are folded into the last node.
pub const MAX_DEPTH: usize = 10;

/// A protocol path, outermost first, without allocating per frame.
///
/// Compared and hashed by the names' addresses, not their text: every name is a `&'static str`
/// literal, so this is exact for the per-frame counting, and [`Hierarchy::nodes`] merges by text
/// in the rare case that two literals spell the same name. (Comparing text was a quarter of the
/// analyzer's time.)
#[derive(Debug, Clone, Copy, Default)]
pub struct Path {
    names: [&'static str; MAX_DEPTH],
    len: u8,
}

impl Path {
    fn identity(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.as_slice()
            .iter()
            .map(|s| (s.as_ptr() as usize, s.len()))
    }

    /// Appends a layer (ignored past [`MAX_DEPTH`]).
    pub fn push(&mut self, name: &'static str) {
        if usize::from(self.len) < MAX_DEPTH {
            self.names[usize::from(self.len)] = name;
            self.len += 1;
        }
    }

    /// Appends several layers.
    pub fn extend(&mut self, names: &[&'static str]) {
        for name in names {
            self.push(name);
        }
    }

    /// The layers.
    pub fn as_slice(&self) -> &[&'static str] {
        &self.names[..usize::from(self.len)]
    }
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.identity().eq(other.identity())
    }
}

impl Eq for Path {}

impl std::hash::Hash for Path {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u8(self.len);
        for (ptr, len) in self.identity() {
            state.write_usize(ptr);
            state.write_usize(len);
        }
    }
}

/// The innermost level of a hierarchy name (`esp` of `udpencap/esp`).
pub fn innermost(name: &'static str) -> &'static str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Most distinct prefixes ([`Prefixes`]); further ones are counted under their first name.
pub const MAX_PREFIXES: usize = 4096;

/// Paths up to the transport layer, numbered: the frame stage names a
/// frame's prefix by its number, the protocol stage adds the application name. Every name is a
/// literal, so there are few distinct prefixes (and at most [`MAX_PREFIXES`]).
#[derive(Debug, Default)]
pub struct Prefixes {
    ids: FastMap<Path, u32>,
}

impl Prefixes {
    /// The number of `path`, and whether it is new (to be [`Hierarchy::define`]d).
    pub fn id(&mut self, path: &Path) -> (u32, Option<Path>) {
        if let Some(&id) = self.ids.get(path) {
            return (id, None);
        }
        let path = if self.ids.len() < MAX_PREFIXES - 1 {
            *path
        } else {
            let mut first = Path::default();
            first.extend(&path.as_slice()[..path.as_slice().len().min(1)]);
            if let Some(&id) = self.ids.get(&first) {
                return (id, None);
            }
            first
        };
        let id = self.ids.len() as u32;
        self.ids.insert(path, id);
        (id, Some(path))
    }
}

/// Frames and bytes per path prefix and application name.
#[derive(Debug, Default)]
pub struct Hierarchy {
    /// Prefixes by number ([`Prefixes`]).
    prefixes: Vec<Path>,
    /// Per prefix: (application name, frames, bytes).
    by_prefix: Vec<Vec<(Option<&'static str>, u64, u64)>>,
}

/// Two names are the same literal.
fn same(a: Option<&'static str>, b: Option<&'static str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.as_ptr() == b.as_ptr() && a.len() == b.len(),
        (None, None) => true,
        _ => false,
    }
}

impl Hierarchy {
    /// Gives prefix number `id` its path (numbers come in order from 0).
    pub fn define(&mut self, id: u32, path: Path) {
        let id = id as usize;
        if self.prefixes.len() <= id {
            self.prefixes.resize(id + 1, Path::default());
            self.by_prefix.resize_with(id + 1, Vec::new);
        }
        self.prefixes[id] = path;
    }

    /// Counts one frame of `bytes` under prefix `id` followed by `app`.
    pub fn add_to(&mut self, id: u32, app: Option<&'static str>, bytes: u64) {
        let Some(list) = self.by_prefix.get_mut(id as usize) else {
            return;
        };
        match list.iter_mut().find(|(name, _, _)| same(*name, app)) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += bytes;
            }
            None => list.push((app, 1, bytes)),
        }
    }

    /// The tree in pre-order, siblings by frames (most first), then by name.
    pub fn nodes(self) -> Vec<HierarchyNode> {
        // Frames and bytes per full path.
        let mut leaves: FastMap<Path, (u64, u64)> = FastMap::default();
        for (id, list) in self.by_prefix.into_iter().enumerate() {
            for (app, frames, bytes) in list {
                let mut path = self.prefixes[id];
                for level in app.into_iter().flat_map(|a| a.split('/')) {
                    path.push(level);
                }
                if path.len == 0 {
                    continue;
                }
                let e = leaves.entry(path).or_default();
                e.0 += frames;
                e.1 += bytes;
            }
        }
        let mut totals: FastMap<&[&'static str], (u64, u64)> = FastMap::default();
        for (path, (frames, bytes)) in &leaves {
            let names = path.as_slice();
            for end in 1..=names.len() {
                let t = totals.entry(&names[..end]).or_default();
                t.0 += frames;
                t.1 += bytes;
            }
        }
        let mut nodes: Vec<(&[&'static str], (u64, u64))> = totals.into_iter().collect();
        // Sort key: for each level, (fewer frames later, name); a prefix sorts before its children.
        let key = |p: &[&'static str]| -> Vec<(std::cmp::Reverse<u64>, &'static str)> {
            (1..=p.len())
                .map(|end| (std::cmp::Reverse(total(&leaves, &p[..end])), p[end - 1]))
                .collect()
        };
        crate::order::sort_by_cached_key(&mut nodes, |(p, _)| key(p));
        nodes
            .into_iter()
            .map(|(p, (frames, bytes))| HierarchyNode {
                path: p.iter().map(|s| s.to_string()).collect(),
                frames,
                bytes,
            })
            .collect()
    }
}

/// Frames under every path that starts with `prefix`.
fn total(leaves: &FastMap<Path, (u64, u64)>, prefix: &[&'static str]) -> u64 {
    leaves
        .iter()
        .filter(|(p, _)| p.as_slice().starts_with(prefix))
        .map(|(_, (f, _))| f)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (path, frames, bytes) per node, in report order.
    fn rows(h: Hierarchy) -> Vec<(String, u64, u64)> {
        h.nodes()
            .iter()
            .map(|n| (n.path.join("/"), n.frames, n.bytes))
            .collect()
    }

    fn path(names: &[&'static str]) -> Path {
        let mut p = Path::default();
        p.extend(names);
        p
    }

    /// Counts a frame as the pipeline does: its prefix by number, then the application name.
    fn count(
        h: &mut Hierarchy,
        prefixes: &mut Prefixes,
        prefix: &[&'static str],
        app: Option<&'static str>,
        bytes: u64,
    ) {
        let (id, new) = prefixes.id(&path(prefix));
        if let Some(p) = new {
            h.define(id, p);
        }
        h.add_to(id, app, bytes);
    }

    #[test]
    fn numbered_prefixes_count_as_whole_paths() {
        let mut prefixes = Prefixes::default();
        let mut h = Hierarchy::default();
        for (p, app, bytes) in [
            (&["eth", "ip", "udp"][..], Some("rtp"), 200),
            (&["eth", "ip", "udp"], Some("sip"), 500),
            (&["eth", "ip", "udp"], Some("rtp"), 200),
            (&["eth", "arp"], None, 42),
            // The same full path reached another way merges with it.
            (&["eth", "ip", "udp", "rtp"], None, 100),
        ] {
            count(&mut h, &mut prefixes, p, app, bytes);
        }
        assert_eq!(
            rows(h),
            vec![
                ("eth".into(), 5, 1042),
                ("eth/ip".into(), 4, 1000),
                ("eth/ip/udp".into(), 4, 1000),
                ("eth/ip/udp/rtp".into(), 3, 500),
                ("eth/ip/udp/sip".into(), 1, 500),
                ("eth/arp".into(), 1, 42),
            ]
        );
    }

    #[test]
    fn prefixes_beyond_the_cap_count_under_their_first_name() {
        let names: [&'static str; 4] = ["a", "b", "c", "d"];
        let mut prefixes = Prefixes::default();
        let mut seen = std::collections::BTreeSet::new();
        'all: for x in names {
            for y in names {
                for z in names {
                    for w in names {
                        for v in names {
                            for u in names {
                                let p = path(&["eth", x, y, z, w, v, u]);
                                let (id, _) = prefixes.id(&p);
                                seen.insert(id);
                                if seen.len() > MAX_PREFIXES + 10 {
                                    break 'all;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(seen.len() <= MAX_PREFIXES, "{} ids", seen.len());
        let (_, new) = prefixes.id(&path(&["eth", "d", "d", "d", "d", "d", "c"]));
        assert!(new.is_none(), "the cap holds");
    }

    #[test]
    fn prefixes_sum_their_children_in_pre_order() {
        let (mut h, mut prefixes) = (Hierarchy::default(), Prefixes::default());
        count(
            &mut h,
            &mut prefixes,
            &["eth", "ip", "udp"],
            Some("sip"),
            500,
        );
        count(
            &mut h,
            &mut prefixes,
            &["eth", "ip", "udp"],
            Some("rtp"),
            200,
        );
        count(
            &mut h,
            &mut prefixes,
            &["eth", "ip", "udp"],
            Some("rtp"),
            200,
        );
        count(&mut h, &mut prefixes, &["eth", "arp"], None, 42);
        assert_eq!(
            rows(h),
            vec![
                ("eth".into(), 4, 942),
                ("eth/ip".into(), 3, 900),
                ("eth/ip/udp".into(), 3, 900),
                ("eth/ip/udp/rtp".into(), 2, 400),
                ("eth/ip/udp/sip".into(), 1, 500),
                ("eth/arp".into(), 1, 42),
            ]
        );
    }
}
