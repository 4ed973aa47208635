// `agentco import chatdev <log>`: a ChatDev run log (and the config files beside it) to
// an agentco project folder. How ChatDev's records map to ours is in trace/SCHEMA.md
// ("Imported runs"); what a log lacks becomes a warning.
#include <algorithm>
#include <cmath>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "core/text.hpp"
#include "importers/chatdev_log.hpp"
#include "importers/imported_run.hpp"
#include "importers/importer.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace fs = std::filesystem;
using namespace chatdev;

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string first_line(std::string_view s) { return trim(s.substr(0, s.find('\n'))); }

std::string strip_ansi(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '[') {
      i += 2;
      while (i < s.size() && !std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
      continue;
    }
    out += s[i];
  }
  return out;
}

// 14 digits (YYYYMMDDhhmmss) in `text`, "" when none.
std::string find_stamp(const std::string& text) {
  for (std::size_t i = 0; i + 14 <= text.size(); ++i) {
    std::size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i == 14) return text.substr(i, 14);
    i = j;
  }
  return "";
}

double epoch_of(const std::string& iso) {
  std::tm tm{};
  int y, mo, d, h, mi, s;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nan("");
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<double>(timegm(&tm));
}

std::string read_text(const fs::path& p) {
  std::string text;
  read_file(p.string(), text);
  return text;
}

// meta.txt: "Key:\nvalue lines\n\n" sections.
nlohmann::json parse_meta_txt(const std::string& text) {
  nlohmann::json meta = nlohmann::json::object();
  std::string key, value;
  auto flush = [&] {
    if (!key.empty()) meta[key] = trim(value);
    value.clear();
  };
  for (const auto& line : split_lines(text)) {
    bool is_key = !line.empty() && line.back() == ':' && line.find(' ') == std::string::npos &&
                  line.find('.') == std::string::npos;
    if (is_key) {
      flush();
      key = line.substr(0, line.size() - 1);
    } else if (!key.empty()) {
      value += line + "\n";
    }
  }
  flush();
  return meta;
}

struct PendingCall {
  Usage usage;
  bool from_http = false;  // a bare "HTTP Request" line: a call without usage
  std::string at;
  double latency = 0;
};

struct Phase {
  std::string name;
  std::string assistant, user;
  std::string composed;
  int cycle = -1;
  std::string conclusion;
  bool open = false;
};

class ChatDevImport {
 public:
  ChatDevImport(ImportedRun& run, std::string model, double price_in, double price_out)
      : run_(run), model_(std::move(model)), price_in_(price_in), price_out_(price_out) {}

  void walk(const std::vector<LogRecord>& records, bool has_update_codes) {
    has_update_codes_ = has_update_codes;
    for (std::size_t i = 0; i < records.size(); ++i) {
      const LogRecord& r = records[i];
      std::string body = strip_ansi(r.body);
      if (starts_with(body, "flask app.py did not start")) continue;
      if (!starts_with(body, "**[Update Codes]**")) commit_batch(r.at);
      handle(records, i, body);
      if (!r.at.empty()) last_at_ = r.at;
    }
    finish_phase(last_at_);
    commit_batch(last_at_);
  }

  // Code as reconstructed: file -> lines.
  const std::map<std::string, std::vector<std::string>>& code() const { return code_; }
  const std::vector<std::string>& code_order() const { return code_order_; }
  std::map<std::string, nlohmann::json>& roles() { return roles_; }
  int test_rounds() const { return test_round_; }
  bool last_test_ok() const { return last_test_ok_; }
  long calls() const { return calls_; }
  long http_calls() const { return http_calls_; }
  long prompt_tokens() const { return prompt_tokens_; }
  long completion_tokens() const { return completion_tokens_; }
  double cost() const { return cost_; }
  const std::map<std::string, double>& last_software_info() const { return software_info_; }
  bool post_info() const { return post_info_; }
  bool ended() const { return ended_; }
  const std::string& end_at() const { return end_at_; }
  long code_lines_mismatches() const { return mismatches_; }
  const std::string& first_mismatch() const { return first_mismatch_; }
  long unclean_diffs() const { return unclean_diffs_; }

  static long count_code_lines(const std::map<std::string, std::vector<std::string>>& code) {
    long lines = 0;
    for (const auto& [name, content] : code) {
      if (name.size() < 3 || name.compare(name.size() - 3, 3, ".py") != 0) continue;
      for (const auto& l : content)
        if (!trim(l).empty()) ++lines;
    }
    return lines;
  }

