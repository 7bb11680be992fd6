//! Header block encoding (RFC 7541 §6) and the indexing policy.
//!
//! Per field: a whole-field match (static table, then dynamic table) is sent as one index;
//! otherwise a literal, with the name by index when either table has it, Huffman-coded only
//! when strictly shorter. Whether the literal goes into the dynamic table is decided by
//! `policy`: values that are secret, or that rarely repeat, stay out of it so they neither
//! leak through the table (RFC 7541 §7.1) nor evict entries that would have been reused.

use std::collections::VecDeque;

use super::table::dynamic::ENTRY_OVERHEAD;
use super::table::index::{Hasher, Index};
use super::table::{static_table, DynamicTable};
use super::{integer, string};

/// Largest dynamic table the encoder uses, whatever the peer allows: memory per connection
/// stays bounded and 64 KiB is far more than any header set repeats.
pub const MAX_ENCODER_TABLE_SIZE: usize = 64 * 1024;

/// HPACK encoder: one per connection, for every header block sent, in order.
#[derive(Debug)]
pub struct Encoder {
    table: DynamicTable,
    hasher: Hasher,
    /// Dynamic entries by hash of (name, value): whole-field matches.
    by_field: Index,
    /// Dynamic entries by hash of name: name references.
    by_name: Index,
    /// `(field hash, name hash)` per entry, newest first like the table: eviction unindexes
    /// without rehashing.
    hashes: VecDeque<(u32, u32)>,
    /// `(smallest, latest)` table size chosen since the last block, if it changed (§4.2).
    pending_update: Option<(usize, usize)>,
    /// Count of table insertions and resizes: see [`Self::changes`].
    changes: u64,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// An encoder with the protocol's initial table size, 4096.
    pub fn new() -> Self {
        Self {
            table: DynamicTable::new(4096),
            hasher: Hasher::new(),
            by_field: Index::default(),
            by_name: Index::default(),
            hashes: VecDeque::new(),
            pending_update: None,
            changes: 0,
        }
    }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed to `n`. The next block starts with the
    /// size update(s): the smallest size since the last block when it was a reduction, then the
    /// final one (RFC 7541 §4.2). The table used is `min(n, MAX_ENCODER_TABLE_SIZE)`.
    pub fn set_max_table_size(&mut self, n: usize) {
        let n = n.min(MAX_ENCODER_TABLE_SIZE);
        self.pending_update = Some(match self.pending_update {
            Some((min, _)) => (min.min(n), n),
            None => (n, n),
        });
    }

    /// Encodes one header block, appending to `dst`. `sensitive` fields are sent as literals
    /// never indexed (RFC 7541 §6.2.3), never as a reference to a table entry.
    pub fn encode<'h, I>(&mut self, headers: I, dst: &mut Vec<u8>)
    where
        I: IntoIterator<Item = (&'h [u8], &'h [u8], bool)>,
    {
        if let Some((min, last)) = self.pending_update.take() {
            if min < self.table.max_size() && min < last {
                integer::encode(min, 5, 0x20, dst);
                self.resize(min);
            }
            if last != self.table.max_size() {
                integer::encode(last, 5, 0x20, dst);
                self.resize(last);
            }
        }
        for (name, value, sensitive) in headers {
            self.encode_field(name, value, sensitive, dst);
        }
    }

    fn encode_field(&mut self, name: &[u8], value: &[u8], sensitive: bool, dst: &mut Vec<u8>) {
        let st = static_table::lookup(name, value);
        let never = sensitive || policy::never_index(name, value);
        if st.field != 0 && !never {
            integer::encode(st.field as usize, 7, 0x80, dst);
            return;
        }
        // Only fields we would insert can be in the dynamic table, so only they are looked up.
        let index = !never && policy::worth_indexing(name, value, self.table.max_size());
        // Hash only what a lookup or an insertion needs.
        let name_state = if index || st.name == 0 { self.hasher.name(name) } else { 0 };
        let mut field_hash = 0;
        if index {
            field_hash = Hasher::field(name_state, value);
            if let Some(pos) = self.find_field(field_hash, name, value) {
                integer::encode(static_table::LEN + 1 + pos, 7, 0x80, dst);
                return;
            }
        }
        let name_hash = Hasher::finish(name_state);
        let name_index = if st.name != 0 {
            // Static first: smaller index, and never evicted.
            st.name as usize
        } else {
            self.find_name(name_hash, name).map_or(0, |pos| static_table::LEN + 1 + pos)
        };
        if never {
            literal(0x10, 4, name_index, name, value, dst);
        } else if index {
            literal(0x40, 6, name_index, name, value, dst);
            self.insert(name, value, name_hash, field_hash);
        } else {
            literal(0x00, 4, name_index, name, value, dst);
        }
    }

