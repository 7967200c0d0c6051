//! Every frame counted in the protocol hierarchy and the timeline, once the protocol stage has
//! named its leaf. Kept by the frame stage, in frame order: natively the leaves come back from
//! the protocol thread with each batch, so that thread, which paces the run, only names them.

use crate::hierarchy::{self, Hierarchy, Path};
use crate::report::HierarchyNode;
use crate::timeline::{self, Timeline, TimelineReport};

/// The hierarchy and timeline being counted.
#[derive(Debug)]
pub(crate) struct FrameCounts {
    hierarchy: Hierarchy,
    timeline: Timeline,
    /// The timeline families of the last leaves seen, newest first, by address and length
    /// (every leaf is a literal; no leaf, `(0, 0)`, is "other"): a capture's frames take turns
    /// among a handful of leaves, and remembering only the last one, a third of the bench file's
    /// frames (its RTP between STUN, RTCP and SIP) split their name again (callgrind: 3.5 M
    /// instructions on its first 40 MB, 0.4 M with four).
    families: [((usize, usize), usize); 4],
}

impl Default for FrameCounts {
    fn default() -> Self {
        FrameCounts {
            hierarchy: Hierarchy::default(),
            timeline: Timeline::default(),
            families: [((0, 0), timeline::family(None)); 4],
        }
    }
}

impl FrameCounts {
    /// Gives prefix number `id` its path ([`hierarchy::Prefixes`]).
    pub fn define(&mut self, id: u32, path: Path) {
        self.hierarchy.define(id, path);
    }

    /// Counts a frame of `bytes` at `ts_ns` under prefix `prefix`, followed by `leaf`.
    pub fn add(&mut self, prefix: u32, leaf: Option<&'static str>, bytes: u64, ts_ns: i64) {
        self.hierarchy.add_to(prefix, leaf, bytes);
        let family = self.family(leaf);
        self.timeline.add(ts_ns, family, bytes);
    }

    /// The timeline family of `leaf`.
    fn family(&mut self, leaf: Option<&'static str>) -> usize {
        let id = leaf.map_or((0, 0), |l| (l.as_ptr() as usize, l.len()));
        if let Some(&(_, family)) = self.families.iter().find(|(seen, _)| *seen == id) {
            return family;
        }
        let family = timeline::family(leaf.map(hierarchy::innermost));
        self.families.rotate_right(1);
        self.families[0] = (id, family);
        family
    }

    /// The report's hierarchy, and its timeline with times counted from `start_ns`.
    pub fn finish(self, start_ns: i64) -> (Vec<HierarchyNode>, TimelineReport) {
        (self.hierarchy.nodes(), self.timeline.finish(start_ns))
    }
}
