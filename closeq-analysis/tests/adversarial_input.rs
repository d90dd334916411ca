//! Hostile transcript files. Each test is an attack that panicked the
//! importer (overflow in debug and test builds) or silently corrupted the
//! transcript (a wrapped time in release, words moved to the rep's
//! channel) before its fix; now each is a typed error naming the line or
//! JSON field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_analysis::transcript::{Format, ImportError, ImportOptions, Location, import};
use closeq_core::Transcript;

/// The largest time any importer accepts: 48 hours.
const MAX_MS: u64 = 48 * 3_600_000;

fn opts() -> ImportOptions {
    ImportOptions::default().with_rep_channel(0)
}

fn run(input: &str, format: Format) -> Result<Transcript, ImportError> {
    let bytes = input.as_bytes().to_vec();
    // Run on another thread so a panic is reported as the attack's success,
    // not as a crash of the test harness's thread.
    std::thread::spawn(move || import(&bytes, Some(format), &opts()))
        .join()
        .unwrap_or_else(|_| panic!("the {format} importer panicked on hostile input"))
}

/// Asserts a `Malformed` error of `format` at `location` whose reason
/// contains `needle`; returns the reason.
fn refused(input: &str, format: Format, location: Location, needle: &str) -> String {
    match run(input, format) {
        Err(ImportError::Malformed {
            format: f,
            location: l,
            reason,
        }) => {
            assert_eq!((f, &l), (format, &location), "{reason}");
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
            reason
        }
        other => panic!("expected a {format} error at {location}, got {other:?}"),
    }
}

fn line(n: usize) -> Location {
    Location::Line(n)
}

fn path(p: &str) -> Location {
    Location::JsonPath(p.to_owned())
}

const THIRTEEN_DIGIT_HOUR: &str = "9999999999999";

#[test]
fn a_thirteen_digit_hour_in_a_vtt_cue_is_refused_at_its_line() {
    let vtt = format!(
        "WEBVTT\n\n00:00.000 --> 00:01.000\n<v A>Hi.\n\n{h}:00:00.000 --> {h}:00:01.000\n<v B>Late.\n",
        h = THIRTEEN_DIGIT_HOUR
    );
    refused(&vtt, Format::WebVtt, line(6), "48 hours");
}

#[test]
fn a_thirteen_digit_hour_in_an_srt_cue_is_refused_at_its_line() {
    let srt = format!(
        "1\n00:00:00,000 --> 00:00:01,000\nRep: Hi.\n\n2\n00:00:02,000 --> {THIRTEEN_DIGIT_HOUR}:00:00,000\nClient: Late.\n"
    );
    refused(&srt, Format::Srt, line(6), "48 hours");
}

#[test]
fn a_thirteen_digit_hour_in_a_script_stamp_is_refused_at_its_line() {
    let script = format!("[00:00:00] Rep: Hi.\n[{THIRTEEN_DIGIT_HOUR}:00:00] Client: Late.\n");
    refused(&script, Format::Script, line(2), "48 hours");
}

#[test]
fn minutes_without_hours_cannot_overflow_either() {
    // `mm:ss` has no cap on minutes; 17 digits overflow minutes × 60,000.
    let vtt = "WEBVTT\n\n99999999999999999:00.000 --> 99999999999999999:01.000\n<v A>x\n";
    refused(vtt, Format::WebVtt, line(3), "48 hours");
}

#[test]
fn a_clock_string_in_provider_json_cannot_overflow() {
    // Provider times may be strings; a clock-shaped one went through the
    // same unchecked multiplication.
    let dg = format!(
        r#"{{"results":{{"channels":[{{"alternatives":[{{"words":[{{"word":"hi","start":"{THIRTEEN_DIGIT_HOUR}:00:00","end":1.0}}]}}]}}]}}}}"#
    );
    refused(
        &dg,
        Format::Deepgram,
        path("results.channels[0].alternatives[0].words[0].start"),
        "48 hours",
    );
    let aws = format!(
        r#"{{"results":{{"items":[{{"type":"pronunciation","start_time":"0.1","end_time":"{THIRTEEN_DIGIT_HOUR}:00:00","alternatives":[{{"content":"hi"}}]}}]}}}}"#
    );
    refused(
        &aws,
        Format::AwsTranscribe,
        path("results.items[0].end_time"),
        "48 hours",
    );
}

