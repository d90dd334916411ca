//! Every transcript format, and every normalization trap, with a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_analysis::transcript::{Format, ImportError, ImportOptions, Location, detect, import};
use closeq_core::{RoleDecision, SpeakerRole, Transcript};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn texts(t: &Transcript) -> Vec<(String, String, u64, u64)> {
    t.utterances
        .iter()
        .map(|u| {
            let s = t.speaker(u.speaker).unwrap();
            (
                s.label.to_string(),
                u.text.to_string(),
                u.start_ms,
                u.end_ms,
            )
        })
        .collect()
}

fn ok(name: &str, format: Format, opts: &ImportOptions) -> Transcript {
    let bytes = fixture(name);
    assert_eq!(detect(&bytes).unwrap(), format, "detect {name}");
    let t = import(&bytes, None, opts).unwrap();
    t.validate().unwrap();
    t
}

#[test]
fn deepgram_diarized_words_make_turns() {
    let t = ok(
        "deepgram.json",
        Format::Deepgram,
        &ImportOptions::default().with_rep_speaker("0"),
    );
    assert_eq!(
        texts(&t),
        vec![
            (
                "0".into(),
                "Hi Sam. What is your budget for this project?".into(),
                80,
                2600
            ),
            ("1".into(), "About fifty thousand.".into(), 3200, 4500),
        ]
    );
    assert_eq!(t.duration_ms, 12_500);
    assert_eq!(t.speakers[0].role, SpeakerRole::Rep);
    assert_eq!(
        t.speakers[0].decided_by,
        RoleDecision::KnownRep {
            matched_on: "label".into()
        }
    );
    assert_eq!(t.speakers[1].role, SpeakerRole::Client);
    let p = t.provider.as_ref().unwrap();
    assert_eq!(p.model.as_deref(), Some("2-general-nova"));
    assert_eq!(t.utterances[0].words.len(), 9);
}

#[test]
fn deepgram_multichannel_maps_channels_to_roles() {
    let t = ok(
        "deepgram_multichannel.json",
        Format::Deepgram,
        &ImportOptions::default().with_rep_channel(0),
    );
    assert_eq!(t.utterances.len(), 2);
    assert_eq!(t.utterances[0].channel, Some(0));
    assert_eq!(t.utterances[1].channel, Some(1));
    assert_eq!(t.role_of(t.utterances[0].speaker), SpeakerRole::Rep);
    assert_eq!(t.role_of(t.utterances[1].speaker), SpeakerRole::Client);
    assert_eq!(
        t.speakers[1].decided_by,
        RoleDecision::ChannelMap { channel: 1 }
    );
    assert_eq!(t.language.as_ref().unwrap().tag, "en");
}

#[test]
fn assemblyai_letters_and_milliseconds() {
    let t = ok(
        "assemblyai.json",
        Format::AssemblyAi,
        &ImportOptions::default(),
    );
    assert_eq!(t.utterances.len(), 3);
    assert_eq!(t.utterances[0].start_ms, 240);
    assert_eq!(
        t.utterances[2].text.as_str(),
        "What prompted you to look at us?"
    );
    assert_eq!(t.duration_ms, 8000);
    let lang = t.language.as_ref().unwrap();
    assert_eq!(
        (lang.tag.as_str(), lang.raw.as_deref()),
        ("en-US", Some("en_us"))
    );
    // No rep given: the heuristic decides, with its rule and confidence.
    let a = &t.speakers[0];
    assert_eq!(a.role, SpeakerRole::Rep);
    match &a.decided_by {
        RoleDecision::Heuristic { rule, confidence } => {
            assert_eq!(rule, "rep-signals");
            assert!(*confidence > 0.5 && *confidence <= 0.95);
        }
        other => panic!("{other:?}"),
    }
    assert!(t.warnings.iter().any(|w| w.code == "roles_guessed"));
}

#[test]
fn words_whose_speaker_differs_from_their_utterance_win() {
    let t = ok(
        "assemblyai_word_speaker_differs.json",
        Format::AssemblyAi,
        &ImportOptions::default(),
    );
    assert_eq!(
        texts(&t),
        vec![
            ("A".into(), "So what is the timeline?".into(), 0, 1000),
            ("B".into(), "Q3, right.".into(), 1800, 3000),
        ]
    );
}

