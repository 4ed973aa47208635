// The fake server's script and responder: YAML rules in, OpenAI-shaped response plans out.
// No sockets here; see fake_llm_server_http.cpp for the transport.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/regex.hpp>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "tests/support/fake_llm_server_internal.hpp"
#include "tests/support/reading/prompt_text.hpp"
#include "tests/support/reading_model.hpp"

namespace agentco::testing::detail {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

enum class Fault {
  none,
  http_429,
  http_500,
  http_502,
  stall_before_first_byte,
  stall_mid_stream,
  reset_mid_stream,
  malformed_sse,
  finish_length,
  empty_reply,
  invalid_content_json,
  invalid_utf8,
};

constexpr std::pair<std::string_view, Fault> kFaults[] = {
    {"none", Fault::none},
    {"http_429", Fault::http_429},
    {"http_500", Fault::http_500},
    {"http_502", Fault::http_502},
    {"stall_before_first_byte", Fault::stall_before_first_byte},
    {"stall_mid_stream", Fault::stall_mid_stream},
    {"reset_mid_stream", Fault::reset_mid_stream},
    {"malformed_sse", Fault::malformed_sse},
    {"finish_length", Fault::finish_length},
    {"empty_reply", Fault::empty_reply},
    {"invalid_content_json", Fault::invalid_content_json},
    {"invalid_utf8", Fault::invalid_utf8},
};

// invalid_utf8: a raw 0xFF byte inside the reply's JSON string, as local servers send when a
// multi-byte character is split across tokens (JSON writers refuse it, so it goes in after).
constexpr std::string_view kRawByteMarker = "<<raw FF>>";
std::string with_raw_byte(std::string dumped) {
  if (auto at = dumped.find(kRawByteMarker); at != std::string::npos) dumped.replace(at, kRawByteMarker.size(), "\xff");
  return dumped;
}

constexpr std::string_view kInvalidContentJson = "[CONTENT]\n{\"a\": [1, 2,, }\n[/CONTENT]";
constexpr std::size_t kBytesPerToken = 4;
constexpr std::size_t kBytesPerChunk = 4 * kBytesPerToken;
// Before an abrupt reset, give the client a moment to read what was sent, so that it sees
// "some chunks, then ECONNRESET" rather than a bare reset.
constexpr auto kDrainBeforeReset = 30ms;

struct Latency {
  double first_token_ms = 0;
  double tokens_per_second = 0;  // 0: no pacing
};

struct Rule {
  std::optional<std::string> role, action, model;
  std::optional<boost::regex> regex;
  int times = -1;  // -1: unlimited
  int used = 0;
  std::string reply;
  std::string reasoning;
  Fault fault = Fault::none;
  int retry_after_s = 1;
  int stall_ms = 3000;
  std::optional<Latency> latency;
  std::optional<std::string> report_model;  // the model named in the reply (default: the requested one)
  bool read = false;  // the reply is the reading model's answer to the request's messages
  std::optional<boost::regex> tool_result;  // searched in the last message, when it is a tool result
  json tool_calls = json::array();          // [{id, name, arguments (text)}]: the calls the reply makes
  bool interleave_tool_calls = false;       // stream parallel calls' pieces interleaved, not one by one
};

// A server-side prompt cache: the prompts served so far, as hashes of their prefixes at every
// block boundary (in fake tokens). A prompt's cached part is its longest prefix seen before,
// in whole blocks, and only when that is at least min_tokens.
class PromptCache {
 public:
  enum class Style { openai, deepseek };
  Style style = Style::openai;
  std::size_t min_tokens = 1024;
  std::size_t block = 128;

  // The cached tokens of `prompt` (sent to `model`), which is then remembered too.
  std::size_t serve(const std::string& model, std::string_view prompt) {
    const std::size_t block_bytes = block * kBytesPerToken;
    std::uint64_t hash = 14695981039346656037ull;  // FNV-1a, seeded with the model: caches are per model
    auto mix = [&hash](char c) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    };
    for (char c : model) mix(c);
    mix('\0');
    std::vector<std::uint64_t> boundaries;
    for (std::size_t i = 0; i < prompt.size(); ++i) {
      mix(prompt[i]);
      if ((i + 1) % block_bytes == 0) boundaries.push_back(hash);
    }
    std::size_t blocks = 0;
    while (blocks < boundaries.size() && seen_.count(boundaries[blocks])) ++blocks;
    if ((prompt.size() + kBytesPerToken - 1) / kBytesPerToken >= min_tokens) seen_.insert(boundaries.begin(), boundaries.end());
    const std::size_t cached = blocks * block;
    return cached >= min_tokens ? cached : 0;
  }

 private:
  std::unordered_set<std::uint64_t> seen_;
};

}  // namespace

struct Responder::Script {
  std::vector<std::string> models{"fake-model"};
  bool models_given = false;
  std::optional<std::string> require_key;
  bool echo_authorization = false;  // error bodies quote the request's Authorization header
  Latency latency;
  std::vector<Rule> rules;
  std::optional<std::string> report_model;  // the model named in every reply (a rule's own wins)
  std::optional<PromptCache> cache;
  std::optional<OllamaPosing> ollama;  // also answer Ollama's native API
};

namespace {

// ---- script parsing -------------------------------------------------------------------

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw std::runtime_error("fake LLM script: " + where + ": " + what);
}

