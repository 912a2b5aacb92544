//! The contract's traits in one `use`, so that every reactor method is in scope on a
//! concrete reactor (`Sim`, `RealReactor`) as well as on `&mut dyn Reactor`.
//!
//! ```
//! use twinreactor::prelude::*;
//! use twinreactor::{StreamFactory, StreamProtocol};
//! # use std::net::SocketAddr;
//! # struct Refuse;
//! # impl StreamFactory for Refuse {
//! #     fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> { None }
//! # }
//!
//! let mut sim = twinreactor_sim::Sim::new(1);
//! let listener = sim.listen_tcp("10.0.0.1:80".parse().unwrap(), Box::new(Refuse)).unwrap();
//! assert_eq!(sim.listener_addr(listener).unwrap().port(), 80);
//! ```

pub use crate::process::Processes;
pub use crate::reactor::{Reactor, ReactorExt};
pub use crate::tcp::Tcp;
pub use crate::udp::Udp;