#[test]
fn times_past_48_hours_are_refused_in_text_formats_as_in_json() {
    // JSON times were always capped at 48 hours; clock stamps were not.
    let vtt = "WEBVTT\n\n48:00:00.001 --> 48:00:01.000\n<v A>x\n";
    refused(vtt, Format::WebVtt, line(3), "48 hours");
    // 48:00:00.000 itself is the limit and is accepted.
    let ok = "WEBVTT\n\n47:59:59.000 --> 48:00:00.000\n<v A>x\n";
    let t = run(ok, Format::WebVtt).unwrap();
    assert_eq!(t.utterances[0].end_ms, MAX_MS);
}

#[test]
fn an_unstamped_script_whose_estimated_timings_pass_48_hours_is_refused() {
    // 150 words a minute: 432,001 words are just over 48 hours.
    let mut script = String::from("Rep: hello\n");
    let words = "word ".repeat(432_001);
    script.push_str("Client: ");
    script.push_str(&words);
    script.push('\n');
    refused(&script, Format::Script, line(2), "48 hours");
}

#[test]
fn a_deepgram_response_cannot_move_words_onto_the_rep_channel_with_257_channels() {
    // Channel 256 was cast to u8 and became channel 0, the rep's.
    let empty = r#"{"alternatives":[{"words":[]}]}"#;
    let mut channels = vec![empty; 256];
    channels.push(
        r#"{"alternatives":[{"words":[{"word":"guaranteed","start":0.1,"end":0.5,"punctuated_word":"Guaranteed"}]}]}"#,
    );
    let dg = format!(r#"{{"results":{{"channels":[{}]}}}}"#, channels.join(","));
    refused(
        &dg,
        Format::Deepgram,
        path("results.channels[256]"),
        "256 channels",
    );
}

#[test]
fn assemblyai_channel_numbers_outside_1_to_256_are_refused_not_merged() {
    // "0" became channel 0 like "1" (saturating - 1); "300" was dropped.
    for (channel, needle) in [("0", "1 to 256"), ("300", "1 to 256"), ("left", "1 to 256")] {
        let aai = format!(
            r#"{{"status":"completed","words":[{{"text":"hi","start":0,"end":100,"channel":"1"}},{{"text":"yo","start":200,"end":300,"channel":"{channel}"}}]}}"#
        );
        refused(&aai, Format::AssemblyAi, path("words[1].channel"), needle);
    }
}

#[test]
fn speechmatics_and_aws_channel_labels_out_of_range_are_refused() {
    let sm = r#"{"format":"2.9","results":[{"type":"word","start_time":0.1,"end_time":0.2,"channel":"channel_999","alternatives":[{"content":"hi"}]}]}"#;
    refused(
        sm,
        Format::Speechmatics,
        path("results[0].channel"),
        "channel_1 to channel_256",
    );
    let aws = r#"{"results":{"items":[{"type":"pronunciation","start_time":"0.1","end_time":"0.2","channel_label":"ch_999","alternatives":[{"content":"hi"}]}]}}"#;
    refused(
        aws,
        Format::AwsTranscribe,
        path("results.items[0].channel_label"),
        "ch_0 to ch_255",
    );
}

#[test]
fn closeq_json_cannot_declare_a_duration_or_speaker_ids_that_exhaust_memory_downstream() {
    // duration_ms drives per-minute buckets in the metrics, speaker ids
    // per-speaker tables: both must be bounded at the import boundary.
    let huge_duration = format!(
        r#"{{"id":"018f0000-0000-7000-8000-000000000000","language":null,"duration_ms":{},"speakers":[],"utterances":[]}}"#,
        u64::MAX
    );
    refused(
        &huge_duration,
        Format::CloseQ,
        path("duration_ms"),
        "48 hours",
    );
    let huge_id = r#"{"id":"018f0000-0000-7000-8000-000000000000","language":null,"duration_ms":1000,"speakers":[{"id":4294967295,"label":"A","role":"rep","decided_by":{"method":"undecided"}}],"utterances":[]}"#;
    let reason = refused(huge_id, Format::CloseQ, path("speakers[0].id"), "speaker");
    assert!(!reason.contains("4294967295"), "{reason}");
}
