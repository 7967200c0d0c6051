//! TURN allocations (RFC 8656): Allocate (with its 401 challenge), Refresh, CreatePermission,
//! ChannelBind, Send/Data indications and ChannelData, per client, server and transport.

use std::net::SocketAddr;

use super::report::{Allocation, Channel};
use crate::flows::Transport;
use crate::protocols::FinishContext;

/// Permissions and channels kept per allocation.
const MAX_PER_ALLOCATION: usize = 256;

#[derive(Debug, Clone)]
struct ChannelState {
    number: u16,
    peer: Option<SocketAddr>,
    bound_frame: Option<u64>,
    to_peer: u64,
    from_peer: u64,
    bytes: u64,
}

/// One allocation's state.
#[derive(Debug, Clone)]
pub struct Alloc {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub transport: Transport,
    pub first_ns: i64,
    pub requests: u32,
    pub challenges: u32,
    pub errors: Vec<u16>,
    pub allocated_frame: Option<u64>,
    pub relayed: Option<SocketAddr>,
    pub mapped: Option<SocketAddr>,
    pub lifetime: Option<u32>,
    pub refreshes: u32,
    pub deleted_frame: Option<u64>,
    permissions: Vec<std::net::IpAddr>,
    channels: Vec<ChannelState>,
    pub send_indications: u64,
    pub data_indications: u64,
}

impl Alloc {
    /// An allocation between `client` and `server`, first seen at `ts_ns`.
    pub fn new(client: SocketAddr, server: SocketAddr, transport: Transport, ts_ns: i64) -> Self {
        Alloc {
            client,
            server,
            transport,
            first_ns: ts_ns,
            requests: 0,
            challenges: 0,
            errors: Vec::new(),
            allocated_frame: None,
            relayed: None,
            mapped: None,
            lifetime: None,
            refreshes: 0,
            deleted_frame: None,
            permissions: Vec::new(),
            channels: Vec::new(),
            send_indications: 0,
            data_indications: 0,
        }
    }

    /// Adds a permission for `peer`'s address (RFC 8656 §9: permissions are per IP address).
    pub fn permit(&mut self, peer: SocketAddr) {
        if self.permissions.len() < MAX_PER_ALLOCATION && !self.permissions.contains(&peer.ip()) {
            self.permissions.push(peer.ip());
        }
    }

    fn channel(&mut self, number: u16) -> Option<&mut ChannelState> {
        if let Some(i) = self.channels.iter().position(|c| c.number == number) {
            return self.channels.get_mut(i);
        }
        if self.channels.len() >= MAX_PER_ALLOCATION {
            return None;
        }
        self.channels.push(ChannelState {
            number,
            peer: None,
            bound_frame: None,
            to_peer: 0,
            from_peer: 0,
            bytes: 0,
        });
        self.channels.last_mut()
    }

    /// A successful ChannelBind of `number` to `peer` (which also installs a permission).
    pub fn bind(&mut self, number: u16, peer: Option<SocketAddr>, frame: u64) {
        if let Some(p) = peer {
            self.permit(p);
        }
        if let Some(c) = self.channel(number) {
            c.peer = peer.or(c.peer);
            c.bound_frame.get_or_insert(frame);
        }
    }

    /// A ChannelData message; `from_client` says its direction.
    pub fn channel_data(&mut self, number: u16, len: usize, from_client: bool) {
        if let Some(c) = self.channel(number) {
            if from_client {
                c.to_peer += 1;
            } else {
                c.from_peer += 1;
            }
            c.bytes += len as u64;
        }
    }

    /// The report entry.
    pub fn report(&self, ctx: &FinishContext) -> Allocation {
        Allocation {
            client: self.client.into(),
            server: self.server.into(),
            transport: self.transport,
            start: ctx.rel(self.first_ns),
            requests: self.requests,
            challenges: self.challenges,
            errors: self.errors.clone(),
            allocated_frame: self.allocated_frame,
            relayed: self.relayed.map(Into::into),
            mapped: self.mapped.map(Into::into),
            lifetime: self.lifetime,
            refreshes: self.refreshes,
            deleted_frame: self.deleted_frame,
            permissions: self.permissions.iter().map(|&a| a.into()).collect(),
            channels: self
                .channels
                .iter()
                .map(|c| Channel {
                    number: format!("0x{:04x}", c.number),
                    peer: c.peer.map(Into::into),
                    bound_frame: c.bound_frame,
                    to_peer: c.to_peer,
                    from_peer: c.from_peer,
                    bytes: c.bytes,
                })
                .collect(),
            send_indications: self.send_indications,
            data_indications: self.data_indications,
        }
    }
}
