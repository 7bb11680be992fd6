//! HPACK, header compression for HTTP/2 (RFC 7541).
//!
//! - [`decoder`]: header blocks in, a flat reusable [`DecodedHeaders`] out, with header list
//!   limits enforced while decoding.
//! - [`encoder`]: header fields in, a header block out, with an indexing policy.
//! - `table`: static table, dynamic table (entries in one byte arena, stable ids) and the
//!   encoder's hash index over it.
//! - `huffman`, `integer`, `string`: the primitive representations (§5).
//!
//! Neither side allocates per header block once its buffers have grown to the connection's
//! working set.

pub mod decoder;
pub mod encoder;

mod decoded;
mod huffman;
mod integer;
mod string;
mod table;

pub use decoder::{DecodedHeaders, Decoder, DecoderError, Field, FieldSource, Limits};
pub use encoder::Encoder;