void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                const std::string& where) {
  if (!map.IsMap()) fail(where, "expected a mapping");
  for (const auto& entry : map) {
    const auto key = entry.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (auto name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
    fail(where, "unknown key '" + key + "' (allowed: " + list + ")");
  }
}

std::string scalar(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) fail(where, "expected a string");
  return node.as<std::string>();
}

long integer(const YAML::Node& node, const std::string& where, long min) {
  long value = 0;
  try {
    value = node.as<long>();
  } catch (const YAML::Exception&) {
    fail(where, "expected an integer");
  }
  if (value < min) fail(where, "must be at least " + std::to_string(min));
  return value;
}

double number(const YAML::Node& node, const std::string& where) {
  double value = 0;
  try {
    value = node.as<double>();
  } catch (const YAML::Exception&) {
    fail(where, "expected a number");
  }
  if (value < 0) fail(where, "must not be negative");
  return value;
}

Latency parse_latency(const YAML::Node& node, const std::string& where) {
  check_keys(node, {"first_token_ms", "tokens_per_second"}, where);
  Latency latency;
  if (node["first_token_ms"])
    latency.first_token_ms = number(node["first_token_ms"], where + ".first_token_ms");
  if (node["tokens_per_second"])
    latency.tokens_per_second = number(node["tokens_per_second"], where + ".tokens_per_second");
  return latency;
}

Fault parse_fault(const std::string& name, const std::string& where) {
  for (const auto& [text, fault] : kFaults)
    if (text == name) return fault;
  std::string list;
  for (const auto& [text, fault] : kFaults) list += (list.empty() ? "" : ", ") + std::string(text);
  fail(where, "unknown fault '" + name + "' (known: " + list + ")");
}

class FixtureTable {
 public:
  explicit FixtureTable(std::string path) : path_(std::move(path)) {}

  std::string at(long index, const std::string& where) {
    if (path_.empty())
      fail(where, "reply_fixture needs a fixtures file (rsp_cache.json), but none was given");
    if (!loaded_) load(where);
    if (index >= static_cast<long>(values_.size()))
      fail(where, "reply_fixture " + std::to_string(index) + " is out of range: " + path_ + " has " +
                      std::to_string(values_.size()) + " entries");
    return values_[static_cast<std::size_t>(index)];
  }

 private:
  void load(const std::string& where) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) fail(where, "cannot open fixtures file " + path_);
    // File order matters (reply_fixture is an index), hence ordered_json.
    auto table = nlohmann::ordered_json::parse(in, nullptr, false);
    if (!table.is_object()) fail(where, path_ + " is not a JSON object of prompt -> reply");
    for (const auto& [prompt, reply] : table.items())
      values_.push_back(reply.is_string() ? reply.get<std::string>() : reply.dump());
    loaded_ = true;
  }

  std::string path_;
  bool loaded_ = false;
  std::vector<std::string> values_;
};

boost::regex regex_of(const YAML::Node& node, const std::string& where) {
  const auto pattern = scalar(node, where);
  try {
    return boost::regex(pattern, boost::regex::perl);
  } catch (const boost::regex_error& error) {
    fail(where, "invalid regex '" + pattern + "': " + error.what());
  }
}

// A script's YAML value as JSON: maps, lists, and scalars as booleans, integers, numbers or
// strings (in that order of trying); quoted scalars stay strings.
json yaml_to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    json out = json::object();
    for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
    return out;
  }
  if (node.IsSequence()) {
    json out = json::array();
    for (const auto& item : node) out.push_back(yaml_to_json(item));
    return out;
  }
  if (!node.IsScalar()) return nullptr;
  if (node.Tag() == "!") return node.Scalar();
  bool b;
  long long i;
  double d;
  if (YAML::convert<bool>::decode(node, b)) return b;
  if (YAML::convert<long long>::decode(node, i)) return i;
  if (YAML::convert<double>::decode(node, d)) return d;
  return node.Scalar();
}

