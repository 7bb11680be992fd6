//! The dynamic table (RFC 7541 §2.3.2, §4): a FIFO of entries whose octets live in one arena.
//!
//! Entries are `(position, name length, value length)` records in a ring (`VecDeque`, newest
//! at the front, so HPACK index 62 is `entries[0]`). Their octets are appended to a single
//! byte arena in insertion order, so the live octets always form one contiguous run, oldest
//! first. Positions are logical (they only grow); `base` maps them to the arena. When the dead
//! prefix left behind by evictions reaches the table's size, the live run is moved to the
//! front: at most `max_size` octets are moved per `max_size` octets inserted, and the arena
//! never grows beyond about twice the table size. Nothing is allocated once both buffers have
//! reached that size.
//!
//! Each insertion gets a stable id, the insertion counter, never reused: the JVM side caches
//! one header object per id.

use std::collections::VecDeque;

/// RFC 7541 §4.1: an entry's size is name + value + 32.
pub(crate) const ENTRY_OVERHEAD: usize = 32;

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Logical position of the name's first octet; the value follows it.
    pos: usize,
    name_len: u32,
    value_len: u32,
}

#[derive(Debug)]
pub(crate) struct DynamicTable {
    entries: VecDeque<Entry>,
    arena: Vec<u8>,
    /// Logical position of `arena[0]`.
    base: usize,
    /// Sum of entry sizes (RFC 7541 §4.1).
    size: usize,
    /// Current maximum size, as last set by a size update (RFC 7541 §4.2).
    max_size: usize,
    /// Number of insertions so far: the id the next entry will get.
    inserted: u64,
}

impl DynamicTable {
    pub(crate) fn new(max_size: usize) -> Self {
        Self { entries: VecDeque::new(), arena: Vec::new(), base: 0, size: 0, max_size, inserted: 0 }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    #[inline]
    pub(crate) fn max_size(&self) -> usize {
        self.max_size
    }

    /// Entry `i` (0 = newest, i.e. HPACK index 62): `(name, value, id)`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<(&[u8], &[u8], u64)> {
        let e = self.entries.get(i)?;
        let start = e.pos - self.base;
        let mid = start + e.name_len as usize;
        let end = mid + e.value_len as usize;
        Some((&self.arena[start..mid], &self.arena[mid..end], self.inserted - 1 - i as u64))
    }

    /// Entry `i` as one slice `name ++ value`, the name's length and the id: lets the decoder
    /// copy a field out in one go.
    #[inline]
    pub(crate) fn get_field(&self, i: usize) -> Option<(&[u8], usize, u64)> {
        let e = self.entries.get(i)?;
        let start = e.pos - self.base;
        let end = start + e.name_len as usize + e.value_len as usize;
        Some((&self.arena[start..end], e.name_len as usize, self.inserted - 1 - i as u64))
    }

    /// Position (0 = newest) of the live entry with this id.
    #[inline]
    pub(crate) fn position_of(&self, id: u64) -> Option<usize> {
        let i = self.inserted.checked_sub(id + 1)? as usize;
        (i < self.entries.len()).then_some(i)
    }

    /// Changes the maximum size, evicting as needed (RFC 7541 §4.3). `on_evict` sees each
    /// evicted entry before it goes.
    pub(crate) fn set_max_size(&mut self, max_size: usize, mut on_evict: impl FnMut(u64, &[u8], &[u8])) {
        self.max_size = max_size;
        while self.size > max_size {
            self.evict_oldest(&mut on_evict);
        }
    }

    /// Inserts a field (RFC 7541 §4.4), evicting old entries first; returns its id, or `None`
    /// when the entry is larger than the table (which then ends up empty, as the RFC says).
    ///
    /// `name` and `value` must not point into this table; callers pass the octets they just
    /// decoded or were given, so a name referenced from an entry evicted here is still intact.
    pub(crate) fn insert(
        &mut self,
        name: &[u8],
        value: &[u8],
        mut on_evict: impl FnMut(u64, &[u8], &[u8]),
    ) -> Option<u64> {
        let entry_size = name.len() + value.len() + ENTRY_OVERHEAD;
        if entry_size > self.max_size {
            while !self.entries.is_empty() {
                self.evict_oldest(&mut on_evict);
            }
            return None;
        }
        while self.size + entry_size > self.max_size {
            self.evict_oldest(&mut on_evict);
        }
        self.compact();
        let pos = self.base + self.arena.len();
        self.arena.extend_from_slice(name);
        self.arena.extend_from_slice(value);
        // The sizes fit in u32: entry_size <= max_size, which comes from a u32 on the wire or
        // from our own settings.
        self.entries.push_front(Entry { pos, name_len: name.len() as u32, value_len: value.len() as u32 });
        self.size += entry_size;
        let id = self.inserted;
        self.inserted += 1;
        Some(id)
    }

