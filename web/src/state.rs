//! The page's state and every change to it, as actions on a `Reducible` (testable without a
//! browser): where the capture is (idle, decoding, done, failed), the host facts given beside
//! it, the open view (route), the mask switch and the ladder's preferences. The report the views
//! show ([`Shown`]) is derived here once per change of report, facts or mask.

use std::rc::Rc;

use callscope_analysis::facts::{attribute, Facts};
use callscope_analysis::mask::mask_report;
use callscope_analysis::{Found, Report};
use callscope_view::links::{self, Links, ProcessLinks};
use callscope_view::share::Shared;
use yew::Reducible;

use crate::messages::FromWorker;
use crate::route::Route;

/// Host facts (`facts.json`) given beside the capture.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedFacts {
    /// File name.
    pub name: String,
    /// The facts.
    pub facts: Rc<Facts>,
}

/// Where the capture is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Phase {
    /// Waiting for a file.
    #[default]
    Idle,
    /// The worker is reading.
    Running {
        /// File name.
        name: String,
        /// Bytes read.
        bytes: f64,
        /// File size.
        total: f64,
        /// Packets so far.
        packets: u64,
        /// Calls, streams and tunnels found so far.
        found: Found,
        /// Milliseconds so far.
        ms: f64,
        /// The whole file is read and the report is being built.
        finishing: bool,
        /// The report's sections read into the page so far, and how many it has (once the
        /// decoder has sent it and reading it takes more than one step).
        read: Option<(usize, usize)>,
    },
    /// The report is ready.
    Done {
        /// File name.
        name: String,
        /// The worker's report, before facts and masking.
        raw: Rc<Report>,
        /// File size.
        bytes: f64,
        /// Milliseconds taken.
        ms: f64,
    },
    /// The file could not be read.
    Error {
        /// File name.
        name: String,
        /// Why.
        message: String,
    },
}

/// How the ladder's time column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeMode {
    /// Seconds since the capture's first packet.
    #[default]
    Relative,
    /// Clock time.
    Absolute,
    /// Since the previous row.
    Delta,
}

/// The ladder's preferences (kept while moving between calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LadderPrefs {
    /// One column per address instead of per `ip:port`.
    pub merge_hosts: bool,
    /// The time column.
    pub time: TimeMode,
}

/// The report as the views show it, with the indexes they share.
#[derive(Debug)]
pub struct Shown {
    /// File name.
    pub name: String,
    /// The report: the worker's (shared, when nothing changed it), with facts applied and
    /// masked when asked.
    pub report: Rc<Report>,
    /// Conversations the facts attributed.
    pub attributed: usize,
    /// Conversations by address pair (calls, tunnels and streams reach their process by it).
    pub links: Links,
    /// Processes with their conversations, calls, tunnels and streams.
    pub processes: Vec<ProcessLinks>,
    /// File size.
    pub bytes: f64,
    /// Milliseconds the decoding took.
    pub ms: f64,
    /// Phone numbers, user parts and display names are masked.
    pub masked: bool,
    /// It came from a share link (no file was decoded in this tab).
    pub shared: bool,
}

impl Shown {
    fn new(
        name: &str,
        raw: &Rc<Report>,
        facts: Option<&LoadedFacts>,
        mask: bool,
        bytes: f64,
        ms: f64,
    ) -> Shown {
        let (report, attributed) = if facts.is_none() && !mask {
            (raw.clone(), 0)
        } else {
            let mut report = (**raw).clone();
            let attributed = facts.map_or(0, |f| attribute(&mut report, &f.facts));
            if mask {
                mask_report(&mut report);
            }
            (Rc::new(report), attributed)
        };
        let links = Links::new(&report);
        let processes = links::processes(&report, &links);
        Shown {
            name: name.to_owned(),
            report,
            attributed,
            links,
            processes,
            bytes,
            ms,
            masked: mask,
            shared: false,
        }
    }
}

/// The shown report as a context value: equal when it is the same report.
#[derive(Debug, Clone)]
pub struct ShownRef(pub Rc<Shown>);

impl PartialEq for ShownRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for ShownRef {
    type Target = Shown;
    fn deref(&self) -> &Shown {
        &self.0
    }
}

