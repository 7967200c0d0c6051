//! The whole report: summary, then the tables.

use std::rc::Rc;

use callscope_analysis::Report;
use yew::prelude::*;

use super::{
    conversations::Conversations, endpoints::Endpoints, hierarchy::Hierarchy, processes::Processes,
    summary::Summary,
};

/// Props of [`ReportView`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// File name.
    pub name: AttrValue,
    /// The report.
    pub report: Rc<Report>,
    /// File size.
    pub bytes: f64,
    /// Milliseconds the analysis took.
    pub ms: f64,
}

/// The report view.
#[function_component(ReportView)]
pub fn report_view(props: &Props) -> Html {
    let r = &props.report;
    html! {
        <div data-testid="report">
            <Summary name={props.name.clone()} report={r.clone()} bytes={props.bytes} ms={props.ms} />
            <Hierarchy report={r.clone()} />
            <Conversations report={r.clone()} />
            <Endpoints report={r.clone()} />
            if !r.processes.is_empty() {
                <Processes report={r.clone()} />
            }
        </div>
    }
}

/// Props shared by the section views.
#[derive(Properties, PartialEq)]
pub struct SectionProps {
    /// The report.
    pub report: Rc<Report>,
}
