//! Rubric files: the built-in packs, validation with precise locations, the
//! EU AI Act guard, identity hashes and the JSON Schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_analysis::rubric::{
    RubricLocation, builtin_ids, builtin_rubric, builtin_rubrics, load_json, load_toml,
    rubric_hash, rubric_schema,
};
use closeq_core::Error;

const BASE: &str = r#"
id = "mini"
name = "Mini"
version = "1"

[[criteria]]
id = "budget"
title = "Budget"
weight = 1.0
evidence = "rep"
met_when = { type = "phrases", side = "rep", phrases = ["budget"], as_question = true }

[[criteria]]
id = "listening"
title = "Listening"
weight = 2.0
evidence = "either"
met_when = { type = "metric", metric = "rep_talk_ratio", op = "le", benchmark = "rep_talk_ratio_max" }
"#;

#[test]
fn every_builtin_pack_loads_and_meddic_is_a_subset_of_meddpicc() {
    let all = builtin_rubrics().unwrap();
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    for want in [
        "spin",
        "bant",
        "meddpicc",
        "meddic",
        "challenger",
        "sandler",
        "gap_selling",
        "discovery",
        "demo",
    ] {
        assert!(ids.contains(&want), "{want} missing");
    }
    assert_eq!(builtin_ids().len(), all.len());
    let meddpicc = builtin_rubric("meddpicc").unwrap();
    let meddic = builtin_rubric("meddic").unwrap();
    for c in &meddic.criteria {
        let twin = meddpicc
            .criteria
            .iter()
            .find(|x| x.id == c.id)
            .expect("subset");
        assert_eq!(twin, c);
    }
    assert_eq!(meddpicc.criteria.len(), meddic.criteria.len() + 2);
    assert!(matches!(
        builtin_rubric("nope"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn toml_errors_carry_line_and_column() {
    // Unknown field (serde): exact position from the TOML parser.
    let bad = BASE.replace("weight = 2.0", "weight = 2.0\ncolour = \"red\"");
    let e = load_toml("mini.toml", &bad).unwrap_err();
    match e.location {
        RubricLocation::Toml { line, .. } => assert_eq!(line, 17),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().starts_with("mini.toml:17:"), "{e}");
    assert!(e.to_string().contains("colour"), "{e}");

    // Duplicate ids (semantic): located at the second criterion's id.
    let bad = BASE.replace("id = \"listening\"", "id = \"budget\"");
    let e = load_toml("mini.toml", &bad).unwrap_err();
    assert_eq!(
        e.location,
        RubricLocation::Toml {
            line: 14,
            column: 1
        }
    );
    assert_eq!(e.error.field(), Some("criteria[1].id"));

    // Non-positive weight.
    let bad = BASE.replace("weight = 2.0", "weight = 0.0");
    let e = load_toml("mini.toml", &bad).unwrap_err();
    assert_eq!(
        e.location,
        RubricLocation::Toml {
            line: 16,
            column: 1
        }
    );

    // Unknown benchmark key.
    let bad = BASE.replace("rep_talk_ratio_max", "rep_talk_ratio_maximum");
    let e = load_toml("mini.toml", &bad).unwrap_err();
    assert_eq!(e.error.field(), Some("criteria[1].benchmark"));
    assert!(
        matches!(e.location, RubricLocation::Toml { line: 18, .. }),
        "{e}"
    );

    // A cue that cannot compile.
    let bad = BASE.replace("phrases = [\"budget\"]", "phrases = [\"bud*get\"]");
    let e = load_toml("mini.toml", &bad).unwrap_err();
    assert_eq!(e.error.field(), Some("criteria[0].met_when.phrases[0]"));

    // Empty criteria.
    let e = load_toml(
        "x.toml",
        "id = \"x\"\nname = \"X\"\nversion = \"1\"\ncriteria = []\n",
    )
    .unwrap_err();
    assert_eq!(e.error.field(), Some("criteria"));

    // Broken syntax.
    let e = load_toml("x.toml", "id = \"x\nname = 1").unwrap_err();
    assert!(
        matches!(e.location, RubricLocation::Toml { line: 1, .. }),
        "{e}"
    );
}

fn as_json(toml_text: &str) -> serde_json::Value {
    let v: toml::Value = toml::from_str(toml_text).unwrap();
    serde_json::to_value(v).unwrap()
}

#[test]
fn json_errors_carry_a_json_pointer() {
    let mut v = as_json(BASE);
    v["criteria"][1]["weight"] = serde_json::json!(-1.0);
    let e = load_json("mini.json", &v.to_string()).unwrap_err();
    assert_eq!(
        e.location,
        RubricLocation::JsonPointer("/criteria/1/weight".into())
    );

    let mut v = as_json(BASE);
    v["criteria"][0]["met_when"]["extra"] = serde_json::json!(true);
    let e = load_json("mini.json", &v.to_string()).unwrap_err();
    assert_eq!(
        e.location,
        RubricLocation::JsonPointer("/criteria/0/met_when".into()),
        "{e}"
    );

    let ok = load_json("mini.json", &as_json(BASE).to_string()).unwrap();
    assert_eq!(ok, load_toml("mini.toml", BASE).unwrap());
}

#[test]
fn ai_act_guard_rejects_employee_emotion_at_load_time() {
    for (field, text) in [
        ("title", "Rep enthusiasm"),
        ("description", "Measures how stressed the agent sounds."),
        ("judge", "Did the salesperson's mood stay positive?"),
        (
            "judge",
            "Infer the seller's emotional state from their tone of voice.",
        ),
    ] {
        let bad = match field {
            "title" => BASE.replace("title = \"Budget\"", &format!("title = \"{text}\"")),
            "description" => BASE.replace(
                "title = \"Budget\"",
                &format!("title = \"Budget\"\ndescription = \"{text}\""),
            ),
            _ => BASE.replace(
                "as_question = true }",
                &format!("as_question = true }}\njudge = {{ question = \"{text}\" }}"),
            ),
        };
        let e = load_toml("mini.toml", &bad).unwrap_err();
        match &e.error {
            Error::Compliance { rule, .. } => assert_eq!(rule, "EU AI Act Art. 5(1)(f)"),
            other => panic!("{text}: {other:?}"),
        }
        assert!(e.to_string().contains("Art. 5(1)(f)"), "{e}");
        assert!(matches!(e.location, RubricLocation::Toml { .. }), "{e}");
    }
    // About the customer: fine.
    let ok = BASE.replace(
        "as_question = true }",
        "as_question = true }\njudge = { question = \"Did the rep ask about the customer's priorities and acknowledge the client's frustration with their vendor?\" }",
    );
    load_toml("mini.toml", &ok).unwrap();
}

#[test]
fn identity_is_the_hash_of_the_canonical_form() {
    let a = load_toml("a.toml", BASE).unwrap();
    let reformatted = BASE.replace("weight = 1.0", "weight    =   1.0   # comment");
    let b = load_toml("b.toml", &reformatted).unwrap();
    assert_eq!(rubric_hash(&a), rubric_hash(&b));
    let changed = load_toml("c.toml", &BASE.replace("weight = 2.0", "weight = 2.5")).unwrap();
    assert_ne!(rubric_hash(&a), rubric_hash(&changed));
    assert!(rubric_hash(&a).starts_with("sha256:"));
}

#[test]
fn schema_describes_the_file_format() {
    let s = rubric_schema();
    assert_eq!(s["title"], "Rubric");
    assert!(s["properties"]["criteria"].is_object());
    assert!(s["$defs"]["Cue"].is_object());
}
