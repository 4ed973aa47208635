#include "web/routes.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <vector>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/resources.hpp"
#include "web/git_reader.hpp"

namespace agentco::web {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kMaxPage = 20000;

Reply not_found() { return Reply{404, "application/json", R"({"error":"not found"})"}; }

Reply json_reply(const json& value) {
  return Reply{200, "application/json", value.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Reply error_reply(const Error& error) {
  if (error.code == "not_found") return not_found();
  return Reply{500, "application/json", json{{"error", error.message}}.dump()};
}

std::string content_type_of(std::string_view name) {
  auto ends = [&](std::string_view suffix) { return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  return "text/plain; charset=utf-8";
}

struct Target {
  std::vector<std::string> segments;  // decoded
  std::map<std::string, std::string> params;
};

// Parses an origin-form target. nullopt for anything malformed or any segment that could
// step out of a folder once decoded.
std::optional<Target> parse_target(std::string_view raw) {
  auto parsed = boost::urls::parse_origin_form(raw);
  if (!parsed) return std::nullopt;
  Target target;
  for (auto segment : parsed->segments()) {
    std::string s(segment);
    if (s == "." || s == ".." || s.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos) return std::nullopt;
    target.segments.push_back(std::move(s));
  }
  // "/api/runs/" has a trailing empty segment; it names nothing more than "/api/runs".
  while (!target.segments.empty() && target.segments.back().empty()) target.segments.pop_back();
  for (auto param : parsed->params()) target.params[std::string(param.key)] = std::string(param.value);
  return target;
}

std::uint64_t number_param(const Target& target, const std::string& key, std::uint64_t fallback) {
  auto it = target.params.find(key);
  if (it == target.params.end()) return fallback;
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || ptr != it->second.data() + it->second.size()) return fallback;
  return value;
}

std::string text_param(const Target& target, const std::string& key, const std::string& fallback = "") {
  auto it = target.params.find(key);
  return it == target.params.end() ? fallback : it->second;
}

Reply asset(const std::string& name) {
  // AGENTCO_WEB_ASSETS=web/assets serves the page from disk while it is being edited.
  if (const char* dir = std::getenv("AGENTCO_WEB_ASSETS"); dir && *dir) {
    std::ifstream in(fs::path(dir) / name, std::ios::binary);
    if (!in) return not_found();
    return Reply{200, content_type_of(name), std::string(std::istreambuf_iterator<char>(in), {}), "no-cache"};
  }
  auto body = embedded_resource("web/assets/" + name);
  if (!body) return not_found();
  return Reply{200, content_type_of(name), std::move(*body), "no-cache"};
}

}  // namespace

Routes::Routes(WarehouseView& view, fs::path node_modules) : view_(view), node_modules_(std::move(node_modules)) {}

Reply Routes::get(std::string_view raw) {
  auto target = parse_target(raw);
  if (!target) return not_found();
  const auto& s = target->segments;
  if (s.empty() || (s.size() == 1 && s[0] == "index.html")) return asset("index.html");
  if (s.size() == 2 && s[0] == "assets") return asset(s[1]);
  if (s.size() == 2 && s[0] == "vendor") {
    // A fixed list: request paths never reach the file system.
    static const std::map<std::string, std::string> kVendor = {
        {"marked.js", "marked/lib/marked.umd.js"},
        {"mermaid.js", "mermaid/dist/mermaid.min.js"},
    };
    auto it = kVendor.find(s[1]);
    if (it == kVendor.end() || node_modules_.empty()) return not_found();
    std::ifstream in(node_modules_ / it->second, std::ios::binary);
    if (!in) return not_found();
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return Reply{200, "text/javascript; charset=utf-8", std::move(body), "max-age=3600"};
  }
  if (s.size() == 2 && s[0] == "api" && s[1] == "runs") return json_reply(view_.list_runs());
  if (s.size() == 2 && s[0] == "api" && s[1] == "info") {
    std::error_code ec;
    bool marked = !node_modules_.empty() && fs::is_regular_file(node_modules_ / "marked/lib/marked.umd.js", ec);
    bool mermaid = !node_modules_.empty() && fs::is_regular_file(node_modules_ / "mermaid/dist/mermaid.min.js", ec);
    return json_reply({{"version", AGENTCO_VERSION}, {"marked", marked}, {"mermaid", mermaid}});
  }
  if (s.size() >= 3 && s.size() <= 4 && s[0] == "api" && s[1] == "runs") {
    const std::string what = s.size() == 4 ? s[3] : "";
    auto folder = view_.find_run(s[2]);
    if (!folder) return not_found();
    if (what.empty()) {
      auto summary = view_.run_summary(s[2]);
      return summary ? json_reply(*summary) : not_found();
    }
    if (what == "trace") {
      const std::uint64_t from = number_param(*target, "from", 1);
      const std::size_t limit = std::min<std::uint64_t>(number_param(*target, "limit", 1000), kMaxPage);
      auto page = view_.records(s[2], from, std::max<std::size_t>(limit, 1), text_param(*target, "compact") == "1");
      return page ? json_reply(*page) : not_found();
    }
    if (what == "commits") {
      auto log = read_git_log(*folder);
      return log ? json_reply(*log) : json_reply(json::array());
    }
    const std::string commit = text_param(*target, "commit", "HEAD");
    if (what == "tree") {
      auto tree = read_git_tree(*folder, commit);
      return tree ? json_reply(*tree) : error_reply(tree.error());
    }
    if (what == "diff") {
      auto diff = read_git_diff(*folder, commit);
      return diff ? json_reply(*diff) : error_reply(diff.error());
    }
    if (what == "file") {
      auto file = read_git_file(*folder, commit, text_param(*target, "path"));
      if (!file) return error_reply(file.error());
      return Reply{200, "text/plain; charset=utf-8", std::move(*file), "no-store"};
    }
  }
  return not_found();
}

std::optional<LiveRequest> Routes::live(std::string_view raw) {
  auto target = parse_target(raw);
  if (!target) return std::nullopt;
  const auto& s = target->segments;
  if (s.size() != 4 || s[0] != "api" || s[1] != "runs" || s[3] != "live") return std::nullopt;
  auto folder = view_.find_run(s[2]);
  if (!folder) return std::nullopt;
  return LiveRequest{s[2], *folder / "run.jsonl", std::max<std::uint64_t>(1, number_param(*target, "from", 1))};
}

}  // namespace agentco::web
