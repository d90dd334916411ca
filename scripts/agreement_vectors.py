#!/usr/bin/env python3
"""Reference values for closeq_analysis::agreement, computed with scipy,
scikit-learn, statsmodels, pingouin and the krippendorff package on seeded
random data plus Krippendorff's own worked example.

    pip install scipy scikit-learn statsmodels pingouin krippendorff
    python3 scripts/agreement_vectors.py > closeq-analysis/tests/fixtures/agreement_vectors.json
"""
import json
import math

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import scipy
import sklearn
import statsmodels
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

rng = np.random.default_rng(20261128)
out = {"versions": {"scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
                    "statsmodels": statsmodels.__version__, "pingouin": pingouin.__version__},
       "continuous": [], "icc": [], "kappa": [], "fleiss": [], "krippendorff": []}

# Continuous pairs: human score vs scorer score, with ties.
for n in (12, 50, 200):
    x = rng.integers(0, 21, n).astype(float) * 5
    y = np.clip(x + rng.normal(0, 12, n).round(), 0, 100)
    out["continuous"].append({
        "x": x.tolist(), "y": y.tolist(),
        "mae": float(np.mean(np.abs(y - x))),
        "rmse": float(math.sqrt(np.mean((y - x) ** 2))),
        "bias": float(np.mean(y - x)),
        "pearson": float(stats.pearsonr(x, y)[0]),
        "spearman": float(stats.spearmanr(x, y)[0]),
        "kendall_tau_b": float(stats.kendalltau(x, y, variant="b")[0]),
        "within_10": float(np.mean(np.abs(y - x) <= 10)),
    })

# ICC on subjects x raters.
for n, k in ((10, 2), (30, 3), (40, 4)):
    base = rng.normal(60, 15, n)
    r = np.column_stack([base + rng.normal(j * 2, 6, n) for j in range(k)]).round(1)
    long = pd.DataFrame([(i, j, r[i, j]) for i in range(n) for j in range(k)], columns=["t", "r", "s"])
    # pingouin 0.7 names ICC(2,1) "ICC(A,1)" (absolute agreement) and ICC(3,1) "ICC(C,1)" (consistency).
    icc = pingouin.intraclass_corr(data=long, targets="t", raters="r", ratings="s").set_index("Type")
    out["icc"].append({"ratings": r.tolist(), "icc2_1": float(icc.loc["ICC(A,1)", "ICC"]), "icc3_1": float(icc.loc["ICC(C,1)", "ICC"])})

# Cohen's kappa on a 5-level scale where one level is never used.
for n in (20, 80):
    a = rng.choice([0, 1, 2, 4], n)
    b = np.where(rng.random(n) < 0.6, a, rng.choice([0, 1, 2, 4], n))
    labels = [0, 1, 2, 3, 4]
    out["kappa"].append({
        "a": a.tolist(), "b": b.tolist(), "levels": 5,
        "unweighted": float(cohen_kappa_score(a, b, labels=labels)),
        "linear": float(cohen_kappa_score(a, b, labels=labels, weights="linear")),
        "quadratic": float(cohen_kappa_score(a, b, labels=labels, weights="quadratic")),
        "exact": float(np.mean(a == b)),
    })

# Fleiss' kappa: subjects x categories counts, 5 raters each.
for n in (15, 60):
    counts = []
    for _ in range(n):
        p = rng.dirichlet([2, 1, 1])
        counts.append(np.bincount(rng.choice(3, 5, p=p), minlength=3).tolist())
    out["fleiss"].append({"counts": counts, "kappa": float(fleiss_kappa(np.array(counts), method="fleiss"))})

# Krippendorff's alpha: his worked example (4 coders x 12 units, missing
# values), and seeded random data with missing values.
nan = float("nan")
example = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
           [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
           [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
           [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
sets = [("krippendorff_example", example)]
for c, u in ((3, 25), (5, 60)):
    d = rng.integers(1, 6, (c, u)).astype(float)
    d[rng.random((c, u)) < 0.15] = nan
    sets.append((f"random_{c}x{u}", d.tolist()))
for name, d in sets:
    arr = np.array(d, dtype=float)
    out["krippendorff"].append({
        "name": name,
        "data": [[None if math.isnan(v) else v for v in row] for row in d],
        "nominal": float(krippendorff.alpha(reliability_data=arr, level_of_measurement="nominal")),
        "ordinal": float(krippendorff.alpha(reliability_data=arr, level_of_measurement="ordinal")),
        "interval": float(krippendorff.alpha(reliability_data=arr, level_of_measurement="interval")),
    })

print(json.dumps(out, indent=1))