/// The page's whole state.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The capture.
    pub phase: Phase,
    /// Facts to attribute flows with, once given (before the capture, with it or after it).
    pub facts: Option<LoadedFacts>,
    /// Why the last facts file could not be used.
    pub facts_error: Option<String>,
    /// The open view.
    pub route: Route,
    /// Mask phone numbers, user parts and display names on screen.
    pub mask: bool,
    /// Ladder preferences.
    pub ladder: LadderPrefs,
    /// A neutral message (`Cancelled.`).
    pub notice: Option<String>,
    /// The report as shown, once done.
    pub shown: Option<ShownRef>,
    /// Where a report opened from a share link came from (its report is `phase`'s).
    pub shared: Option<Rc<Shared>>,
    /// Milliseconds from the file being given to its report on screen (decoding, handing the
    /// report over, reading it back and drawing it), once drawn.
    pub drawn_ms: Option<f64>,
}

/// Changes to the page.
#[derive(Debug)]
pub enum Action {
    /// A capture was chosen (name, size).
    Start(String, f64),
    /// A message from the worker (its report comes as [`Action::Report`], once read back).
    Worker(FromWorker),
    /// This many of the report's sections are read back, of so many.
    ReadingReport(usize, usize),
    /// The decoder's report, read back (with the file's bytes and the decoder's milliseconds).
    Report(Box<Report>, f64, f64),
    /// The worker could not start or crashed.
    Crash(String),
    /// The user cancelled the decoding.
    Cancel,
    /// A facts.json was read.
    Facts(LoadedFacts),
    /// A file given as facts could not be used.
    FactsFailed(String),
    /// A share link was opened (its report, and where it came from).
    OpenShared(Box<Shared>),
    /// A share link could not be opened (why, in words).
    SharedFailed(String),
    /// The user removed the facts.
    ClearFacts,
    /// The address changed (a link, back/forward, a typed URL).
    Navigate(Route),
    /// The mask switch.
    Mask(bool),
    /// The ladder's preferences.
    Ladder(LadderPrefs),
    /// The decoded report is on screen, this many milliseconds after the file was given.
    Drawn(f64),
}

impl Page {
    /// The shown report for the current phase, facts and mask.
    fn derive(&self) -> Option<ShownRef> {
        match &self.phase {
            Phase::Done {
                name,
                raw,
                bytes,
                ms,
            } => {
                let mut shown = Shown::new(name, raw, self.facts.as_ref(), self.mask, *bytes, *ms);
                shown.shared = self.shared.is_some();
                Some(ShownRef(Rc::new(shown)))
            }
            _ => None,
        }
    }

    /// The report to share: the worker's with the facts applied, not masked (the share panel
    /// masks it its own way).
    pub fn report_to_share(&self) -> Option<Report> {
        let Phase::Done { raw, .. } = &self.phase else {
            return None;
        };
        let mut report = (**raw).clone();
        if let Some(f) = &self.facts {
            attribute(&mut report, &f.facts);
        }
        Some(report)
    }

    /// The file being decoded or shown.
    pub fn file_name(&self) -> Option<&str> {
        match &self.phase {
            Phase::Idle => None,
            Phase::Running { name, .. } | Phase::Done { name, .. } | Phase::Error { name, .. } => {
                Some(name)
            }
        }
    }
}

