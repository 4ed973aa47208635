// Variants compared on the prompts they share: for each figure (quality, cost, wall time)
// and each variant after the first, the per-prompt difference from the first variant (each
// side the mean of its repeats), its mean with a 95 % confidence interval, wins/losses/ties,
// and the two-sided p-value of the Wilcoxon signed-rank test (normal approximation with a
// continuity correction; zero differences dropped; said to be rough below 6 pairs). Pure
// functions of the rows.
#pragma once
#include <string>
#include <vector>

#include "research/experiment.hpp"

namespace agentco {

struct PairedComparison {
  std::string figure;  // "quality", "cost (USD)", "wall time (s)"
  std::string base, other;  // variant names
  int pairs = 0;            // prompts both ran (with the figure)
  double mean_difference = 0;  // other - base
  double ci95 = 0;             // half-width
  int higher = 0, lower = 0, ties = 0;  // prompts where other is above, below, equal
  double p_value = 1;
};

std::vector<PairedComparison> compare_variants(const std::vector<RunRow>& rows, const std::vector<Variant>& variants);

// The mean of `values` (0 for none), and half the width of its 95 % confidence interval
// (normal approximation; 0 for fewer than two values).
double mean_of(const std::vector<double>& values);
double ci95_of(const std::vector<double>& values);

// Two-sided p-value of the Wilcoxon signed-rank test of `differences` (zeros dropped).
double wilcoxon_signed_rank_p(const std::vector<double>& differences);

// A bar chart, one bar per variant (its mean) with its 95 % interval as a whisker, as a
// stand-alone SVG document.
struct Bar {
  std::string label;
  double mean = 0, ci95 = 0;
};
std::string bar_chart_svg(const std::string& title, const std::vector<Bar>& bars);

}  // namespace agentco
