use closeq_core::ports::TokenUsage;

/// Prices per million tokens, in USD, for cost accounting. Configure them
/// for your contract; there is no built-in price list (prices change).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pricing {
    /// USD per million input (prompt) tokens.
    pub input_per_million: f64,
    /// USD per million output tokens.
    pub output_per_million: f64,
}

impl Pricing {
    /// The cost of `usage`.
    pub fn cost(&self, usage: TokenUsage) -> f64 {
        (usage.input_tokens as f64 * self.input_per_million
            + usage.output_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }
}