Rule parse_rule(const YAML::Node& node, const std::string& where, FixtureTable& fixtures) {
  check_keys(node,
             {"match", "times", "reply", "reply_fixture", "reasoning", "fault", "retry_after", "stall_ms",
              "latency", "report_model", "read", "tool_calls", "interleave_tool_calls"},
             where);
  Rule rule;
  if (const auto match = node["match"]) {
    check_keys(match, {"role", "action", "regex", "model", "tool_result"}, where + ".match");
    if (match["role"]) rule.role = scalar(match["role"], where + ".match.role");
    if (match["action"]) rule.action = scalar(match["action"], where + ".match.action");
    if (match["model"]) rule.model = scalar(match["model"], where + ".match.model");
    if (match["regex"]) rule.regex = regex_of(match["regex"], where + ".match.regex");
    if (match["tool_result"]) rule.tool_result = regex_of(match["tool_result"], where + ".match.tool_result");
  }
  if (node["times"]) rule.times = static_cast<int>(integer(node["times"], where + ".times", 1));
  if (!!node["reply"] + !!node["reply_fixture"] + !!node["read"] > 1)
    fail(where, "give one of reply, reply_fixture and read");
  if (node["read"]) {
    try {
      rule.read = node["read"].as<bool>();
    } catch (const YAML::Exception&) {
      fail(where + ".read", "expected true or false");
    }
  }
  if (node["reply"]) rule.reply = scalar(node["reply"], where + ".reply");
  if (node["reply_fixture"])
    rule.reply =
        fixtures.at(integer(node["reply_fixture"], where + ".reply_fixture", 0), where + ".reply_fixture");
  if (node["reasoning"]) rule.reasoning = scalar(node["reasoning"], where + ".reasoning");
  if (node["fault"]) rule.fault = parse_fault(scalar(node["fault"], where + ".fault"), where + ".fault");
  if (node["retry_after"])
    rule.retry_after_s = static_cast<int>(integer(node["retry_after"], where + ".retry_after", 0));
  if (node["stall_ms"]) rule.stall_ms = static_cast<int>(integer(node["stall_ms"], where + ".stall_ms", 0));
  if (node["latency"]) rule.latency = parse_latency(node["latency"], where + ".latency");
  if (node["report_model"]) rule.report_model = scalar(node["report_model"], where + ".report_model");
  if (const auto calls = node["tool_calls"]) {
    if (!calls.IsSequence()) fail(where + ".tool_calls", "expected a list of {name, arguments, id}");
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const std::string at = where + ".tool_calls[" + std::to_string(i) + "]";
      check_keys(calls[i], {"id", "name", "arguments"}, at);
      json call = {{"id", calls[i]["id"] ? scalar(calls[i]["id"], at + ".id") : std::string()},
                   {"name", calls[i]["name"] ? scalar(calls[i]["name"], at + ".name") : std::string()}};
      // A map is sent as its JSON text; a string as it is (malformed JSON on purpose, say).
      const auto arguments = calls[i]["arguments"];
      if (!arguments) call["arguments"] = "{}";
      else if (arguments.IsScalar()) call["arguments"] = scalar(arguments, at + ".arguments");
      else call["arguments"] = yaml_to_json(arguments).dump();
      rule.tool_calls.push_back(std::move(call));
    }
  }
  if (node["interleave_tool_calls"]) {
    try {
      rule.interleave_tool_calls = node["interleave_tool_calls"].as<bool>();
    } catch (const YAML::Exception&) {
      fail(where + ".interleave_tool_calls", "expected true or false");
    }
  }
  return rule;
}

PromptCache parse_cache(const YAML::Node& node) {
  check_keys(node, {"style", "min_tokens", "block"}, "cache");
  PromptCache cache;
  if (node["style"]) {
    const auto style = scalar(node["style"], "cache.style");
    if (style == "openai")
      cache.style = PromptCache::Style::openai;
    else if (style == "deepseek")
      cache.style = PromptCache::Style::deepseek;
    else
      fail("cache.style", "unknown style '" + style + "' (known: openai, deepseek)");
  }
  if (node["min_tokens"]) cache.min_tokens = static_cast<std::size_t>(integer(node["min_tokens"], "cache.min_tokens", 0));
  if (node["block"]) cache.block = static_cast<std::size_t>(integer(node["block"], "cache.block", 1));
  return cache;
}

OllamaPosing parse_ollama(const YAML::Node& node) {
  check_keys(node, {"context_length", "num_ctx", "model_context", "architecture", "loaded"}, "ollama");
  OllamaPosing posing;
  if (node["context_length"]) posing.context_length = integer(node["context_length"], "ollama.context_length", 1);
  if (node["num_ctx"]) posing.num_ctx = integer(node["num_ctx"], "ollama.num_ctx", 1);
  if (node["model_context"]) posing.model_context = integer(node["model_context"], "ollama.model_context", 1);
  if (node["architecture"]) posing.architecture = scalar(node["architecture"], "ollama.architecture");
  if (node["loaded"]) {
    try {
      posing.loaded = node["loaded"].as<bool>();
    } catch (const YAML::Exception&) {
      fail("ollama.loaded", "expected true or false");
    }
  }
  return posing;
}

std::shared_ptr<Responder::Script> parse_script(const std::string& yaml, const std::string& fixtures_path) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& error) {
    fail("YAML", error.what());
  }
  auto script = std::make_shared<Responder::Script>();
  if (root.IsNull()) return script;
  check_keys(root, {"models", "require_key", "echo_authorization", "latency", "rules", "report_model", "cache", "ollama"},
             "top level");
  if (const auto models = root["models"]) {
    if (!models.IsSequence() || models.size() == 0)
      fail("models", "expected a non-empty list of model names");
    script->models.clear();
    for (std::size_t i = 0; i < models.size(); ++i)
      script->models.push_back(scalar(models[i], "models[" + std::to_string(i) + "]"));
    script->models_given = true;
  }
  if (root["require_key"]) script->require_key = scalar(root["require_key"], "require_key");
  if (root["echo_authorization"]) script->echo_authorization = root["echo_authorization"].as<bool>();
  if (root["latency"]) script->latency = parse_latency(root["latency"], "latency");
  if (root["report_model"]) script->report_model = scalar(root["report_model"], "report_model");
  if (root["cache"]) script->cache = parse_cache(root["cache"]);
  if (root["ollama"]) script->ollama = parse_ollama(root["ollama"]);
  if (const auto rules = root["rules"]) {
    if (!rules.IsSequence()) fail("rules", "expected a list of rules");
    FixtureTable fixtures(fixtures_path);
    for (std::size_t i = 0; i < rules.size(); ++i)
      script->rules.push_back(parse_rule(rules[i], "rules[" + std::to_string(i) + "]", fixtures));
  }
  return script;
}

