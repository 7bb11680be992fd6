//! placeholder, replaced by the frame module
