//! Core hot paths: the access check every store call makes, and transcript
//! validation run on every import.
#![allow(missing_docs, clippy::unwrap_used)]

use closeq_core::{
    Action, Relation, Role, RoleDecision, Speaker, SpeakerId, SpeakerRole, Transcript, Utterance,
    UtteranceId, access,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn transcript(turns: u32) -> Transcript {
    let mut t = Transcript::empty(u64::from(turns) * 5_000);
    for i in 0..2 {
        t.speakers.push(Speaker {
            id: SpeakerId(i),
            label: format!("spk_{i}").into(),
            role: if i == 0 {
                SpeakerRole::Rep
            } else {
                SpeakerRole::Client
            },
            decided_by: RoleDecision::Provided,
            name: None,
        });
    }
    for i in 0..turns {
        t.utterances.push(Utterance {
            id: UtteranceId(i),
            speaker: SpeakerId(i % 2),
            start_ms: u64::from(i) * 5_000,
            end_ms: u64::from(i) * 5_000 + 4_500,
            text: "so what does your current process look like today".into(),
            words: vec![],
            channel: None,
        });
    }
    t
}

fn bench(c: &mut Criterion) {
    c.bench_function("access/permits_full_matrix", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for role in Role::ALL {
                for action in Action::ALL {
                    for rel in Relation::ALL {
                        n += u32::from(access::permits(black_box(role), action, rel));
                    }
                }
            }
            n
        })
    });
    let t = transcript(700);
    c.bench_function("transcript/validate_700_turns", |b| {
        b.iter(|| black_box(&t).validate().unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
