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

/// Frames and bytes per full path.
#[derive(Debug, Default)]
pub struct Hierarchy {
    leaves: FastMap<Path, (u64, u64)>,
}

impl Hierarchy {
    /// Counts one frame of `bytes` under `path`.
    pub fn add(&mut self, path: Path, bytes: u64) {
        if path.len == 0 {
            return;
        }
        let entry = self.leaves.entry(path).or_default();
        entry.0 += 1;
        entry.1 += bytes;
    }

    /// The tree in pre-order, siblings by frames (most first), then by name.
    pub fn nodes(&self) -> Vec<HierarchyNode> {
        let mut totals: FastMap<&[&'static str], (u64, u64)> = FastMap::default();
        for (path, (frames, bytes)) in &self.leaves {
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
                .map(|end| (std::cmp::Reverse(self.total(&p[..end])), p[end - 1]))
                .collect()
        };
        nodes.sort_by_cached_key(|(p, _)| key(p));
        nodes
            .into_iter()
            .map(|(p, (frames, bytes))| HierarchyNode {
                path: p.iter().map(|s| s.to_string()).collect(),
                frames,
                bytes,
            })
            .collect()
    }

    fn total(&self, prefix: &[&'static str]) -> u64 {
        self.leaves
            .iter()
            .filter(|(p, _)| p.as_slice().starts_with(prefix))
            .map(|(_, (f, _))| f)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(names: &[&'static str]) -> Path {
        let mut p = Path::default();
        p.extend(names);
        p
    }

    #[test]
    fn prefixes_sum_their_children_in_pre_order() {
        let mut h = Hierarchy::default();
        h.add(path(&["eth", "ip", "udp", "sip"]), 500);
        h.add(path(&["eth", "ip", "udp", "rtp"]), 200);
        h.add(path(&["eth", "ip", "udp", "rtp"]), 200);
        h.add(path(&["eth", "arp"]), 42);
        let nodes = h.nodes();
        let got: Vec<(String, u64, u64)> = nodes
            .iter()
            .map(|n| (n.path.join("/"), n.frames, n.bytes))
            .collect();
        assert_eq!(
            got,
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
