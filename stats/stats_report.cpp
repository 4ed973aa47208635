#include "stats/stats_report.hpp"

#include "stats/prefix_share.hpp"

#include <fmt/format.h>

namespace agentco {

namespace {

constexpr const char* kBold = "\x1b[1m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kReset = "\x1b[0m";

struct Cell {
  std::string text;
  const char* color = nullptr;
};

using Row = std::vector<Cell>;

bool wide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x20000 && c <= 0x3FFFD);
}

std::string money(double usd) { return fmt::format("{:.4f}", usd); }
std::string secs(double s) { return s >= 100 ? fmt::format("{:.0f}", s) : fmt::format("{:.2f}", s); }
std::string count(long n) { return std::to_string(n); }
std::string percent(double share) { return fmt::format("{:.0f}", 100.0 * share); }

const char* verdict_color(const std::string& verdict) {
  if (verdict == "passed") return kGreen;
  if (verdict == "failed" || verdict == "rounds_exhausted" || verdict == "give_up") return kRed;
  return nullptr;
}

// Left-aligns the first `text_columns` columns, right-aligns the rest.
void render(std::string& out, const Row& header, const std::vector<Row>& rows, const std::vector<bool>& bold_rows,
            std::size_t text_columns, bool color) {
  std::vector<std::size_t> widths(header.size(), 0);
  auto measure = [&](const Row& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i].text));
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto line = [&](const Row& row, bool bold) {
    std::string text;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string& cell = i < row.size() ? row[i].text : std::string();
      std::string pad(widths[i] - display_width(cell), ' ');
      std::string body = cell;
      const char* c = i < row.size() ? row[i].color : nullptr;
      if (color && c) body = std::string(c) + body + kReset + (bold ? kBold : "");
      if (i > 0) text += "  ";
      text += i < text_columns ? body + pad : pad + body;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    if (color && bold) text = std::string(kBold) + text + kReset;
    out += text + "\n";
  };
  line(header, true);
  std::string rule;
  for (std::size_t i = 0; i < widths.size(); ++i) rule += (i ? "  " : "") + std::string(widths[i], '-');
  out += rule + "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) line(rows[i], bold_rows[i]);
}

Row role_row(const RoleStats& r) {
  return {{r.role},
          {count(r.calls)},
          {count(r.prompt_tokens)},
          {count(r.completion_tokens)},
          {count(r.cached_tokens)},
          {percent(r.prefix_share())},
          {money(r.cost_usd)},
          {secs(r.latency_p50_s)},
          {secs(r.latency_p95_s)},
          {secs(r.working_s)},
          {secs(r.waiting_s)},
          {count(r.messages_sent)},
          {count(r.messages_received)},
          {count(r.review_rounds)},
          {count(r.test_rounds)},
          {count(r.files_written)},
          {count(r.tool_calls)}};
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    char32_t c = byte;
    std::size_t len = 1;
    if (byte >= 0xF0) len = 4, c = byte & 0x07;
    else if (byte >= 0xE0) len = 3, c = byte & 0x0F;
    else if (byte >= 0xC0) len = 2, c = byte & 0x1F;
    for (std::size_t k = 1; k < len && i + k < text.size(); ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += len;
    if (byte == 0x1b) continue;
    width += wide(c) ? 2 : 1;
  }
  return width;
}

