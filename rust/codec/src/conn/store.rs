//! Stream storage: a slab with a free list, an id -> slot hash map, and a ring remembering
//! how recently closed streams ended. All three only grow to their high-water mark: once a
//! connection has seen its peak concurrency, opening and closing streams allocates nothing.

use super::stream::Stream;

/// Streams by id. Slots are reused through a free list; indices stay valid while a stream is
/// stored.
#[derive(Debug, Default)]
pub struct Store {
    slots: Vec<Stream>,
    free: Vec<u32>,
    map: IdMap,
}

impl Store {
    pub fn with_capacity(n: usize) -> Store {
        Store { slots: Vec::with_capacity(n), free: Vec::with_capacity(n), map: IdMap::with_capacity(n) }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.map.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.map.len == 0
    }

    #[inline]
    pub fn index_of(&self, id: u32) -> Option<usize> {
        self.map.get(id).map(|i| i as usize)
    }

    #[inline]
    pub fn get_mut(&mut self, id: u32) -> Option<&mut Stream> {
        let i = self.map.get(id)?;
        Some(&mut self.slots[i as usize])
    }

    #[inline]
    pub fn get(&self, id: u32) -> Option<&Stream> {
        let i = self.map.get(id)?;
        Some(&self.slots[i as usize])
    }

    #[inline]
    pub fn at(&mut self, idx: usize) -> &mut Stream {
        &mut self.slots[idx]
    }

    /// Stores a new stream; its id must not be stored yet.
    pub fn insert(&mut self, stream: Stream) -> usize {
        let id = stream.id;
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = stream;
                i as usize
            }
            None => {
                self.slots.push(stream);
                self.slots.len() - 1
            }
        };
        self.map.insert(id, idx as u32);
        idx
    }

    pub fn remove(&mut self, id: u32) -> Option<Stream> {
        let idx = self.map.remove(id)?;
        self.free.push(idx);
        Some(self.slots[idx as usize])
    }

    /// Ids of all stored streams, in no particular order, into `out` (cleared first).
    pub fn ids_into(&self, out: &mut Vec<u32>) {
        out.clear();
        out.extend(self.map.keys.iter().copied().filter(|&k| k != 0));
    }

    /// Applies `f` to every stored stream; stops at the first error.
    pub fn try_for_each<E>(&mut self, mut f: impl FnMut(&mut Stream) -> Result<(), E>) -> Result<(), E> {
        for (k, v) in self.map.keys.iter().zip(self.map.vals.iter()) {
            if *k != 0 {
                f(&mut self.slots[*v as usize])?;
            }
        }
        Ok(())
    }
}

/// Open-addressing map from stream id (never 0) to slot index: linear probing, backward-shift
/// deletion (no tombstones, so a long-lived connection never degrades), load at most 1/2.
#[derive(Debug, Default)]
struct IdMap {
    keys: Vec<u32>,
    vals: Vec<u32>,
    len: usize,
}

impl IdMap {
    fn with_capacity(n: usize) -> IdMap {
        let cap = (n.max(4) * 2).next_power_of_two();
        IdMap { keys: vec![0; cap], vals: vec![0; cap], len: 0 }
    }

    #[inline]
    fn slot(&self, id: u32) -> usize {
        // Ids of one side step by 2: drop the parity bit, then Fibonacci hashing.
        let h = (id >> 1).wrapping_mul(0x9E37_79B9);
        (h as usize) & (self.keys.len() - 1)
    }

