//! No parser panics on any input: random bytes, and every truncation of
//! every fixture, go through every format.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_analysis::transcript::{Format, ImportOptions, detect, import};
use proptest::prelude::*;

fn fixtures() -> Vec<Vec<u8>> {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        out.push(std::fs::read(e.unwrap().path()).unwrap());
    }
    out
}

fn every_parser(bytes: &[u8]) {
    let opts = ImportOptions::default().with_rep_channel(0);
    let _ = detect(bytes);
    let _ = import(bytes, None, &opts);
    for f in Format::ALL {
        let _ = import(bytes, Some(f), &opts);
    }
}

#[test]
fn every_truncation_of_every_fixture() {
    for f in fixtures() {
        for cut in 0..f.len() {
            every_parser(&f[..cut]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x00c1_05e0),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        every_parser(&bytes);
    }

    #[test]
    fn random_text_with_format_markers(s in "(WEBVTT\n|1\n|\\{|\\[00:0|-->|<v |: |\n|[a-z ]|[0-9:.,]|\"|\\]|\\})*") {
        every_parser(s.as_bytes());
    }

    #[test]
    fn mutated_fixtures(idx in 0usize..13, pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let fx = fixtures();
        let mut f = fx[idx % fx.len()].clone();
        if !f.is_empty() {
            let i = pos.index(f.len());
            f[i] = byte;
        }
        every_parser(&f);
    }
}
