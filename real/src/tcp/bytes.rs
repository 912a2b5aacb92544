//! A byte queue: appended at the back, consumed from the front, without per-byte work.

/// Bytes waiting in order: a `Vec` and the offset of its first unconsumed byte.
#[derive(Default)]
pub(super) struct ByteQueue {
    buf: Vec<u8>,
    head: usize,
}

impl ByteQueue {
    /// How many bytes wait.
    pub(super) fn len(&self) -> usize {
        self.buf.len() - self.head
    }

    /// Whether nothing waits.
    pub(super) fn is_empty(&self) -> bool {
        self.head == self.buf.len()
    }

    /// The waiting bytes, in order.
    pub(super) fn as_slice(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    /// Appends `bytes`.
    pub(super) fn push(&mut self, bytes: &[u8]) {
        if self.is_empty() {
            self.buf.clear();
            self.head = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Drops the first `n` bytes.
    pub(super) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len(), "consume({n}) of {} bytes", self.len());
        self.head += n;
        if self.head == self.buf.len() {
            self.buf.clear();
            self.head = 0;
        } else if self.head >= 64 * 1024 && self.head * 2 >= self.buf.len() {
            // Keep the consumed prefix from growing without bound.
            self.buf.drain(..self.head);
            self.head = 0;
        }
    }

    /// Drops everything.
    pub(super) fn clear(&mut self) {
        self.buf = Vec::new();
        self.head = 0;
    }
}
