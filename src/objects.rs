//! Objects a reactor keeps for user code, so that callbacks reach protocol state by id.

use std::fmt;
use std::marker::PhantomData;

use crate::ids::id_type;

id_type!(
    /// An object kept by a reactor, from [`Reactor::insert_object`](crate::Reactor::insert_object).
    ObjectId,
    "o"
);

/// A typed handle on an object a reactor keeps, from [`ReactorExt::own`](crate::ReactorExt::own).
///
/// It is `Copy` and holds no reference: timer and I/O callbacks capture it and reach the object
/// with [`ReactorExt::with_owned`](crate::ReactorExt::with_owned), and a timer armed with
/// [`ReactorExt::at_owned`](crate::ReactorExt::at_owned) goes quiet once the object is removed.
pub struct Owned<T> {
    id: ObjectId,
    _type: PhantomData<fn() -> T>,
}

impl<T> Owned<T> {
    /// The handle of the object with id `id`; its type is checked at each use.
    pub const fn new(id: ObjectId) -> Self {
        Self {
            id,
            _type: PhantomData,
        }
    }

    /// The object's id.
    pub const fn id(self) -> ObjectId {
        self.id
    }
}

impl<T> Clone for Owned<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Owned<T> {}

impl<T> PartialEq for Owned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<T> Eq for Owned<T> {}

impl<T> fmt::Debug for Owned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Owned({})", self.id)
    }
}

/// Errors of kept objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// This reactor keeps no object with that id (never issued, or removed).
    #[error("object {0} is unknown to this reactor")]
    Unknown(ObjectId),
    /// The object is lent out (a `with_owned` further up the stack is using it).
    #[error("object {0} is in use")]
    Busy(ObjectId),
    /// `return_object` for an object that was not lent out.
    #[error("object {0} was not lent out")]
    NotLent(ObjectId),
    /// The object is not of the handle's type (a handle from another reactor).
    #[error("object {0} is not of the handle's type")]
    WrongType(ObjectId),
}