// ---- text helpers -----------------------------------------------------------------------

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::size_t tokens(std::string_view text) { return (text.size() + kBytesPerToken - 1) / kBytesPerToken; }

// The longest prefix of at most `limit` bytes that does not cut a UTF-8 sequence.
std::size_t utf8_cut(std::string_view text, std::size_t limit) {
  if (limit >= text.size()) return text.size();
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut == 0 ? limit : cut;
}

std::vector<std::string> split_pieces(std::string_view text) {
  std::vector<std::string> pieces;
  while (!text.empty()) {
    const auto cut = utf8_cut(text, kBytesPerChunk);
    pieces.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  return pieces;
}

bool flag(const json& object, const char* key) {
  if (!object.is_object()) return false;
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string last_user_message(const json& messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->is_object() && it->value("role", "") == "user") return message_text(*it);
  return {};
}

// "Role: Engineer" somewhere in the prompt, not followed by more of a name.
bool has_marker(const std::string& text, const std::string& label, const std::string& name) {
  const auto needle = label + ": " + name;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    const auto end = pos + needle.size();
    if (end == text.size() || !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
      return true;
  }
  return false;
}

bool name_matches(const std::optional<std::string>& wanted, const std::string& header,
                  const std::string& label, const std::string& prompt) {
  if (!wanted) return true;
  if (!header.empty()) return header == *wanted;
  return has_marker(prompt, label, *wanted);
}

// ---- HTTP framing -----------------------------------------------------------------------

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    default:
      return "Unknown";
  }
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

std::string status_and_headers(int status, const HeaderList& headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) + "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  return head + "\r\n";
}

ResponsePlan simple_response(int status, const std::string& content_type, const std::string& body,
                             HeaderList extra = {}) {
  extra.emplace_back("Content-Type", content_type);
  extra.emplace_back("Content-Length", std::to_string(body.size()));
  ResponsePlan plan;
  plan.steps.push_back({PlanStep::Kind::write, status_and_headers(status, extra) + body, {}});
  return plan;
}

ResponsePlan json_response(int status, const json& body, HeaderList extra = {}) {
  return simple_response(status, "application/json", dump(body), std::move(extra));
}

json openai_error(const std::string& message, const std::string& type, const json& code) {
  return {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}};
}

std::string chunk_frame(std::string_view data) {
  std::ostringstream size;
  size << std::hex << data.size();
  return size.str() + "\r\n" + std::string(data) + "\r\n";
}

std::chrono::microseconds millis(double ms) {
  return std::chrono::microseconds(static_cast<long long>(ms * 1000));
}

std::chrono::microseconds pacing(std::size_t token_count, const Latency& latency) {
  if (latency.tokens_per_second <= 0) return {};
  return std::chrono::microseconds(static_cast<long long>(1e6 * token_count / latency.tokens_per_second));
}

// ---- chat completions -------------------------------------------------------------------

// Everything needed to write one completion, after the rule and fault are decided.
struct Completion {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::string content;
  std::string reasoning;
  std::string finish_reason = "stop";
  json tool_calls = json::array();  // [{id, name, arguments}]
  bool interleave_tool_calls = false;
  std::size_t prompt_tokens = 0;
  std::size_t cached_tokens = 0;
  std::optional<PromptCache::Style> cache_style;  // how cached_tokens are reported (none: not at all)
  bool stream = false;
  bool include_usage = false;
  bool chunked = true;  // false for HTTP/1.0 clients: the body ends when the connection does
  Fault fault = Fault::none;
  int stall_ms = 0;
  Latency latency;
  std::string request_id;
};

json usage_json(const Completion& c) {
  const auto completion = tokens(c.content) + tokens(c.reasoning);
  json usage = {{"prompt_tokens", c.prompt_tokens},
                {"completion_tokens", completion},
                {"total_tokens", c.prompt_tokens + completion}};
  if (!c.reasoning.empty()) usage["completion_tokens_details"] = {{"reasoning_tokens", tokens(c.reasoning)}};
  if (c.cache_style == PromptCache::Style::openai) {
    usage["prompt_tokens_details"] = {{"cached_tokens", c.cached_tokens}};
  } else if (c.cache_style == PromptCache::Style::deepseek) {
    usage["prompt_cache_hit_tokens"] = c.cached_tokens;
    usage["prompt_cache_miss_tokens"] = c.prompt_tokens - c.cached_tokens;
  }
  return usage;
}

class PlanBuilder {
 public:
  void write(std::string bytes) {
    if (!plan_.steps.empty() && plan_.steps.back().kind == PlanStep::Kind::write && merge_next_) {
      plan_.steps.back().bytes += bytes;
    } else {
      plan_.steps.push_back({PlanStep::Kind::write, std::move(bytes), {}});
    }
    merge_next_ = false;
  }
  // The next write may share a socket write with the previous one.
  void allow_merge() { merge_next_ = true; }
  void pause(std::chrono::microseconds delay) {
    if (delay.count() > 0) plan_.steps.push_back({PlanStep::Kind::pause, {}, delay});
  }
  void reset() { plan_.steps.push_back({PlanStep::Kind::reset, {}, {}}); }
  ResponsePlan take() { return std::move(plan_); }

