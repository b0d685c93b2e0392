//! Fuzzing the address resolver: any bytes (as text) with any coordinates must give an answer, never a panic, and the
//! answer must hold together. Run by `scripts/fuzz.sh` (CI runs it for a bounded time).
#![no_main]

use diachi_domain::LonLat;
use diachi_geo::index::NationalIndex;
use diachi_resolve::{Granularity, Resolver};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn fixture() -> &'static (NationalIndex, Resolver) {
    static F: OnceLock<(NationalIndex, Resolver)> = OnceLock::new();
    F.get_or_init(|| {
        let data = diachi_synth::build_dataset(5_000, 7, None).expect("the embedded geography loads");
        let ix = NationalIndex::build(data);
        let r = Resolver::build(&ix);
        (ix, r)
    })
}

fuzz_target!(|data: &[u8]| {
    let (ix, r) = fixture();
    let (hint, text) = match data.split_first_chunk::<8>() {
        Some((h, rest)) if h[0] & 1 == 1 => {
            let lon = 100.0 + f64::from(u32::from_le_bytes([h[0], h[1], h[2], h[3]])) / f64::from(u32::MAX) * 20.0;
            let lat = 4.0 + f64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]])) / f64::from(u32::MAX) * 20.0;
            (LonLat::new(lon, lat).ok(), rest)
        }
        _ => (None, data),
    };
    let text = String::from_utf8_lossy(text);
    let res = r.resolve(ix, &text, hint);
    // the answer holds together
    let json = serde_json::to_string(&res).expect("the answer serialises");
    assert!(!json.is_empty());
    if let Some(a) = &res.address {
        assert!(!a.province.code.is_empty());
        if let Some(id) = a.address_id {
            assert!(ix.view(id).is_some(), "an answered address exists");
            assert!(a.digital_address.is_some());
        }
    } else {
        assert_eq!(res.verdict.validation_granularity, Granularity::Other);
    }
    assert!(res.verdict.validation_granularity <= Granularity::SubPremise);
    assert!(res.candidates.len() <= 5);
});
