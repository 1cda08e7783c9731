//! One stable sort for every provider and for parsed JSON objects. `slice::sort_by` is compiled
//! anew for each element type (about 2 kB of wasm each); sorting indices through one comparator
//! compiles it once.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, keeping equal elements in their order (as `slice::sort_by` does).
pub fn sort_stable_by<T: Default>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = sorted_indices(v.len(), &mut |a, b| match (v.get(a), v.get(b)) {
        (Some(x), Some(y)) => cmp(x, y),
        _ => Ordering::Equal,
    });
    // A plain loop (each element type compiles this part anew, and adapters cost more): each
    // element taken out in sorted order, an empty default left behind.
    let mut sorted = Vec::with_capacity(order.len());
    for i in order {
        if let Some(x) = v.get_mut(i) {
            sorted.push(std::mem::take(x));
        }
    }
    *v = sorted;
}

/// `0..n` sorted stably by `cmp` over indices: the one instance of the standard sort.
#[inline(never)]
pub fn sorted_indices(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order = indices(n);
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// `0..n` as a vector: pushed, as `collect` compiles a from-iterator function of its own.
pub fn indices(n: usize) -> Vec<usize> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(i);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_as_the_standard_sort() {
        let mut v: Vec<(u8, usize)> = [3u8, 1, 3, 0, 1, 3, 2, 0]
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i))
            .collect();
        let mut expected = v.clone();
        expected.sort_by_key(|a| a.0);
        sort_stable_by(&mut v, |a, b| a.0.cmp(&b.0));
        assert_eq!(v, expected);
        let mut empty: Vec<u8> = Vec::new();
        sort_stable_by(&mut empty, |a, b| a.cmp(b));
        assert!(empty.is_empty());
    }
}
