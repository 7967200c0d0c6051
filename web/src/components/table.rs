//! The one table every view uses: sorts by any column (a header button; again to reverse, with
//! `aria-sort`), filters rows by any text, and shows one page of rows at a time so that a capture
//! with fifty thousand calls stays quick. Addresses sort by number (`10.0.0.9` before
//! `10.0.0.10`), counts by value. A view describes its columns and rows; nothing else.

use std::rc::Rc;

use callscope_view::addr::AddrKey;
use callscope_view::format;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// How a cell sorts.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SortKey {
    /// Nothing to sort by (sorts last).
    None,
    /// A number.
    Num(f64),
    /// An address.
    Addr(AddrKey),
    /// The cell's text, compared without ASCII case.
    Text,
}

fn compare(a: &Cell, b: &Cell) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (&a.key, &b.key) {
        (SortKey::Num(x), SortKey::Num(y)) => x.total_cmp(y),
        (SortKey::Addr(x), SortKey::Addr(y)) => x.cmp(y),
        (SortKey::Text, SortKey::Text) => a
            .text
            .bytes()
            .map(|b| b.to_ascii_lowercase())
            .cmp(b.text.bytes().map(|b| b.to_ascii_lowercase()))
            .then_with(|| a.text.cmp(&b.text)),
        (SortKey::None, SortKey::None) => Ordering::Equal,
        (SortKey::None, _) => Ordering::Greater,
        (_, SortKey::None) => Ordering::Less,
        (SortKey::Num(_), _) => Ordering::Less,
        (_, SortKey::Num(_)) => Ordering::Greater,
        (SortKey::Addr(_), _) => Ordering::Less,
        (_, SortKey::Addr(_)) => Ordering::Greater,
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// What it shows.
    pub text: String,
    /// How it sorts.
    pub key: SortKey,
    /// A link (a fragment such as `#/calls/abc`).
    pub href: Option<String>,
    /// A tooltip.
    pub title: Option<String>,
    /// An extra class (`bad`, `good`, `mono`).
    pub class: Option<&'static str>,
    /// An action the cell's button does (its text is the button's).
    pub action: Option<Callback<MouseEvent>>,
}

impl Cell {
    /// Text.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            key: SortKey::Text,
            text: s.into(),
            href: None,
            title: None,
            class: None,
            action: None,
        }
    }

    /// Text that may be absent (shown as a dash, sorted last).
    pub fn opt(s: Option<impl Into<String>>) -> Cell {
        match s {
            Some(s) => Cell::text(s),
            None => Cell {
                key: SortKey::None,
                ..Cell::text("—")
            },
        }
    }

    /// A number shown as `text`.
    pub fn num(v: f64, text: impl Into<String>) -> Cell {
        Cell {
            key: SortKey::Num(v),
            ..Cell::text(text)
        }
    }

    /// A number that may be absent.
    pub fn opt_num(v: Option<f64>, text: impl Fn(f64) -> String) -> Cell {
        match v {
            Some(v) => Cell::num(v, text(v)),
            None => Cell::opt(None::<String>),
        }
    }

    /// A count, with digit groups.
    pub fn count(v: u64) -> Cell {
        Cell::num(v as f64, format::count(v))
    }

    /// A number that names something (a frame, a CSeq): no digit groups.
    pub fn id(v: u64) -> Cell {
        Cell::num(v as f64, v.to_string())
    }

    /// A signed count.
    pub fn signed(v: i64) -> Cell {
        Cell::num(v as f64, format::signed(v))
    }

    /// An address (`ip`, `ip:port`), sorted by number.
    pub fn addr<A: Copy + std::fmt::Display + Into<AddrKey>>(a: &A) -> Cell {
        Cell {
            key: SortKey::Addr((*a).into()),
            ..Cell::text(a.to_string())
        }
        .class("mono")
    }

    /// The same cell as a link.
    pub fn link(mut self, href: impl Into<String>) -> Cell {
        self.href = Some(href.into());
        self
    }

    /// The same cell with a tooltip.
    pub fn title(mut self, title: impl Into<String>) -> Cell {
        self.title = Some(title.into());
        self
    }

    /// A button doing `action`, labelled `text` (sorted last).
    pub fn button(text: impl Into<String>, action: Callback<MouseEvent>) -> Cell {
        Cell {
            key: SortKey::None,
            action: Some(action),
            ..Cell::text(text)
        }
    }

    /// The same cell with a class.
    pub fn class(mut self, class: &'static str) -> Cell {
        self.class = Some(class);
        self
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header text.
    pub title: &'static str,
    /// Right-aligned, sorted largest first on the first click.
    pub numeric: bool,
    /// A tooltip explaining it.
    pub help: Option<&'static str>,
}

