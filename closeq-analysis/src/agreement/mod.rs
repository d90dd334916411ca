//! Agreement statistics for benchmarking scorers against human raters:
//! error and correlation of overall scores, intraclass correlation,
//! chance-corrected agreement on criteria, and seeded bootstrap intervals.
//! Undefined values are [`Stat::Undefined`] with the reason — never 0 and
//! never NaN. Every statistic is validated against scipy, scikit-learn,
//! statsmodels, pingouin and the `krippendorff` package
//! (`scripts/agreement_vectors.py`, vectors in the tests).

mod bootstrap;
mod continuous;
mod icc;
mod kappa;
mod krippendorff;
mod stat;

pub(crate) use bootstrap::quantile;
pub use bootstrap::{Interval, interval};
pub use continuous::{bias, kendall_tau_b, mae, pearson, pearson_indexed, rmse, spearman, within};
pub use icc::{icc2_1, icc3_1};
pub use kappa::{Weights, cohen_kappa, cohen_kappa_indexed, exact_agreement, fleiss_kappa};
pub use krippendorff::{Level, alpha as krippendorff_alpha};
pub use stat::Stat;