 private:
  void handle(const std::vector<LogRecord>& records, std::size_t index, const std::string& body) {
    const LogRecord& r = records[index];
    const std::string& at = r.at;
    if (starts_with(body, "System: **[chatting]**")) {
      auto table = parse_parameter_table(body);
      open_phase(table["phase_name"], table["assistant_role_name"], table["user_role_name"], at);
      return;
    }
    if (starts_with(body, "**[Execute Detail]**")) {
      // "execute SimplePhase:[X] in ComposedPhase:[Y], cycle N"
      auto c = body.find("ComposedPhase:[");
      if (c != std::string::npos) {
        auto e = body.find(']', c);
        next_composed_ = body.substr(c + 15, e - c - 15);
        auto cy = body.find("cycle ", e);
        next_cycle_ = cy == std::string::npos ? -1 : std::atoi(body.c_str() + cy + 6);
      }
      return;
    }
    if (starts_with(body, "AgentTech Ends")) {
      ended_ = true;
      end_at_ = at;
      return;
    }
    if (starts_with(body, "System: ") || starts_with(body, "**[Preprocessing]**") || starts_with(body, "**[Test Info]**") ||
        starts_with(body, "AgentTech ") || starts_with(body, "log_filename:") || starts_with(body, "ChatDev Starts") ||
        starts_with(body, "args: ") || starts_with(body, "Log File:") || starts_with(body, "ChatDevConfig:") ||
        starts_with(body, "Task prompt:") || body.find("terminated the chat.") != std::string::npos)
      return;
    if (body.find("ChatDev Ends (") != std::string::npos && !ended_) {
      ended_ = true;
      end_at_ = at;
    }
    if (starts_with(body, "ChatDev Ends") || starts_with(body, "AgentTech Ends")) {
      ended_ = true;
      end_at_ = at;
      return;
    }
    if (starts_with(body, "PhaseType: PhaseType.")) {
      open_phase(first_line(body.substr(21)), "", "", at);
      return;
    }
    if (body.find(" sys message:") != std::string::npos && body.find("AI ") == 0) {
      // Older logs: "AI Assistant (Programmer) sys message:" names the phase's roles.
      std::string role = role_in_parens(body);
      if (starts_with(body, "AI Assistant")) phase_.assistant = role;
      else phase_.user = role;
      ensure_role(role);
      if (phase_.open && !role.empty()) start_action(role, at);
      return;
    }
    if (starts_with(body, "**[OpenAI_Usage_Info") || starts_with(body, "[OpenAI_Usage_Info")) {
      Usage u = parse_usage(body);
      if (u.any) pending_.push_back(PendingCall{u, false, at, seconds_since_last(at)});
      return;
    }
    if (starts_with(body, "HTTP Request: POST")) {
      pending_.push_back(PendingCall{Usage{}, true, at, seconds_since_last(at)});
      return;
    }
    if (starts_with(body, "**[Seminar Conclusion]**")) {
      phase_.conclusion = trim(body.substr(body.find('\n') == std::string::npos ? body.size() : body.find('\n')));
      return;
    }
    if (starts_with(body, "**[Update Codes]**")) {
      update_codes(body, at);
      return;
    }
    if (starts_with(body, "**[Rewrite Codes]**")) return;
    if (starts_with(body, "**[Software Info]**") || starts_with(body, "Software Info:")) {
      software_info(body, at);
      return;
    }
    if (starts_with(body, "**[Post Info]**")) {
      post_info_ = true;
      software_info(body, at);
      return;
    }
    if (starts_with(body, "**[Test Reports]**")) {
      test_report(trim(body.substr(std::min(body.size(), std::string_view("**[Test Reports]**:").size()))), at);
      return;
    }
    if (starts_with(body, "**[User Provided Comments]**")) {
      message("Human", {"Programmer"}, trim(body.substr(28)), "HumanAgentInteraction", at);
      return;
    }
    if (starts_with(body, "error_code=") || (r.level == "WARNING" && !after_error_code(records, index))) {
      std::string role = phase_.assistant.empty() ? "Programmer" : phase_.assistant;
      std::string code = starts_with(body, "error_code=") ? body.substr(11, body.find(' ') - 11) : "warning";
      run_.append("llm_error",
                  {{"call_id", fmt::format("chatdev-error-{}", ++errors_)}, {"role", role}, {"action", phase_.name},
                   {"code", code}, {"error", first_line(body)}, {"latency_s", 0}},
                  at);
      return;
    }
    if (auto speaker_end = body.find(": **"); speaker_end != std::string::npos && speaker_end < 60 &&
                                              body.find('\n') > speaker_end) {
      utterance_with_header(body, speaker_end, records, index, at);
      return;
    }
    if (starts_with(body, "Prompt Engineer: ")) {
      answer("Prompt Engineer", {"User"}, trim(body.substr(17)), "TaskPromptImprovement", at);
      return;
    }
    if (auto old = old_utterance(body); !old.empty()) {
      std::string content = trim(body.substr(body.find(':') == std::string::npos ? 0 : body.find("):") + 2));
      std::string other = old == phase_.assistant ? phase_.user : phase_.assistant;
      bool opening = body.find("] AI ") == std::string::npos && !starts_with(body, "[");
      if (opening) message(old, {other}, content, phase_.name, at);
      else answer(old, {other}, content, phase_.name, at);
      return;
    }
    Usage u = parse_usage(body);
    if (u.any) {
      // e.g. "**[Coding_wait]**": a call logged with its own usage and no utterance.
      std::string kind = first_line(body);
      std::string action = kind;
      if (starts_with(kind, "**[")) action = kind.substr(3, kind.find(']') - 3);
      pending_.push_back(PendingCall{u, false, at, seconds_since_last(at)});
      flush_pending(phase_.assistant.empty() ? "Programmer" : phase_.assistant, action, "", at);
      if (action == "Coding_wait")
        run_.warn("ChatDev's Coding_wait step merged several programs into one without logging the result: code lines "
                  "after it can differ from ChatDev's count",
                  at);
    }
    note(body, at);
  }

  static std::string role_in_parens(const std::string& body) {
    auto open = body.find('(');
    auto close = body.find(')', open);
    if (open == std::string::npos || close == std::string::npos) return "";
    return body.substr(open + 1, close - open - 1);
  }

