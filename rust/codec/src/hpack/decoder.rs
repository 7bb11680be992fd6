//! Header block decoding (RFC 7541 §3.2, §6).
//!
//! One pass over the block, appending straight into the caller's [`DecodedHeaders`]. Header
//! list limits are charged per field *before* its octets are copied out of a table (the size
//! of an indexed field is known up front), so a block that references a large entry many
//! times costs one integer decode per reference once over the limit. Literals are bounded by
//! the block itself (Huffman expands by at most 8/5).

use super::string::RawString;
use super::table::{static_table, DynamicTable};
use super::{integer, string};

pub use super::decoded::{DecodedHeaders, Field, FieldSource};

/// SETTINGS_HEADER_TABLE_SIZE's initial value (RFC 9113 §6.5.2): the table size the peer's
/// encoder starts with, before it has seen our SETTINGS.
pub const DEFAULT_TABLE_SIZE: usize = 4096;

/// Why a header block could not be decoded.
///
/// [`HeaderListTooLarge`](Self::HeaderListTooLarge) and [`TooManyHeaders`](Self::TooManyHeaders)
/// are limits of ours, not compression errors: the decoder finishes the block so that its
/// dynamic table stays in step with the peer's encoder, and the connection stays usable; the
/// caller picks the response (e.g. RST_STREAM or a 431). Every other variant is a
/// COMPRESSION_ERROR connection error (RFC 9113 §4.3): the table state is then undefined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecoderError {
    #[error("HPACK: index 0 or beyond the static and dynamic tables")]
    InvalidIndex,
    #[error("HPACK: integer above 2^32-1 or with an over-long encoding")]
    IntegerOverflow,
    #[error("HPACK: header block ends inside a field representation")]
    Truncated,
    #[error("HPACK: EOS symbol inside a Huffman-coded string")]
    InvalidHuffman,
    #[error("HPACK: Huffman padding longer than 7 bits or not all ones")]
    InvalidPadding,
    #[error("HPACK: dynamic table size update above our SETTINGS_HEADER_TABLE_SIZE")]
    TableSizeUpdateTooLarge,
    #[error("HPACK: dynamic table size update after a header field")]
    TableSizeUpdateNotAtStart,
    #[error("HPACK: block after a SETTINGS_HEADER_TABLE_SIZE reduction does not start with a size update")]
    TableSizeUpdateMissing,
    #[error("header list larger than the allowed header list size")]
    HeaderListTooLarge,
    #[error("more header fields than allowed")]
    TooManyHeaders,
}

impl DecoderError {
    /// True for errors that make the connection unusable (COMPRESSION_ERROR).
    pub const fn is_compression_error(self) -> bool {
        !matches!(self, Self::HeaderListTooLarge | Self::TooManyHeaders)
    }
}

/// Per-block limits, checked while decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// RFC 9113 §6.5.2 size: name + value + 32 per field.
    pub max_header_list_size: usize,
    pub max_header_count: usize,
}

impl Limits {
    pub const UNLIMITED: Limits = Limits { max_header_list_size: usize::MAX, max_header_count: usize::MAX };
}

impl Default for Limits {
    /// 64 KiB and 1024 fields: what nghttp2 allows by default, well above gRPC's 8 KiB.
    fn default() -> Self {
        Limits { max_header_list_size: 64 * 1024, max_header_count: 1024 }
    }
}

/// Limit accounting for one block. Once a limit is hit, `over` is set and nothing more is
/// stored; the rest of the block is only parsed for its table effects.
#[derive(Clone, Copy)]
struct Budget {
    /// Octets (RFC 9113 §6.5.2 size) still allowed; 0 once over.
    size_left: usize,
    /// Fields still allowed; 0 once over.
    count_left: usize,
    over: Option<DecoderError>,
}

