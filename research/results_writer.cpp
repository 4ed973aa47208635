#include "research/results_writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>

#include "research/comparison.hpp"
#include <set>
#include <functional>

namespace agentco {
namespace fs = std::filesystem;

namespace {

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string folder_text(const RunRow& row, const fs::path& base) {
  if (row.folder.empty()) return "";
  if (!base.empty()) {
    auto rel = row.folder.lexically_relative(base);
    if (!rel.empty() && *rel.begin() != "..") return rel.string();
  }
  return row.folder.string();
}

std::vector<std::string> cells(const RunRow& row, const fs::path& base) {
  const auto& r = row.run;
  const std::optional<Quality>& q = row.quality;
  return {r.run_name,
          std::to_string(r.prompt.id),
          r.prompt.name,
          r.prompt.idea,
          r.variant.name,
          r.variant.sop,
          std::to_string(r.repeat),
          row.status,
          std::to_string(row.exit_code),
          row.finished() ? "true" : "false",
          row.outcome,
          row.verdict,
          row.executable() ? "true" : "false",
          fmt::format("{:.6f}", row.cost_usd),
          std::to_string(row.prompt_tokens),
          std::to_string(row.completion_tokens),
          std::to_string(row.calls),
          fmt::format("{:.3f}", row.wall_s),
          std::to_string(row.files),
          std::to_string(row.lines),
          std::to_string(row.review_rounds),
          std::to_string(row.test_rounds),
          folder_text(row, base),
          row.error,
          q ? fmt::format("{:.0f}", q->completeness) : "",
          q ? fmt::format("{:.0f}", q->executability) : "",
          q ? fmt::format("{:.4f}", q->consistency) : "",
          q ? q->consistency_method : "",
          q ? fmt::format("{:.4f}", q->quality) : "",
          q ? q->execution : ""};
}

Status write_atomically(const fs::path& file, const std::string& text) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return make_error("io", "cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return make_error("io", "cannot write " + file.string() + ": " + ec.message());
  return ok_status();
}

struct Figure {
  const char* label;
  std::function<double(const RunRow&)> value;
  const char* format;  // fmt spec for one value
};

const std::vector<Figure>& figures() {
  static const std::vector<Figure> list = {
      {"cost (USD)", [](const RunRow& r) { return r.cost_usd; }, "{:.4f}"},
      {"prompt tokens", [](const RunRow& r) { return double(r.prompt_tokens); }, "{:.0f}"},
      {"completion tokens", [](const RunRow& r) { return double(r.completion_tokens); }, "{:.0f}"},
      {"tokens", [](const RunRow& r) { return double(r.prompt_tokens + r.completion_tokens); }, "{:.0f}"},
      {"model calls", [](const RunRow& r) { return double(r.calls); }, "{:.1f}"},
      {"wall time (s)", [](const RunRow& r) { return r.wall_s; }, "{:.1f}"},
      {"files", [](const RunRow& r) { return double(r.files); }, "{:.1f}"},
      {"lines of code", [](const RunRow& r) { return double(r.lines); }, "{:.1f}"},
      {"review rounds", [](const RunRow& r) { return double(r.review_rounds); }, "{:.2f}"},
      {"test rounds", [](const RunRow& r) { return double(r.test_rounds); }, "{:.2f}"},
  };
  return list;
}

struct Spread {
  double mean = 0, median = 0, min = 0, max = 0;
};

Spread spread(std::vector<double> values) {
  Spread s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  const std::size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  s.min = values.front();
  s.max = values.back();
  return s;
}

// The SRDD quality figures of measured runs.
const std::vector<Figure>& quality_figures() {
  static const std::vector<Figure> list = {
      {"completeness", [](const RunRow& r) { return r.quality->completeness; }, "{:.2f}"},
      {"executability", [](const RunRow& r) { return r.quality->executability; }, "{:.2f}"},
      {"consistency", [](const RunRow& r) { return r.quality->consistency; }, "{:.3f}"},
      {"quality", [](const RunRow& r) { return r.quality->quality; }, "{:.3f}"},
  };
  return list;
}


// The charts write_results() draws (charts/NAME.svg), each a figure's mean per variant.
struct Chart {
  const char* file;
  const char* title;
  std::function<bool(const RunRow&)> has;
  std::function<double(const RunRow&)> value;
};
const std::vector<Chart>& charts() {
  static const std::vector<Chart> list = {
      {"cost", "Cost per run (USD), mean and 95 % CI", [](const RunRow& r) { return r.has_figures; },
       [](const RunRow& r) { return r.cost_usd; }},
      {"wall", "Wall time per run (s), mean and 95 % CI", [](const RunRow& r) { return r.has_figures; },
       [](const RunRow& r) { return r.wall_s; }},
      {"quality", "Quality per run (SRDD), mean and 95 % CI", [](const RunRow& r) { return r.quality.has_value(); },
       [](const RunRow& r) { return r.quality->quality; }},
  };
  return list;
}

std::string percent(long part, long whole) {
  if (whole == 0) return "";
  return fmt::format(" ({:.0f} %)", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string md_cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out.push_back(c);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& results_columns() {
  static const std::vector<std::string> columns = {
      "run",           "prompt_id",   "prompt_name",   "idea",
      "variant",       "sop",         "repeat",        "status",
      "exit_code",     "finished",    "outcome",       "verdict",
      "executable",    "cost_usd",    "prompt_tokens", "completion_tokens",
      "calls",         "wall_s",      "files",         "lines",
      "review_rounds", "test_rounds", "folder",        "error",
      "completeness",  "executability", "consistency", "consistency_method",
      "quality",       "execution"};
  return columns;
}

nlohmann::json row_to_json(const RunRow& row) {
  const auto& r = row.run;
  return {{"run", r.run_name},
          {"prompt_id", r.prompt.id},
          {"prompt_name", r.prompt.name},
          {"idea", r.prompt.idea},
          {"variant", r.variant.name},
          {"sop", r.variant.sop},
          {"repeat", r.repeat},
          {"status", row.status},
          {"exit_code", row.exit_code},
          {"finished", row.finished()},
          {"outcome", row.outcome},
          {"verdict", row.verdict},
          {"executable", row.executable()},
          {"cost_usd", row.cost_usd},
          {"prompt_tokens", row.prompt_tokens},
          {"completion_tokens", row.completion_tokens},
          {"calls", row.calls},
          {"wall_s", row.wall_s},
          {"files", row.files},
          {"lines", row.lines},
          {"review_rounds", row.review_rounds},
          {"test_rounds", row.test_rounds},
          {"folder", row.folder.string()},
          {"has_figures", row.has_figures},
          {"error", row.error},
          {"quality", row.quality ? to_json(*row.quality) : nlohmann::json(nullptr)}};
}

std::string render_results_csv(const std::vector<RunRow>& rows) {
  std::string out;
  const auto& columns = results_columns();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out.push_back(',');
    out.append(columns[i]);
  }
  out.push_back('\n');
  for (const auto& row : rows) {
    const auto values = cells(row, fs::path());
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) out.push_back(',');
      out.append(csv_cell(values[i]));
    }
    out.push_back('\n');
  }
  return out;
}

nlohmann::json render_results_json(const std::vector<RunRow>& rows, const ExperimentInfo& info) {
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : info.variants) variants.push_back({{"name", v.name}, {"sop", v.sop}});
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& row : rows) runs.push_back(row_to_json(row));
  return {{"experiment",
           {{"prompts_file", info.prompts_file},
            {"prompts", info.prompts},
            {"variants", variants},
            {"repeats", info.repeats},
            {"jobs", info.jobs},
            {"planned", info.planned},
            {"launched", info.launched},
            {"budget_usd", info.budget_usd < 0 ? nlohmann::json(nullptr) : nlohmann::json(info.budget_usd)},
            {"started_at", info.started_at},
            {"ended_at", info.ended_at},
            {"stopped", info.stopped},
            {"folder", info.folder.string()}}},
          {"runs", runs}};
}

