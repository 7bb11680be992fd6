//! The last request block received, remembered so that the same octets are not decoded and
//! checked again.
//!
//! A client on a warm connection sends the same octets for the same request headers (every
//! field indexed: grpc-java's and Netty's encoders do this for every call without a deadline).
//! HPACK decoding is a function of the block and the decoder's state, so while the decoder
//! reports no change ([`crate::hpack::Decoder::changes`]) the same block gives the same fields,
//! which already passed the request checks (RFC 9113 §8.1.1, §8.2.1, §8.3.1). The connection
//! then keeps the fields it decoded last time instead of decoding, checking and learning them
//! again, and reports them under the same decode number (`Events::headers`). Only blocks that
//! left the decoder unchanged are remembered: a block that inserted into the table would
//! decode differently the second time. Invariant tests: `tests/conn_repeated.rs`.

/// Longer blocks are not remembered: an indexed request block is tens of octets, and the copy
/// kept per connection stays small.
pub(super) const MAX_REMEMBERED: usize = 512;

/// See the module documentation.
#[derive(Debug, Default)]
pub(super) struct RepeatedBlock {
    block: Vec<u8>,
    decoder_changes: u64,
    content_length: u64,
    /// False once the connection's decoded fields no longer belong to `block`.
    valid: bool,
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
    }
}
