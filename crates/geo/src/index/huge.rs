//! Read-only arrays in anonymous memory advised to use transparent huge pages.
//!
//! The national index's columns are hundreds of megabytes read at random: with 4 KiB pages nearly every lookup
//! misses the TLB several times. On Linux with THP in `madvise` mode (the common default) 2 MiB pages remove most
//! of those misses. Where the advice is not supported the memory is still correct, just in small pages.

use bytemuck::Pod;
use memmap2::{Advice, MmapMut};
use std::marker::PhantomData;

/// A fixed-length array of `T` in its own mapping (or a `Vec` when the mapping cannot be made).
pub struct HugeSlice<T: Pod> {
    map: Option<MmapMut>,
    vec: Vec<T>,
    len: usize,
    _t: PhantomData<T>,
}

impl<T: Pod> HugeSlice<T> {
    /// Copies `items` into huge-page-advised memory.
    #[must_use]
    pub fn from_slice(items: &[T]) -> Self {
        let bytes = std::mem::size_of_val(items);
        if bytes >= 1 << 21
            && let Ok(mut map) = MmapMut::map_anon(bytes)
        {
            // advice only: small pages are used when it is refused
            let _ = map.advise(Advice::HugePage);
            map.copy_from_slice(bytemuck::cast_slice(items));
            return Self { map: Some(map), vec: Vec::new(), len: items.len(), _t: PhantomData };
        }
        Self { map: None, vec: items.to_vec(), len: items.len(), _t: PhantomData }
    }

    /// Bytes held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.len * std::mem::size_of::<T>()
    }
}

impl<T: Pod> std::ops::Deref for HugeSlice<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.map {
            Some(m) => bytemuck::cast_slice(&m[..self.len * std::mem::size_of::<T>()]),
            None => &self.vec,
        }
    }
}

impl<T: Pod> std::fmt::Debug for HugeSlice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HugeSlice").field("len", &self.len).field("mapped", &self.map.is_some()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_what_it_was_given() {
        for n in [0usize, 1, 5, 300_000] {
            let v: Vec<[i32; 2]> = (0..n as i32).map(|i| [i, -i]).collect();
            let h = HugeSlice::from_slice(&v);
            assert_eq!(&*h, &v[..]);
            assert_eq!(h.bytes(), n * 8);
        }
    }
}
