//! The encoder's lookup from a hash to dynamic-table entry ids.
//!
//! Open addressing with linear probing over `(hash, id)` slots, kept at most half full, and
//! backward-shift deletion (no tombstones, so probe lengths do not degrade as the FIFO churns).
//! The caller confirms candidates by comparing octets against the table; the index only
//! narrows the search. It grows (the only allocation) when the live entry count needs it.

const EMPTY: u64 = u64::MAX;

#[derive(Clone, Copy, Debug)]
struct Slot {
    hash: u32,
    id: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    slots: Vec<Slot>,
    len: usize,
}

impl Index {
    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Ids whose hash equals `hash`, in probe order, until `accept` returns true for one.
    #[inline]
    pub(crate) fn find(&self, hash: u32, mut accept: impl FnMut(u64) -> bool) -> Option<u64> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let s = self.slots[i];
            if s.id == EMPTY {
                return None;
            }
            if s.hash == hash && accept(s.id) {
                return Some(s.id);
            }
            i = (i + 1) & mask;
        }
    }

    pub(crate) fn insert(&mut self, hash: u32, id: u64) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.slots[i].id != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { hash, id };
        self.len += 1;
    }

    /// Removes `id`, which must have been inserted under `hash`.
    pub(crate) fn remove(&mut self, hash: u32, id: u64) {
        if self.slots.is_empty() {
            return;
        }
        let mask = self.mask();
        let mut hole = hash as usize & mask;
        loop {
            let s = self.slots[hole];
            if s.id == EMPTY {
                debug_assert!(false, "index entry {id} missing");
                return;
            }
            if s.id == id {
                break;
            }
            hole = (hole + 1) & mask;
        }
        // Backward shift: pull later members of the cluster into the hole when the hole lies
        // between their home slot and where they sit now.
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s.id == EMPTY {
                break;
            }
            let home = s.hash as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = s;
                hole = j;
            }
        }
        self.slots[hole].id = EMPTY;
        self.len -= 1;
    }

    #[cold]
    fn grow(&mut self) {
        let new_len = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![Slot { hash: 0, id: EMPTY }; new_len]);
        self.len = 0;
        for s in old.into_iter().filter(|s| s.id != EMPTY) {
            self.insert(s.hash, s.id);
        }
    }
}

/// Hashes octet strings for the index: a folded 64×64→128-bit multiply per 16 octets (the
/// wyhash/foldhash construction), short strings read as two overlapping words, seeded per
/// encoder so that a peer who controls header values cannot aim collisions at us.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hasher {
    seed: u64,
}

const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xa076_1d64_78bd_642f;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let m = (a as u128).wrapping_mul(b as u128);
    (m as u64) ^ ((m >> 64) as u64)
}

#[inline]
fn word(s: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(s[at..at + 8].try_into().unwrap())
}

#[inline]
fn half(s: &[u8], at: usize) -> u64 {
    u32::from_le_bytes(s[at..at + 4].try_into().unwrap()) as u64
}

impl Hasher {
    pub(crate) fn new() -> Self {
        use std::hash::BuildHasher;
        // std's per-process random keys; no allocation, no extra dependency.
        Self { seed: std::collections::hash_map::RandomState::new().hash_one(0u8) }
    }

    #[inline]
    fn bytes(mut h: u64, s: &[u8]) -> u64 {
        let len = s.len();
        let (a, b) = if len > 16 {
            let mut at = 0;
            while at + 16 < len {
                h = fold(word(s, at) ^ h, word(s, at + 8) ^ K1);
                at += 16;
            }
            (word(s, len - 16), word(s, len - 8))
        } else if len >= 8 {
            (word(s, 0), word(s, len - 8))
        } else if len >= 4 {
            (half(s, 0), half(s, len - 4))
        } else if len > 0 {
            ((s[0] as u64) << 16 | (s[len / 2] as u64) << 8 | s[len - 1] as u64, 0)
        } else {
            (0, 0)
        };
        // The length separates "ab"+"c" from "a"+"bc" when strings are chained.
        fold(a ^ h, b ^ K2 ^ len as u64)
    }

    /// Hash state after the name; feed it to [`Self::finish`] or [`Self::field`].
    #[inline]
    pub(crate) fn name(&self, name: &[u8]) -> u64 {
        Self::bytes(self.seed, name)
    }

    #[inline]
    pub(crate) fn field(name_state: u64, value: &[u8]) -> u32 {
        Self::finish(Self::bytes(name_state ^ K1, value))
    }

    #[inline]
    pub(crate) fn finish(state: u64) -> u32 {
        (state ^ (state >> 32)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove_with_collisions() {
        let mut idx = Index::default();
        // Force everything into a few clusters.
        for id in 0..200u64 {
            idx.insert((id % 3) as u32, id);
        }
        for id in 0..200u64 {
            assert_eq!(idx.find((id % 3) as u32, |x| x == id), Some(id));
        }
        for id in (0..200u64).step_by(2) {
            idx.remove((id % 3) as u32, id);
        }
        for id in 0..200u64 {
            let found = idx.find((id % 3) as u32, |x| x == id);
            assert_eq!(found.is_some(), id % 2 == 1, "id {id}");
        }
        assert_eq!(idx.len, 100);
    }

    #[test]
    fn fifo_churn_keeps_every_live_id_findable() {
        let mut idx = Index::default();
        let hash = |id: u64| (id.wrapping_mul(K1) >> 40) as u32;
        for id in 0..10_000u64 {
            idx.insert(hash(id), id);
            if id >= 50 {
                idx.remove(hash(id - 50), id - 50);
            }
            if id % 97 == 0 {
                for live in id.saturating_sub(49)..=id {
                    assert_eq!(idx.find(hash(live), |x| x == live), Some(live));
                }
            }
        }
        assert!(idx.slots.len() <= 128);
    }

    #[test]
    fn hash_spreads_similar_strings() {
        let h = Hasher::new();
        let mut seen = std::collections::HashSet::new();
        for len in 0..40 {
            for b in 0..=255u8 {
                let s = vec![b; len];
                seen.insert(Hasher::finish(h.name(&s)) & 0xffff);
            }
        }
        // 10240 strings into 65536 buckets: expect very few collisions.
        assert!(seen.len() > 9000, "{}", seen.len());
    }

    #[test]
    fn hash_separates_name_and_value() {
        let h = Hasher::new();
        assert_ne!(Hasher::field(h.name(b"ab"), b"c"), Hasher::field(h.name(b"a"), b"bc"));
        assert_eq!(Hasher::field(h.name(b"ab"), b"c"), Hasher::field(h.name(b"ab"), b"c"));
    }
}
