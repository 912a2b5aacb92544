//! A byte queue: appended at the back, consumed from the front, without per-byte work.

/// Bytes waiting in order: a `Vec` and the offset of its first unconsumed byte.
#[derive(Default)]
pub(super) struct ByteQueue {
    buf: Vec<u8>,
    head: usize,
}

impl ByteQueue {
    /// A queue holding `bytes` (taken over without copying).
    pub(super) fn from_vec(bytes: Vec<u8>) -> Self {
        Self {
            buf: bytes,
            head: 0,
        }
    }

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

    /// Appends `bytes`, taking the vector over when nothing waits.
    pub(super) fn push_vec(&mut self, bytes: Vec<u8>) {
        if self.is_empty() {
            *self = Self::from_vec(bytes);
        } else {
            self.buf.extend_from_slice(&bytes);
        }
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

    /// Removes and returns the first `n` bytes.
    pub(super) fn take_front(&mut self, n: usize) -> Vec<u8> {
        let out = self.as_slice()[..n].to_vec();
        self.consume(n);
        out
    }

    /// Drops everything.
    pub(super) fn clear(&mut self) {
        self.buf = Vec::new();
        self.head = 0;
    }
}
