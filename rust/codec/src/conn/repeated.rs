//! Field blocks that repeat: the last request block received, remembered so that the same
//! octets are not decoded and checked again; and the header lists sent recently, so that the
//! same list is not encoded again.
//!
//! A client on a warm connection sends the same octets for the same request headers (every
//! field indexed: grpc-java's and Netty's encoders do this for every call without a deadline).
//! HPACK decoding is a function of the block and the decoder's state, so while the decoder
//! reports no change ([`crate::hpack::Decoder::changes`]) the same block gives the same fields,
//! which already passed the request checks (RFC 9113 §8.1.1, §8.2.1, §8.3.1). The connection
//! then keeps the fields it decoded last time instead of decoding, checking and learning them
//! again. Only blocks that left the decoder unchanged are remembered: a block that inserted
//! into the table would decode differently the second time.

/// Longer blocks are not remembered: an indexed request block is tens of octets, and the copy
/// kept per connection stays small.
pub(super) const MAX_REMEMBERED: usize = 512;

/// Largest HEADERS event record kept for repeats.
const MAX_KEPT_EVENT: usize = 4096;

/// See the module documentation.
#[derive(Debug, Default)]
pub(super) struct RepeatedBlock {
    block: Vec<u8>,
    decoder_changes: u64,
    content_length: u64,
    /// False once the connection's decoded fields no longer belong to `block`.
    valid: bool,
    /// The HEADERS event record written for the block's first repeat, and its offset in the
    /// event buffer then: later repeats copy it (`write::headers_again`).
    event: Vec<u8>,
    event_at: usize,
}

impl RepeatedBlock {
    /// The content-length of the remembered request if `block` is its octets and the decoder
    /// has not changed since.
    #[inline]
    pub(super) fn content_length_if_same(&self, block: &[u8], decoder_changes: u64) -> Option<u64> {
        (self.valid && self.decoder_changes == decoder_changes && self.block == block)
            .then_some(self.content_length)
    }

    /// The decoded fields are about to be replaced.
    #[inline]
    pub(super) fn forget(&mut self) {
        self.valid = false;
    }

    /// `block` decoded without changing the decoder (`decoder_changes` before and after) to
    /// fields that passed the request checks.
    pub(super) fn remember(&mut self, block: &[u8], decoder_changes: u64, content_length: u64) {
        if block.len() > MAX_REMEMBERED {
            return;
        }
        self.block.clear();
        self.block.extend_from_slice(block);
        self.decoder_changes = decoder_changes;
        self.content_length = content_length;
        self.valid = true;
        self.event.clear();
    }

    /// The event record kept for this block, and where it was written.
    #[inline]
    pub(super) fn event(&self) -> Option<(&[u8], usize)> {
        (!self.event.is_empty()).then_some((&self.event, self.event_at))
    }

    /// Keeps the HEADERS record written at `at` for a repeat of this block (unless it is large:
    /// a short block can index large table entries).
    pub(super) fn keep_event(&mut self, record: &[u8], at: usize) {
        if record.len() > MAX_KEPT_EVENT {
            return;
        }
        self.event.clear();
        self.event.extend_from_slice(record);
        self.event_at = at;
    }
}

/// Header lists sent recently, by their command-record octets, with the block they encoded to.
///
/// A server sends the same few lists over and over (a gRPC server: `:status 200` +
/// `content-type`, then `grpc-status: 0`). HPACK encoding is a function of the list and the
/// encoder's state, so while the encoder reports no change ([`crate::hpack::Encoder::changes`])
/// and no size update is pending, the block of a list seen before is reused instead of looking
/// every field up again. Only lists whose encoding changed nothing (no insertion) are kept.
#[derive(Debug, Default)]
pub(super) struct SentBlocks {
    entries: [SentBlock; SENT_BLOCKS],
    /// The entry the next list replaces (round robin).
    next: usize,
}

/// Lists remembered: a response's headers and trailers, and a couple of variants.
const SENT_BLOCKS: usize = 4;

#[derive(Debug, Default)]
pub(super) struct SentBlock {
    key: Vec<u8>,
    pub(super) block: Vec<u8>,
    encoder_changes: u64,
    /// What `send_headers` learned from the fields: a 1xx `:status`, `:method HEAD`.
    pub(super) informational: bool,
    pub(super) head: bool,
    valid: bool,
}

impl SentBlocks {
    /// The block `key` encoded to, if it was remembered at this encoder state.
    #[inline]
    pub(super) fn find(&self, key: &[u8], encoder_changes: u64) -> Option<&SentBlock> {
        self.entries.iter().find(|e| e.valid && e.encoder_changes == encoder_changes && e.key == key)
    }

    /// `key`'s list encoded to `block` and left the encoder at `encoder_changes`, unchanged.
    pub(super) fn remember(
        &mut self,
        key: &[u8],
        block: &[u8],
        encoder_changes: u64,
        informational: bool,
        head: bool,
    ) {
        if key.len() > MAX_REMEMBERED || block.len() > MAX_REMEMBERED {
            return;
        }
        let e = &mut self.entries[self.next];
        self.next = (self.next + 1) % SENT_BLOCKS;
        e.key.clear();
        e.key.extend_from_slice(key);
        e.block.clear();
        e.block.extend_from_slice(block);
        e.encoder_changes = encoder_changes;
        e.informational = informational;
        e.head = head;
        e.valid = true;
    }
}
