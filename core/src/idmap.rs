//! A map from counter-issued ids (the queue's waiters, the wasm host's timers and exchanges,
//! its watched signals) to values: one sorted deque instead of `std::collections::HashMap`,
//! whose hashbrown tables, SipHash and random-keys setup were about 4 kB of the gzipped wasm.
//!
//! Ids come from counters, so an insert is almost always the largest id yet: a push at the back.
//! A lookup is a binary search. A removed entry leaves a hole; holes at the back go at once, the
//! rest once they outnumber the live entries, so memory stays proportional to what is live and
//! each operation costs O(log n) amortised, whatever order entries leave in. (A `Vec`, not a
//! `VecDeque`: its code is smaller, and a sweep of the holes is as cheap as popping them.)

pub struct IdMap<K, V> {
    /// By increasing id; `None` is a hole left by a removal.
    items: Vec<(K, Option<V>)>,
    live: usize,
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        IdMap {
            items: Vec::new(),
            live: 0,
        }
    }
}

impl<K: Copy + Ord, V> IdMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn position(&self, id: K) -> Result<usize, usize> {
        self.items.binary_search_by(|(k, _)| k.cmp(&id))
    }

    pub fn get(&self, id: &K) -> Option<&V> {
        let i = self.position(*id).ok()?;
        self.items.get(i)?.1.as_ref()
    }

    pub fn get_mut(&mut self, id: &K) -> Option<&mut V> {
        let i = self.position(*id).ok()?;
        self.items.get_mut(i)?.1.as_mut()
    }

    pub fn contains_key(&self, id: &K) -> bool {
        self.get(id).is_some()
    }

    /// The previous value of `id`, if it had one.
    pub fn insert(&mut self, id: K, value: V) -> Option<V> {
        let newest = self.items.last().is_none_or(|(k, _)| *k < id);
        let old = if newest {
            self.items.push((id, Some(value)));
            None
        } else {
            // An id out of order (a wrapped counter): in its place.
            match self.position(id) {
                Ok(i) => self.items.get_mut(i).and_then(|(_, v)| v.replace(value)),
                Err(i) => {
                    self.items.insert(i, (id, Some(value)));
                    None
                }
            }
        };
        if old.is_none() {
            self.live += 1;
        }
        old
    }

    pub fn remove(&mut self, id: &K) -> Option<V> {
        let i = self.position(*id).ok()?;
        let old = self.items.get_mut(i)?.1.take()?;
        self.live -= 1;
        while self.items.last().is_some_and(|(_, v)| v.is_none()) {
            self.items.pop();
        }
        if self.items.len() > 2 * self.live + 16 {
            self.items.retain(|(_, v)| v.is_some());
        }
        Some(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Random inserts (mostly of new, increasing ids, sometimes of old or wrapped ones) and
    /// removals, checked against `HashMap` after every step, with memory kept bounded.
    #[test]
    fn behaves_as_a_hash_map() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut map: IdMap<u32, u64> = IdMap::new();
        let mut model: HashMap<u32, u64> = HashMap::new();
        let mut next: u32 = u32::MAX - 500;
        for step in 0..20_000u64 {
            let id = match rand(10) {
                0..=4 => {
                    next = next.wrapping_add(1);
                    next
                }
                5..=8 => next.wrapping_sub(rand(300) as u32),
                _ => rand(50) as u32,
            };
            if rand(2) == 0 {
                assert_eq!(map.insert(id, step), model.insert(id, step), "insert {id}");
            } else {
                assert_eq!(map.remove(&id), model.remove(&id), "remove {id}");
            }
            assert_eq!(map.len(), model.len());
            assert!(map.items.len() <= 2 * map.live + 17, "holes are bounded");
            let probe = next.wrapping_sub(rand(400) as u32);
            assert_eq!(map.get(&probe), model.get(&probe));
            assert_eq!(map.contains_key(&probe), model.contains_key(&probe));
        }
        for (id, v) in &model {
            assert_eq!(map.get(id), Some(v));
        }
    }

    #[test]
    fn first_in_first_out_keeps_few_holes() {
        let mut map: IdMap<u64, u64> = IdMap::new();
        for id in 0..1000 {
            map.insert(id, id * 2);
            if id >= 10 {
                assert_eq!(map.remove(&(id - 10)), Some((id - 10) * 2));
            }
        }
        assert_eq!(map.len(), 10);
        assert!(map.items.len() <= 2 * 10 + 16);
        if let Some(v) = map.get_mut(&995) {
            *v = 7;
        }
        assert_eq!(map.get(&995), Some(&7));
        assert_eq!(map.remove(&995), Some(7));
        assert_eq!(map.remove(&995), None);
        assert!(!map.is_empty());
    }
}