    fn evict_oldest(&mut self, on_evict: &mut impl FnMut(u64, &[u8], &[u8])) {
        let last = self.entries.len() - 1;
        if let Some((name, value, id)) = self.get(last) {
            on_evict(id, name, value);
            self.size -= name.len() + value.len() + ENTRY_OVERHEAD;
        }
        self.entries.pop_back();
    }

    /// Drops the dead prefix of the arena once it is at least as large as the table size.
    fn compact(&mut self) {
        let Some(oldest) = self.entries.back() else {
            // Empty table: restart at the front for free.
            self.base += self.arena.len();
            self.arena.clear();
            return;
        };
        let live_start = oldest.pos - self.base;
        if live_start > 0 && live_start >= self.max_size {
            self.arena.copy_within(live_start.., 0);
            self.arena.truncate(self.arena.len() - live_start);
            self.base += live_start;
        }
    }

    /// Live entries, newest first: `(name, value, id)`.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8], u64)> + '_ {
        (0..self.entries.len()).filter_map(move |i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_evict(_: u64, _: &[u8], _: &[u8]) {}

    #[test]
    fn insert_get_evict_in_fifo_order() {
        let mut t = DynamicTable::new(3 * (32 + 2));
        let mut evicted = Vec::new();
        for (i, n) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
            let id = t.insert(*n, b"v", |id, name, _| evicted.push((id, name.to_vec())));
            assert_eq!(id, Some(i as u64));
        }
        assert_eq!(evicted, vec![(0, b"a".to_vec())]);
        assert_eq!(t.len(), 3);
        assert_eq!(t.size(), 3 * 34);
        assert_eq!(t.get(0), Some((&b"d"[..], &b"v"[..], 3)));
        assert_eq!(t.get(2), Some((&b"b"[..], &b"v"[..], 1)));
        assert_eq!(t.get(3), None);
        assert_eq!(t.position_of(3), Some(0));
        assert_eq!(t.position_of(1), Some(2));
        assert_eq!(t.position_of(0), None);
        assert_eq!(t.position_of(4), None);
    }

    #[test]
    fn oversized_entry_empties_the_table() {
        let mut t = DynamicTable::new(64);
        t.insert(b"k", b"v", no_evict);
        assert_eq!(t.insert(&[b'x'; 40], b"", no_evict), None);
        assert_eq!(t.len(), 0);
        assert_eq!(t.size(), 0);
        // Ids keep counting after that.
        assert_eq!(t.insert(b"k", b"v", no_evict), Some(1));
    }

    #[test]
    fn shrink_evicts_and_zero_disables() {
        let mut t = DynamicTable::new(4096);
        for i in 0..10u8 {
            t.insert(&[i], &[i], no_evict);
        }
        t.set_max_size(34 * 4, no_evict);
        assert_eq!(t.len(), 4);
        assert_eq!(t.get(3).unwrap().0, [6]);
        t.set_max_size(0, no_evict);
        assert_eq!(t.len(), 0);
        assert_eq!(t.insert(b"", b"", no_evict), None);
    }

    #[test]
    fn arena_stays_bounded_and_contents_survive_compaction() {
        let mut t = DynamicTable::new(500);
        for i in 0..10_000usize {
            let name = format!("name-{}", i % 7);
            let value = "v".repeat(i % 50);
            t.insert(name.as_bytes(), value.as_bytes(), no_evict);
            let (n, v, id) = t.get(0).unwrap();
            assert_eq!((n, v, id), (name.as_bytes(), value.as_bytes(), i as u64));
            assert!(t.arena.len() <= 2 * 500 + 100, "arena {}", t.arena.len());
            assert!(t.size() <= 500);
            let live: usize = t.iter().map(|(n, v, _)| n.len() + v.len() + 32).sum();
            assert_eq!(live, t.size());
        }
    }
}
