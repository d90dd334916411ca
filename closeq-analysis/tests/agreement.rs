//! Every agreement statistic against reference values from scipy,
//! scikit-learn, statsmodels, pingouin and the krippendorff package
//! (`scripts/agreement_vectors.py`), including Krippendorff's own worked
//! example, and the undefined cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_analysis::agreement::*;
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/fixtures/agreement_vectors.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap()
}

fn f(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(got: Stat, want: &Value, what: &str) {
    let want = want.as_f64().unwrap();
    let got = got
        .value()
        .unwrap_or_else(|| panic!("{what}: undefined, expected {want}"));
    assert!((got - want).abs() < 1e-9, "{what}: {got} vs {want}");
}

#[test]
fn continuous_statistics_match_scipy() {
    for case in vectors()["continuous"].as_array().unwrap() {
        let (x, y) = (f(&case["x"]), f(&case["y"]));
        close(mae(&x, &y), &case["mae"], "mae");
        close(rmse(&x, &y), &case["rmse"], "rmse");
        close(bias(&x, &y), &case["bias"], "bias");
        close(pearson(&x, &y), &case["pearson"], "pearson");
        close(spearman(&x, &y), &case["spearman"], "spearman");
        close(
            kendall_tau_b(&x, &y),
            &case["kendall_tau_b"],
            "kendall tau-b",
        );
        close(within(&x, &y, 10.0), &case["within_10"], "within 10");
    }
}

#[test]
fn icc_matches_pingouin() {
    for case in vectors()["icc"].as_array().unwrap() {
        let r: Vec<Vec<f64>> = case["ratings"].as_array().unwrap().iter().map(f).collect();
        close(icc2_1(&r), &case["icc2_1"], "ICC(2,1)");
        close(icc3_1(&r), &case["icc3_1"], "ICC(3,1)");
    }
}

#[test]
fn cohen_kappa_matches_scikit_learn_with_the_full_scale() {
    for case in vectors()["kappa"].as_array().unwrap() {
        let a: Vec<usize> = case["a"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let b: Vec<usize> = case["b"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let levels = case["levels"].as_u64().unwrap() as usize;
        close(
            cohen_kappa(&a, &b, levels, Weights::Unweighted),
            &case["unweighted"],
            "kappa",
        );
        close(
            cohen_kappa(&a, &b, levels, Weights::Linear),
            &case["linear"],
            "linear kappa",
        );
        close(
            cohen_kappa(&a, &b, levels, Weights::Quadratic),
            &case["quadratic"],
            "quadratic kappa",
        );
        close(exact_agreement(&a, &b), &case["exact"], "exact agreement");
    }
}

#[test]
fn fleiss_kappa_matches_statsmodels() {
    for case in vectors()["fleiss"].as_array().unwrap() {
        let counts: Vec<Vec<u32>> = case["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as u32)
                    .collect()
            })
            .collect();
        close(fleiss_kappa(&counts), &case["kappa"], "fleiss");
    }
}

#[test]
fn krippendorff_alpha_matches_the_package_and_the_worked_example() {
    for case in vectors()["krippendorff"].as_array().unwrap() {
        let data: Vec<Vec<Option<f64>>> = case["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(Value::as_f64).collect())
            .collect();
        let name = case["name"].as_str().unwrap();
        close(
            krippendorff_alpha(&data, Level::Nominal),
            &case["nominal"],
            &format!("{name} nominal"),
        );
        close(
            krippendorff_alpha(&data, Level::Ordinal),
            &case["ordinal"],
            &format!("{name} ordinal"),
        );
        close(
            krippendorff_alpha(&data, Level::Interval),
            &case["interval"],
            &format!("{name} interval"),
        );
        if name == "krippendorff_example" {
            // The published values (Krippendorff 2011): 0.743, 0.815, 0.849.
            assert!(
                (krippendorff_alpha(&data, Level::Nominal).value().unwrap() - 0.743).abs() < 5e-4
            );
            assert!(
                (krippendorff_alpha(&data, Level::Ordinal).value().unwrap() - 0.815).abs() < 5e-4
            );
            assert!(
                (krippendorff_alpha(&data, Level::Interval).value().unwrap() - 0.849).abs() < 5e-4
            );
        }
    }
}

#[test]
fn undefined_values_say_why() {
    let constant = [50.0; 10];
    let other: Vec<f64> = (0..10).map(f64::from).collect();
    for s in [
        pearson(&constant, &other),
        spearman(&constant, &other),
        kendall_tau_b(&constant, &other),
    ] {
        assert!(
            matches!(&s, Stat::Undefined(r) if r.contains("same rating")),
            "{s:?}"
        );
    }
    assert!(matches!(pearson(&[1.0], &[2.0]), Stat::Undefined(_)));
    assert!(matches!(mae(&[], &[]), Stat::Undefined(_)));
    assert!(
        matches!(cohen_kappa(&[2, 2, 2], &[2, 2, 2], 5, Weights::Unweighted), Stat::Undefined(r) if r.contains("one category"))
    );
    assert!(matches!(
        fleiss_kappa(&[vec![3, 0], vec![3, 0]]),
        Stat::Undefined(_)
    ));
    let same = vec![vec![Some(1.0), Some(1.0)], vec![Some(1.0), Some(1.0)]];
    assert!(matches!(
        krippendorff_alpha(&same, Level::Nominal),
        Stat::Undefined(_)
    ));
    assert!(matches!(
        icc2_1(&[vec![1.0, 1.0], vec![1.0, 1.0]]),
        Stat::Undefined(_)
    ));
}

#[test]
fn seeded_bootstrap_is_reproducible_and_counts_degenerate_resamples() {
    let x: Vec<f64> = (0..200).map(|i| f64::from(i % 17)).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, v)| v + (i % 5) as f64)
        .collect();
    let run = || {
        interval(x.len(), 1000, 0.95, 7, |idx| {
            let a: Vec<f64> = idx.iter().map(|&i| x[i]).collect();
            let b: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
            pearson(&a, &b)
        })
        .unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    let p = pearson(&x, &y).value().unwrap();
    assert!(a.low < p && p < a.high);
    // Resamples of two items are often constant: dropped and counted.
    let tiny = interval(2, 200, 0.95, 3, |idx| {
        pearson(&[idx[0] as f64, idx[1] as f64], &[1.0, 2.0])
    });
    match tiny {
        Ok(i) => assert!(i.dropped > 0),
        Err(Stat::Undefined(r)) => assert!(r.contains("undefined")),
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn indexed_variants_equal_the_plain_ones() {
    let a: Vec<usize> = (0..300).map(|i| (i * 7 % 5) as usize).collect();
    let b: Vec<usize> = (0..300).map(|i| ((i * 7 + i / 3) % 5) as usize).collect();
    let idx: Vec<usize> = (0..300).map(|i| (i * 37) % 300).collect();
    let pa: Vec<usize> = idx.iter().map(|&i| a[i]).collect();
    let pb: Vec<usize> = idx.iter().map(|&i| b[i]).collect();
    for w in [Weights::Unweighted, Weights::Linear, Weights::Quadratic] {
        let x = cohen_kappa(&pa, &pb, 5, w).value().unwrap();
        let y = cohen_kappa_indexed(&a, &b, &idx, 5, w).value().unwrap();
        assert!((x - y).abs() < 1e-12);
    }
    let x: Vec<f64> = a.iter().map(|v| *v as f64 * 1.5).collect();
    let y: Vec<f64> = b.iter().map(|v| *v as f64 + 2.0).collect();
    let px: Vec<f64> = idx.iter().map(|&i| x[i]).collect();
    let py: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
    assert!(
        (pearson(&px, &py).value().unwrap() - pearson_indexed(&x, &y, &idx).value().unwrap()).abs()
            < 1e-10
    );
}
