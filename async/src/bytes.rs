//! Moving received bytes out of a queue into a reader's buffer.

use std::collections::VecDeque;

/// Moves as many bytes from the front of `queue` as fit into `buf`; gives how many.
pub(crate) fn drain_into(queue: &mut VecDeque<u8>, buf: &mut [u8]) -> usize {
    let n = buf.len().min(queue.len());
    let (front, back) = queue.as_slices();
    let first = n.min(front.len());
    buf[..first].copy_from_slice(&front[..first]);
    buf[first..n].copy_from_slice(&back[..n - first]);
    queue.drain(..n);
    n
}