  // "[0] AI Assistant (Programmer):" / "AI User (Chief Technology Officer):" -> the role.
  static std::string old_utterance(const std::string& body) {
    std::string head = first_line(body);
    std::size_t p = 0;
    if (starts_with(head, "[")) p = head.find("] ") == std::string::npos ? 0 : head.find("] ") + 2;
    std::string_view rest = std::string_view(head).substr(p);
    if (!(starts_with(rest, "AI Assistant (") || starts_with(rest, "AI User ("))) return "";
    if (head.empty() || head.back() != ':') return "";
    return role_in_parens(std::string(rest));
  }

  static bool after_error_code(const std::vector<LogRecord>& records, std::size_t index) {
    while (index > 0 && starts_with(records[index - 1].body, "flask app.py")) --index;
    return index > 0 && starts_with(records[index - 1].body, "error_code=");
  }

  double seconds_since_last(const std::string& at) const {
    double now = epoch_of(at), before = epoch_of(last_at_);
    if (std::isnan(now) || std::isnan(before)) return 0;
    return std::max(0.0, now - before);
  }

  void ensure_role(const std::string& role) {
    if (!role.empty() && !roles_.count(role)) roles_[role] = nlohmann::json::object();
  }

  void start_action(const std::string& role, const std::string& at) {
    if (role.empty() || active_.count(role)) return;
    active_.insert(role);
    run_.append("action_start", {{"role", role}, {"action", phase_.name}, {"trigger", last_message_id_}}, at);
  }

  void open_phase(const std::string& name, const std::string& assistant, const std::string& user, const std::string& at) {
    if (phase_.open && phase_.name != "Reflection") reflected_phase_ = phase_.name;
    finish_phase(at);
    phase_ = Phase{};
    phase_.name = name.empty() ? "Unknown" : name;
    phase_.assistant = assistant;
    phase_.user = user;
    phase_.composed = next_composed_;
    phase_.cycle = next_cycle_;
    phase_.open = true;
    next_composed_.clear();
    next_cycle_ = -1;
    ensure_role(assistant);
    ensure_role(user);
    start_action(assistant, at);
    start_action(user, at);
  }

  void finish_phase(const std::string& at) {
    if (!phase_.open) return;
    flush_pending(phase_.assistant.empty() ? "Programmer" : phase_.assistant, phase_.name, "", at);
    if (phase_.conclusion.empty()) phase_.conclusion = last_reply_;
    if (phase_.name == "CodeReviewComment" || phase_.name == "REVIEWING_COMMENT") {
      bool done = phase_.conclusion.find("<INFO> Finished") != std::string::npos ||
                  phase_.conclusion.find("<INFO> finished") != std::string::npos;
      std::string reviewer = phase_.assistant.empty() ? "Code Reviewer" : phase_.assistant;
      run_.append("review",
                  {{"role", reviewer}, {"file", "*"}, {"round", std::max(phase_.cycle, 0) + 1},
                   {"verdict", done ? "LGTM" : "LBTM"}, {"comment", phase_.conclusion}},
                  at);
    }
    write_documents(at);
    for (const auto& role : std::vector<std::string>(active_.begin(), active_.end())) {
      nlohmann::json end = {{"role", role}, {"action", phase_.name}, {"ok", true}};
      if (!phase_.conclusion.empty() && role == phase_.assistant) end["conclusion"] = phase_.conclusion;
      run_.append("action_end", std::move(end), at);
    }
    active_.clear();
    phase_.open = false;
    last_reply_.clear();
  }

  // ChatDev writes requirements.txt from the EnvironmentDoc phase (its last "```" block)
  // and manual.md from the Manual phase (the whole conclusion).
  void write_documents(const std::string& at) {
    const std::string& text = phase_.conclusion;
    // A phase with need_reflect ends in a Reflection chat whose conclusion ChatDev keeps.
    const std::string& kind = phase_.name == "Reflection" ? reflected_phase_ : phase_.name;
    std::string name, content;
    if (kind == "EnvironmentDoc" || kind == "CREATING_ENVIRONMENT_DOCUMENT") {
      std::size_t pos = 0;
      while ((pos = text.find("```\n", pos)) != std::string::npos) {
        std::size_t end = text.find("```", pos + 4);
        if (end == std::string::npos) break;
        content = text.substr(pos + 4, end - pos - 4);
        pos = end + 3;
      }
      name = "requirements.txt";
    } else if (kind == "Manual" || kind == "CREATING_USER_MANUAL") {
      content = text;
      name = "manual.md";
    }
    if (name.empty() || trim(content).empty()) return;
    std::string role = phase_.assistant.empty() ? "Programmer" : phase_.assistant;
    if (run_.write_file(role, name, content, at)) run_.commit(role, phase_.name + ": " + name, {name}, at);
    documents_[name] = content;
  }

 public:
  // Non-blank lines of a document written (-1 when none), as ChatDev's env_lines/manual_lines.
  long document_lines(const std::string& name) const {
    auto it = documents_.find(name);
    if (it == documents_.end()) return -1;
    long lines = 0;
    for (const auto& l : split_lines(it->second))
      if (!trim(l).empty()) ++lines;
    return lines;
  }