namespace {

// With two variants or more: each compared with the first on the prompts both ran, and the
// charts.
std::string side_by_side(const std::vector<RunRow>& rows, const ExperimentInfo& info) {
  if (info.variants.size() < 2) return "";
  std::string out = fmt::format(
      "\n## Side by side\n\nEach variant against `{}` on the prompts both ran (each side the mean of its "
      "repeats): the mean difference with its 95 % CI, the prompts where it is higher / lower / equal, and the "
      "two-sided p of the Wilcoxon signed-rank test (normal approximation; rough below 6 prompts).\n\n"
      "| figure | variant | prompts | mean difference (95 % CI) | higher / lower / equal | p |\n"
      "|---|---|---:|---:|---|---:|\n",
      md_cell(info.variants[0].name));
  for (const auto& c : compare_variants(rows, info.variants)) {
    if (c.pairs == 0) {
      out += fmt::format("| {} | {} | 0 | – | – | – |\n", c.figure, md_cell(c.other));
      continue;
    }
    out += fmt::format("| {} | {} | {} | {:+.4g} ± {:.4g} | {} / {} / {} | {:.3g} |\n", c.figure, md_cell(c.other),
                       c.pairs, c.mean_difference, c.ci95, c.higher, c.lower, c.ties, c.p_value);
  }
  out += "\n";
  for (const auto& chart : charts()) out += fmt::format("![{}](charts/{}.svg)\n", chart.title, chart.file);
  return out;
}

}  // namespace

