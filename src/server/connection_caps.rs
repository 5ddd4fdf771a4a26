//! Connections per account and per client address (IPv6 by /64, as the login throttle counts
//! them): `ConnectionCaps` hands out a slot while a count is under its cap, and the slot gives
//! its place back when dropped. The accept loop takes an address slot before the WebSocket
//! handshake (over the cap: handshake, then close 1013); authentication takes an account slot
//! once the credentials are checked (over the cap: `err` `too_many_connections`). With the
//! server-wide `max_connections` and the outbound budget, this bounds what one account or one
//! address can hold. Configured by `ServerConfig::max_connections_per_account` and
//! `max_connections_per_address`.

use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;

use dashmap::DashMap;

use crate::model::UserName;

/// Open connections per account and per address.
#[derive(Debug)]
pub struct ConnectionCaps {
    per_account: usize,
    per_address: usize,
    accounts: DashMap<UserName, usize>,
    addresses: DashMap<IpAddr, usize>,
}

/// A place under one of the caps; given back when dropped.
#[derive(Debug)]
pub struct CapSlot {
    caps: Arc<ConnectionCaps>,
    key: SlotKey,
}

#[derive(Debug)]
enum SlotKey {
    Account(UserName),
    Address(IpAddr),
}

impl ConnectionCaps {
    pub fn new(per_account: usize, per_address: usize) -> ConnectionCaps {
        ConnectionCaps {
            per_account,
            per_address,
            accounts: DashMap::new(),
            addresses: DashMap::new(),
        }
    }

    /// A slot for one more connection of `account`, or `None` at the cap.
    pub fn enter_account(self: &Arc<Self>, account: &UserName) -> Option<CapSlot> {
        enter(&self.accounts, account.clone(), self.per_account)?;
        Some(CapSlot {
            caps: self.clone(),
            key: SlotKey::Account(account.clone()),
        })
    }

    /// A slot for one more connection from `address` (IPv6: its /64), or `None` at the cap.
    pub fn enter_address(self: &Arc<Self>, address: IpAddr) -> Option<CapSlot> {
        let address = super::ratelimit::throttle_key(address);
        enter(&self.addresses, address, self.per_address)?;
        Some(CapSlot {
            caps: self.clone(),
            key: SlotKey::Address(address),
        })
    }

    /// Open connections of `account` now.
    pub fn account_connections(&self, account: &UserName) -> usize {
        self.accounts.get(account).map_or(0, |count| *count)
    }
}

impl Drop for CapSlot {
    fn drop(&mut self) {
        match &self.key {
            SlotKey::Account(name) => leave(&self.caps.accounts, name),
            SlotKey::Address(address) => leave(&self.caps.addresses, address),
        }
    }
}

/// Counts one more under `key` if that stays within `cap` (check and count under one lock).
fn enter<K: Hash + Eq>(table: &DashMap<K, usize>, key: K, cap: usize) -> Option<()> {
    let mut count = table.entry(key).or_insert(0);
    if *count >= cap {
        return None;
    }
    *count += 1;
    Some(())
}

/// Counts one less under `key`, forgetting the key at zero (the tables hold only live counts).
fn leave<K: Hash + Eq>(table: &DashMap<K, usize>, key: &K) {
    if let Some(mut count) = table.get_mut(key) {
        *count = count.saturating_sub(1);
    }
    table.remove_if(key, |_, count| *count == 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_stop_at_the_cap_and_dropping_one_makes_room() {
        let caps = Arc::new(ConnectionCaps::new(2, 1));
        let alice = UserName::parse("alice").expect("name");
        let first = caps.enter_account(&alice).expect("first");
        let _second = caps.enter_account(&alice).expect("second");
        assert!(caps.enter_account(&alice).is_none());
        drop(first);
        assert!(caps.enter_account(&alice).is_some());
        let v6 = |text: &str| text.parse::<IpAddr>().expect("address");
        let held = caps.enter_address(v6("2001:db8::1")).expect("address slot");
        // Another address of the same /64 is the same address.
        assert!(caps.enter_address(v6("2001:db8::2")).is_none());
        assert!(caps.enter_address(v6("2001:db8:0:1::2")).is_some());
        drop(held);
        assert!(caps.addresses.get(&v6("2001:db8::")).is_none());
    }
}
