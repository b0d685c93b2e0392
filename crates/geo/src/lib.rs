//! The national geography, the address set and the index over it.
//!
//! - [`bbox`]: bounding boxes as [`geo::Rect`], and their `[w, s, e, n]` array form;
//! - [`geography`]: the embedded real map (34 provinces, 3,321 wards with an edge R-tree each, the old→new unit
//!   mapping, postal zones generated or imported);
//! - [`dataset`]: the address set as compact columns and the post-office network, whatever produced them;
//! - [`index`]: addresses and post offices in k-d-ordered buckets (exact great-circle k-NN, radius, bbox), digital
//!   address cells, H3 counts, and the live overlay of changes.

pub mod bbox;
pub mod dataset;
pub mod geography;
pub mod index;