std::string render_stats_table(const std::vector<RunStats>& runs, const TableStyle& style) {
  std::string out;
  Row header{{"run"},    {"source"}, {"verdict"}, {"calls"},   {"prompt tok"}, {"compl tok"},   {"cached tok"},
             {"prefix %"}, {"cost $"}, {"p50 s"},   {"p95 s"},   {"wall s"},     {"work s"},      {"msgs"},
             {"reviews"}, {"test rounds"}, {"files"}, {"LOC"}, {"tool calls"}};
  std::vector<Row> rows;
  std::vector<bool> bold;
  RunStats sum;
  for (const auto& run : runs) {
    const RoleStats& t = run.total;
    std::string verdict = run.verdict.empty() ? "-" : run.verdict;
    rows.push_back({{run.name}, {run.source}, {verdict, verdict_color(run.verdict)}, {count(t.calls)},
                    {count(t.prompt_tokens)}, {count(t.completion_tokens)}, {count(t.cached_tokens)},
                    {percent(t.prefix_share())}, {money(t.cost_usd)},
                    {secs(t.latency_p50_s)}, {secs(t.latency_p95_s)}, {secs(run.wall_s)}, {secs(t.working_s)},
                    {count(t.messages_sent)}, {count(t.review_rounds)}, {count(t.test_rounds)}, {count(run.files)},
                    {count(run.lines_of_code)}, {count(t.tool_calls)}});
    bold.push_back(false);
    sum.total.calls += t.calls;
    sum.total.prompt_tokens += t.prompt_tokens;
    sum.total.completion_tokens += t.completion_tokens;
    sum.total.cached_tokens += t.cached_tokens;
    sum.total.request_tokens += t.request_tokens;
    sum.total.prefix_tokens += t.prefix_tokens;
    sum.total.cost_usd += t.cost_usd;
    sum.wall_s += run.wall_s;
    sum.total.working_s += t.working_s;
    sum.total.messages_sent += t.messages_sent;
    sum.total.review_rounds += t.review_rounds;
    sum.total.test_rounds += t.test_rounds;
    sum.files += run.files;
    sum.lines_of_code += run.lines_of_code;
    sum.total.tool_calls += t.tool_calls;
  }
  if (runs.size() > 1) {
    const RoleStats& t = sum.total;
    rows.push_back({{fmt::format("total ({} runs)", runs.size())}, {""}, {""}, {count(t.calls)},
                    {count(t.prompt_tokens)}, {count(t.completion_tokens)}, {count(t.cached_tokens)},
                    {percent(t.prefix_share())}, {money(t.cost_usd)}, {""}, {""},
                    {secs(sum.wall_s)}, {secs(t.working_s)}, {count(t.messages_sent)}, {count(t.review_rounds)},
                    {count(t.test_rounds)}, {count(sum.files)}, {count(sum.lines_of_code)}, {count(t.tool_calls)}});
    bold.push_back(true);
  }
  render(out, header, rows, bold, 3, style.color);
  // SRDD quality, for the runs measured (`stats --quality`).
  std::vector<Row> quality_rows;
  std::vector<bool> quality_bold;
  for (const auto& run : runs) {
    if (!run.quality) continue;
    const Quality& q = *run.quality;
    quality_rows.push_back({{run.name}, {run.source}, {fmt::format("{:.0f}", q.completeness)},
                            {fmt::format("{:.0f}", q.executability)},
                            {fmt::format("{:.3f} ({})", q.consistency, q.consistency_method)},
                            {fmt::format("{:.3f}", q.quality)}, {q.execution}});
    quality_bold.push_back(false);
  }
  if (!quality_rows.empty()) {
    out += "\n";
    Row quality_header{{"run"}, {"source"}, {"complete"}, {"executable"}, {"consistency"}, {"quality"}, {"execution"}};
    render(out, quality_header, quality_rows, quality_bold, 2, style.color);
  }
  if (!style.roles) return out;
  Row role_header{{"role"},   {"calls"}, {"prompt tok"}, {"compl tok"}, {"cached tok"},  {"prefix %"},
                  {"cost $"}, {"p50 s"}, {"p95 s"},      {"work s"},    {"wait s"},      {"sent"},
                  {"recv"},   {"reviews"}, {"test rounds"}, {"files"}, {"tool calls"}};
  for (const auto& run : runs) {
    out += "\n";
    std::string title = fmt::format("{} ({}, wall {} s{})", run.name, run.source, secs(run.wall_s),
                                    run.test_fix_rounds ? fmt::format(", {} test/fix rounds", run.test_fix_rounds) : "");
    out += style.color ? std::string(kBold) + title + kReset + "\n" : title + "\n";
    std::vector<Row> role_rows;
    std::vector<bool> role_bold;
    for (const auto& r : run.roles) {
      role_rows.push_back(role_row(r));
      role_bold.push_back(false);
    }
    role_rows.push_back(role_row(run.total));
    role_bold.push_back(true);
    render(out, role_header, role_rows, role_bold, 1, style.color);
  }
  return out;
}

std::string render_stats_csv(const std::vector<RunStats>& runs) {
  std::string out =
      "run,source,role,calls,failed_calls,prompt_tokens,completion_tokens,cached_tokens,prefix_share,cost_usd,"
      "latency_p50_s,latency_p95_s,"
      "working_s,waiting_s,messages_sent,messages_received,review_rounds,test_rounds,files_written,wall_s,files,"
      "lines_of_code,test_fix_rounds,verdict,tool_calls,tool_errors,completeness,executability,consistency,"
      "consistency_method,quality\n";
  for (const auto& run : runs) {
    auto line = [&](const RoleStats& r, bool total) {
      out += fmt::format("{},{},{},{},{},{},{},{},{:.4f},{:.6f},{:.3f},{:.3f},{:.3f},{:.3f},{},{},{},{},{},",
                         csv_field(run.name), csv_field(run.source), csv_field(r.role), r.calls, r.failed_calls,
                         r.prompt_tokens, r.completion_tokens, r.cached_tokens, r.prefix_share(), r.cost_usd,
                         r.latency_p50_s, r.latency_p95_s, r.working_s, r.waiting_s, r.messages_sent,
                         r.messages_received, r.review_rounds, r.test_rounds, r.files_written);
      if (total)
        out += fmt::format("{:.3f},{},{},{},{},", run.wall_s, run.files, run.lines_of_code, run.test_fix_rounds,
                           csv_field(run.verdict));
      else
        out += ",,,,,";
      out += fmt::format("{},{}", r.tool_calls, r.tool_errors);
      if (total && run.quality)
        out += fmt::format(",{:.0f},{:.0f},{:.4f},{},{:.4f}\n", run.quality->completeness, run.quality->executability,
                           run.quality->consistency, csv_field(run.quality->consistency_method), run.quality->quality);
      else
        out += ",,,,,\n";
    };
    for (const auto& r : run.roles) line(r, false);
    line(run.total, true);
  }
  return out;
}

nlohmann::json render_stats_json(const std::vector<RunStats>& runs) {
  nlohmann::json list = nlohmann::json::array();
  long calls = 0, prompt = 0, completion = 0, cached = 0, request = 0, prefix = 0, files = 0, loc = 0;
  double cost = 0, wall = 0;
  for (const auto& run : runs) {
    list.push_back(to_json(run));
    calls += run.total.calls;
    prompt += run.total.prompt_tokens;
    completion += run.total.completion_tokens;
    cached += run.total.cached_tokens;
    request += run.total.request_tokens;
    prefix += run.total.prefix_tokens;
    cost += run.total.cost_usd;
    wall += run.wall_s;
    files += run.files;
    loc += run.lines_of_code;
  }
  return {{"runs", list},
          {"total",
           {{"runs", runs.size()},
            {"calls", calls},
            {"prompt_tokens", prompt},
            {"completion_tokens", completion},
            {"cached_tokens", cached},
            {"prefix_share", prefix_share(prefix, request)},
            {"cost_usd", cost},
            {"wall_s", wall},
            {"files", files},
            {"lines_of_code", loc}}}};
}

}  // namespace agentco
