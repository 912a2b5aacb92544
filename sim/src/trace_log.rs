//! The simulator's recorded trace, readable while the simulation is boxed away.

use std::cell::RefCell;
use std::rc::Rc;

use twinreactor::trace::render;
use twinreactor::TraceLine;

/// A shared, read-only view of a simulation's trace.
///
/// A test harness that hands the [`Sim`](crate::Sim) to code as `Box<dyn Reactor>` keeps
/// one of these to read the trace afterwards.
#[derive(Clone, Default)]
pub struct TraceHandle(Rc<RefCell<Vec<TraceLine>>>);

impl TraceHandle {
    pub(crate) fn push(&self, line: TraceLine) {
        self.0.borrow_mut().push(line);
    }

    /// Every line recorded so far.
    pub fn lines(&self) -> Vec<TraceLine> {
        self.0.borrow().clone()
    }

    /// How many lines have been recorded.
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole trace in its canonical text form.
    pub fn render(&self) -> String {
        render(&self.0.borrow())
    }

    /// The last `n` lines in canonical text form.
    pub fn tail(&self, n: usize) -> String {
        let lines = self.0.borrow();
        render(&lines[lines.len().saturating_sub(n)..])
    }
}