impl Column {
    /// A text column.
    pub const fn text(title: &'static str) -> Column {
        Column {
            title,
            numeric: false,
            help: None,
        }
    }

    /// A numeric column.
    pub const fn num(title: &'static str) -> Column {
        Column {
            title,
            numeric: true,
            help: None,
        }
    }

    /// The same column with a tooltip.
    pub const fn help(mut self, help: &'static str) -> Column {
        self.help = Some(help);
        self
    }
}

/// A row; `href` opens its detail (the first cell links there too, for the keyboard).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Cells, one per column.
    pub cells: Vec<Cell>,
    /// Where the row leads.
    pub href: Option<String>,
}

impl Row {
    /// A row of cells.
    pub fn new(cells: Vec<Cell>) -> Row {
        Row { cells, href: None }
    }

    /// A row that opens `href`.
    pub fn to(cells: Vec<Cell>, href: String) -> Row {
        Row {
            cells,
            href: Some(href),
        }
    }
}

/// Rows, equal when they are the same list (views build them once per report).
#[derive(Debug, Clone)]
pub struct Rows(pub Rc<Vec<Row>>);

impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Rows {
    /// Rows from a list.
    pub fn of(rows: Vec<Row>) -> Rows {
        Rows(Rc::new(rows))
    }
}

/// Props of [`SortTable`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Columns.
    pub columns: Rc<Vec<Column>>,
    /// Rows.
    pub rows: Rows,
    /// `data-testid` of the table (`X-count` names the row count).
    pub testid: AttrValue,
    /// What the rows are (`conversations`), for the filter's label.
    pub what: AttrValue,
    /// Column and direction (descending) to sort by at first.
    #[prop_or_default]
    pub sort: Option<(usize, bool)>,
    /// Rows per page.
    #[prop_or(100)]
    pub page_size: usize,
}

/// The rows in display order as CSV (RFC 4180): numbers as plain numbers (no digit groups or
/// units), other cells as shown.
fn csv(columns: &[Column], rows: &[Row], order: &[usize]) -> String {
    let mut out =
        callscope_view::export::csv_line(&columns.iter().map(|c| c.title).collect::<Vec<_>>());
    for &i in order {
        let fields: Vec<String> = rows[i]
            .cells
            .iter()
            .map(|c| match &c.key {
                SortKey::Num(v) => format!("{v}"),
                SortKey::None => String::new(),
                SortKey::Addr(_) | SortKey::Text => callscope_view::export::csv_text(&c.text),
            })
            .collect();
        out.push_str(&callscope_view::export::csv_line(&fields));
    }
    out
}

/// Whether `hay` contains `needle` (given in lower case), ignoring case, without allocating
/// for ASCII needles.
fn contains(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let n = needle.as_bytes();
        n.is_empty()
            || hay
                .as_bytes()
                .windows(n.len())
                .any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(needle)
    }
}