 private:
  // "<Speaker>: **<A><-><B> on : <Phase>, turn <n>**" or "<Speaker>: **[Start Chat]**".
  void utterance_with_header(const std::string& body, std::size_t speaker_end, const std::vector<LogRecord>& records,
                             std::size_t index, const std::string& at) {
    std::string speaker = body.substr(0, speaker_end);
    std::string header = first_line(body.substr(speaker_end + 2));
    std::string content = body.substr(std::min(body.size(), body.find('\n') + 1));
    content = trim(content);
    // Drop the receiver's system prompt in brackets that ChatDev logs before the text.
    if (starts_with(content, "[")) {
      auto close = content.find("]\n\n");
      if (close != std::string::npos) content = trim(content.substr(close + 1));
    }
    ensure_role(speaker);
    if (header == "**[Start Chat]**") {
      if (speaker == "User" && phase_.assistant != "Prompt Engineer") {
        // ChatDev's task prompt self-improvement: User asks the Prompt Engineer.
        open_phase("TaskPromptImprovement", "Prompt Engineer", "User", at);
      } else if (!phase_.open) {
        // A log that starts in the middle (no chatting table): the next turn names the phase.
        for (std::size_t k = index + 1; k < records.size() && k < index + 12; ++k) {
          std::string a, b, p;
          if (parse_turn_header(records[k].body, a, b, p)) {
            open_phase(p, a, b, at);
            break;
          }
        }
        if (!phase_.open) open_phase("Unknown", "", speaker, at);
      }
      std::string to = speaker == phase_.assistant ? phase_.user : phase_.assistant;
      if (speaker == "User" && to.empty()) to = "Prompt Engineer";
      ensure_role(to);
      message(speaker, {to}, content, phase_.name, at);
      return;
    }
    std::string a, b, p;
    if (!parse_turn_header(body, a, b, p)) {
      note(body, at);
      return;
    }
    if (!phase_.open || (p != phase_.name && !p.empty())) open_phase(p, a, b, at);
    std::string to = speaker == a ? b : a;
    ensure_role(to);
    answer(speaker, {to}, content, phase_.name, at);
  }

  static bool parse_turn_header(const std::string& raw, std::string& a, std::string& b, std::string& phase) {
    std::string body = first_line(raw);
    auto stars = body.find(": **");
    if (stars == std::string::npos) return false;
    std::string h = body.substr(stars + 4);
    auto arrow = h.find("<->");
    auto on = h.find(" on : ");
    if (arrow == std::string::npos || on == std::string::npos || on < arrow) return false;
    a = h.substr(0, arrow);
    b = h.substr(arrow + 3, on - arrow - 3);
    std::string rest = h.substr(on + 6);
    auto comma = rest.find(',');
    auto end = rest.find("**");
    phase = trim(rest.substr(0, std::min(comma, end)));
    return true;
  }

  // A reply: the oldest pending model call was this one.
  void answer(const std::string& speaker, const std::vector<std::string>& to, const std::string& content,
              const std::string& action, const std::string& at) {
    if (Usage inline_usage = parse_usage(content); inline_usage.any) {
      // Some forks log the usage inside the utterance (Tetris' Coding_wait turns).
      emit_call(speaker, action, PendingCall{inline_usage, false, at, seconds_since_last(at)}, content);
    } else if (!pending_.empty()) {
      PendingCall call = pending_.front();
      pending_.pop_front();
      emit_call(speaker, action, call, content);
    }
    message(speaker, to, content, action, at);
    last_reply_ = content;
    if (!has_update_codes_ && speaker == "Programmer") {
      auto files = extract_codes(content);
      for (const auto& [name, text] : files) {
        std::vector<std::string> lines = split_lines(text);
        if (code_[name] == lines) continue;
        if (!code_.count(name) || code_[name].empty()) {
          if (std::find(code_order_.begin(), code_order_.end(), name) == code_order_.end()) code_order_.push_back(name);
        }
        code_[name] = lines;
        if (run_.write_file(speaker, name, text + "\n", at)) batch_.push_back(name);
      }
      commit_batch(at);
    }
  }

  void flush_pending(const std::string& role, const std::string& action, const std::string& text, const std::string&) {
    while (!pending_.empty()) {
      PendingCall call = pending_.front();
      pending_.pop_front();
      emit_call(role, action, call, text);
    }
  }

  void emit_call(const std::string& role, const std::string& action, const PendingCall& call, const std::string& text) {
    std::string id = fmt::format("chatdev-{}", ++calls_);
    nlohmann::json request = {{"model", model_}, {"messages", nlohmann::json::array()}};
    run_.append("llm_request",
                {{"call_id", id}, {"role", role}, {"action", action}, {"provider", "chatdev"},
                 {"request_hash", sha256_hex(request.dump())}, {"request", request},
                 {"hints", {{"kind", "imported"}, {"note", "ChatDev logs no request text per call"}}}},
                call.at);
    double cost = static_cast<double>(call.usage.prompt_tokens) * price_in_ / 1000.0 +
                  static_cast<double>(call.usage.completion_tokens) * price_out_ / 1000.0;
    nlohmann::json response = {{"call_id", id},
                               {"role", role},
                               {"action", action},
                               {"text", text},
                               {"reasoning", ""},
                               {"finish_reason", ""},
                               {"model", model_},
                               {"usage",
                                {{"prompt_tokens", call.usage.prompt_tokens},
                                 {"completion_tokens", call.usage.completion_tokens},
                                 {"estimated", call.from_http}}},
                               {"cost_usd", cost},
                               {"latency_s", call.latency},
                               {"first_token_s", nullptr}};
    if (call.usage.logged_cost >= 0) response["logged_cost_usd"] = call.usage.logged_cost;
    run_.append("llm_response", std::move(response), call.at);
    if (call.from_http) ++http_calls_;
    prompt_tokens_ += call.usage.prompt_tokens;
    completion_tokens_ += call.usage.completion_tokens;
    cost_ += cost;
    auto& figures = roles_[role];
    if (!figures.is_object()) figures = nlohmann::json::object();  // a role the log's config did not name
    figures["calls"] = figures.value("calls", 0L) + 1;
    figures["prompt_tokens"] = figures.value("prompt_tokens", 0L) + call.usage.prompt_tokens;
    figures["completion_tokens"] = figures.value("completion_tokens", 0L) + call.usage.completion_tokens;
    figures["cost_usd"] = figures.value("cost_usd", 0.0) + cost;
  }