std::string render_summary_md(const std::vector<RunRow>& rows, const ExperimentInfo& info) {
  std::string out = fmt::format("# Experiment {}\n\n", info.folder.filename().string());
  out += fmt::format(
      "Prompts: `{}` ({} prompts) × {} variant{} × {} repeat{} = {} runs; {} launched, {} at a time.\n",
      info.prompts_file, info.prompts, info.variants.size(), info.variants.size() == 1 ? "" : "s",
      info.repeats, info.repeats == 1 ? "" : "s", info.planned, info.launched, info.jobs);
  if (info.budget_usd >= 0) out += fmt::format("Budget: ${:.4f}.\n", info.budget_usd);
  out += fmt::format("Started {}{}.\n", info.started_at,
                     info.ended_at.empty() ? ", still running" : ", ended " + info.ended_at);
  if (info.stopped == "interrupted")
    out += "**Interrupted**: runs in flight were stopped, the rest not launched.\n";
  if (info.stopped == "budget") out += "**Budget reached**: the remaining runs were not launched.\n";

  double total_cost = 0;
  for (const auto& r : rows) total_cost += r.cost_usd;
  out += fmt::format("Spent ${:.4f} over {} runs.\n\n", total_cost, rows.size());

  out +=
      "| variant | SOP | runs | finished | failed | stopped | executable | mean cost (USD) | mean tokens | "
      "mean wall (s) | mean files | mean lines | mean review rounds | mean test rounds | completeness | "
      "executability | consistency | quality (95 % CI) |\n";
  out += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  std::string details;
  for (const auto& variant : info.variants) {
    std::vector<const RunRow*> mine;
    for (const auto& r : rows)
      if (r.run.variant.name == variant.name) mine.push_back(&r);
    long finished = 0, failed = 0, stopped = 0, executable = 0;
    std::vector<const RunRow*> with_figures;
    for (const auto* r : mine) {
      finished += r->finished();
      failed += r->status == "failed" || r->status == "timed_out";
      stopped += r->status == "stopped";
      executable += r->executable();
      if (r->has_figures) with_figures.push_back(r);
    }
    std::vector<Spread> spreads;
    for (const auto& f : figures()) {
      std::vector<double> values;
      for (const auto* r : with_figures) values.push_back(f.value(*r));
      spreads.push_back(spread(values));
    }
    const std::string sop = variant.sop.empty() ? "(default)" : variant.sop;
    auto mean_of = [&](std::size_t i) {
      return fmt::format(fmt::runtime(figures()[i].format), spreads[i].mean);
    };
    std::vector<const RunRow*> measured;
    for (const auto* r : mine)
      if (r->quality) measured.push_back(r);
    std::vector<Spread> quality_spreads;
    std::vector<double> quality_values;
    for (const auto& f : quality_figures()) {
      std::vector<double> values;
      for (const auto* r : measured) values.push_back(f.value(*r));
      quality_spreads.push_back(spread(values));
      if (std::string(f.label) == "quality") quality_values = values;
    }
    auto quality_of = [&](std::size_t i) {
      if (measured.empty()) return std::string("–");
      std::string cell = fmt::format(fmt::runtime(quality_figures()[i].format), quality_spreads[i].mean);
      if (i == 3 && measured.size() > 1) cell += fmt::format(" ± {:.3f}", ci95_of(quality_values));
      return cell;
    };
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        md_cell(variant.name), md_cell(sop), mine.size(), finished, failed, stopped, executable, mean_of(0),
        mean_of(3), mean_of(5), mean_of(6), mean_of(7), mean_of(8), mean_of(9), quality_of(0), quality_of(1),
        quality_of(2), quality_of(3));

    details +=
        fmt::format("\n## {}\n\nSOP: {}. Runs: {}; finished {}{}; executable {}{}; failed {}; stopped {}.\n",
                    md_cell(variant.name), md_cell(sop), mine.size(), finished,
                    percent(finished, static_cast<long>(mine.size())), executable,
                    percent(executable, static_cast<long>(mine.size())), failed, stopped);
    if (with_figures.empty()) {
      details += "\nNo run of this variant left a trace to read figures from.\n";
    } else {
      details += fmt::format("Figures over the {} run{} with a trace.\n\n", with_figures.size(),
                             with_figures.size() == 1 ? "" : "s");
      details += "| figure | mean | median | min | max |\n|---|---:|---:|---:|---:|\n";
      for (std::size_t i = 0; i < figures().size(); ++i) {
        const auto& f = figures()[i];
        const auto& s = spreads[i];
        auto v = [&](double x) { return fmt::format(fmt::runtime(f.format), x); };
        details +=
            fmt::format("| {} | {} | {} | {} | {} |\n", f.label, v(s.mean), v(s.median), v(s.min), v(s.max));
      }
    }
    if (!measured.empty()) {
      std::set<std::string> methods;
      for (const auto* r : measured) methods.insert(r->quality->consistency_method);
      details += fmt::format(
          "\nQuality of the {} measured run{} (stats/quality.hpp; consistency: {}):\n\n"
          "| figure | mean (95 % CI) | median | min | max |\n|---|---:|---:|---:|---:|\n",
          measured.size(), measured.size() == 1 ? "" : "s", fmt::join(methods, ", "));
      for (std::size_t i = 0; i < quality_figures().size(); ++i) {
        const auto& f = quality_figures()[i];
        std::vector<double> values;
        for (const auto* r : measured) values.push_back(f.value(*r));
        const auto& s = quality_spreads[i];
        auto v = [&](double x) { return fmt::format(fmt::runtime(f.format), x); };
        details += fmt::format("| {} | {} ± {} | {} | {} | {} |\n", f.label, v(s.mean), v(ci95_of(values)), v(s.median),
                               v(s.min), v(s.max));
      }
    }
    std::string problems;
    for (const auto* r : mine)
      if (!r->finished())
        problems += fmt::format("- `{}`: {} (exit {}){}\n", r->run.run_name, r->status, r->exit_code,
                                r->error.empty() ? "" : ": " + md_cell(r->error));
    if (!problems.empty()) details += "\nNot finished:\n\n" + problems;
  }
  return out + side_by_side(rows, info) + details;
}

Status write_results(const std::vector<RunRow>& rows, const ExperimentInfo& info) {
  if (auto s = write_atomically(info.folder / "results.csv", render_results_csv(rows)); !s) return s;
  if (auto s = write_atomically(info.folder / "results.json", render_results_json(rows, info).dump(2) + "\n");
      !s)
    return s;
  if (info.variants.size() >= 2) {
    std::error_code ec;
    fs::create_directories(info.folder / "charts", ec);
    for (const auto& chart : charts()) {
      std::vector<Bar> bars;
      for (const auto& variant : info.variants) {
        std::vector<double> values;
        for (const auto& r : rows)
          if (r.run.variant.name == variant.name && chart.has(r)) values.push_back(chart.value(r));
        bars.push_back({variant.name, mean_of(values), ci95_of(values)});
      }
      if (auto s = write_atomically(info.folder / "charts" / (std::string(chart.file) + ".svg"),
                                    bar_chart_svg(chart.title, bars));
          !s)
        return s;
    }
  }
  return write_atomically(info.folder / "summary.md", render_summary_md(rows, info));
}

}  // namespace agentco
