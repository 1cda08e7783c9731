//! A JSON object: entries in a vector sorted by key. Smaller in the wasm than a `BTreeMap`
//! instantiation (one binary search and one vector, no node code), and as fast for the small
//! objects JSON bodies hold; the reader sorts a parsed object once ([`Map::from_unsorted`]),
//! so a hostile body with many keys costs `n log n`, not `n^2`.

use crate::providers::shared::order::sorted_indices;
use std::borrow::Borrow;

#[derive(Clone, Debug, PartialEq)]
pub struct Map<K = String, V = super::Value> {
    items: Vec<(K, V)>,
}

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Map { items: Vec::new() }
    }
}

// Keys are strings (`Borrow<str>`): the lookups of `insert` and `entry` then share `find::<str>`
// with `get` and `remove`, one binary search in the wasm instead of two.
impl<K: Ord + Borrow<str>, V> Map<K, V> {
    pub fn new() -> Self {
        Map::default()
    }

    /// Entries in any order, a repeated key keeping its last value (as a parsed object does).
    pub fn from_unsorted(mut items: Vec<(K, V)>) -> Self
    where
        K: Default,
        V: Default,
    {
        // Stable: equal keys stay in their written order, and the last of each run wins. The
        // one shared sort over indices, not `sort_by` compiled for these entries.
        let order = sorted_indices(
            items.len(),
            &mut |a, b| match (items.get(a), items.get(b)) {
                (Some(x), Some(y)) => x.0.cmp(&y.0),
                _ => std::cmp::Ordering::Equal,
            },
        );
        let mut out: Vec<(K, V)> = Vec::with_capacity(items.len());
        for i in order {
            let Some(slot) = items.get_mut(i) else {
                continue;
            };
            let (k, v) = std::mem::take(slot);
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        Map { items: out }
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.items
            .binary_search_by(|(k, _)| <K as Borrow<Q>>::borrow(k).cmp(key))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.items.get(i).map(|(_, v)| v)
    }
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.items.get_mut(i).map(|(_, v)| v)
    }
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }
    /// The previous value of `key`, if it had one.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find::<str>(key.borrow()) {
            Ok(i) => self
                .items
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.items.insert(i, (key, value));
                None
            }
        }
    }
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        Some(self.items.remove(i).1)
    }
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.items.retain_mut(|(k, v)| keep(k, v));
    }
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        Entry { map: self, key }
    }
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter(self.items.iter())
    }
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.items.iter_mut().map(|(k, v)| (&*k, v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.items.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.items.iter_mut().map(|(_, v)| v)
    }
}

/// A place for one key: [`Map::entry`].
pub struct Entry<'m, K, V> {
    map: &'m mut Map<K, V>,
    key: K,
}

impl<'m, K: Ord + Borrow<str>, V> Entry<'m, K, V> {
    // `i` is in range: the key was found there, or was just inserted there
    #[allow(clippy::indexing_slicing)]
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'m mut V {
        let i = match self.map.find::<str>(self.key.borrow()) {
            Ok(i) => i,
            Err(i) => {
                self.map.items.insert(i, (self.key, make()));
                i
            }
        };
        &mut self.map.items[i].1
    }
    pub fn or_insert(self, value: V) -> &'m mut V {
        self.or_insert_with(|| value)
    }
}

impl<'m, K: Ord + Borrow<str>, V: Default> Entry<'m, K, V> {
    pub fn or_default(self) -> &'m mut V {
        self.or_insert_with(V::default)
    }
}

pub struct Iter<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

impl<'a, K: Ord + Borrow<str>, V> IntoIterator for &'a Map<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<K, V> IntoIterator for Map<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<K: Ord + Borrow<str> + Default, V: Default> FromIterator<(K, V)> for Map<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Map::from_unsorted(iter.into_iter().collect())
    }
}

impl<K: Ord + Borrow<str>, V> Extend<(K, V)> for Map<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}
