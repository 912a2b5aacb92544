//! The kinds of I/O a reactor owns, as its lifecycle sees them.

/// One kind of I/O a reactor `R` owns (TCP, UDP, child processes). Each reactor lists its
/// subsystems once, in the order their hooks run, and iterates over that list where its
/// lifecycle touches them, instead of calling each one by hand: a new kind of I/O is one
/// more entry. Timers and triggers are not subsystems: they are the [`Core`](crate::Core),
/// which shutdown keeps (pending timers survive it).
pub trait Subsystem<R> {
    /// Shutdown, after the `Before` phase: closes everything this subsystem holds for the
    /// reactor (for the simulator, for the host acting now), telling each protocol, so
    /// that nothing of it outlives `run()`.
    fn close_all(&self, reactor: &mut R);
}
