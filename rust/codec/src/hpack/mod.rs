//! placeholder, replaced by the hpack module
