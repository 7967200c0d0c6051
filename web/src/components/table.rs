//! A table that sorts by any column (click a header; again to reverse) and filters rows by text.
//! Renders at most `limit` rows so that a capture with a quarter of a million flows stays usable.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

/// One cell: what to show, and a number to sort by when the column is numeric.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Text shown.
    pub text: String,
    /// Sort key for numeric columns.
    pub num: Option<f64>,
}

impl Cell {
    /// A text cell.
    pub fn text(s: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            num: None,
        }
    }

    /// A numeric cell.
    pub fn num(v: f64, text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            num: Some(v),
        }
    }

    /// A count.
    pub fn count(v: u64) -> Self {
        Cell {
            text: v.to_string(),
            num: Some(v as f64),
        }
    }
}

/// A column: title and whether it is numeric (right-aligned, sorted by number).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header text.
    pub title: &'static str,
    /// Numeric column.
    pub numeric: bool,
}

/// Props of [`SortTable`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows of cells, one per column.
    pub rows: Rc<Vec<Vec<Cell>>>,
    /// `data-testid` of the table.
    pub testid: AttrValue,
    /// Most rows rendered.
    #[prop_or(500)]
    pub limit: usize,
}

/// The table.
#[function_component(SortTable)]
pub fn sort_table(props: &Props) -> Html {
    let sort = use_state(|| None::<(usize, bool)>);
    let filter = use_state(String::new);

    let mut rows: Vec<&Vec<Cell>> = props.rows.iter().collect();
    let needle = filter.to_lowercase();
    if !needle.is_empty() {
        rows.retain(|r| r.iter().any(|c| c.text.to_lowercase().contains(&needle)));
    }
    if let Some((col, descending)) = *sort {
        rows.sort_by(|a, b| {
            let (x, y) = (a.get(col), b.get(col));
            let ord = match (x.and_then(|c| c.num), y.and_then(|c| c.num)) {
                (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal),
                _ => x.map(|c| &c.text).cmp(&y.map(|c| &c.text)),
            };
            if descending {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    let shown = rows.len().min(props.limit);
    let oninput = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            filter.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    html! {
        <div>
            <div class="tools">
                <input type="search" placeholder="filter" {oninput} value={(*filter).clone()} />
                <span data-testid={format!("{}-count", props.testid)}>{ rows.len() }</span>
                <span>{ if rows.len() > shown { format!("rows (showing the first {shown})") } else { "rows".to_string() } }</span>
            </div>
            <div class="scroll">
                <table data-testid={props.testid.clone()}>
                    <thead><tr>{ for props.columns.iter().enumerate().map(|(i, c)| {
                        let handle = sort.clone();
                        let numeric = c.numeric;
                        let onclick = Callback::from(move |_| {
                            let next = match *handle {
                                Some((col, desc)) if col == i => Some((i, !desc)),
                                _ => Some((i, numeric)),
                            };
                            handle.set(next);
                        });
                        let arrow = match *sort {
                            Some((col, true)) if col == i => " ▼",
                            Some((col, false)) if col == i => " ▲",
                            _ => "",
                        };
                        html! { <th class={classes!(c.numeric.then_some("num"))} {onclick}>{ c.title }{ arrow }</th> }
                    }) }</tr></thead>
                    <tbody>{ for rows.iter().take(shown).map(|r| html! {
                        <tr>{ for r.iter().zip(&props.columns).map(|(cell, col)| html! {
                            <td class={classes!(col.numeric.then_some("num"))}>{ &cell.text }</td>
                        }) }</tr>
                    }) }</tbody>
                </table>
            </div>
        </div>
    }
}