impl Budget {
    fn new(limits: &Limits, out: &DecodedHeaders) -> Self {
        // Every stored field adds at least 32 to the size for its octets, so capping the size
        // at what keeps `bytes` addressable by u32 offsets makes one check cover both.
        let addressable = (u32::MAX as usize).saturating_sub(out.bytes.len());
        Budget {
            size_left: limits.max_header_list_size.min(addressable),
            count_left: limits.max_header_count,
            over: None,
        }
    }

    #[inline]
    fn storing(&self) -> bool {
        self.over.is_none()
    }

    /// Charges one field of `len` name + value octets; false (and nothing stored from then on)
    /// when it does not fit.
    #[inline]
    fn charge(&mut self, len: usize) -> bool {
        let size = len + 32;
        if size <= self.size_left && self.count_left != 0 {
            self.size_left -= size;
            self.count_left -= 1;
            true
        } else {
            self.exceeded(size)
        }
    }

    #[cold]
    fn exceeded(&mut self, size: usize) -> bool {
        if self.over.is_none() {
            self.over = Some(if self.count_left == 0 {
                DecoderError::TooManyHeaders
            } else {
                debug_assert!(size > self.size_left);
                DecoderError::HeaderListTooLarge
            });
            self.size_left = 0;
            self.count_left = 0;
        }
        false
    }

    /// Without charging: false (and over) when even `min_len` octets cannot fit, so a large
    /// literal is refused before it is decoded.
    #[inline]
    fn may_fit(&mut self, min_len: usize) -> bool {
        let size = min_len.saturating_add(32);
        self.over.is_none() && (size <= self.size_left || self.exceeded(size))
    }
}

/// Where a literal's name comes from.
#[derive(Clone, Copy)]
enum NameRef<'a> {
    Static(u8, &'static [u8]),
    Dynamic(u64, &'a [u8]),
    Literal(RawString<'a>),
}

impl NameRef<'_> {
    fn min_len(self) -> usize {
        match self {
            NameRef::Static(_, n) | NameRef::Dynamic(_, n) => n.len(),
            NameRef::Literal(raw) => raw.min_decoded_len(),
        }
    }

    fn decode_into(self, dst: &mut Vec<u8>) -> Result<(), DecoderError> {
        match self {
            NameRef::Static(_, n) | NameRef::Dynamic(_, n) => {
                dst.extend_from_slice(n);
                Ok(())
            }
            NameRef::Literal(raw) => raw.decode_into(dst),
        }
    }

    fn source(self) -> FieldSource {
        match self {
            NameRef::Static(i, _) => FieldSource::StaticName(i),
            NameRef::Dynamic(id, _) => FieldSource::DynamicName(id),
            NameRef::Literal(_) => FieldSource::Literal,
        }
    }
}

/// HPACK decoder: one per connection, fed every header block in order.
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    /// Upper bound for size updates: our acknowledged SETTINGS_HEADER_TABLE_SIZE.
    max_table_size: usize,
    /// Our limit went below the table's size: the next block must start with an update.
    update_required: bool,
    /// Literals decoded only to be inserted, after a limit stopped output.
    scratch: Vec<u8>,
    /// Fragments joined by `decode_fragments`.
    joined: Vec<u8>,
    /// Count of state changes (insertions, size updates, limit changes): see [`Self::changes`].
    changes: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DEFAULT_TABLE_SIZE)
    }
}

impl Decoder {
    /// `max_table_size`: our SETTINGS_HEADER_TABLE_SIZE.
    ///
    /// The table starts at 4096, the size the peer's encoder assumes until it has our SETTINGS
    /// (RFC 9113 §6.5.2), and size updates up to `max(max_table_size, 4096)` are accepted until
    /// [`set_max_table_size`](Self::set_max_table_size) reports the acknowledged value. Call it
    /// on the ACK of a SETTINGS below 4096 to have the peer's reduction enforced.
    pub fn new(max_table_size: usize) -> Self {
        Self {
            table: DynamicTable::new(DEFAULT_TABLE_SIZE),
            max_table_size: max_table_size.max(DEFAULT_TABLE_SIZE),
            update_required: false,
            scratch: Vec::new(),
            joined: Vec::new(),
            changes: 0,
        }
    }

