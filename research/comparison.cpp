#include "research/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "core/utf8.hpp"

namespace agentco {
namespace {

struct PairedFigure {
  const char* name;
  std::function<bool(const RunRow&)> has;
  std::function<double(const RunRow&)> value;
};

const std::vector<PairedFigure>& paired_figures() {
  static const std::vector<PairedFigure> list = {
      {"quality", [](const RunRow& r) { return r.quality.has_value(); }, [](const RunRow& r) { return r.quality->quality; }},
      {"cost (USD)", [](const RunRow& r) { return r.has_figures; }, [](const RunRow& r) { return r.cost_usd; }},
      {"wall time (s)", [](const RunRow& r) { return r.has_figures; }, [](const RunRow& r) { return r.wall_s; }},
  };
  return list;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

double ci95_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean_of(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return 1.96 * std::sqrt(ss / static_cast<double>(v.size() - 1)) / std::sqrt(static_cast<double>(v.size()));
}

double wilcoxon_signed_rank_p(const std::vector<double>& differences) {
  std::vector<double> d;
  for (double x : differences)
    if (x != 0) d.push_back(x);
  const std::size_t n = d.size();
  if (n == 0) return 1;
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return std::fabs(d[a]) < std::fabs(d[b]); });
  // Ranks of |d|, ties sharing their mean rank; the tie correction of the variance with them.
  std::vector<double> rank(n);
  double tie_term = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && std::fabs(d[order[j + 1]]) == std::fabs(d[order[i]])) ++j;
    const double shared = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = shared;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  double w_plus = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (d[i] > 0) w_plus += rank[i];
  const double nn = static_cast<double>(n);
  const double mean = nn * (nn + 1) / 4;
  const double variance = nn * (nn + 1) * (2 * nn + 1) / 24 - tie_term / 48;
  if (variance <= 0) return 1;
  const double z = std::max(0.0, std::fabs(w_plus - mean) - 0.5) / std::sqrt(variance);
  return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

std::vector<PairedComparison> compare_variants(const std::vector<RunRow>& rows, const std::vector<Variant>& variants) {
  std::vector<PairedComparison> out;
  if (variants.size() < 2) return out;
  for (const auto& figure : paired_figures()) {
    // variant -> prompt id -> values over repeats
    std::map<std::string, std::map<int, std::vector<double>>> values;
    for (const auto& r : rows)
      if (figure.has(r)) values[r.run.variant.name][r.run.prompt.id].push_back(figure.value(r));
    const auto& base = values[variants[0].name];
    for (std::size_t v = 1; v < variants.size(); ++v) {
      const auto& other = values[variants[v].name];
      PairedComparison c;
      c.figure = figure.name;
      c.base = variants[0].name;
      c.other = variants[v].name;
      std::vector<double> differences;
      for (const auto& [prompt, base_values] : base) {
        const auto it = other.find(prompt);
        if (it == other.end()) continue;
        const double difference = mean_of(it->second) - mean_of(base_values);
        differences.push_back(difference);
        if (difference > 0) ++c.higher;
        else if (difference < 0) ++c.lower;
        else ++c.ties;
      }
      c.pairs = static_cast<int>(differences.size());
      c.mean_difference = mean_of(differences);
      c.ci95 = ci95_of(differences);
      c.p_value = wilcoxon_signed_rank_p(differences);
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::string bar_chart_svg(const std::string& title, const std::vector<Bar>& bars) {
  const int bar_w = 70, gap = 30, left = 60, top = 40, height = 200, bottom = 60;
  // Wide enough for the bars and for the title (about 8 px a character at 15 px).
  const int width = std::max(left + static_cast<int>(bars.size()) * (bar_w + gap) + gap,
                             left + 8 * static_cast<int>(title.size()) + 20);
  double top_value = 0;
  for (const auto& b : bars) top_value = std::max(top_value, b.mean + b.ci95);
  if (top_value <= 0) top_value = 1;
  auto y = [&](double v) { return top + height - static_cast<int>(std::lround(v / top_value * height)); };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<text x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n"
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#9ca3af\"/>\n"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#6b7280\">{}</text>\n"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#6b7280\">0</text>\n",
      width, top + height + bottom, width, top + height + bottom, left, xml_escape(title), left, top + height, width,
      top + height, left - 6, top + 4, fmt::format("{:.4g}", top_value), left - 6, top + height + 4);
  int x = left + gap;
  for (const auto& b : bars) {
    const int y0 = y(std::max(0.0, b.mean));
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#4f46e5\"><title>{}: {:.4g} ± {:.4g}</title></rect>\n",
                       x, y0, bar_w, top + height - y0, xml_escape(b.label), b.mean, b.ci95);
    if (b.ci95 > 0) {
      const int cx = x + bar_w / 2, hi = y(b.mean + b.ci95), lo = y(std::max(0.0, b.mean - b.ci95));
      svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#111827\"/>"
                         "<line x1=\"{3}\" y1=\"{1}\" x2=\"{4}\" y2=\"{1}\" stroke=\"#111827\"/>"
                         "<line x1=\"{3}\" y1=\"{2}\" x2=\"{4}\" y2=\"{2}\" stroke=\"#111827\"/>\n",
                         cx, hi, lo, cx - 8, cx + 8);
    }
    // The value inside the bar's top (above it when the bar is too short), clear of the whisker.
    const bool inside = top + height - y0 >= 22;
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"start\" fill=\"{}\">{:.4g}</text>\n", x + 4,
                       inside ? y0 + 16 : y0 - 6, inside ? "#ffffff" : "#111827", b.mean);
    std::string label = b.label.size() > 14 ? std::string(cut_utf8(b.label, 13)) + "…" : b.label;
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x + bar_w / 2, top + height + 18,
                       xml_escape(label));
    x += bar_w + gap;
  }
  return svg + "</svg>\n";
}

}  // namespace agentco
