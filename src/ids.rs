//! Small `Copy` ids that name the objects a reactor owns.
//!
//! Ids are issued by one reactor (or one simulated host) in increasing order and are never
//! reused by it. An id from another reactor, or one built with `from_raw`, is simply unknown
//! to a reactor that did not issue it, and every operation on it returns an error.

/// Defines a `Copy` id type with `from_raw`, `raw` and a `Display` of prefix + number.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u64);

        impl $name {
            /// Builds an id from its raw number, as printed in a trace.
            pub const fn from_raw(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw number of this id.
            pub const fn raw(self) -> u64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

pub(crate) use id_type;

id_type!(
    /// A timer scheduled with [`Reactor::call_later`](crate::Reactor::call_later).
    TimerId,
    "t"
);
id_type!(
    /// A system-event trigger added with [`Reactor::add_trigger`](crate::Reactor::add_trigger).
    TriggerId,
    "g"
);
id_type!(
    /// A completion made with [`Reactor::new_completion`](crate::Reactor::new_completion), that
    /// a trigger returns to hold the next phase of its event.
    CompletionId,
    "c"
);
