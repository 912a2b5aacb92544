//! The objects a reactor keeps for user code: a table of boxes by id, each present, lent out
//! or gone.

use std::any::Any;
use std::collections::HashMap;

use twinreactor::{ObjectError, ObjectId};

/// Where a kept object is.
enum Place {
    Here(Box<dyn Any>),
    Lent,
}

/// Kept objects by id. Ids are issued in increasing order and never reused.
#[derive(Default)]
pub struct Objects {
    places: HashMap<u64, Place>,
    next: u64,
}

impl Objects {
    /// Keeps `object` under a new id.
    pub fn insert(&mut self, object: Box<dyn Any>) -> ObjectId {
        let id = self.next;
        self.next += 1;
        self.places.insert(id, Place::Here(object));
        ObjectId::from_raw(id)
    }

    /// Lends the object out, keeping its id reserved.
    pub fn take(&mut self, id: ObjectId) -> Result<Box<dyn Any>, ObjectError> {
        let place = self
            .places
            .get_mut(&id.raw())
            .ok_or(ObjectError::Unknown(id))?;
        match std::mem::replace(place, Place::Lent) {
            Place::Here(object) => Ok(object),
            Place::Lent => Err(ObjectError::Busy(id)),
        }
    }

    /// Puts a lent object back.
    pub fn put_back(&mut self, id: ObjectId, object: Box<dyn Any>) -> Result<(), ObjectError> {
        match self.places.get_mut(&id.raw()) {
            None => Err(ObjectError::Unknown(id)),
            Some(Place::Here(_)) => Err(ObjectError::NotLent(id)),
            Some(place) => {
                *place = Place::Here(object);
                Ok(())
            }
        }
    }

    /// Removes an object that is not lent out.
    pub fn remove(&mut self, id: ObjectId) -> Result<Box<dyn Any>, ObjectError> {
        match self.places.remove(&id.raw()) {
            None => Err(ObjectError::Unknown(id)),
            Some(Place::Here(object)) => Ok(object),
            Some(Place::Lent) => {
                self.places.insert(id.raw(), Place::Lent);
                Err(ObjectError::Busy(id))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Objects;
    use twinreactor::{ObjectError, ObjectId};

    #[test]
    fn an_object_is_lent_returned_and_removed_once() {
        let mut objects = Objects::default();
        let id = objects.insert(Box::new(7u32));
        let lent = objects.take(id).expect("present");
        assert_eq!(objects.take(id).err(), Some(ObjectError::Busy(id)));
        assert_eq!(objects.remove(id).err(), Some(ObjectError::Busy(id)));
        objects.put_back(id, lent).expect("lent");
        assert_eq!(
            objects.put_back(id, Box::new(8u32)),
            Err(ObjectError::NotLent(id))
        );
        let object = objects.remove(id).expect("present");
        assert_eq!(object.downcast_ref::<u32>(), Some(&7));
        assert_eq!(objects.take(id).err(), Some(ObjectError::Unknown(id)));
        let unknown = ObjectId::from_raw(99);
        assert_eq!(
            objects.put_back(unknown, Box::new(())),
            Err(ObjectError::Unknown(unknown))
        );
    }
}
