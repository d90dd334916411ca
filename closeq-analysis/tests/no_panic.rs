//! No parser panics on any input: random bytes, and every truncation of
//! every transcript fixture, go through every format; and every numeric
//! field of every format is fed long digit runs and extreme numbers. An
//! import that succeeds must give a valid transcript within 48 hours.
//!
//! Kept fast in the debug test build (CI): case counts are bounded and the
//! O(n²) truncation sweep runs over the transcript fixtures only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use closeq_analysis::transcript::{Format, ImportOptions, detect, import};
use proptest::prelude::*;

/// The largest time any importer accepts: 48 hours.
const MAX_MS: u64 = 48 * 3_600_000;

/// The transcript fixtures (not the agreement-statistics vectors, which
/// are no transcript and, at 20 KB, made the truncation sweep take minutes).
fn fixtures() -> &'static [Vec<u8>] {
    static FIXTURES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.ends_with("agreement_vectors.json"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    })
}

fn opts() -> ImportOptions {
    ImportOptions::default().with_rep_channel(0)
}

/// A successful import is a valid transcript within the 48-hour limit.
fn check(result: Result<closeq_core::Transcript, closeq_analysis::transcript::ImportError>) {
    if let Ok(t) = result {
        t.validate().unwrap();
        assert!(t.duration_ms <= MAX_MS, "duration {}", t.duration_ms);
    }
}