  void message(const std::string& from, const std::vector<std::string>& to, const std::string& content,
               const std::string& cause, const std::string& at) {
    ensure_role(from);
    std::string id = fmt::format("chatdev-msg-{}", ++messages_);
    last_message_id_ = id;
    last_speaker_ = from;
    run_.append("message",
                {{"id", id}, {"msg_seq", messages_}, {"content", content}, {"payload", nullptr}, {"role", from},
                 {"cause_by", cause}, {"sent_from", from}, {"send_to", to}, {"timestamp", at}, {"recipients", to}},
                at);
  }

  void update_codes(const std::string& body, const std::string& at) {
    // "**[Update Codes]**\n\n<name> updated.\n" then a unified diff "--- Old\n+++ New\n@@ ...".
    auto lines = split_lines(body);
    std::string name;
    std::size_t k = 1;
    for (; k < lines.size(); ++k) {
      const std::string& l = lines[k];
      if (l.size() > 9 && l.compare(l.size() - 9, 9, " updated.") == 0) {
        name = trim(l.substr(0, l.size() - 9));
        break;
      }
    }
    while (k < lines.size() && !starts_with(lines[k], "+++ New")) ++k;
    if (name.empty() || k >= lines.size()) {
      run_.warn("an [Update Codes] record without a file name or diff was skipped", at);
      return;
    }
    std::vector<std::string> diff(lines.begin() + static_cast<long>(k) + 1, lines.end());
    while (!diff.empty() && (trim(diff.back()).empty() || trim(diff.back()) == "```")) diff.pop_back();
    bool known = code_.count(name) > 0;
    std::vector<std::string> old = known ? code_[name] : std::vector<std::string>{"# None"};
    bool clean = true;
    std::vector<std::string> updated = apply_unified_diff(old, diff, clean);
    if (!clean) ++unclean_diffs_;
    if (!known) code_order_.push_back(name);
    code_[name] = updated;
    std::string text;
    for (std::size_t i = 0; i < updated.size(); ++i) text += updated[i] + "\n";
    std::string author = last_speaker_.empty() ? "Programmer" : last_speaker_;
    if (phase_.assistant == "Programmer" || phase_.user == "Programmer") author = "Programmer";
    if (run_.write_file(author, name, text, at)) batch_.push_back(name);
    batch_author_ = author;
  }

  void commit_batch(const std::string& at) {
    if (batch_.empty()) return;
    std::sort(batch_.begin(), batch_.end());
    batch_.erase(std::unique(batch_.begin(), batch_.end()), batch_.end());
    std::string message = fmt::format("{}: {}", phase_.name.empty() ? "Code" : phase_.name, fmt::join(batch_, ", "));
    run_.commit(batch_author_.empty() ? "Programmer" : batch_author_, message, batch_, at);
    batch_.clear();
  }

  void software_info(const std::string& body, const std::string& at) {
    auto figures = parse_software_info(body);
    if (figures.empty()) return;
    software_info_ = figures;
    auto lines = figures.find("code_lines");
    if (lines == figures.end() || lines->second < 0) return;
    long ours = count_code_lines(code_);
    if (ours != static_cast<long>(lines->second) && (has_update_codes_ || !code_.empty())) {
      if (mismatches_++ == 0)
        first_mismatch_ = fmt::format("at {} ChatDev counted {} code lines, the reconstructed code has {}", at,
                                      static_cast<long>(lines->second), ours);
    }
  }

  void test_report(const std::string& text, const std::string& at) {
    bool ok = text.find("The software run successfully without errors") != std::string::npos;
    last_test_ok_ = ok;
    run_.append("execution",
                {{"role", "Software Test Engineer"}, {"name", "chatdev test run"}, {"command", "python main.py"},
                 {"round", ++test_round_}, {"exit_code", ok ? 0 : 1}, {"signal", 0}, {"timed_out", false},
                 {"started", true}, {"seconds", nullptr}, {"sandbox", "none"}, {"passed", ok ? 1 : 0},
                 {"failed", ok ? 0 : 1}, {"ok", ok}, {"stdout", text}, {"stderr", ""}},
                at);
  }

  void note(const std::string& body, const std::string& at) {
    std::string kind = first_line(body);
    if (starts_with(kind, "**[")) kind = kind.substr(3, kind.find(']') - 3);
    else if (kind.size() > 60) kind = kind.substr(0, 60);
    run_.append("imported_note", {{"kind", kind}, {"text", body}, {"phase", phase_.name}}, at);
  }