#[test]
fn openai_verbose_json_language_name_and_leading_spaces() {
    let t = ok(
        "openai_verbose.json",
        Format::OpenAi,
        &ImportOptions::default(),
    );
    let lang = t.language.as_ref().unwrap();
    assert_eq!(
        (lang.tag.as_str(), lang.raw.as_deref()),
        ("en", Some("english"))
    );
    // One speaker, two segments 300 ms apart: one turn, no leading space.
    assert_eq!(t.utterances.len(), 1);
    assert_eq!(
        t.utterances[0].text.as_str(),
        "Hello, this is Dana from Acme. Do you have a minute?"
    );
    assert_eq!(t.utterances[0].words.len(), 11);
    assert_eq!(t.speakers.len(), 1);
    assert_eq!(t.speakers[0].role, SpeakerRole::Unknown);
    assert!(t.warnings.iter().any(|w| w.code == "roles_undecided"));
}

#[test]
fn openai_diarized_json() {
    let t = ok(
        "openai_diarized.json",
        Format::OpenAi,
        &ImportOptions::default().with_rep_speaker("A"),
    );
    assert_eq!(t.utterances.len(), 2);
    assert_eq!(t.role_of(t.utterances[0].speaker), SpeakerRole::Rep);
    assert_eq!(t.utterances[1].end_ms, 7800);
    assert_eq!(t.duration_ms, 9000);
}

#[test]
fn aws_string_times_punctuation_and_speaker_segments() {
    let t = ok(
        "aws.json",
        Format::AwsTranscribe,
        &ImportOptions::default().with_rep_speaker("spk_0"),
    );
    assert_eq!(
        texts(&t),
        vec![
            ("spk_0".into(), "Hi, is now a good time?".into(), 40, 1900),
            ("spk_1".into(), "Yes, go ahead.".into(), 2400, 3600),
        ]
    );
    assert_eq!(t.utterances[0].words[0].confidence, Some(0.99));
    assert_eq!(t.language.as_ref().unwrap().tag, "en-US");
}

#[test]
fn speechmatics_s_labels_unknown_speaker_and_attached_punctuation() {
    let t = ok(
        "speechmatics.json",
        Format::Speechmatics,
        &ImportOptions::default().with_rep_speaker("S1"),
    );
    assert_eq!(
        texts(&t),
        vec![
            ("S1".into(), "What matters most?".into(), 100, 1300),
            ("S2".into(), "Speed.".into(), 2000, 2500),
            ("UU".into(), "hmm".into(), 3000, 3300),
        ]
    );
    assert_eq!(t.speakers[2].role, SpeakerRole::Unknown);
    assert_eq!(t.speakers[1].role, SpeakerRole::Client);
    assert_eq!(t.duration_ms, 6000);
}

#[test]
fn revai_monologues() {
    let t = ok(
        "revai.json",
        Format::RevAi,
        &ImportOptions::default().with_rep_speaker("0"),
    );
    assert_eq!(
        texts(&t),
        vec![
            ("0".into(), "Who else decides?".into(), 500, 1700),
            ("1".into(), "Our CFO.".into(), 2200, 3100),
        ]
    );
}

#[test]
fn webvtt_voices_notes_styles_settings_and_multiline_cues() {
    let t = ok(
        "call.vtt",
        Format::WebVtt,
        &ImportOptions::default().with_rep_speaker("Dana Rep"),
    );
    assert_eq!(
        texts(&t),
        vec![
            (
                "Dana Rep".into(),
                "Hi Pat, thanks for joining. What would make today useful?".into(),
                0,
                3000
            ),
            (
                "Pat Buyer".into(),
                "Mostly pricing & timelines.".into(),
                3500,
                6000
            ),
            (
                "Dana Rep".into(),
                "Great — let's start.".into(),
                66_000,
                68_000
            ),
        ]
    );
    // Voice names are names, matched by the rep rule.
    assert_eq!(
        t.speakers[0].name.as_deref().map(String::as_str),
        Some("Dana Rep")
    );
    assert_eq!(t.speakers[0].role, SpeakerRole::Rep);
}