 private:
  ResponsePlan plan_;
  bool merge_next_ = false;
};

ResponsePlan non_streaming(const Completion& c) {
  json message = {{"role", "assistant"},
                  {"content", c.fault == Fault::invalid_utf8 ? c.content + std::string(kRawByteMarker) : c.content}};
  if (!c.reasoning.empty()) message["reasoning_content"] = c.reasoning;
  if (!c.tool_calls.empty()) {
    if (c.content.empty()) message["content"] = nullptr;  // as OpenAI sends a reply of calls only
    json calls = json::array();
    for (const auto& call : c.tool_calls)
      calls.push_back({{"id", call["id"]},
                       {"type", "function"},
                       {"function", {{"name", call["name"]}, {"arguments", call["arguments"]}}}});
    message["tool_calls"] = std::move(calls);
  }
  const json body_json = {{"id", c.id},
                          {"object", "chat.completion"},
                          {"created", c.created},
                          {"model", c.model},
                          {"system_fingerprint", "fp_fake"},
                          {"choices", json::array({{{"index", 0},
                                                    {"message", message},
                                                    {"logprobs", nullptr},
                                                    {"finish_reason", c.finish_reason}}})},
                          {"usage", usage_json(c)}};
  auto body = with_raw_byte(dump(body_json));
  if (c.fault == Fault::malformed_sse) body.resize(body.size() / 2);  // a 200 whose JSON breaks off
  const auto head = status_and_headers(200, {{"Content-Type", "application/json"},
                                             {"Content-Length", std::to_string(body.size())},
                                             {"x-request-id", c.request_id}});

  PlanBuilder plan;
  if (c.fault == Fault::stall_before_first_byte) plan.pause(millis(c.stall_ms));
  plan.pause(millis(c.latency.first_token_ms) + pacing(tokens(c.content) + tokens(c.reasoning), c.latency));
  const auto half = utf8_cut(body, body.size() / 2);
  if (c.fault == Fault::stall_mid_stream) {
    plan.write(head + body.substr(0, half));
    plan.pause(millis(c.stall_ms));
    plan.write(body.substr(half));
  } else if (c.fault == Fault::reset_mid_stream) {
    plan.write(head + body.substr(0, half));
    plan.pause(kDrainBeforeReset);
    plan.reset();
  } else {
    plan.write(head + body);
  }
  return plan.take();
}

class StreamWriter {
 public:
  StreamWriter(const Completion& c, PlanBuilder& plan) : c_(c), plan_(plan) {}

  json chunk(json delta, const json& finish_reason) const {
    json chunk = {{"id", c_.id},
                  {"object", "chat.completion.chunk"},
                  {"created", c_.created},
                  {"model", c_.model},
                  {"system_fingerprint", "fp_fake"},
                  {"choices", json::array({{{"index", 0},
                                            {"delta", std::move(delta)},
                                            {"logprobs", nullptr},
                                            {"finish_reason", finish_reason}}})}};
    if (c_.include_usage) chunk["usage"] = nullptr;
    return chunk;
  }

  // One SSE event. Clients must cope with what real servers and proxies do, so some events
  // use CRLF line endings and some are split across two socket writes (and two HTTP chunks).
  void event(const std::string& data) {
    const auto n = events_++;
    const std::string eol = n % 4 == 2 ? "\r\n" : "\n";
    const auto text = "data: " + data + eol + eol;
    if (n % 3 == 1 && text.size() > 1) {
      const auto half = text.size() / 2;  // may cut a UTF-8 sequence: TCP does that too
      plan_.write(frame(text.substr(0, half)));
      plan_.write(frame(text.substr(half)));
    } else {
      plan_.write(frame(text));
    }
  }

  void raw(const std::string& text) { plan_.write(frame(text)); }

  std::string frame(std::string_view data) const {
    return c_.chunked ? chunk_frame(data) : std::string(data);
  }

 private:
  const Completion& c_;
  PlanBuilder& plan_;
  std::size_t events_ = 0;
};

// The tool calls as OpenAI streams them: each call's first piece has its index, id, type and
// name with empty arguments, the later ones its index and 7 more bytes of the arguments; calls
// one after another, or (interleave_tool_calls) a piece of each in turn.
std::vector<json> tool_call_deltas(const Completion& c) {
  std::vector<std::vector<json>> per_call;
  for (std::size_t i = 0; i < c.tool_calls.size(); ++i) {
    const auto& call = c.tool_calls[i];
    std::vector<json> pieces = {{{"index", i},
                                 {"id", call["id"]},
                                 {"type", "function"},
                                 {"function", {{"name", call["name"]}, {"arguments", ""}}}}};
    std::string_view arguments = call["arguments"].get_ref<const std::string&>();
    while (!arguments.empty()) {
      const auto cut = utf8_cut(arguments, 7);
      pieces.push_back({{"index", i}, {"function", {{"arguments", std::string(arguments.substr(0, cut))}}}});
      arguments.remove_prefix(cut);
    }
    per_call.push_back(std::move(pieces));
  }
  std::vector<json> out;
  if (!c.interleave_tool_calls) {
    for (auto& pieces : per_call) out.insert(out.end(), pieces.begin(), pieces.end());
    return out;
  }
  for (std::size_t round = 0;; ++round) {
    bool any = false;
    for (auto& pieces : per_call)
      if (round < pieces.size()) {
        out.push_back(pieces[round]);
        any = true;
      }
    if (!any) return out;
  }
}

