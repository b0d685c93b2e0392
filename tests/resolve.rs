//! The resolver on the committed labelled set: the set is what the seeded noise model gives, and the resolver meets
//! the accuracy goals on it (ward ≥ 98%). Throughput is measured in `benches/resolve.rs` and `diachi eval resolve`,
//! not here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diachi_geo::index::NationalIndex;
use diachi_resolve::Resolver;
use diachi_synth::eval::{Labelled, evaluate};

const SET: &str = include_str!("../testdata/addresses-noisy.jsonl");

#[test]
fn the_labelled_set_is_reproducible_and_resolved_to_the_goal() {
    // the dataset and seeds of testdata/README.md
    let data = diachi_synth::build_dataset(1_000_000, 2025, None).expect("the embedded geography loads");
    let ix = NationalIndex::build(data);
    let regenerated: Vec<String> = diachi_synth::noise::generate(&ix, 10_000, 1)
        .iter()
        .map(|l| serde_json::to_string(l).expect("serialises"))
        .collect();
    let committed: Vec<&str> = SET.lines().collect();
    assert_eq!(committed.len(), regenerated.len());
    for (i, (a, b)) in committed.iter().zip(&regenerated).enumerate() {
        assert_eq!(*a, b.as_str(), "line {i} differs: regenerate testdata/addresses-noisy.jsonl (see its README)");
    }

    let lines: Vec<Labelled> = committed.iter().map(|l| serde_json::from_str(l).expect("a labelled line")).collect();
    let resolver = Resolver::build(&ix);
    let report = evaluate(&resolver, &ix, &lines, 1, true);
    assert!(report.all.ward_accuracy >= 0.98, "ward accuracy {}: {:#?}", report.all.ward_accuracy, report.ward_errors);
    assert!(
        report.all.exact_accuracy >= 0.95,
        "exact accuracy {}: {:#?}",
        report.all.exact_accuracy,
        report.exact_errors
    );
    for (form, t) in &report.by_form {
        assert!(t.ward_accuracy >= 0.98, "{form}: {t:?}");
    }
}
