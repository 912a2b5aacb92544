//! Addresses of simulated hosts, and routing between them.
//!
//! Every host has the loopback address 127.0.0.1 (and ::1), reachable only from itself, and
//! one address of its own on the virtual network: host `n` has `10.0.0.(n+1)` (counting on
//! into the higher bytes past 255 hosts). Nothing here touches a real network.

use std::net::{IpAddr, Ipv4Addr};

use crate::{HostId, Sim, SimError};

/// The virtual-network address of the first host, as a number.
const HOST_IP_BASE: u32 = 0x0a00_0001;

/// The virtual-network address of host number `index`.
pub(crate) fn host_ip(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(HOST_IP_BASE + index as u32))
}

impl Sim {
    /// The address of `host` on the virtual network (`10.0.0.1` for the first host).
    pub fn host_ip(&self, host: HostId) -> Result<IpAddr, SimError> {
        self.check_host(host).map(host_ip)
    }

    /// Which host `ip` reaches when `from` sends to it: `from` itself for loopback and
    /// unspecified addresses, the owner for a host address, none otherwise.
    pub(crate) fn route(&self, from: usize, ip: IpAddr) -> Option<usize> {
        if ip.is_loopback() || ip.is_unspecified() {
            return Some(from);
        }
        let IpAddr::V4(v4) = ip else {
            return None;
        };
        let index = u32::from(v4).wrapping_sub(HOST_IP_BASE) as usize;
        (index < self.host_count() && host_ip(index) == ip).then_some(index)
    }

    /// Whether `host` may bind `ip`: unspecified, loopback, or its own address.
    pub(crate) fn may_bind(&self, host: usize, ip: IpAddr) -> bool {
        ip.is_unspecified() || ip.is_loopback() || host_ip(host) == ip
    }
}
