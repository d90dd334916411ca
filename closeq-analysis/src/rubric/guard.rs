//! EU AI Act Art. 5(1)(f) guard: AI systems that infer the emotions of a
//! natural person in the workplace are prohibited. A rubric criterion or
//! judge question that asks to infer the emotion, sentiment, mood, stress,
//! enthusiasm or any other affective state of the employee (the rep) is
//! rejected when the rubric is loaded.
//!
//! The check works per sentence of the criterion's title, description,
//! judge question and guidance: a sentence that contains an affect term
//! *and* refers to the employee (rep, agent, salesperson, seller, employee,
//! caller, representative, AE, SDR, "you", "their voice/tone") is rejected,
//! unless the affect term is attached to the customer (a customer word is
//! nearer to it than any employee word, as in "the rep acknowledged the
//! customer's frustration"). A sentence with an affect term and no person
//! at all is rejected when the criterion's evidence side is the rep.
//! Criteria about the customer's stated needs, objections or priorities
//! contain no affect term and pass.

use closeq_core::{Criterion, Error, EvidenceSide, Rubric};

/// Stems of words naming affective states (matched as word prefixes).
const AFFECT: &[&str] = &[
    "emotion",
    "sentiment",
    "mood",
    "stress",
    "anxi",
    "nervous",
    "enthusias",
    "excite",
    "excitement",
    "frustrat",
    "angry",
    "anger",
    "annoyed",
    "irritat",
    "happy",
    "happiness",
    "unhappy",
    "sad",
    "upset",
    "fear",
    "afraid",
    "scared",
    "calm",
    "tense",
    "tension in",
    "confident",
    "confidence",
    "passion",
    "energetic",
    "energy level",
    "cheerful",
    "bored",
    "feel",
    "felt",
    "affective",
    "tone of voice",
    "vocal tone",
    "temperament",
    "morale",
    "burnout",
    "burned out",
    "burnt out",
    "exhausted",
    "tired",
    "distress",
    "joy",
];

/// Words naming the employee.
const EMPLOYEE: &[&str] = &[
    "rep",
    "reps",
    "rep's",
    "representative",
    "agent",
    "agent's",
    "salesperson",
    "salesperson's",
    "seller",
    "seller's",
    "employee",
    "employee's",
    "caller",
    "ae",
    "sdr",
    "bdr",
    "account executive",
    "sales rep",
    "staff",
    "worker",
    "you",
    "your",
    "yourself",
];

/// Words naming the customer.
const CUSTOMER: &[&str] = &[
    "customer",
    "customer's",
    "customers",
    "client",
    "client's",
    "clients",
    "prospect",
    "prospect's",
    "buyer",
    "buyer's",
    "caller's need",
    "lead",
    "stakeholder",
    "their team",
];

fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"'))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
            let w = w
                .strip_suffix("'s")
                .or_else(|| w.strip_suffix("’s"))
                .unwrap_or(w);
            w.to_owned()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

fn positions(ws: &[String], list: &[&str]) -> Vec<usize> {
    let joined: Vec<&str> = ws.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for (i, _) in ws.iter().enumerate() {
        for item in list {
            let parts: Vec<&str> = item.split(' ').filter(|p| !p.is_empty()).collect();
            if parts.len() == 1 {
                if joined[i] == parts[0] {
                    out.push(i);
                }
            } else if joined.len() >= i + parts.len() && joined[i..i + parts.len()] == parts[..] {
                out.push(i);
            }
        }
    }
    out
}

fn affect_positions(ws: &[String], sentence: &str) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        for stem in AFFECT {
            let stem_t = stem.trim_end();
            if stem_t.contains(' ') {
                continue;
            }
            if w.starts_with(stem_t) {
                out.push((i, *stem));
            }
        }
    }
    let lower = sentence.to_lowercase();
    for stem in AFFECT.iter().filter(|s| s.trim_end().contains(' ')) {
        if let Some(byte) = lower.find(stem.trim_end()) {
            let i = lower[..byte].split_whitespace().count();
            out.push((i, *stem));
        }
    }
    out
}

/// Checks one text; returns the affect term that makes it prohibited.
fn prohibited(text: &str, evidence: EvidenceSide) -> Option<&'static str> {
    for sentence in text.split(['.', '?', '!', '\n']) {
        let ws = words(sentence);
        let affects = affect_positions(&ws, sentence);
        if affects.is_empty() {
            continue;
        }
        let emp = positions(&ws, EMPLOYEE);
        let cust = positions(&ws, CUSTOMER);
        for (a, term) in affects {
            let dist = |ps: &[usize]| ps.iter().map(|p| p.abs_diff(a)).min();
            match (dist(&emp), dist(&cust)) {
                (Some(e), Some(c)) if c < e => {}
                (Some(_), _) => return Some(term),
                (None, Some(_)) => {}
                (None, None) if evidence == EvidenceSide::Rep => return Some(term),
                (None, None) => {}
            }
        }
    }
    None
}

fn check_criterion(c: &Criterion, path: &str) -> Result<(), Error> {
    let mut texts: Vec<(&str, &str)> = vec![("title", &c.title), ("description", &c.description)];
    if let Some(j) = &c.judge {
        texts.push(("judge.question", &j.question));
        texts.push(("judge.guidance", &j.guidance));
    }
    for (field, text) in texts {
        if let Some(term) = prohibited(text, c.evidence) {
            return Err(Error::Compliance {
                rule: "EU AI Act Art. 5(1)(f)".into(),
                reason: format!(
                    "{path}.{field} asks to infer an affective state of the employee (\"{}\"); emotion recognition of employees in the workplace is prohibited",
                    term.trim_end()
                )
                .into(),
            });
        }
    }
    for (i, s) in c.sub_criteria.iter().enumerate() {
        check_criterion(s, &format!("{path}.sub_criteria[{i}]"))?;
    }
    Ok(())
}

/// Rejects a rubric that asks to infer the employee's affective state.
pub fn check_ai_act(rubric: &Rubric) -> Result<(), Error> {
    for (i, c) in rubric.criteria.iter().enumerate() {
        check_criterion(c, &format!("criteria[{i}]"))?;
    }
    Ok(())
}

/// The field path an AI-Act error names (for locating it in a file).
pub(crate) fn error_path(e: &Error) -> Option<String> {
    match e {
        Error::Compliance { reason, .. } => reason.split_whitespace().next().map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrasing_variants_of_employee_affect_are_prohibited() {
        for q in [
            "Did the rep sound enthusiastic?",
            "Assess the salesperson's emotional state.",
            "How stressed was the agent during the call?",
            "Rate the seller's mood from 1 to 5.",
            "Infer whether the employee felt anxious.",
            "Was the rep's sentiment positive?",
            "Detect frustration in the rep's voice.",
            "Judge the tone of voice of the representative.",
            "Were you confident when presenting pricing?",
            "Score the AE's energy level and excitement.",
        ] {
            assert!(prohibited(q, EvidenceSide::Either).is_some(), "{q}");
        }
        assert!(prohibited("Was the tone enthusiastic throughout?", EvidenceSide::Rep).is_some());
    }

    #[test]
    fn customer_needs_objections_and_priorities_pass() {
        for q in [
            "Did the customer state their top priority?",
            "Did the rep handle the client's objections about price?",
            "Did the rep acknowledge the customer's frustration with their current vendor?",
            "Did the rep confirm the prospect's budget and timeline?",
            "What needs did the buyer describe?",
            "Did the rep ask how the problem affects the client's team?",
        ] {
            assert!(prohibited(q, EvidenceSide::Either).is_none(), "{q}");
        }
    }
}
