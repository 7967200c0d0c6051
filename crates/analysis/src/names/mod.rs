//! Names for addresses: what a capture's host names and identities say about who is at the other
//! end. [`table`] builds the report's `names` from what the DNS and TLS analyzers learned, with
//! well-known ports as hints ([`ports`]). This part also decodes 3GPP names: the ePDG, IMS and NAI names of TS 23.003, which carry a
//! mobile network code, to the operator and country behind them ([`threegpp`]), using a table of
//! network codes compiled in ([`operators`]).

pub mod operators;
pub mod ports;
pub mod table;
pub mod threegpp;
