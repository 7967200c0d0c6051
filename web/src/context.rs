//! What every view reads without having it passed down: the shown report ([`ShownRef`], its own
//! context) and the page around it ([`PageCtx`]: route, ladder preferences, time zone, and the
//! dispatcher for changes).

use callscope_analysis::extract::Selection;
use yew::prelude::*;

use crate::route::Route;
use crate::state::{LadderPrefs, Page, ShownRef};

/// The page as views see it.
#[derive(Clone, PartialEq)]
pub struct PageCtx {
    /// The open view.
    pub route: Route,
    /// Ladder preferences.
    pub ladder: LadderPrefs,
    /// The viewer's time zone at the capture's start, minutes east of UTC.
    pub tz: i32,
    /// Changes the page.
    pub dispatch: UseReducerDispatcher<Page>,
    /// Writes a filtered capture (the flows, a file name); None without a capture file (a
    /// shared report carries no packets).
    pub extract: Option<Callback<(Selection, String)>>,
    /// The capture file, for views that read it again (a call's audio); None for a shared
    /// report.
    pub file: Option<web_sys::Blob>,
    /// Milliseconds from the file being given to its report on screen, once drawn.
    pub drawn_ms: Option<f64>,
}

impl PageCtx {
    /// A button that writes the flows of `selection` as `name` (nothing without a file).
    pub fn export_button(&self, selection: Selection, name: String, testid: &'static str) -> Html {
        let Some(extract) = self.extract.clone() else {
            return html! {};
        };
        let flows = selection.len();
        let onclick =
            Callback::from(move |_: MouseEvent| extract.emit((selection.clone(), name.clone())));
        html! {
            <button type="button" {onclick} data-testid={testid} disabled={flows == 0}
                title="A pcapng file with only these flows' packets, read again from the capture">{ "pcapng" }</button>
        }
    }

    /// A clock time (`2026-11-22 14:03:21.123`) for seconds into the capture.
    pub fn clock(&self, shown: &ShownRef, rel: f64) -> String {
        callscope_view::format::clock(shown.report.capture.start_unix + rel, self.tz)
    }
}

/// The shown report; views are only rendered once there is one.
#[hook]
pub fn use_shown() -> Option<ShownRef> {
    use_context::<ShownRef>()
}

/// The page context.
#[hook]
pub fn use_page() -> Option<PageCtx> {
    use_context::<PageCtx>()
}
