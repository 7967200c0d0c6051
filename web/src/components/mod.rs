//! Components shared by the views and the page's frame: the app shell, its header and landing
//! area, the table and the chart.

pub mod app;
pub mod chart;
pub mod elapsed;
pub mod header;
pub mod landing;
pub mod player;
pub mod share;
pub mod table;