fn every_parser(bytes: &[u8]) {
    let opts = opts();
    let _ = detect(bytes);
    check(import(bytes, None, &opts));
    for f in Format::ALL {
        check(import(bytes, Some(f), &opts));
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

/// One document per format holding every numeric field its parser reads,
/// each written as `{N}` (a JSON number), `"{S}"` (a string the parser
/// reads as a number or time) or `{D}` (a run of digits in a text stamp).
/// With the default values below, every template imports.
const TEMPLATES: &[(Format, &str)] = &[
    (
        Format::WebVtt,
        "WEBVTT\n\n{D}:{D}:{D}.{D} --> {D}:{D}:{D}.{D}\n<v A>Hi there.\n\n{D}:{D}.{D} --> {D}:{D}.{D}\n<v B>Hello.\n",
    ),
    (
        Format::Srt,
        "{D}\n{D}:{D}:{D},{D} --> {D}:{D}:{D},{D}\nRep: Hi there.\n\n{D}\n{D}:{D}:{D},{D} --> {D}:{D}:{D},{D}\nClient: Hello.\n",
    ),
    (
        Format::Script,
        "[{D}:{D}:{D}] Rep: Hi there.\n[{D}:{D}:{D}] Client: Hello.\n",
    ),
    (
        Format::Script,
        "[{D}:{D}] Rep: Hi there.\n[{D}:{D}] Client: Hello.\n",
    ),
    (
        Format::CloseQ,
        r#"{"id":"018f0000-0000-7000-8000-000000000000","duration_ms":{N},"speakers":[{"id":{N},"label":"A","role":"rep","decided_by":{"method":"heuristic","rule":"r","confidence":{N}}},{"id":0,"label":"B","role":"client","decided_by":{"method":"channel_map","channel":{N}}}],"utterances":[{"id":{N},"speaker":{N},"start_ms":{N},"end_ms":{N},"text":"Hi","channel":{N},"words":[{"text":"Hi","start_ms":{N},"end_ms":{N},"confidence":{N}}]}]}"#,
    ),
    (
        Format::Deepgram,
        r#"{"metadata":{"duration":{N}},"results":{"channels":[{"alternatives":[{"words":[{"word":"hi","start":{N},"end":"{S}","confidence":{N},"speaker":{N}}]}]},{"alternatives":[{"words":[]}]}],"utterances":[{"start":{N},"end":{N},"channel":{N},"speaker":{N},"transcript":"hi"}]}}"#,
    ),
    (
        Format::Deepgram,
        r#"{"results":{"channels":[{"alternatives":[{"words":[]}]}],"utterances":[{"start":{N},"end":"{S}","channel":{N},"speaker":{N},"transcript":"hi"}]}}"#,
    ),
    (
        Format::AssemblyAi,
        r#"{"status":"completed","audio_duration":{N},"words":[{"text":"hi","start":{N},"end":"{S}","confidence":{N},"speaker":"A","channel":"{D}"}]}"#,
    ),
    (
        Format::AssemblyAi,
        r#"{"status":"completed","utterances":[{"text":"hi","start":{N},"end":{N},"speaker":"A","channel":"{D}","words":[{"text":"hi","start":{N},"end":{N},"confidence":{N},"channel":"{D}"}]}]}"#,
    ),
    (
        Format::AssemblyAi,
        r#"{"status":"completed","utterances":[{"text":"hi","start":{N},"end":"{S}","speaker":"A","channel":"{D}"}]}"#,
    ),
    (
        Format::OpenAi,
        r#"{"task":"transcribe","duration":{N},"segments":[{"start":{N},"end":{N},"text":"hi","speaker":"A"}],"words":[{"word":"hi","start":{N},"end":"{S}"}]}"#,
    ),
    (
        Format::AwsTranscribe,
        r#"{"results":{"items":[{"type":"pronunciation","start_time":"{S}","end_time":{N},"channel_label":"ch_{D}","alternatives":[{"content":"hi","confidence":"{S}"}]},{"type":"punctuation","alternatives":[{"content":"."}]}],"speaker_labels":{"segments":[{"speaker_label":"spk_0","items":[{"start_time":"{S}"}]}]}}}"#,
    ),
    (
        Format::AwsTranscribe,
        r#"{"results":{"channel_labels":{"channels":[{"channel_label":"ch_{D}","items":[{"type":"pronunciation","start_time":{N},"end_time":"{S}","alternatives":[{"content":"hi","confidence":{N}}]}]}]}}}"#,
    ),
    (
        Format::Speechmatics,
        r#"{"format":"2.9","job":{"duration":{N}},"results":[{"type":"word","start_time":{N},"end_time":"{S}","channel":"channel_{D}","alternatives":[{"content":"hi","confidence":{N},"speaker":"S1"}]}]}"#,
    ),
    (
        Format::RevAi,
        r#"{"monologues":[{"speaker":{N},"elements":[{"type":"text","value":"hi","ts":{N},"end_ts":"{S}","confidence":{N}}]}]}"#,
    ),
];

/// Ordinary values for each placeholder kind.
const NORMAL: [(&str, &str); 3] = [("{N}", "1"), ("{S}", "1.5"), ("{D}", "01")];

/// Numbers at and past every limit a parser might cast or multiply to.
fn extreme_numbers() -> Vec<String> {
    let mut v: Vec<String> = [
        "0",
        "-0",
        "-1",
        "0.5",
        "-0.4",
        "255",
        "256",
        "65536",
        "172800",
        "172800.001",
        "172800000",
        "172800001",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "9999999999999",
        "3.4028236e38",
        "1e39",
        "1e308",
        "-1e308",
        "1.7976931348623157e308",
        "1e-320",
        "-1e-320",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push("9".repeat(400));
    v.push(format!("-{}", "9".repeat(400)));
    v.push(format!("0.{}1", "0".repeat(400)));
    v
}

/// Strings a provider might send where a number or time is expected.
fn extreme_strings() -> Vec<String> {
    let mut v = extreme_numbers();
    for s in [
        "NaN",
        "-NaN",
        "inf",
        "-inf",
        "infinity",
        "1e400",
        "PT9999999999999H",
        "P99999999999999999999D",
        "PT1.5S",
        "9999999999999:00:00",
        "99999999999999999:00.000",
        "48:00:00.001",
        "00:00:01.500",
        "",
        " ",
    ] {
        v.push(s.to_owned());
    }
    v.push(format!("{}:00:00", "9".repeat(400)));
    v
}

/// Digit runs for text stamps.
fn extreme_digits() -> Vec<String> {
    let mut v: Vec<String> = [
        "0",
        "00",
        "59",
        "60",
        "99",
        "000",
        "999",
        "255",
        "256",
        "1000",
        "4294967296",
        "9999999999999",
        "18446744073709551615",
        "18446744073709551616",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push("9".repeat(400));
    v.push(format!("{}1", "0".repeat(400)));
    v
}

/// `template` with placeholder number `which` (counting all kinds, in
/// order) set to `value` and every other placeholder to its normal value;
/// `None` when the template has fewer placeholders.
fn fill(template: &str, which: usize, value: &str) -> Option<String> {
    let mut out = String::with_capacity(template.len() + value.len());
    let mut rest = template;
    let mut k = 0;
    let mut hit = false;
    loop {
        let next = NORMAL
            .iter()
            .filter_map(|(p, normal)| rest.find(p).map(|i| (i, *p, *normal)))
            .min_by_key(|x| x.0);
        let Some((i, p, normal)) = next else { break };
        out.push_str(&rest[..i]);
        if k == which {
            out.push_str(value);
            hit = true;
        } else {
            out.push_str(normal);
        }
        rest = &rest[i + p.len()..];
        k += 1;
    }
    out.push_str(rest);
    hit.then_some(out)
}

fn kind_of(template: &str, which: usize) -> &'static str {
    let mut rest = template;
    for _ in 0..which {
        let (i, p) = NORMAL
            .iter()
            .filter_map(|(p, _)| rest.find(p).map(|i| (i, *p)))
            .min_by_key(|x| x.0)
            .unwrap();
        rest = &rest[i + p.len()..];
    }
    NORMAL
        .iter()
        .filter_map(|(p, _)| rest.find(p).map(|i| (i, *p)))
        .min_by_key(|x| x.0)
        .map_or("", |x| x.1)
}

fn own_parser(format: Format, doc: &str) {
    check(import(doc.as_bytes(), Some(format), &opts()));
    let _ = detect(doc.as_bytes());
}

#[test]
fn every_template_imports_with_normal_values() {
    // Otherwise the sweep below would only exercise the error paths.
    for (format, template) in TEMPLATES {
        let mut doc = (*template).to_owned();
        for (p, normal) in NORMAL {
            doc = doc.replace(p, normal);
        }
        import(doc.as_bytes(), Some(*format), &opts())
            .unwrap_or_else(|e| panic!("{format} template does not import: {e}\n{doc}"));
    }
}

#[test]
fn every_numeric_field_of_every_format_takes_extreme_values() {
    let (numbers, strings, digits) = (extreme_numbers(), extreme_strings(), extreme_digits());
    let mut imports = 0;
    for (format, template) in TEMPLATES {
        for which in 0.. {
            let values = match kind_of(template, which) {
                "{N}" => &numbers,
                "{S}" => &strings,
                "{D}" => &digits,
                _ => break,
            };
            for v in values {
                let doc = fill(template, which, v).unwrap();
                own_parser(*format, &doc);
                imports += 1;
            }
        }
    }
    assert!(imports > 2_000, "{imports}");
}

fn any_extreme(kind: &'static str) -> impl Strategy<Value = String> {
    let fixed = match kind {
        "{N}" => extreme_numbers(),
        "{S}" => extreme_strings(),
        _ => extreme_digits(),
    };
    let long = match kind {
        "{D}" => "[0-9]{1,60}",
        _ => "-?[0-9]{1,60}(\\.[0-9]{1,30})?(e-?[0-9]{1,4})?",
    };
    prop_oneof![
        prop::sample::select(fixed),
        prop::string::string_regex(long).unwrap()
    ]
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
    fn mutated_fixtures(idx in any::<prop::sample::Index>(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let fx = fixtures();
        let mut f = idx.get(fx).clone();
        if !f.is_empty() {
            let i = pos.index(f.len());
            f[i] = byte;
        }
        every_parser(&f);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 500,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0048_0000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    /// Every placeholder of a template at once: extreme values and long
    /// digit runs in all fields together.
    #[test]
    fn all_numeric_fields_extreme_at_once(
        t in 0..TEMPLATES.len(),
        n in prop::collection::vec(any_extreme("{N}"), 16),
        s in prop::collection::vec(any_extreme("{S}"), 16),
        d in prop::collection::vec(any_extreme("{D}"), 24),
    ) {
        let (format, template) = TEMPLATES[t];
        let mut doc = String::new();
        let mut rest = template;
        let (mut ni, mut si, mut di) = (0, 0, 0);
        while let Some((i, p)) = NORMAL
            .iter()
            .filter_map(|(p, _)| rest.find(p).map(|i| (i, *p)))
            .min_by_key(|x| x.0)
        {
            doc.push_str(&rest[..i]);
            let v = match p {
                "{N}" => { ni += 1; &n[(ni - 1) % n.len()] }
                "{S}" => { si += 1; &s[(si - 1) % s.len()] }
                _ => { di += 1; &d[(di - 1) % d.len()] }
            };
            doc.push_str(v);
            rest = &rest[i + p.len()..];
        }
        doc.push_str(rest);
        own_parser(format, &doc);
    }
}
