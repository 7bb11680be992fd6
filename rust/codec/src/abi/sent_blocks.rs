//! Header lists sent recently, by their HEADERS command record, with the block they encoded to.
//!
//! A server sends the same few lists over and over (a gRPC server: `:status 200` +
//! `content-type`, then `grpc-status: 0`), and the JVM writes them as the same command octets.
//! A list whose record matches one kept here is sent as its kept block while the connection
//! says the block is still what encoding would give ([`ReusableBlock`]); otherwise it is
//! encoded and kept. The record determines the list, so equal records mean equal lists.

use crate::conn::ReusableBlock;

/// Lists kept: a response's headers and trailers, and a couple of variants.
const SENT_BLOCKS: usize = 4;

/// Longer records are not kept.
const MAX_KEY_LEN: usize = 512;

/// See the module documentation.
#[derive(Debug, Default)]
pub(super) struct SentBlocks {
    /// The command record octets after the stream id (field count, entries, octets), and the
    /// block the connection kept for them (empty key: unused).
    entries: [(Vec<u8>, ReusableBlock); SENT_BLOCKS],
    /// The entry the next new list replaces (round robin).
    next: usize,
}

impl SentBlocks {
    /// The entry of `key`, if kept.
    #[inline]
    pub(super) fn find(&self, key: &[u8]) -> Option<&ReusableBlock> {
        self.entries.iter().find(|(k, _)| k.as_slice() == key).map(|(_, b)| b)
    }

    /// Runs `send` with the block to keep `key`'s list in (none for a long record): the
    /// entry `key` had, or the next one. The entry is named `key` only if the connection kept
    /// the block.
    pub(super) fn keeping<R>(&mut self, key: &[u8], send: impl FnOnce(Option<&mut ReusableBlock>) -> R) -> R {
        if key.len() > MAX_KEY_LEN {
            return send(None);
        }
        let i = self.entries.iter().position(|(k, _)| k.as_slice() == key).unwrap_or_else(|| {
            let i = self.next;
            self.next = (i + 1) % SENT_BLOCKS;
            i
        });
        let (k, block) = &mut self.entries[i];
        k.clear();
        block.forget();
        let r = send(Some(&mut *block));
        if block.is_kept() {
            k.extend_from_slice(key);
        }
        r
    }
}
