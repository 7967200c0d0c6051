//! Components: the app shell, the drop zone and the sortable table.

pub mod app;
pub mod drop_zone;
pub mod table;
