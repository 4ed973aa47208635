#include "research/experiment.hpp"

#include <fmt/format.h>

#include <map>

#include "core/text.hpp"

namespace agentco {

std::vector<Variant> make_variants(const std::vector<std::string>& sops, const std::string& default_sop) {
  std::vector<Variant> variants;
  std::map<std::string, int> seen;
  auto add = [&](const std::string& sop, const std::string& source) {
    std::filesystem::path p(source);
    std::string base = p.has_extension() ? p.stem().string() : p.filename().string();
    if (base.empty()) base = "default";
    std::string name = base;
    if (int n = ++seen[base]; n > 1) name = fmt::format("{}-{}", base, n);
    variants.push_back(Variant{name, sop});
  };
  if (sops.empty()) add("", default_sop);
  for (const auto& sop : sops) add(sop, sop);
  return variants;
}

std::vector<PlannedRun> plan_experiment(const std::vector<Prompt>& prompts,
                                        const std::vector<Variant>& variants, int repeats) {
  std::vector<PlannedRun> plan;
  for (const auto& prompt : prompts)
    for (const auto& variant : variants)
      for (int r = 1; r <= repeats; ++r) {
        PlannedRun run;
        run.index = static_cast<int>(plan.size());
        run.prompt = prompt;
        run.variant = variant;
        run.repeat = r;
        // The unique part first: slugify cuts at 48 characters.
        run.run_name = fmt::format("p{:03}_{}_r{}_{}", prompt.id, slugify(variant.name, 16), r,
                                   slugify(prompt_label(prompt), 24));
        plan.push_back(std::move(run));
      }
  return plan;
}

void fill_from_stats(RunRow& row, const RunStats& stats) {
  row.has_figures = true;
  row.outcome = stats.outcome;
  row.verdict = stats.verdict;
  row.cost_usd = stats.total.cost_usd;
  row.prompt_tokens = stats.total.prompt_tokens;
  row.completion_tokens = stats.total.completion_tokens;
  row.calls = stats.total.calls;
  row.wall_s = stats.wall_s;
  row.files = stats.files;
  row.lines = stats.lines_of_code;
  row.review_rounds = stats.total.review_rounds;
  row.test_rounds = stats.total.test_rounds;
}

}  // namespace agentco
