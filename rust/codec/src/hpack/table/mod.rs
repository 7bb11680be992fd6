//! Header tables (RFC 7541 §2.3): the static table, the dynamic table, and the encoder's index
//! over the dynamic table.

pub(crate) mod dynamic;
pub(crate) mod index;
pub(crate) mod static_table;

pub(crate) use dynamic::DynamicTable;