ResponsePlan streaming(const Completion& c) {
  PlanBuilder plan;
  StreamWriter sse(c, plan);
  if (c.fault == Fault::stall_before_first_byte) plan.pause(millis(c.stall_ms));
  HeaderList headers = {{"Content-Type", "text/event-stream; charset=utf-8"},
                        {"Cache-Control", "no-cache"},
                        {"x-request-id", c.request_id}};
  if (c.chunked) {
    headers.emplace_back("Transfer-Encoding", "chunked");
  } else {
    headers.emplace_back("Connection", "close");
  }
  plan.write(status_and_headers(200, headers));
  plan.allow_merge();
  sse.event(dump(sse.chunk({{"role", "assistant"}, {"content", ""}}, nullptr)));
  sse.raw(": keep-alive\n\n");
  plan.pause(millis(c.latency.first_token_ms));

  std::vector<std::pair<const char*, std::string>> pieces;
  for (auto& piece : split_pieces(c.reasoning)) pieces.emplace_back("reasoning_content", std::move(piece));
  for (auto& piece : split_pieces(c.content)) pieces.emplace_back("content", std::move(piece));
  const std::size_t fault_at = std::max<std::size_t>(1, pieces.size() / 2);
  for (std::size_t i = 0; i <= pieces.size(); ++i) {
    if (i == std::min(fault_at, pieces.size())) {
      if (c.fault == Fault::stall_mid_stream) plan.pause(millis(c.stall_ms));
      if (c.fault == Fault::malformed_sse) sse.raw("data: {not json\n\n");
      if (c.fault == Fault::invalid_utf8)
        sse.event(with_raw_byte(dump(sse.chunk({{"content", std::string(kRawByteMarker)}}, nullptr))));
      if (c.fault == Fault::reset_mid_stream) {
        plan.pause(kDrainBeforeReset);
        plan.reset();
        return plan.take();
      }
    }
    if (i == pieces.size()) break;
    if (i > 0) plan.pause(pacing(tokens(pieces[i].second), c.latency));
    sse.event(dump(sse.chunk({{pieces[i].first, pieces[i].second}}, nullptr)));
  }
  for (const auto& delta : tool_call_deltas(c)) sse.event(dump(sse.chunk({{"tool_calls", json::array({delta})}}, nullptr)));
  sse.event(dump(sse.chunk(json::object(), c.finish_reason)));
  if (c.include_usage) {
    json usage = sse.chunk(json::object(), nullptr);
    usage["choices"] = json::array();
    usage["usage"] = usage_json(c);
    sse.event(dump(usage));
  }
  plan.allow_merge();
  sse.raw("data: [DONE]\n\n");
  auto result = plan.take();
  if (c.chunked) {
    result.steps.back().bytes += "0\r\n\r\n";
  } else {
    result.close_after = true;
  }
  return result;
}

}  // namespace

// ---- Responder ----------------------------------------------------------------------------

Responder::Responder(const std::string& script_yaml, const std::string& fixtures_path)
    : script_(parse_script(script_yaml, fixtures_path)) {}

std::vector<FakeRequestLog> Responder::requests() const {
  std::lock_guard lock(mutex_);
  return log_;
}

std::size_t Responder::chat_requests() const {
  std::lock_guard lock(mutex_);
  return chat_requests_;
}

ResponsePlan Responder::respond(const HttpRequest& request) {
  std::lock_guard lock(mutex_);
  FakeRequestLog log;
  log.method = request.method;
  log.target = request.target;
  log.role = request.header("x-agentco-role");
  log.action = request.header("x-agentco-action");
  log.authorization = request.header("authorization");
  ResponsePlan plan;
  try {
    plan = respond_locked(request, log);
  } catch (const std::exception& error) {  // e.g. a regex too complex for this prompt
    plan = json_response(
        500, openai_error(std::string("fake-llm-server: ") + error.what(), "server_error", nullptr));
  }
  log_.push_back(std::move(log));
  if (!request.keep_alive || request.http10) plan.close_after = true;
  if (!plan.close_after) return plan;
  for (auto& step : plan.steps) {  // announce the close in the head, wherever the first write is
    if (step.kind != PlanStep::Kind::write) continue;
    const auto end = step.bytes.find("\r\n\r\n");
    if (end != std::string::npos && step.bytes.find("\r\nConnection: close\r\n") == std::string::npos)
      step.bytes.insert(end, "\r\nConnection: close");
    break;
  }
  return plan;
}