  ImportedRun& run_;
  std::string model_;
  double price_in_, price_out_;
  bool has_update_codes_ = true;
  Phase phase_;
  std::string next_composed_;
  int next_cycle_ = -1;
  std::set<std::string> active_;
  std::deque<PendingCall> pending_;
  std::string last_at_;
  std::string last_message_id_;
  std::string last_speaker_;
  std::string last_reply_;
  std::map<std::string, nlohmann::json> roles_;
  std::map<std::string, std::vector<std::string>> code_;
  std::map<std::string, std::string> documents_;
  std::string reflected_phase_;
  std::vector<std::string> code_order_;
  std::vector<std::string> batch_;
  std::string batch_author_;
  std::map<std::string, double> software_info_;
  bool post_info_ = false;
  bool ended_ = false;
  std::string end_at_;
  int test_round_ = 0;
  bool last_test_ok_ = false;
  long calls_ = 0, http_calls_ = 0, errors_ = 0, messages_ = 0;
  long prompt_tokens_ = 0, completion_tokens_ = 0;
  double cost_ = 0;
  long mismatches_ = 0;
  std::string first_mismatch_;
  long unclean_diffs_ = 0;
};

// Field "**key**: value" of the [Preprocessing] record.
std::string preprocessing_field(const std::string& text, const std::string& key) {
  std::string marker = "**" + key + "**: ";
  auto at = text.find(marker);
  if (at == std::string::npos) return "";
  return first_line(text.substr(at + marker.size()));
}

}  // namespace