#[test]
fn srt_with_speaker_prefixes() {
    let t = ok(
        "call.srt",
        Format::Srt,
        &ImportOptions::default().with_rep_speaker("Rep"),
    );
    assert_eq!(
        texts(&t),
        vec![
            (
                "Rep".into(),
                "How are you handling onboarding today?".into(),
                0,
                2500
            ),
            (
                "Client".into(),
                "Manually, with a checklist. It takes a week.".into(),
                3000,
                6000
            ),
            ("Rep".into(), "Got it.".into(), 6200, 7000),
        ]
    );
}

#[test]
fn scripts_with_and_without_timestamps() {
    let t = ok(
        "call_stamped.txt",
        Format::Script,
        &ImportOptions::default().with_rep_speaker("rep"),
    );
    assert_eq!(t.utterances[1].start_ms, 3000);
    assert_eq!(t.utterances[1].end_ms, 5000, "5 words at 400 ms");
    assert_eq!(
        t.utterances[0].end_ms, 3000,
        "11 words would end at 4.4 s: clipped at the next stamp"
    );
    let t = ok(
        "call_plain.txt",
        Format::Script,
        &ImportOptions::default().with_rep_speaker("Rep"),
    );
    assert_eq!(t.utterances.len(), 3);
    assert_eq!(
        t.utterances[1].text.as_str(),
        "Grow the team by half. It is ambitious."
    );
    assert!(t.warnings.iter().any(|w| w.code == "timings_estimated"));
}

#[test]
fn closeq_json_round_trips() {
    let t = ok(
        "deepgram.json",
        Format::Deepgram,
        &ImportOptions::default().with_rep_speaker("0"),
    );
    let json = serde_json::to_vec(&t).unwrap();
    assert_eq!(detect(&json).unwrap(), Format::CloseQ);
    let back = import(&json, None, &ImportOptions::default()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn turn_building_respects_the_maximum_gap() {
    // One speaker, two words 3 s apart: one turn at a 5 s gap, two at 2 s.
    let doc = r#"{"monologues":[{"speaker":0,"elements":[
        {"type":"text","value":"one","ts":0.0,"end_ts":0.5},
        {"type":"text","value":"two","ts":3.5,"end_ts":4.0}]}]}"#;
    let wide = import(
        doc.as_bytes(),
        None,
        &ImportOptions::default().with_max_gap_ms(5_000),
    )
    .unwrap();
    assert_eq!(wide.utterances.len(), 1);
    let narrow = import(
        doc.as_bytes(),
        None,
        &ImportOptions::default().with_max_gap_ms(2_000),
    )
    .unwrap();
    assert_eq!(narrow.utterances.len(), 2);
}

#[test]
fn overlapping_speech_is_kept_and_flagged() {
    let doc = r#"{"monologues":[
        {"speaker":0,"elements":[{"type":"text","value":"so","ts":0.0,"end_ts":0.5},{"type":"text","value":"anyway","ts":0.5,"end_ts":2.0}]},
        {"speaker":1,"elements":[{"type":"text","value":"wait","ts":1.0,"end_ts":1.5}]}]}"#;
    let t = import(
        doc.as_bytes(),
        Some(Format::RevAi),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(t.utterances.len(), 2);
    assert!(t.utterances[1].start_ms < t.utterances[0].end_ms);
    assert!(t.warnings.iter().any(|w| w.code == "overlapping_speech"));
}

#[test]
fn leading_spaces_inside_words_are_trimmed() {
    let doc = r#"{"results":{"channels":[{"alternatives":[{"words":[
        {"word":" hello","start":0.0,"end":0.4,"punctuated_word":" Hello"},
        {"word":" there","start":0.4,"end":0.8,"punctuated_word":"  there."}]}]}]}}"#;
    let t = import(doc.as_bytes(), None, &ImportOptions::default()).unwrap();
    assert_eq!(t.utterances[0].text.as_str(), "Hello there.");
    assert_eq!(t.utterances[0].words[1].text.as_str(), "there.");
}

#[test]
fn times_as_numeric_strings_and_iso_durations() {
    let doc = r#"{"monologues":[{"speaker":0,"elements":[
        {"type":"text","value":"one","ts":"1.5","end_ts":"PT2S"},
        {"type":"text","value":"two","ts":"PT2.25S","end_ts":3}]}]}"#;
    let t = import(doc.as_bytes(), None, &ImportOptions::default()).unwrap();
    assert_eq!(
        (t.utterances[0].start_ms, t.utterances[0].end_ms),
        (1500, 3000)
    );
}

