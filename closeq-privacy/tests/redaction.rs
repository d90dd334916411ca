//! Redaction measured on a labelled set of sentences: precision and recall
//! per kind and overall, printed and checked against floors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use closeq_privacy::redaction::{Kind, Redactor};

fn kind(s: &str) -> Kind {
    match s {
        "EMAIL" => Kind::Email,
        "PHONE" => Kind::Phone,
        "CARD" => Kind::Card,
        "IBAN" => Kind::Iban,
        "NAME" => Kind::Name,
        other => panic!("unknown label {other}"),
    }
}

#[test]
fn precision_and_recall_on_the_labelled_set() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/redaction_labelled.tsv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let r = Redactor::new([7; 32], &["Pat Buyer", "Dana Rep", "Jordan Miller"]);
    let mut tp: BTreeMap<Kind, u32> = BTreeMap::new();
    let mut fp: BTreeMap<Kind, u32> = BTreeMap::new();
    let mut fneg: BTreeMap<Kind, u32> = BTreeMap::new();
    let mut sentences = 0;
    let mut misses = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        sentences += 1;
        let (sentence, labels) = line.split_once('\t').unwrap_or((line, ""));
        let mut expected: Vec<(Kind, String)> = labels
            .split(" || ")
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap();
                (kind(k.trim()), v.to_owned())
            })
            .collect();
        for f in r.find(sentence) {
            let got = sentence[f.start..f.end].to_owned();
            if let Some(i) = expected.iter().position(|(k, v)| *k == f.kind && *v == got) {
                expected.remove(i);
                *tp.entry(f.kind).or_default() += 1;
            } else {
                *fp.entry(f.kind).or_default() += 1;
                misses.push(format!(
                    "false positive {:?} `{got}` in: {sentence}",
                    f.kind
                ));
            }
        }
        for (k, v) in expected {
            *fneg.entry(k).or_default() += 1;
            misses.push(format!("missed {k:?} `{v}` in: {sentence}"));
        }
    }
    assert!(
        sentences >= 100,
        "the set must have at least 100 sentences ({sentences})"
    );
    let (mut t, mut p, mut n) = (0, 0, 0);
    for k in [Kind::Email, Kind::Phone, Kind::Card, Kind::Iban, Kind::Name] {
        let (a, b, c) = (
            tp.get(&k).copied().unwrap_or(0),
            fp.get(&k).copied().unwrap_or(0),
            fneg.get(&k).copied().unwrap_or(0),
        );
        println!(
            "{k:?}: precision {:.3} recall {:.3} (tp {a}, fp {b}, fn {c})",
            f64::from(a) / f64::from((a + b).max(1)),
            f64::from(a) / f64::from((a + c).max(1))
        );
        t += a;
        p += b;
        n += c;
    }
    let precision = f64::from(t) / f64::from(t + p);
    let recall = f64::from(t) / f64::from(t + n);
    println!("overall on {sentences} sentences: precision {precision:.3}, recall {recall:.3}");
    for m in &misses {
        println!("  {m}");
    }
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "precision {precision:.3} recall {recall:.3}"
    );
}

#[test]
fn redacted_text_keeps_no_identifier() {
    let r = Redactor::new([7; 32], &["Pat Buyer"]);
    let out = r.redact("Pat Buyer (pat@acme.com, +44 20 7946 0958, card 4111 1111 1111 1111) said five five five zero one nine nine nine.");
    for secret in ["Pat", "pat@", "7946", "4111", "five five"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    assert!(
        out.contains("[NAME_")
            && out.contains("[EMAIL_")
            && out.contains("[PHONE_")
            && out.contains("[CARD_"),
        "{out}"
    );
    // Same value, same pseudonym; no panic on odd input.
    assert_eq!(
        r.redact("pat@acme.com"),
        r.redact("PAT@ACME.COM")
            .to_lowercase()
            .replace("email", "EMAIL")
    );
    let _ = r.redact("@@@ +++ ((( 0 0 0 double triple é@é.é");
}