ResponsePlan Responder::respond_locked(const HttpRequest& request, FakeRequestLog& log) {
  // A client that takes this server for its HTTP proxy sends absolute-form targets
  // ("http://host:port/v1/..."): they are served as their path (the log keeps them whole).
  std::string target = request.target;
  if (target.starts_with("http://"))
    if (const auto slash = target.find('/', 7); slash != std::string::npos) target = target.substr(slash);
  const auto query_at = target.find('?');
  const auto path = target.substr(0, query_at);
  const auto query = query_at == std::string::npos ? std::string() : target.substr(query_at + 1);
  const auto& script = *script_;

  const auto authorized = [&](bool azure) {
    if (!script.require_key) return true;
    if (request.header("authorization") == "Bearer " + *script.require_key) return true;
    return azure && request.header("api-key") == *script.require_key;
  };
  // A careless proxy or server quotes what it was sent.
  const std::string echoed =
      script.echo_authorization ? " (request had Authorization: " + request.header("authorization") + ")" : "";
  const auto unauthorized = [&] {
    return json_response(
        401, openai_error("Incorrect API key provided" + echoed, "invalid_request_error", "invalid_api_key"));
  };
  const auto model_json = [](const std::string& id) {
    return json{{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "fake"}};
  };

  if (request.method == "GET" && path == "/_fake/requests") {  // for end-to-end tests of the program
    json entries = json::array();
    for (const auto& entry : log_)
      entries.push_back({{"method", entry.method},
                         {"target", entry.target},
                         {"role", entry.role},
                         {"action", entry.action},
                         {"rule_index", entry.rule_index},
                         {"body", entry.body}});
    return json_response(200, entries);
  }
  if (script.ollama) {
    if (auto answer = answer_ollama(*script.ollama, script.models, request.method, path, request.body)) {
      if (auto body = json::parse(request.body, nullptr, false); !body.is_discarded()) log.body = std::move(body);
      return json_response(answer->status, answer->body);
    }
  }
  if (request.method == "GET" && path == "/v1/models") {
    if (!authorized(false)) return unauthorized();
    json data = json::array();
    for (const auto& model : script.models) data.push_back(model_json(model));
    return json_response(200, {{"object", "list"}, {"data", data}});
  }
  if (request.method == "GET" && path.rfind("/v1/models/", 0) == 0) {
    if (!authorized(false)) return unauthorized();
    const auto id = path.substr(std::string_view("/v1/models/").size());
    if (std::find(script.models.begin(), script.models.end(), id) != script.models.end())
      return json_response(200, model_json(id));
    return json_response(404, openai_error("The model `" + id + "` does not exist", "invalid_request_error",
                                           "model_not_found"));
  }
  if (request.method == "POST" && path == "/v1/embeddings") {
    if (!authorized(false)) return unauthorized();
    const json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("input"))
      return json_response(400, openai_error("'input' is a required property", "invalid_request_error", nullptr));
    log.body = body;
    const json input = body["input"].is_array() ? body["input"] : json::array({body["input"]});
    json data = json::array();
    std::size_t tokens_in = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (!input[i].is_string())
        return json_response(400, openai_error("'input' must be a string or a list of strings", "invalid_request_error", nullptr));
      // A bag of hashed words, 64 wide: texts that share words point the same way.
      std::vector<double> vector(64, 0.0);
      std::string word;
      const std::string text = input[i].get<std::string>() + " ";
      for (char ch : text) {
        if (std::isalpha(static_cast<unsigned char>(ch))) {
          word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
          continue;
        }
        if (word.size() >= 3) {
          vector[reading::fnv(word) % 64] += 1;
          ++tokens_in;
        }
        word.clear();
      }
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", vector}});
    }
    return json_response(200, {{"object", "list"},
                               {"data", data},
                               {"model", body.value("model", std::string())},
                               {"usage", {{"prompt_tokens", tokens_in}, {"total_tokens", tokens_in}}}});
  }
  if (request.method == "POST" && path == "/v1/chat/completions") {
    ++chat_requests_;
    if (!authorized(false)) return unauthorized();
    return respond_chat(request, {}, log);
  }
  static const boost::regex kAzure("^/openai/deployments/([^/]+)/chat/completions$");
  if (boost::smatch azure; request.method == "POST" && boost::regex_match(path, azure, kAzure)) {
    ++chat_requests_;
    if (query.find("api-version=") == std::string::npos)  // what Azure answers when it is missing
      return json_response(404, {{"error", {{"code", "404"}, {"message", "Resource not found"}}}});
    if (!authorized(true)) return unauthorized();
    return respond_chat(request, azure[1].str(), log);
  }
  return json_response(404, openai_error("Unknown request URL: " + request.method + " " + path +
                                             ". Please check the URL for typos.",
                                         "invalid_request_error", "unknown_url"));
}