#[test]
fn malformed_inputs_name_format_location_and_reason() {
    // A wrong type deep inside Deepgram's words.
    let doc = r#"{"results":{"channels":[{"alternatives":[{"words":[
        {"word":"hi","start":0.0,"end":0.4},{"word":"Jane Doe","start":"soon","end":1.0}]}]}]}}"#;
    let e = import(
        doc.as_bytes(),
        Some(Format::Deepgram),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.format(), Some(Format::Deepgram));
    assert_eq!(
        e.location(),
        Some(&Location::JsonPath(
            "results.channels[0].alternatives[0].words[1].start".into()
        ))
    );
    assert!(
        !e.to_string().contains("soon"),
        "the offending value must not be echoed: {e}"
    );
    // Negative time.
    let doc = r#"{"monologues":[{"speaker":0,"elements":[{"type":"text","value":"x","ts":-1,"end_ts":1}]}]}"#;
    let e = import(doc.as_bytes(), None, &ImportOptions::default()).unwrap_err();
    assert_eq!(
        e.location(),
        Some(&Location::JsonPath("monologues[0].elements[0].ts".into()))
    );
    // A broken VTT timing line.
    let vtt = "WEBVTT\n\n00:00.000 --> later\nhello\n";
    let e = import(vtt.as_bytes(), None, &ImportOptions::default()).unwrap_err();
    assert_eq!(e.location(), Some(&Location::Line(3)));
    // SRT missing its timing.
    let e = import(b"1\nhello\n", Some(Format::Srt), &ImportOptions::default()).unwrap_err();
    assert_eq!(e.location(), Some(&Location::Line(2)));
    // Script with a mixed stamp/no-stamp.
    let e = import(
        b"[00:00:01] A: hi\nB: yo\n",
        Some(Format::Script),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.location(), Some(&Location::Line(2)));
    // Truncated JSON names a line.
    let e = import(
        br#"{"monologues":[{"speaker":0,"#,
        Some(Format::RevAi),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e.location(), Some(Location::Line(1))), "{e}");
    // AssemblyAI job not finished.
    let e = import(
        br#"{"id":"x","status":"processing","words":[]}"#,
        None,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.location(), Some(&Location::JsonPath("status".into())));
    // Into the core error, naming the format and place.
    let core: closeq_core::Error = e.into();
    assert_eq!(core.field(), Some("assemblyai status"));
}

#[test]
fn empty_transcripts_are_valid() {
    for doc in [
        &br#"{"results":{"channels":[{"alternatives":[{"transcript":"","words":[]}]}]}}"#[..],
        b"WEBVTT\n",
        br#"{"monologues":[]}"#,
    ] {
        let t = import(doc, None, &ImportOptions::default()).unwrap();
        assert!(t.utterances.is_empty());
    }
}

#[test]
fn detection_refuses_unknown_and_ambiguous_input() {
    assert!(matches!(
        detect(b"hello world, nothing here"),
        Err(ImportError::UnknownFormat { .. })
    ));
    assert!(matches!(
        detect(b""),
        Err(ImportError::UnknownFormat { .. })
    ));
    assert!(matches!(
        detect(br#"{"foo": 1}"#),
        Err(ImportError::UnknownFormat { .. })
    ));
    let both = br#"{"monologues": [], "segments": [], "task": "transcribe"}"#;
    match detect(both) {
        Err(ImportError::AmbiguousFormat { candidates }) => {
            assert_eq!(candidates, vec![Format::RevAi, Format::OpenAi]);
        }
        other => panic!("{other:?}"),
    }
    let e = detect(both).unwrap_err().to_string();
    assert!(e.contains("revai") && e.contains("openai"), "{e}");
}

#[test]
fn rep_label_that_matches_nobody_is_reported() {
    let t = import(
        &fixture("deepgram.json"),
        None,
        &ImportOptions::default().with_rep_speaker("7"),
    )
    .unwrap();
    assert!(t.warnings.iter().any(|w| w.code == "rep_speaker_not_found"));
}
