//! A map with a capacity in entries and in bytes that forgets its oldest entries to make room.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// What a stored value costs beyond its key, in bytes (an estimate of its heap use).
pub(crate) trait Weight {
    /// Bytes held by the value.
    fn weight(&self) -> usize;
}

/// Bookkeeping bytes counted for every entry besides its key and value: the map slot, the
/// order queue slot and the shared key's counts.
const ENTRY_OVERHEAD: usize = 64;

/// At most `capacity` entries and `max_bytes` bytes (keys, values and a fixed overhead per
/// entry); inserting into a full map drops the oldest first. Old entries can also be dropped
/// by age from the front ([`expire`](Self::expire)): both cost O(1) per entry dropped.
/// Entries are never removed one by one, so `order` holds exactly the keys. A key is stored
/// once, shared by the map and the order queue.
#[derive(Debug)]
pub(crate) struct BoundedMap<V> {
    capacity: usize,
    max_bytes: usize,
    bytes: usize,
    entries: HashMap<Arc<str>, (V, usize)>,
    /// Keys in insertion order, one per entry.
    order: VecDeque<Arc<str>>,
}

impl<V: Weight> BoundedMap<V> {
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            max_bytes,
            bytes: 0,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes held, as counted against the byte capacity.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key).map(|(v, _)| v)
    }

    /// The value of `key`, to change in place; its weight is counted again afterwards by
    /// [`reweigh`](Self::reweigh) if it may have grown.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.entries.get_mut(key).map(|(v, _)| v)
    }

    /// Counts `key`'s weight again after an in-place change, dropping the oldest entries if
    /// the map is now over its byte capacity.
    pub(crate) fn reweigh(&mut self, key: &str) {
        if let Some((value, cost)) = self.entries.get_mut(key) {
            let new_cost = ENTRY_OVERHEAD + key.len() + value.weight();
            self.bytes = self.bytes - *cost + new_cost;
            *cost = new_cost;
        }
        self.shrink();
    }

    /// Inserts (or replaces) `key`, dropping the oldest entries while the map is over either
    /// capacity. An entry larger than the whole byte capacity is not kept: `false`.
    pub(crate) fn insert(&mut self, key: String, value: V) -> bool {
        let cost = ENTRY_OVERHEAD + key.len() + value.weight();
        if cost > self.max_bytes {
            return false;
        }
        let key: Arc<str> = Arc::from(key);
        match self.entries.insert(key.clone(), (value, cost)) {
            Some((_, old)) => self.bytes -= old,
            None => self.order.push_back(key),
        }
        self.bytes += cost;
        self.shrink();
        true
    }

    /// Drops the oldest entries while over either capacity.
    fn shrink(&mut self) {
        while self.entries.len() > self.capacity || self.bytes > self.max_bytes {
            match self.order.pop_front() {
                Some(oldest) => self.drop_entry(&oldest),
                None => break,
            }
        }
    }

    fn drop_entry(&mut self, key: &str) {
        if let Some((_, cost)) = self.entries.remove(key) {
            self.bytes -= cost;
        }
    }

    /// Drops entries from the oldest on while `expired` says so.
    pub(crate) fn expire(&mut self, expired: impl Fn(&V) -> bool) {
        while let Some(key) = self.order.front() {
            match self.entries.get(key) {
                Some((value, _)) if !expired(value) => break,
                _ => {
                    if let Some(key) = self.order.pop_front() {
                        self.drop_entry(&key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    impl Weight for i32 {
        fn weight(&self) -> usize {
            4
        }
    }

    impl Weight for String {
        fn weight(&self) -> usize {
            self.len()
        }
    }

    #[test]
    fn keeps_the_newest_within_capacity() {
        let mut m = BoundedMap::new(3, usize::MAX);
        for i in 0..10 {
            m.insert(format!("k{i}"), i);
        }
        assert_eq!(m.len(), 3);
        assert!(m.get("k6").is_none() && m.get("k7").is_some() && m.get("k9").is_some());
        m.insert("k8".into(), 80); // a replacement does not evict
        assert_eq!((m.len(), m.get("k7")), (3, Some(&7)));
        // Expiry walks from the oldest and stops at the first live entry.
        m.expire(|v| *v < 9);
        assert_eq!(m.len(), 2);
        assert_eq!((m.get("k7"), m.get("k8")), (None, Some(&80)));
        assert_eq!(m.order.len(), m.len());
        assert_eq!(m.bytes(), 2 * (ENTRY_OVERHEAD + 2 + 4));
    }

    #[test]
    fn bytes_are_bounded_as_well_as_entries() {
        // Room for ten entries of a 1 KiB key and a 1 KiB value, whatever the entry cap.
        let entry = ENTRY_OVERHEAD + 2 * 1024;
        let mut m = BoundedMap::new(10_000, 10 * entry);
        for i in 0..100 {
            let key = format!("{i:0>1024}");
            assert!(m.insert(key, "v".repeat(1024)));
            assert!(m.bytes() <= 10 * entry);
        }
        assert_eq!(m.len(), 10);
        assert_eq!(m.bytes(), 10 * entry);
        // One entry larger than the whole budget is refused and evicts nothing.
        assert!(!m.insert("big".into(), "x".repeat(20 * entry)));
        assert_eq!(m.len(), 10);
        // A value that grows in place is counted again.
        let newest = format!("{:0>1024}", 99);
        m.get_mut(&newest).unwrap().push_str(&"y".repeat(3 * entry));
        m.reweigh(&newest);
        assert!(m.bytes() <= 10 * entry, "{}", m.bytes());
        assert!(m.get(&newest).is_some());
        assert_eq!(m.order.len(), m.len());
    }
}
