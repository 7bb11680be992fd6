//! The decoder's output: a reusable, flat header list.
//!
//! All names and values of a block are appended to one byte buffer and described by `Field`
//! records (offsets into it plus where the field came from), so a block costs no allocation
//! once the buffers have grown, and the JVM side can copy the whole list across JNI in two
//! bulk transfers.

/// Where a decoded field came from. Dynamic-table ids are stable (an insertion counter, never
/// reused), so the JVM can cache one header object per id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldSource {
    /// Name and value from static table entry 1..=61.
    Static(u8),
    /// Name and value from the dynamic table entry with this id.
    Dynamic(u64),
    /// Literal value; name from static table entry 1..=61.
    StaticName(u8),
    /// Literal value; name from the dynamic table entry with this id.
    DynamicName(u64),
    /// Literal name and value, not added to the dynamic table.
    Literal,
    /// Literal just inserted into the dynamic table under this id; later references to it
    /// decode as `Dynamic(id)`.
    Inserted(u64),
}

/// One decoded field: `(offset, len)` ranges into [`DecodedHeaders::bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: (u32, u32),
    pub value: (u32, u32),
    pub source: FieldSource,
    /// Sent as "never indexed" (RFC 7541 §6.2.3): an intermediary re-encoding this field must
    /// keep that representation.
    pub never_indexed: bool,
}

/// A decoded header list. `clear()` keeps the capacity, so reusing one per connection makes
/// decoding allocation-free once warm.
#[derive(Clone, Debug, Default)]
pub struct DecodedHeaders {
    pub(crate) bytes: Vec<u8>,
    pub(crate) fields: Vec<Field>,
    pub(crate) list_size: usize,
}

impl DecodedHeaders {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.fields.clear();
        self.list_size = 0;
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Octets of field storage allocated (bytes and field records).
    pub fn capacity(&self) -> usize {
        self.bytes.capacity() + self.fields.capacity() * std::mem::size_of::<Field>()
    }

    /// Shrinks storage that grew past `keep` octets and is now mostly unused (a Huffman string
    /// is decoded into room for its longest possible output before a limit refuses it, so one
    /// block can grow `bytes` well past the list size it may keep). The fields stay.
    pub fn trim(&mut self, keep: usize) {
        if self.bytes.capacity() > keep && self.bytes.len() <= self.bytes.capacity() / 4 {
            self.bytes.shrink_to(self.bytes.len());
        }
        let records = keep / std::mem::size_of::<Field>();
        if self.fields.capacity() > records && self.fields.len() <= self.fields.capacity() / 4 {
            self.fields.shrink_to(self.fields.len());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// `(name, value, field)` in block order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8], Field)> + '_ {
        self.fields.iter().map(move |f| (self.slice(f.name), self.slice(f.value), *f))
    }

    /// All names and values, back to back; `Field` ranges point into this.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// RFC 9113 §6.5.2 size of the fields held: name + value + 32 per field.
    pub fn list_size(&self) -> usize {
        self.list_size
    }

    #[inline]
    fn slice(&self, (off, len): (u32, u32)) -> &[u8] {
        &self.bytes[off as usize..off as usize + len as usize]
    }

    /// Appends a field whose octets are already at `bytes[start..]` (name then value).
    #[inline]
    pub(crate) fn commit(&mut self, start: usize, name_len: usize, source: FieldSource, never_indexed: bool) {
        let value_len = self.bytes.len() - start - name_len;
        self.list_size += name_len + value_len + 32;
        // Offsets fit: the decoder refuses to grow `bytes` past u32::MAX.
        self.fields.push(Field {
            name: (start as u32, name_len as u32),
            value: ((start + name_len) as u32, value_len as u32),
            source,
            never_indexed,
        });
    }

    /// Copies a table entry (`name ++ value`, as tables store them) out and appends it.
    #[inline]
    pub(crate) fn push(&mut self, field: &[u8], name_len: usize, source: FieldSource) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(field);
        self.commit(start, name_len, source, false);
    }
}