/// Row indexes in display order, after filter and sort.
fn order(rows: &[Row], needle: &str, sort: Option<(usize, bool)>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len())
        .filter(|&i| needle.is_empty() || rows[i].cells.iter().any(|c| contains(&c.text, needle)))
        .collect();
    if let Some((col, descending)) = sort {
        let none = Cell {
            key: SortKey::None,
            ..Cell::text("")
        };
        callscope_analysis::order::sort_by(&mut idx, |&a, &b| {
            let ca = rows[a].cells.get(col).unwrap_or(&none);
            let cb = rows[b].cells.get(col).unwrap_or(&none);
            let ord = compare(ca, cb);
            // Missing values stay last either way.
            match (&ca.key, &cb.key) {
                (SortKey::None, _) | (_, SortKey::None) => ord,
                _ if descending => ord.reverse(),
                _ => ord,
            }
        });
    }
    idx
}

/// Moves the page to `href`.
pub fn go(href: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(href);
    }
}

/// The table.
#[function_component(SortTable)]
pub fn sort_table(props: &Props) -> Html {
    let sort = use_state(|| props.sort);
    // CSV files are named after the capture.
    let file =
        crate::context::use_shown().map_or_else(|| "callscope".to_owned(), |s| s.name.clone());
    let filter = use_state(String::new);
    let page = use_state(|| 0usize);
    let shown = {
        let rows = props.rows.clone();
        use_memo((rows, (*filter).clone(), *sort), |(rows, filter, sort)| {
            order(&rows.0, &filter.to_lowercase(), *sort)
        })
    };
    let total = props.rows.0.len();
    let pages = shown.len().div_ceil(props.page_size).max(1);
    let current = (*page).min(pages - 1);
    let from = current * props.page_size;
    let to = (from + props.page_size).min(shown.len());

    let oninput = {
        let filter = filter.clone();
        let page = page.clone();
        Callback::from(move |e: InputEvent| {
            filter.set(e.target_unchecked_into::<HtmlInputElement>().value());
            page.set(0);
        })
    };
    let turn = |to: usize| {
        let page = page.clone();
        Callback::from(move |_: MouseEvent| page.set(to))
    };
    let header = props.columns.iter().enumerate().map(|(i, c)| {
        let onclick = {
            let sort = sort.clone();
            let page = page.clone();
            let numeric = c.numeric;
            Callback::from(move |_: MouseEvent| {
                let next = match *sort {
                    Some((col, desc)) if col == i => Some((i, !desc)),
                    _ => Some((i, numeric)),
                };
                sort.set(next);
                page.set(0);
            })
        };
        let (aria, arrow) = match *sort {
            Some((col, true)) if col == i => ("descending", " ▼"),
            Some((col, false)) if col == i => ("ascending", " ▲"),
            _ => ("none", ""),
        };
        html! {
            <th class={classes!(c.numeric.then_some("num"))} aria-sort={aria} scope="col" title={c.help}>
                <button type="button" class="sort" {onclick} aria-label={c.help.map(|h| format!("{}: {h}", c.title))}>{ c.title }<span class="arrow" aria-hidden="true">{ arrow }</span></button>
            </th>
        }
    });
    let body = shown[from..to].iter().map(|&i| {
        let row = &props.rows.0[i];
        let onclick = row.href.clone().map(|href| {
            Callback::from(move |e: MouseEvent| {
                // A click on a link inside the row follows that link.
                let on_link = e
                    .target()
                    .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
                    .and_then(|el| el.closest("a").ok().flatten())
                    .is_some();
                if !on_link {
                    go(&href);
                }
            })
        });
        let cells = row.cells.iter().zip(props.columns.iter()).enumerate().map(|(k, (cell, col))| {
            let href = cell.href.clone().or_else(|| (k == 0).then(|| row.href.clone()).flatten());
            let class = classes!(col.numeric.then_some("num"), cell.class);
            html! {
                <td {class} title={cell.title.clone()}>
                    if let Some(action) = cell.action.clone() {
                        <button type="button" class="small" onclick={action}>{ &cell.text }</button>
                    } else if let Some(href) = href {
                        <a {href}>{ &cell.text }</a>
                    } else {
                        { &cell.text }
                    }
                </td>
            }
        });
        html! { <tr class={classes!(row.href.is_some().then_some("link"))} {onclick}>{ for cells }</tr> }
    });
    let filter_id = format!("{}-filter", props.testid);
    let save_csv = {
        let columns = props.columns.clone();
        let rows = props.rows.clone();
        let shown = shown.clone();
        let name = crate::download::name(&file, &format!("{}.csv", props.testid));
        Callback::from(move |_: MouseEvent| {
            let _ = crate::download::save(&name, "text/csv", &csv(&columns, &rows.0, &shown));
        })
    };
    html! {
        <div class="table">
            <div class="tools">
                <label class="visually-hidden" for={filter_id.clone()}>{ format!("Filter {}", props.what) }</label>
                <input id={filter_id} type="search" placeholder={format!("Filter {}…", props.what)} {oninput} value={(*filter).clone()} />
                <span class="muted" aria-live="polite">
                    { format!("{}: ", props.what) }
                    <span data-testid={format!("{}-count", props.testid)}>{ shown.len() }</span>
                    { if shown.len() == total { String::new() } else { format!(" of {}", format::count(total as u64)) } }
                </span>
                <button type="button" class="small" onclick={save_csv} data-testid={format!("{}-csv", props.testid)} title="The rows as filtered and sorted, as CSV">{ "CSV" }</button>
                if pages > 1 {
                    <span class="pager" data-testid={format!("{}-pager", props.testid)}>
                        <button type="button" disabled={current == 0} onclick={turn(current.saturating_sub(1))} aria-label="Previous page">{ "‹" }</button>
                        <span>{ format!("{}–{} of {}", format::count(from as u64 + 1), format::count(to as u64), format::count(shown.len() as u64)) }</span>
                        <button type="button" disabled={current + 1 >= pages} onclick={turn(current + 1)} aria-label="Next page">{ "›" }</button>
                    </span>
                }
            </div>
            <div class="scroll" tabindex="0" role="region" aria-label={format!("{} table", props.what)}>
                <table data-testid={props.testid.clone()}>
                    <thead><tr>{ for header }</tr></thead>
                    <tbody>{ for body }</tbody>
                </table>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(text: &str) -> callscope_analysis::report::Socket {
        text.parse().unwrap()
    }

    fn rows() -> Vec<Row> {
        vec![
            Row::new(vec![Cell::addr(&socket("10.0.0.10:5060")), Cell::count(5)]),
            Row::new(vec![Cell::addr(&socket("10.0.0.9:5060")), Cell::count(50)]),
            Row::new(vec![
                Cell::addr(&socket("[fd00::1]:5060")),
                Cell::opt_num(None, |v| v.to_string()),
            ]),
        ]
    }

    #[test]
    fn csv_has_plain_numbers_in_display_order() {
        let columns = [Column::text("Address"), Column::num("Packets")];
        let csv = csv(&columns, &rows(), &[1, 0, 2]);
        assert_eq!(
            csv,
            "Address,Packets\r\n10.0.0.9:5060,50\r\n10.0.0.10:5060,5\r\n[fd00::1]:5060,\r\n"
        );
    }

    #[test]
    fn addresses_sort_by_number_and_missing_values_stay_last() {
        let r = rows();
        assert_eq!(order(&r, "", Some((0, false))), [1, 0, 2]);
        assert_eq!(order(&r, "", Some((1, true))), [1, 0, 2]);
        assert_eq!(order(&r, "", Some((1, false))), [0, 1, 2]);
    }

    #[test]
    fn the_filter_matches_any_cell() {
        assert_eq!(order(&rows(), "fd00", None), [2]);
        assert!(contains("Alice SMITH", "smith"));
        assert!(contains("Zoë", "zoë"));
        assert_eq!(order(&rows(), "10.0.0.", None), [0, 1]);
    }
}