    #[inline]
    fn get(&self, id: u32) -> Option<u32> {
        if self.keys.is_empty() {
            return None;
        }
        let mask = self.keys.len() - 1;
        let mut i = self.slot(id);
        loop {
            match self.keys[i] {
                0 => return None,
                k if k == id => return Some(self.vals[i]),
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn insert(&mut self, id: u32, val: u32) {
        debug_assert!(id != 0);
        if (self.len + 1) * 2 > self.keys.len() {
            self.grow();
        }
        let mask = self.keys.len() - 1;
        let mut i = self.slot(id);
        while self.keys[i] != 0 && self.keys[i] != id {
            i = (i + 1) & mask;
        }
        if self.keys[i] == 0 {
            self.len += 1;
        }
        self.keys[i] = id;
        self.vals[i] = val;
    }

    fn remove(&mut self, id: u32) -> Option<u32> {
        if self.keys.is_empty() {
            return None;
        }
        let mask = self.keys.len() - 1;
        let mut i = self.slot(id);
        loop {
            match self.keys[i] {
                0 => return None,
                k if k == id => break,
                _ => i = (i + 1) & mask,
            }
        }
        let val = self.vals[i];
        self.len -= 1;
        // Backward shift: pull later members of the probe run into the hole.
        let mut hole = i;
        let mut j = (i + 1) & mask;
        while self.keys[j] != 0 {
            let home = self.slot(self.keys[j]);
            // Move j into the hole unless its home lies cyclically in (hole, j].
            let dist_home = j.wrapping_sub(home) & mask;
            let dist_hole = j.wrapping_sub(hole) & mask;
            if dist_home >= dist_hole {
                self.keys[hole] = self.keys[j];
                self.vals[hole] = self.vals[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.keys[hole] = 0;
        Some(val)
    }

    fn grow(&mut self) {
        let cap = (self.keys.len() * 2).max(8);
        let keys = std::mem::replace(&mut self.keys, vec![0; cap]);
        let vals = std::mem::replace(&mut self.vals, vec![0; cap]);
        self.len = 0;
        for (k, v) in keys.into_iter().zip(vals) {
            if k != 0 {
                self.insert(k, v);
            }
        }
    }
}

/// How a stream ended, which decides how its late frames are treated (§5.1 "closed").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Both sides sent END_STREAM: further DATA/HEADERS are a connection STREAM_CLOSED error.
    EndStream,
    /// The peer reset it: further frames are a stream STREAM_CLOSED error.
    RemoteReset,
    /// We reset (or refused) it: frames the peer sent before seeing our RST_STREAM are ignored.
    LocalReset,
}

/// The last N closed streams and their cause. A fixed ring, allocated once.
#[derive(Debug)]
pub struct ClosedRing {
    entries: Vec<(u32, Cause)>,
    next: usize,
}

impl ClosedRing {
    pub fn new(n: usize) -> ClosedRing {
        ClosedRing { entries: vec![(0, Cause::EndStream); n.max(1)], next: 0 }
    }

    pub fn push(&mut self, id: u32, cause: Cause) {
        self.entries[self.next] = (id, cause);
        self.next = (self.next + 1) % self.entries.len();
    }

    pub fn get(&self, id: u32) -> Option<Cause> {
        self.entries.iter().find(|e| e.0 == id).map(|e| e.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::stream::State;

    #[test]
    fn map_insert_remove_many() {
        let mut m = IdMap::with_capacity(4);
        let mut model = std::collections::HashMap::new();
        let mut x: u32 = 12345;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let id = (x % 512) * 2 + 1;
            if x & 1 == 0 {
                m.insert(id, x);
                model.insert(id, x);
            } else {
                assert_eq!(m.remove(id), model.remove(&id));
            }
            assert_eq!(m.len, model.len());
        }
        for (k, v) in &model {
            assert_eq!(m.get(*k), Some(*v));
        }
    }

    #[test]
    fn slab_reuses_slots() {
        let mut s = Store::with_capacity(2);
        for round in 0..100u32 {
            let a = s.insert(Stream::new(round * 4 + 1, State::Open, 10, 10));
            let b = s.insert(Stream::new(round * 4 + 3, State::Open, 10, 10));
            assert!(a < 2 && b < 2);
            s.remove(round * 4 + 1).unwrap();
            s.remove(round * 4 + 3).unwrap();
        }
        assert!(s.is_empty());
    }

    #[test]
    fn ring_forgets_oldest() {
        let mut r = ClosedRing::new(2);
        r.push(1, Cause::LocalReset);
        r.push(3, Cause::EndStream);
        r.push(5, Cause::RemoteReset);
        assert_eq!(r.get(1), None);
        assert_eq!(r.get(3), Some(Cause::EndStream));
        assert_eq!(r.get(5), Some(Cause::RemoteReset));
    }
}