    #[inline]
    fn find_field(&self, hash: u32, name: &[u8], value: &[u8]) -> Option<usize> {
        if self.table.len() == 0 {
            return None;
        }
        let table = &self.table;
        let id = self.by_field.find(hash, |id| {
            table.position_of(id).and_then(|p| table.get(p)).is_some_and(|(n, v, _)| n == name && v == value)
        })?;
        table.position_of(id)
    }

    #[inline]
    fn find_name(&self, hash: u32, name: &[u8]) -> Option<usize> {
        if self.table.len() == 0 {
            return None;
        }
        let table = &self.table;
        let id = self.by_name.find(hash, |id| {
            table.position_of(id).and_then(|p| table.get(p)).is_some_and(|(n, _, _)| n == name)
        })?;
        table.position_of(id)
    }

    fn insert(&mut self, name: &[u8], value: &[u8], name_hash: u32, field_hash: u32) {
        self.changes += 1;
        let (by_field, by_name, hashes) = (&mut self.by_field, &mut self.by_name, &mut self.hashes);
        let id = self.table.insert(name, value, |id, _, _| unindex(by_field, by_name, hashes, id));
        if let Some(id) = id {
            self.by_field.insert(field_hash, id);
            self.by_name.insert(name_hash, id);
            self.hashes.push_front((field_hash, name_hash));
        }
    }

    fn resize(&mut self, max_size: usize) {
        self.changes += 1;
        let (by_field, by_name, hashes) = (&mut self.by_field, &mut self.by_name, &mut self.hashes);
        self.table.set_max_size(max_size, |id, _, _| unindex(by_field, by_name, hashes, id));
    }

    /// A counter of the changes to the encoder's table (insertions, resizes). While it does not
    /// move and no size update is pending, a header list encodes to the same octets every time,
    /// and a list whose encoding left it unmoved changed nothing.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// A size update will start the next block (the peer changed SETTINGS_HEADER_TABLE_SIZE).
    pub fn update_pending(&self) -> bool {
        self.pending_update.is_some()
    }

    /// The dynamic table's current maximum size (after pending updates are sent).
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
}

/// Drops the oldest entry, being evicted, from both indices.
fn unindex(by_field: &mut Index, by_name: &mut Index, hashes: &mut VecDeque<(u32, u32)>, id: u64) {
    if let Some((field_hash, name_hash)) = hashes.pop_back() {
        by_field.remove(field_hash, id);
        by_name.remove(name_hash, id);
    }
}

/// Appends a literal representation: `flags` and `prefix_bits` select §6.2.1/.2/.3.
#[inline]
fn literal(flags: u8, prefix_bits: u8, name_index: usize, name: &[u8], value: &[u8], dst: &mut Vec<u8>) {
    integer::encode(name_index, prefix_bits, flags, dst);
    if name_index == 0 {
        string::encode(name, dst);
    }
    string::encode(value, dst);
}

/// Which fields go into the dynamic table.
///
/// Modelled on nghttp2 (`hd_deflate_decide_indexing`, `hd_deflate_should_indexing`) and h2:
///
/// * Never indexed (§6.2.3, also tells intermediaries not to index): `authorization`,
///   `proxy-authorization`, `set-cookie`, and `cookie` values shorter than 20 octets. A table
///   hit reveals only whole-value equality, so a long cookie (a session token) cannot be
///   guessed through it, while a short one can (RFC 7541 §7.1.3). That is nghttp2's rule;
///   long cookies are indexed because they repeat on every request and are the largest
///   request header.
/// * Not indexed because the value rarely repeats and would only evict useful entries:
///   `content-length`, `age`, `etag`, `if-modified-since`, `if-none-match`, `location`,
///   `last-modified`, `grpc-timeout` (a remaining deadline), `x-request-id`, `traceparent`,
///   `grpc-trace-bin`, and `:path` with a query string or over 64 octets. Query-less short
///   paths are indexed: a gRPC channel calls the same few `/Service/Method` paths over and
///   over, where nghttp2, tuned for browsers, never indexes `:path`.
/// * Entries larger than 3/4 of the table, which would flush nearly everything else.
pub(crate) mod policy {
    use super::ENTRY_OVERHEAD;

    #[inline]
    pub(crate) fn never_index(name: &[u8], value: &[u8]) -> bool {
        match name {
            b"authorization" | b"proxy-authorization" | b"set-cookie" => true,
            b"cookie" => value.len() < 20,
            _ => false,
        }
    }

    #[inline]
    pub(crate) fn worth_indexing(name: &[u8], value: &[u8], table_size: usize) -> bool {
        let entry_size = name.len() + value.len() + ENTRY_OVERHEAD;
        if entry_size > table_size / 4 * 3 {
            return false;
        }
        match name {
            b":path" => value.len() <= 64 && !value.contains(&b'?'),
            b"content-length" | b"age" | b"etag" | b"if-modified-since" | b"if-none-match" | b"location"
            | b"last-modified" | b"grpc-timeout" | b"x-request-id" | b"traceparent" | b"grpc-trace-bin" => {
                false
            }
            _ => true,
        }
    }
}
