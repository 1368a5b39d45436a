//! A map with a capacity that forgets its oldest entries to make room.

use std::collections::{HashMap, VecDeque};

/// At most `capacity` entries; inserting into a full map drops the oldest first. Old entries
/// can also be dropped by age from the front ([`expire`](Self::expire)): both cost O(1) per
/// entry dropped. Entries are never removed one by one, so `order` holds exactly the keys.
#[derive(Debug)]
pub(crate) struct BoundedMap<V> {
    capacity: usize,
    entries: HashMap<String, V>,
    /// Keys in insertion order, one per entry.
    order: VecDeque<String>,
}

impl<V> BoundedMap<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.entries.get_mut(key)
    }

    /// Inserts (or replaces) `key`, dropping the oldest entries while the map is full.
    pub(crate) fn insert(&mut self, key: String, value: V) {
        if self.entries.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
        }
        while self.entries.len() > self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
    }

    /// Drops entries from the oldest on while `expired` says so.
    pub(crate) fn expire(&mut self, expired: impl Fn(&V) -> bool) {
        while let Some(key) = self.order.front() {
            match self.entries.get(key) {
                Some(value) if !expired(value) => break,
                _ => {
                    if let Some(key) = self.order.pop_front() {
                        self.entries.remove(&key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_within_capacity() {
        let mut m = BoundedMap::new(3);
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
    }
}