impl Reducible for Page {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // A decoding's messages count only while it runs (a share link opened meanwhile, or a
        // cancel, has replaced it).
        if matches!(
            action,
            Action::Worker(_) | Action::ReadingReport(..) | Action::Report(..)
        ) && !matches!(self.phase, Phase::Running { .. })
        {
            return self;
        }
        let mut page = (*self).clone();
        let mut rederive = false;
        match action {
            Action::Start(name, total) => {
                // Facts given before this capture (or while it decodes) are for it; facts of a
                // capture already shown described that capture's host.
                if matches!(page.phase, Phase::Done { .. }) {
                    page.facts = None;
                    page.facts_error = None;
                }
                page.phase = Phase::Running {
                    name,
                    bytes: 0.0,
                    total,
                    packets: 0,
                    found: Found::default(),
                    ms: 0.0,
                    finishing: false,
                    read: None,
                };
                page.notice = None;
                page.shown = None;
                page.shared = None;
                page.drawn_ms = None;
            }
            Action::OpenShared(shared) => {
                let Shared { file, report, .. } = *shared;
                page.phase = Phase::Done {
                    name: file.clone(),
                    raw: Rc::new(report),
                    bytes: 0.0,
                    ms: 0.0,
                };
                page.facts = None;
                page.facts_error = None;
                page.notice = None;
                page.drawn_ms = None;
                page.shared = Some(Rc::new(Shared {
                    file,
                    report: Report::default(),
                    ..*shared
                }));
                rederive = true;
            }
            Action::SharedFailed(message) => {
                page.phase = Phase::Error {
                    name: "The shared link".into(),
                    message,
                };
                page.shown = None;
                page.shared = None;
            }
            Action::Worker(
                FromWorker::Ready | FromWorker::Extracted { .. } | FromWorker::Audio { .. },
            ) => return self,
            Action::Worker(FromWorker::Progress {
                bytes,
                total,
                packets,
                calls,
                streams,
                tunnels,
                ms,
                ..
            }) => {
                let Phase::Running { name, .. } = &page.phase else {
                    return self;
                };
                page.phase = Phase::Running {
                    name: name.clone(),
                    bytes,
                    total,
                    packets,
                    found: Found {
                        calls,
                        streams,
                        tunnels,
                    },
                    ms,
                    finishing: false,
                    read: None,
                };
            }
            Action::Worker(FromWorker::Finishing { packets, ms }) => {
                let Phase::Running {
                    name, total, found, ..
                } = &page.phase
                else {
                    return self;
                };
                page.phase = Phase::Running {
                    name: name.clone(),
                    bytes: *total,
                    total: *total,
                    packets,
                    found: *found,
                    ms,
                    finishing: true,
                    read: None,
                };
            }
            Action::ReadingReport(done, of) => {
                if let Phase::Running { read, .. } = &mut page.phase {
                    *read = Some((done, of));
                }
            }
            Action::Report(report, bytes, ms) => {
                let name = page.file_name().unwrap_or_default().to_owned();
                page.phase = Phase::Done {
                    name,
                    raw: Rc::new(*report),
                    bytes,
                    ms,
                };
                rederive = true;
            }
            // The bridge reads the report back and sends it as `Action::Report`.
            Action::Worker(FromWorker::Done { .. }) => {}
            Action::Worker(FromWorker::Failed { message }) | Action::Crash(message) => {
                let name = page.file_name().unwrap_or_default().to_owned();
                page.phase = Phase::Error { name, message };
                page.shown = None;
            }
            Action::Cancel => {
                let name = page.file_name().unwrap_or("the capture").to_owned();
                page.phase = Phase::Idle;
                page.notice = Some(format!(
                    "Cancelled decoding {name}. Drop or choose a capture to start again."
                ));
                page.shown = None;
            }
            Action::Facts(loaded) => {
                page.facts = Some(loaded);
                page.facts_error = None;
                rederive = true;
            }
            Action::FactsFailed(message) => page.facts_error = Some(message),
            Action::ClearFacts => {
                page.facts = None;
                page.facts_error = None;
                rederive = true;
            }
            Action::Navigate(route) => {
                if route == page.route {
                    return self;
                }
                page.route = route;
            }
            Action::Mask(on) => {
                if on == page.mask {
                    return self;
                }
                page.mask = on;
                rederive = true;
            }
            Action::Ladder(prefs) => page.ladder = prefs,
            Action::Drawn(ms) => {
                if !matches!(page.phase, Phase::Done { .. }) || page.shared.is_some() {
                    return self;
                }
                page.drawn_ms = Some(ms);
            }
        }
        if rederive {
            page.shown = page.derive();
        }
        Rc::new(page)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::sip::report::Call;

    fn report() -> Report {
        let mut r = Report::default();
        r.capture.format = "pcap".into();
        r.sip.calls.push(Call {
            call_id: "c1".into(),
            caller: "+15550100".into(),
            from: "sip:+15550100@example.com".into(),
            ..Call::default()
        });
        r
    }

    fn facts() -> LoadedFacts {
        LoadedFacts {
            name: "facts.json".into(),
            facts: Rc::new(Facts::default()),
        }
    }

    fn run(page: Rc<Page>, actions: Vec<Action>) -> Rc<Page> {
        actions.into_iter().fold(page, |p, a| p.reduce(a))
    }

    fn done() -> Action {
        Action::Report(Box::new(report()), 10.0, 1.0)
    }

    #[test]
    fn facts_dropped_before_the_capture_apply_to_it() {
        let p = run(
            Rc::default(),
            vec![
                Action::Facts(facts()),
                Action::Start("a.pcap".into(), 10.0),
                done(),
            ],
        );
        assert_eq!(
            p.facts.as_ref().map(|f| f.name.as_str()),
            Some("facts.json")
        );
        assert!(p.shown.is_some());
    }

    #[test]
    fn a_new_capture_forgets_the_facts_of_the_last_one() {
        let p = run(
            Rc::default(),
            vec![
                Action::Start("a.pcap".into(), 10.0),
                done(),
                Action::Facts(facts()),
                Action::Start("b.pcap".into(), 5.0),
            ],
        );
        assert!(p.facts.is_none());
        assert!(p.shown.is_none());
    }