ResponsePlan Responder::respond_chat(const HttpRequest& request, const std::string& model_override,
                                     FakeRequestLog& log) {
  auto& script = *script_;
  const auto bad_request = [](const std::string& message) {
    return json_response(400, openai_error(message, "invalid_request_error", nullptr));
  };
  auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return bad_request(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        "using your HTTP library correctly.)");
  log.body = body;
  const auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty())
    return bad_request("'messages' must be a non-empty array");

  Completion c;
  if (!model_override.empty()) {
    c.model = model_override;
  } else if (body.contains("model") && body["model"].is_string()) {
    c.model = body["model"].get<std::string>();
  } else {
    return bad_request("you must provide a model parameter");
  }
  if (script.models_given &&
      std::find(script.models.begin(), script.models.end(), c.model) == script.models.end())
    return json_response(404, openai_error("The model `" + c.model + "` does not exist",
                                           "invalid_request_error", "model_not_found"));

  std::string prompt;
  for (const auto& message : *messages) prompt += message_text(message) + "\n";
  const auto last_user = last_user_message(*messages);
  const bool last_is_tool = !messages->empty() && messages->back().is_object() && messages->back().value("role", "") == "tool";
  const auto last_text = messages->empty() ? std::string() : message_text(messages->back());
  const auto role = request.header("x-agentco-role");
  const auto action = request.header("x-agentco-action");

  Rule* rule = nullptr;
  for (std::size_t i = 0; i < script.rules.size(); ++i) {
    auto& candidate = script.rules[i];
    if (candidate.times >= 0 && candidate.used >= candidate.times) continue;
    if (!name_matches(candidate.role, role, "Role", prompt)) continue;
    if (!name_matches(candidate.action, action, "Action", prompt)) continue;
    if (candidate.model && *candidate.model != c.model) continue;
    if (candidate.regex && !boost::regex_search(last_user, *candidate.regex)) continue;
    if (candidate.tool_result && !(last_is_tool && boost::regex_search(last_text, *candidate.tool_result))) continue;
    ++candidate.used;
    log.rule_index = static_cast<int>(i);
    rule = &candidate;
    break;
  }
  if (!rule) {
    return json_response(
        404, openai_error("fake-llm-server: no rule matches this request (role '" + role + "', action '" +
                              action + "', model '" + c.model + "', last user message starts '" +
                              last_user.substr(0, utf8_cut(last_user, 80)) + "')",
                          "invalid_request_error", "no_matching_rule"));
  }

  switch (rule->fault) {
    case Fault::http_429:
      return json_response(
          429,
          openai_error("Rate limit reached for " + c.model +
                           " on requests per min (RPM): Limit 3, Used 3, Requested 1. "
                           "Please try again in " +
                           std::to_string(rule->retry_after_s) + "s.",
                       "requests", "rate_limit_exceeded"),
          {{"Retry-After", std::to_string(rule->retry_after_s)}, {"x-ratelimit-remaining-requests", "0"}});
    case Fault::http_500:
      return json_response(
          500, openai_error("The server had an error while processing your request. Sorry about that!" +
                                (script_->echo_authorization
                                     ? " (request had Authorization: " + request.header("authorization") + ")"
                                     : std::string()),
                            "server_error", nullptr));
    case Fault::http_502:
      return simple_response(
          502, "text/html",
          "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
          "Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n");
    default:
      break;
  }

  const auto serial = std::to_string(next_id_++);
  c.id = "chatcmpl-" + serial;
  c.request_id = "req_fake_" + serial;
  c.created = static_cast<std::int64_t>(std::time(nullptr));
  c.tool_calls = rule->tool_calls;
  if (rule->read && body.contains("tools") && body["tools"].is_array() && !body["tools"].empty()) {
    std::vector<std::string> offered;
    for (const auto& tool : body["tools"])
      if (tool.is_object() && tool.contains("function")) offered.push_back(tool["function"].value("name", ""));
    ReadingToolTurn turn = reading_tool_turn(*messages, offered);
    c.content = std::move(turn.text);
    c.tool_calls = std::move(turn.tool_calls);
  } else if (rule->read) {
    std::vector<ChatMessage> chat;
    for (const auto& message : *messages)
      chat.push_back({message.value("role", std::string()), message_text(message)});
    c.content = reading_reply(chat);
  } else {
    c.content = rule->reply;
  }
  c.reasoning = rule->reasoning;
  for (std::size_t i = 0; i < c.tool_calls.size(); ++i)
    if (c.tool_calls[i]["id"].get<std::string>().empty()) c.tool_calls[i]["id"] = "call_" + serial + "_" + std::to_string(i);
  c.interleave_tool_calls = rule->interleave_tool_calls;
  if (!c.tool_calls.empty()) c.finish_reason = "tool_calls";
  c.prompt_tokens = std::max<std::size_t>(1, tokens(prompt));
  if (script.cache) {
    c.cache_style = script.cache->style;
    c.cached_tokens = std::min(c.prompt_tokens, script.cache->serve(c.model, prompt));
  }
  if (rule->report_model)
    c.model = *rule->report_model;
  else if (script.report_model)
    c.model = *script.report_model;
  c.stream = flag(body, "stream");
  if (const auto options = body.find("stream_options"); options != body.end())
    c.include_usage = flag(*options, "include_usage");
  c.chunked = !request.http10;
  c.fault = rule->fault;
  c.stall_ms = rule->stall_ms;
  c.latency = rule->latency.value_or(script.latency);
  switch (rule->fault) {
    case Fault::finish_length: {
      std::size_t limit = c.content.size() / 2;
      for (const char* key : {"max_tokens", "max_completion_tokens"})
        if (body.contains(key) && body[key].is_number_unsigned())
          limit = std::min(limit, body[key].get<std::size_t>() * kBytesPerToken);
      if (!c.content.empty()) limit = std::max<std::size_t>(limit, 1);
      c.content.resize(utf8_cut(c.content, limit));
      c.finish_reason = "length";
      break;
    }
    case Fault::empty_reply:
      c.content.clear();
      break;
    case Fault::invalid_content_json:
      c.content = kInvalidContentJson;
      break;
    default:
      break;
  }
  if (c.stream) return streaming(c);
  return non_streaming(c);
}

}  // namespace agentco::testing::detail
