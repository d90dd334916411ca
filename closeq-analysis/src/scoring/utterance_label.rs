//! How the judge's prompt names an utterance, and the one sentence that
//! tells the model so. The transcript lines, the prompt's instructions, the
//! answer schema's description of `utterance` and the notes on dropped
//! citations are all built from here, so they cannot disagree.

use closeq_core::{SpeakerRole, UtteranceId};

/// The letter for a side at the start of a transcript line: `R` rep,
/// `C` client, `O` other, `U` unknown.
pub fn side_letter(role: SpeakerRole) -> char {
    match role {
        SpeakerRole::Rep => 'R',
        SpeakerRole::Client => 'C',
        SpeakerRole::Other => 'O',
        SpeakerRole::Unknown => 'U',
    }
}

/// The label that starts an utterance's transcript line: the side's letter
/// then the id, `R12`. The id is the number, without the letter.
pub fn utterance_label(role: SpeakerRole, id: UtteranceId) -> String {
    format!("{}{}", side_letter(role), id.0)
}

/// What a citation's `utterance` holds, in the words both the prompt and
/// the answer schema use: `The utterance id: the number after the side
/// letter that starts its transcript line (12 for a line starting "C12").`
pub fn utterance_id_rule() -> String {
    let example = UtteranceId(12);
    format!(
        "The utterance id: the number after the side letter that starts its transcript line ({} for a line starting \"{}\").",
        example.0,
        utterance_label(SpeakerRole::Client, example)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_quotes_a_real_label() {
        assert_eq!(utterance_label(SpeakerRole::Rep, UtteranceId(7)), "R7");
        assert!(utterance_id_rule().contains("(12 for a line starting \"C12\")"));
    }
}
