//! Random choices: separate ChaCha streams derived from one seed.
//!
//! Each concern draws from its own stream, so that a change in how often one concern draws
//! does not reshuffle the others. Ranges are mapped from raw `next_u64` output here, not by
//! another crate's distribution code, so traces stay stable across dependency updates.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// The concerns that draw random numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Which of several ready hosts or events goes first.
    Scheduling = 1,
    /// How the network behaves when it works: latency jitter, how a byte stream is split.
    Network = 2,
    /// Faults: loss, duplication, resets, refusals, partitions, crashes.
    Faults = 3,
    /// Program stubs: how their output is chunked.
    Programs = 4,
    /// The fault mix of [`SimConfig::swarm`](crate::SimConfig::swarm), drawn once before
    /// the simulation starts (not one of the simulation's own streams).
    Swarm = 5,
    /// Races the contract leaves open between two hosts' views of one event (when a
    /// client notices its connect), kept apart so that drawing them moves no other stream.
    Races = 6,
    /// User code's own draws (`Reactor::random_u64`).
    User = 7,
}

impl Stream {
    /// Every stream of the simulation, in the order of their numbers.
    pub const ALL: [Stream; 6] = [
        Stream::Scheduling,
        Stream::Network,
        Stream::Faults,
        Stream::Programs,
        Stream::Races,
        Stream::User,
    ];

    /// This stream's place in [`Stream::ALL`]. The swarm mix is drawn apart, before the
    /// simulation starts and never through a site; it shares no place with a site's stream
    /// in use, so it is given the races' (never reached).
    pub(crate) fn slot(self) -> usize {
        match self {
            Stream::Scheduling => 0,
            Stream::Network => 1,
            Stream::Faults => 2,
            Stream::Programs => 3,
            Stream::Races | Stream::Swarm => 4,
            Stream::User => 5,
        }
    }
}

/// One stream of random numbers.
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// The stream `stream` of `seed`.
    pub fn new(seed: u64, stream: Stream) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream as u64);
        Self(rng)
    }

    /// The next raw 64-bit number.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}
