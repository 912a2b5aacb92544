//! A panic hook that remembers where the last panic on this thread happened.
//!
//! `resume_unwind` does not call the panic hook, and a payload carries no location, so the
//! simulator keeps the message and location of each panic here, in a thread-local, to put in
//! its failure report. The hook wraps whatever hook was installed before it and calls it,
//! except on threads a sweep has made quiet (its workers: the sweep reports one failure, once).

use std::cell::{Cell, RefCell};
use std::panic::PanicHookInfo;
use std::sync::Once;

use super::payload_text;

/// What the last panic on a thread said, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PanicNote {
    /// The panic's message.
    pub message: String,
    /// `file:line:column`, when the panic had a location.
    pub location: Option<String>,
}

thread_local! {
    static LAST: RefCell<Option<PanicNote>> = const { RefCell::new(None) };
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Installs the hook once per process, wrapping the one in place.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            let note = PanicNote {
                message: payload_text(info.payload()).to_owned(),
                location: info.location().map(|l| l.to_string()),
            };
            LAST.with(|last| *last.borrow_mut() = Some(note));
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Forgets the last panic on this thread (a scenario is about to start).
pub(crate) fn forget() {
    LAST.with(|last| last.borrow_mut().take());
}

/// The last panic on this thread since [`forget`], if the hook saw one.
pub(crate) fn last() -> Option<PanicNote> {
    LAST.with(|last| last.borrow().clone())
}

/// Makes panics on this thread silent (true) or printed by the previous hook (false).
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.with(|q| q.set(quiet));
}