    #[test]
    fn a_report_read_back_after_a_cancel_is_dropped() {
        let p = run(
            Rc::default(),
            vec![
                Action::Start("big.pcap".into(), 1e9),
                Action::Cancel,
                done(),
            ],
        );
        assert_eq!(p.phase, Phase::Idle);
        assert!(p.shown.is_none());
    }

    #[test]
    fn cancel_is_a_notice_not_an_error() {
        let p = run(
            Rc::default(),
            vec![Action::Start("big.pcap".into(), 1e9), Action::Cancel],
        );
        assert_eq!(p.phase, Phase::Idle);
        assert!(p.notice.as_deref().unwrap().contains("big.pcap"));
    }

    #[test]
    fn finishing_reads_as_all_read_and_drawn_counts_only_for_a_decoded_report() {
        let p = run(
            Rc::default(),
            vec![
                Action::Start("big.pcap".into(), 1e9),
                Action::Drawn(5.0),
                Action::Worker(FromWorker::Finishing {
                    packets: 7,
                    ms: 900.0,
                }),
            ],
        );
        let Phase::Running {
            bytes,
            total,
            packets,
            finishing,
            ..
        } = p.phase
        else {
            panic!("{:?}", p.phase);
        };
        assert_eq!((bytes, total, packets, finishing), (1e9, 1e9, 7, true));
        assert_eq!(p.drawn_ms, None, "not drawn while running");
        let p = p.reduce(Action::ReadingReport(3, 17));
        assert!(
            matches!(
                p.phase,
                Phase::Running {
                    read: Some((3, 17)),
                    finishing: true,
                    ..
                }
            ),
            "{:?}",
            p.phase
        );
        let p = run(p, vec![done(), Action::Drawn(1234.0)]);
        assert_eq!(p.drawn_ms, Some(1234.0));
        let p = p.reduce(Action::Start("next.pcap".into(), 1.0));
        assert_eq!(p.drawn_ms, None, "a new file forgets the last one's figure");
    }

    #[test]
    fn the_mask_switch_masks_the_shown_report_and_back() {
        let p = run(
            Rc::default(),
            vec![
                Action::Start("a.pcap".into(), 10.0),
                done(),
                Action::Mask(true),
            ],
        );
        let shown = p.shown.clone().unwrap();
        assert!(shown.masked);
        assert_eq!(shown.report.sip.calls[0].caller, "number-1");
        let p = p.reduce(Action::Mask(false));
        assert_eq!(
            p.shown.as_ref().unwrap().report.sip.calls[0].caller,
            "+15550100"
        );
    }

    #[test]
    fn a_shared_report_opens_without_a_file_and_a_dropped_file_replaces_it() {
        let shared = Shared {
            v: 1,
            file: "call.pcap".into(),
            report: report(),
            masked_numbers: true,
            ..Shared::default()
        };
        let p = run(Rc::default(), vec![Action::OpenShared(Box::new(shared))]);
        assert_eq!(p.file_name(), Some("call.pcap"));
        let shown = p.shown.clone().unwrap();
        assert!(shown.shared);
        assert_eq!(shown.report.sip.calls.len(), 1);
        assert!(p.shared.as_ref().unwrap().masked_numbers);
        let p = p.reduce(Action::Start("mine.pcap".into(), 1.0));
        assert!(p.shared.is_none() && p.shown.is_none());
        let p = p.reduce(Action::SharedFailed("damaged".into()));
        assert!(matches!(&p.phase, Phase::Error { message, .. } if message == "damaged"));
    }

    #[test]
    fn a_decoding_replaced_by_a_shared_report_cannot_overwrite_it() {
        let shared = Shared {
            v: 1,
            file: "shared.pcap".into(),
            report: report(),
            ..Shared::default()
        };
        let p = run(
            Rc::default(),
            vec![
                Action::Start("mine.pcap".into(), 1.0),
                Action::OpenShared(Box::new(shared)),
                done(),
            ],
        );
        assert_eq!(p.file_name(), Some("shared.pcap"));
        assert!(p.shown.as_ref().unwrap().shared);
    }

    #[test]
    fn the_route_survives_a_new_capture() {
        let p = run(
            Rc::default(),
            vec![
                Action::Navigate(Route::Calls(Some("c1".into()), None)),
                Action::Start("a.pcap".into(), 1.0),
                done(),
            ],
        );
        assert_eq!(p.route, Route::Calls(Some("c1".into()), None));
        let q = p
            .clone()
            .reduce(Action::Navigate(Route::Calls(Some("c1".into()), None)));
        assert!(Rc::ptr_eq(&p, &q), "the same address changes nothing");
    }
}