Result<ImportReport> import_chatdev(const ImportRequest& request) {
  std::error_code ec;
  fs::path log = request.source;
  if (fs::is_directory(log, ec)) {
    std::vector<fs::path> logs;
    for (const auto& e : fs::directory_iterator(log, ec))
      if (e.is_regular_file() && e.path().extension() == ".log") logs.push_back(e.path());
    if (logs.size() != 1)
      return make_error("import", fmt::format("{}: expected one ChatDev .log file in this folder, found {}",
                                              log.string(), logs.size()));
    log = logs.front();
  }
  std::string text;
  if (!read_file(log.string(), text)) return make_error("import", log.string() + ": cannot read");
  if (text.find("\r\n") != std::string::npos) {
    // Logs written on Windows: CRLF line ends.
    std::string lf;
    lf.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
      if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) lf += text[i];
    text = std::move(lf);
  }
  const fs::path dir = log.parent_path().empty() ? fs::path(".") : log.parent_path();
  std::string stamp = find_stamp(log.filename().string());
  if (stamp.empty()) stamp = find_stamp(dir.filename().string());
  if (stamp.empty()) {
    auto s = text.find("Starts (");
    if (s != std::string::npos) stamp = find_stamp(text.substr(s, 30));
  }
  SplitLog split = split_log(text, stamp);
  if (split.records.empty())
    return make_error("import", log.string() + ":1: not a ChatDev log (no line starts with \"[YYYY-DD-MM HH:MM:SS LEVEL]\")");

  // What the files beside the log say.
  nlohmann::json configs = nlohmann::json::object();
  std::vector<std::string> missing;
  for (const char* name : {"ChatChainConfig.json", "PhaseConfig.json", "RoleConfig.json"}) {
    fs::path p = dir / name;
    if (!fs::is_regular_file(p, ec)) {
      missing.push_back(name);
      continue;
    }
    auto parsed = nlohmann::json::parse(read_text(p), nullptr, false);
    if (parsed.is_discarded()) missing.push_back(std::string(name) + " (not valid JSON)");
    else configs[name] = parsed;
  }
  nlohmann::json meta_txt = nullptr;
  if (fs::is_regular_file(dir / "meta.txt", ec)) meta_txt = parse_meta_txt(read_text(dir / "meta.txt"));
  else missing.push_back("meta.txt");
  std::string prompt_file;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".prompt") prompt_file = read_text(e.path());
  if (prompt_file.empty()) missing.push_back("*.prompt");

  // The task, the project's name, the model.
  std::string task = trim(prompt_file);
  std::string name, model_type;
  bool has_update_codes = false;
  for (const auto& r : split.records) {
    if (starts_with(r.body, "**[Preprocessing]**")) {
      if (task.empty()) task = preprocessing_field(r.body, "task_prompt");
      name = preprocessing_field(r.body, "project_name");
    }
    if (name.empty() && starts_with(r.body, "args: Namespace(")) {
      auto n = r.body.find("name='");
      if (n != std::string::npos) name = r.body.substr(n + 6, r.body.find('\'', n + 6) - n - 6);
      auto t = r.body.find("task='");
      if (task.empty() && t != std::string::npos) task = r.body.substr(t + 6, r.body.find('\'', t + 6) - t - 6);
    }
    if (model_type.empty()) {
      auto m = r.body.find("ModelType.");
      if (m != std::string::npos) {
        std::size_t e = m + 10;
        while (e < r.body.size() && (std::isalnum(static_cast<unsigned char>(r.body[e])) || r.body[e] == '_')) ++e;
        model_type = r.body.substr(m + 10, e - m - 10);
      }
    }
    if (starts_with(r.body, "**[Update Codes]**")) has_update_codes = true;
  }
  if (task.empty() && meta_txt.is_object()) task = meta_txt.value("Task", std::string());
  if (name.empty()) {
    // "<Name>_<Org>_<stamp>.log", else its folder "<Name>_<Org>_<stamp>/".
    for (const std::string& base : {log.stem().string(), fs::absolute(dir).lexically_normal().filename().string()}) {
      std::string candidate = base.substr(0, base.find('_'));
      if (!candidate.empty() && !std::all_of(candidate.begin(), candidate.end(), ::isdigit)) {
        name = candidate;
        break;
      }
    }
    if (name.empty()) name = "chatdev_run";
  }
  std::vector<std::string> warnings;
  if (!missing.empty()) warnings.push_back("files missing beside the log: " + fmt::format("{}", fmt::join(missing, ", ")));
  if (task.empty()) warnings.push_back("the log names no task");
  std::string model = model_type.empty() ? "gpt-3.5-turbo" : model_name(model_type);
  if (model_type.empty()) warnings.push_back("the log names no model; assumed gpt-3.5-turbo");
  if (split.order_reason.starts_with("a guess"))
    warnings.push_back("dates: day and month order is a guess (ChatDev writes YYYY-DD-MM)");

  // ChatDev's final figures: [Post Info], else the last [Software Info].
  std::map<std::string, double> final_info;
  for (const auto& r : split.records) {
    auto f = parse_software_info(r.body);
    if (!f.empty() && (starts_with(r.body, "**[Post Info]**") || starts_with(r.body, "**[Software Info]**") ||
                       starts_with(r.body, "Software Info:")))
      final_info = f;
  }
  // Price per 1,000 tokens: the pair that reproduces the log's own cost, else ChatDev's table.
  double price_in = 0, price_out = 0;
  std::string pricing_source;
  {
    long pt = final_info.count("num_prompt_tokens") ? static_cast<long>(final_info["num_prompt_tokens"]) : -1;
    long ct = final_info.count("num_completion_tokens") ? static_cast<long>(final_info["num_completion_tokens"]) : -1;
    double logged = final_info.count("cost") ? final_info["cost"] : -1;
    const std::pair<double, double> candidates[] = {{0.0015, 0.002}, {0.003, 0.004}, {0.03, 0.06},
                                                    {0.06, 0.12},    {0.01, 0.03},   {0.005, 0.015}};
    if (pt >= 0 && ct >= 0 && logged > 0) {
      for (const auto& [in, out] : candidates) {
        double c = static_cast<double>(pt) * in / 1000.0 + static_cast<double>(ct) * out / 1000.0;
        if (std::fabs(c - logged) < 1e-5) {
          price_in = in;
          price_out = out;
          pricing_source = "fitted to the log's Software Info cost";
          break;
        }
      }
      if (pricing_source.empty() && pt + ct > 0) {
        // No known price pair: spread the logged cost over the tokens at one blended rate.
        price_in = price_out = logged * 1000.0 / static_cast<double>(pt + ct);
        pricing_source = "blended from the log's Software Info cost";
      }
    }
    if (pricing_source.empty()) {
      double one_in = price_usd(model, 1000, 0), one_out = price_usd(model, 0, 1000);
      if (one_in >= 0) {
        price_in = one_in;
        price_out = one_out;
        pricing_source = "ChatDev's price table for " + model + " (the log states no cost)";
      } else {
        pricing_source = "unknown model " + model + ": cost 0";
      }
      warnings.push_back("cost: " + pricing_source);
    }
  }

  std::string started_at = split.records.front().at;
  auto created = ImportedRun::create(request, name, stamp.empty() ? folder_timestamp_now() : stamp.substr(0, 8) + "_" + stamp.substr(8));
  if (!created) return created.error();
  ImportedRun& run = **created;

  nlohmann::json roles_config = configs.contains("RoleConfig.json") ? configs["RoleConfig.json"] : nlohmann::json::object();
  nlohmann::json imported_from = {{"tool", "chatdev"},
                                  {"path", fs::absolute(log).string()},
                                  {"format", has_update_codes ? "chatdev log with [Update Codes] diffs"
                                                              : "older chatdev log (code taken from the programmer's replies)"},
                                  {"version", meta_txt.is_object() ? meta_txt.value("Code_Version", std::string()) : ""},
                                  {"stamp", stamp},
                                  {"model", model},
                                  {"pricing", {{"input_per_1k", price_in}, {"output_per_1k", price_out}, {"source", pricing_source}}},
                                  {"code_extensions", {".py"}},
                                  {"meta_txt", meta_txt},
                                  {"config", configs}};
  nlohmann::json sop_text = configs.contains("ChatChainConfig.json") ? configs["ChatChainConfig.json"] : nlohmann::json();
  run.append("run_start",
             {{"schema_version", kTraceSchemaVersion},
              {"agentco_version", AGENTCO_VERSION},
              {"idea", task},
              {"name", name},
              {"started_at", started_at},
              {"folder_stamp", stamp},
              {"config", nullptr},
              {"provider", "chatdev"},
              {"sop", {{"name", "chatdev"}, {"source", "ChatChainConfig.json"}, {"text", sop_text.is_null() ? "" : sop_text.dump(2)}}},
              {"prompts", configs.contains("PhaseConfig.json") ? configs["PhaseConfig.json"] : nlohmann::json::object()},
              {"roles", roles_config.is_object() ? roles_config : nlohmann::json::object()},
              {"imported_from", imported_from}},
             started_at);
  for (const auto& w : warnings) run.warn(w, started_at);
  if (!split.order_reason.starts_with("a guess") && !stamp.empty() && !started_at.empty()) {
    std::string stamp_day = stamp.substr(0, 4) + "-" + stamp.substr(4, 2) + "-" + stamp.substr(6, 2);
    if (started_at.substr(0, 10) != stamp_day)
      run.warn(fmt::format("the log starts on {} but its name says {}", started_at.substr(0, 10), stamp_day), started_at);
  }
  if (task.size()) {
    if (run.write_file("User", "docs/requirement.txt", task + "\n", started_at))
      run.commit("User", "UserRequirement: docs/requirement.txt", {"docs/requirement.txt"}, started_at);
  }

  ChatDevImport walker(run, model, price_in, price_out);
  if (roles_config.is_object())
    for (const auto& item : roles_config.items()) walker.roles()[item.key()] = nlohmann::json::object();
  walker.walk(split.records, has_update_codes);
  std::string end_at = walker.ended() ? walker.end_at() : split.records.back().at;

  // What the log lacks.
  if (walker.calls() == 0) run.warn("the log records no model calls (no usage information)", end_at);
  else if (walker.http_calls() == walker.calls())
    run.warn(fmt::format("the log has no token usage: {} model calls counted from HTTP request lines", walker.calls()), end_at);
  if (final_info.empty()) run.warn("the log has no Software Info: nothing to compare the figures with", end_at);
  else if (!walker.post_info()) run.warn("the log has no [Post Info]: the last [Software Info] is used", end_at);
  if (!final_info.empty() && final_info.count("num_prompt_tokens") && final_info["num_prompt_tokens"] < 0)
    run.warn("ChatDev's Software Info has no token counts (-1); the usage records are summed instead", end_at);
  if (!walker.ended()) run.warn("the log ends before \"ChatDev Ends\": the run did not finish", end_at);
  if (walker.code().empty()) run.warn("the log holds no code", end_at);
  if (walker.unclean_diffs() > 0)
    run.warn(fmt::format("{} code diffs did not match the code reconstructed so far", walker.unclean_diffs()), end_at);
  long code_lines = ChatDevImport::count_code_lines(walker.code());
  if (final_info.count("code_lines") && final_info["code_lines"] >= 0 &&
      static_cast<long>(final_info["code_lines"]) != code_lines)
    run.warn(fmt::format("code lines: ChatDev counted {}, the code reconstructed from the log has {} ({})",
                         static_cast<long>(final_info["code_lines"]), code_lines, walker.first_mismatch()),
             end_at);
  if (walker.test_rounds() == 0) run.warn("the log has no test reports: executability unknown", end_at);
  for (const auto& [key, file] : {std::pair<std::string, std::string>{"env_lines", "requirements.txt"}, {"manual_lines", "manual.md"}}) {
    long ours = walker.document_lines(file);
    if (final_info.count(key) && final_info[key] >= 0 && static_cast<long>(final_info[key]) != std::max(ours, 0L))
      run.warn(fmt::format("{}: ChatDev counted {} lines, the imported {} has {}", key, static_cast<long>(final_info[key]),
                           file, std::max(ours, 0L)),
               end_at);
  }

  nlohmann::json info = nlohmann::json::object();
  for (const auto& [k, v] : final_info) info[k] = v;
  run.append("imported_summary",
             {{"tool", "chatdev"},
              {"source", walker.post_info() ? "Post Info" : (final_info.empty() ? "none" : "last Software Info")},
              {"software_info", info},
              {"reconstructed",
               {{"prompt_tokens", walker.prompt_tokens()},
                {"completion_tokens", walker.completion_tokens()},
                {"cost_usd", walker.cost()},
                {"code_lines", code_lines},
                {"env_lines", walker.document_lines("requirements.txt")},
                {"manual_lines", walker.document_lines("manual.md")},
                {"calls", walker.calls()}}}},
             end_at);
  double start_s = epoch_of(started_at), end_s = epoch_of(end_at);
  double duration = final_info.count("duration") && final_info["duration"] > 0
                        ? final_info["duration"]
                        : (std::isnan(start_s) || std::isnan(end_s) ? 0 : end_s - start_s);
  std::string reason = walker.ended() ? "idle" : "interrupted";
  run.append("run_end",
             {{"reason", reason},
              {"detail", walker.ended() ? "imported ChatDev run" : "the ChatDev log ends before the run did"},
              {"duration_s", duration},
              {"total",
               {{"calls", walker.calls()},
                {"prompt_tokens", walker.prompt_tokens()},
                {"completion_tokens", walker.completion_tokens()},
                {"cost_usd", walker.cost()},
                {"model_seconds", 0},
                {"estimated", walker.http_calls() > 0}}}},
             end_at);

  std::string decision = walker.test_rounds() == 0 ? "not_run" : (walker.last_test_ok() ? "passed" : "failed");
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : walker.code_order()) files.push_back(f);
  nlohmann::json meta = {
      {"idea", task},
      {"name", name},
      {"sop", "chatdev"},
      {"model", model},
      {"started_at", started_at},
      {"ended_at", end_at},
      {"duration_s", duration},
      {"outcome", {{"status", walker.ended() ? "finished" : "stopped"}, {"reason", reason}}},
      {"roles", walker.roles()},
      {"files", files},
      {"lines_of_code", code_lines},
      {"verdict", {{"decision", decision}, {"test_rounds", walker.test_rounds()}}},
      {"imported_from", imported_from},
      {"software_info", info}};
  meta["imported_from"].erase("config");
  if (auto status = run.write_meta(meta); !status) return status.error();
  return run.report();
}

}  // namespace agentco