    /// The peer acknowledged our SETTINGS_HEADER_TABLE_SIZE = `n`: later size updates must not
    /// exceed it, and if the table is currently larger, the next block must begin with a size
    /// update (RFC 7541 §4.2).
    pub fn set_max_table_size(&mut self, n: usize) {
        self.changes += 1;
        self.max_table_size = n;
        if self.table.max_size() > n {
            self.update_required = true;
        }
    }

    /// Decodes one complete header block, appending to `out`.
    ///
    /// On `Err`, `out` holds whatever was decoded before the error and must be discarded. For a
    /// limit error (see [`DecoderError::is_compression_error`]) the table is in sync and the
    /// connection can go on; for any other error it must be closed with COMPRESSION_ERROR.
    /// When both happen in one block, the compression error is reported.
    pub fn decode(
        &mut self,
        block: &[u8],
        limits: &Limits,
        out: &mut DecodedHeaders,
    ) -> Result<(), DecoderError> {
        let mut pos = 0;
        self.size_updates(block, &mut pos)?;
        let mut budget = Budget::new(limits, out);
        while let Some(&b) = block.get(pos) {
            if b & 0x80 != 0 && b != 0xff {
                // §6.1 Indexed Header Field with a one-octet index: the warm-connection case.
                pos += 1;
                self.indexed((b & 0x7f) as usize, &mut budget, out)?;
                continue;
            }
            // The rest goes through copies of `pos` and `budget`: their addresses escape into
            // out-of-line calls, and the copies keep the originals in registers for the loop.
            let (mut p, mut bg) = (pos, budget);
            if b & 0x80 != 0 {
                // §6.1 Indexed Header Field.
                let index = integer::decode(block, &mut p, 7)?;
                self.indexed(index, &mut bg, out)?;
            } else if b & 0x40 != 0 {
                // §6.2.1 Literal with Incremental Indexing.
                self.literal(block, &mut p, 6, true, false, &mut bg, out)?;
            } else if b & 0x20 != 0 {
                return Err(DecoderError::TableSizeUpdateNotAtStart);
            } else {
                // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001).
                self.literal(block, &mut p, 4, false, b & 0x10 != 0, &mut bg, out)?;
            }
            (pos, budget) = (p, bg);
        }
        match budget.over {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Like [`decode`](Self::decode) for a block split over HEADERS/PUSH_PROMISE and
    /// CONTINUATION payloads. Joins them in a reused buffer first: a representation may span
    /// fragments, and joining costs a copy of octets that are about to be parsed anyway.
    pub fn decode_fragments<'f, I>(
        &mut self,
        fragments: I,
        limits: &Limits,
        out: &mut DecodedHeaders,
    ) -> Result<(), DecoderError>
    where
        I: IntoIterator<Item = &'f [u8]>,
    {
        let mut joined = std::mem::take(&mut self.joined);
        joined.clear();
        for f in fragments {
            joined.extend_from_slice(f);
        }
        let result = self.decode(&joined, limits, out);
        self.joined = joined;
        result
    }

    /// §6.3 Dynamic Table Size Updates, allowed only before the first field (§4.2).
    fn size_updates(&mut self, block: &[u8], pos: &mut usize) -> Result<(), DecoderError> {
        let mut updated = false;
        while let Some(&b) = block.get(*pos) {
            if b & 0xe0 != 0x20 {
                break;
            }
            let size = integer::decode(block, pos, 5)?;
            if size > self.max_table_size {
                return Err(DecoderError::TableSizeUpdateTooLarge);
            }
            self.table.set_max_size(size, |_, _, _| {});
            self.changes += 1;
            updated = true;
        }
        if self.update_required && !updated {
            return Err(DecoderError::TableSizeUpdateMissing);
        }
        self.update_required = false;
        Ok(())
    }

    #[inline(always)]
    fn indexed(
        &mut self,
        index: usize,
        budget: &mut Budget,
        out: &mut DecodedHeaders,
    ) -> Result<(), DecoderError> {
        if index == 0 {
            return Err(DecoderError::InvalidIndex);
        }
        if index <= static_table::LEN {
            let (field, name_len) = static_table::FIELDS[index - 1];
            if budget.charge(field.len()) {
                out.push(field, name_len, FieldSource::Static(index as u8));
            }
        } else {
            let (field, name_len, id) =
                self.table.get_field(index - static_table::LEN - 1).ok_or(DecoderError::InvalidIndex)?;
            if budget.charge(field.len()) {
                out.push(field, name_len, FieldSource::Dynamic(id));
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn literal(
        &mut self,
        block: &[u8],
        pos: &mut usize,
        prefix_bits: u8,
        insert: bool,
        never_indexed: bool,
        budget: &mut Budget,
        out: &mut DecodedHeaders,
    ) -> Result<(), DecoderError> {
        let index = integer::decode(block, pos, prefix_bits)?;
        let name = if index == 0 {
            NameRef::Literal(string::read(block, pos)?)
        } else if index <= static_table::LEN {
            NameRef::Static(index as u8, static_table::ENTRIES[index - 1].0)
        } else {
            let (name, _, id) =
                self.table.get(index - static_table::LEN - 1).ok_or(DecoderError::InvalidIndex)?;
            NameRef::Dynamic(id, name)
        };
        let value = string::read(block, pos)?;

        if budget.storing() && budget.may_fit(name.min_len() + value.min_decoded_len()) {
            let name_source = name.source();
            let start = out.bytes.len();
            name.decode_into(&mut out.bytes)?;
            let name_len = out.bytes.len() - start;
            value.decode_into(&mut out.bytes)?;
            let len = out.bytes.len() - start;
            let inserted = if insert {
                self.changes += 1;
                let (n, v) = out.bytes[start..].split_at(name_len);
                self.table.insert(n, v, |_, _, _| {})
            } else {
                None
            };
            if budget.charge(len) {
                let source = inserted.map_or(name_source, FieldSource::Inserted);
                out.commit(start, name_len, source, never_indexed);
            } else {
                out.bytes.truncate(start);
            }
        } else if insert {
            // Over a limit: nothing is output, but the table must still change exactly as the
            // peer's does.
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            name.decode_into(&mut scratch)?;
            let name_len = scratch.len();
            value.decode_into(&mut scratch)?;
            let (n, v) = scratch.split_at(name_len);
            self.changes += 1;
            self.table.insert(n, v, |_, _, _| {});
            self.scratch = scratch;
        }
        // Else: over a limit and no table effect; the octets are skipped undecoded.
        Ok(())
    }

    /// Octets allocated for the scratch buffer of fields decoded only for the table.
    pub fn scratch_capacity(&self) -> usize {
        self.scratch.capacity()
    }

    /// Frees the scratch buffer if it grew past `keep` octets (one oversized literal).
    pub fn trim_scratch(&mut self, keep: usize) {
        if self.scratch.capacity() > keep {
            self.scratch = Vec::new();
        }
    }

    /// A counter of the changes to the decoder's state: dynamic table insertions, size updates
    /// and [`set_max_table_size`](Self::set_max_table_size). A block decodes to the same fields
    /// (or the same error) every time while this does not move, and a block that leaves it
    /// unmoved changed nothing: the connection uses that to skip decoding a repeated block.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Our acknowledged SETTINGS_HEADER_TABLE_SIZE (the bound for size updates).
    pub fn max_table_size(&self) -> usize {
        self.max_table_size
    }

    /// The dynamic table's current maximum size, as last set by the peer's size update.
    pub fn table_max_size(&self) -> usize {
        self.table.max_size()
    }

    /// The dynamic table's current size (RFC 7541 §4.1).
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    pub fn table_len(&self) -> usize {
        self.table.len()
    }

    /// Dynamic table entries, newest (index 62) first: `(name, value, id)`.
    pub fn table_entries(&self) -> impl Iterator<Item = (&[u8], &[u8], u64)> + '_ {
        self.table.iter()
    }
}
