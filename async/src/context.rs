//! Which executor is polling right now: a thread-local set while a task runs and while one
//! of this crate's protocols delivers an event.

use std::cell::RefCell;
use std::rc::Rc;

use crate::core::Core;
use crate::error::ContextError;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Runs `f` with `core` as the current executor, restoring the previous one after.
pub(crate) fn enter<T>(core: &Rc<Core>, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.borrow_mut().replace(Rc::clone(core)));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

/// The executor whose task is being polled.
pub(crate) fn current() -> Result<Rc<Core>, ContextError> {
    CURRENT
        .with(|c| c.borrow().clone())
        .ok_or(ContextError::NotInExecutor)
}

/// The current executor, which must be `owner`.
pub(crate) fn check(owner: u64) -> Result<Rc<Core>, ContextError> {
    let core = current()?;
    if core.id() == owner {
        Ok(core)
    } else {
        Err(ContextError::ForeignExecutor {
            owner,
            polled_by: core.id(),
        })
    }
}

/// Whether executor `id` is current on this thread (so a wake needs no remote kick).
pub(crate) fn is_current(id: u64) -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(|core| core.id() == id))
}
