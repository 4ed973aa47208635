#include "llm/sse_parser.hpp"

#include "llm/chunk_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/utf8.hpp"

namespace agentco {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

Error llm_error(std::string message) { return make_error("llm", std::move(message)); }

// Reads an optional string member; anything other than a string or null is a problem.
std::optional<std::string> string_member(const nlohmann::json& object, const char* key, std::string& out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    out += it->get_ref<const std::string&>();
    return std::nullopt;
  }
  // Some servers send content as a list of parts: [{"type":"text","text":"..."}].
  if (it->is_array()) {
    for (const auto& part : *it) {
      if (part.is_object() && part.contains("text") && part["text"].is_string())
        out += part["text"].get_ref<const std::string&>();
    }
    return std::nullopt;
  }
  return fmt::format("'{}' is {}, expected a string", key, it->type_name());
}

std::optional<long> count_member(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  if (it->is_number_unsigned()) return token_count(static_cast<double>(it->get<std::uint64_t>()));
  if (it->is_number_integer()) return token_count(static_cast<double>(it->get<std::int64_t>()));
  return token_count(it->get<double>());
}

// A call's `function.arguments`: a string (OpenAI), or an object some servers send instead
// (Ollama's native shape), taken as its JSON text.
std::optional<std::string> arguments_member(const nlohmann::json& function, std::string& out) {
  auto it = function.find("arguments");
  if (it == function.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    out += it->get_ref<const std::string&>();
    return std::nullopt;
  }
  if (it->is_object() || it->is_array()) {
    out += it->dump();
    return std::nullopt;
  }
  return fmt::format("'arguments' is {}, expected a string", it->type_name());
}

// choices[0].delta.tool_calls / message.tool_calls, and the legacy function_call.
std::optional<std::string> read_tool_calls(const nlohmann::json& message, std::vector<ToolCallDelta>& out) {
  if (auto legacy = message.find("function_call"); legacy != message.end() && legacy->is_object()) {
    ToolCallDelta piece;
    piece.index = 0;
    if (auto problem = string_member(*legacy, "name", piece.name)) return "function_call: " + *problem;
    if (auto problem = arguments_member(*legacy, piece.arguments)) return "function_call: " + *problem;
    out.push_back(std::move(piece));
  }
  auto calls = message.find("tool_calls");
  if (calls == message.end() || calls->is_null()) return std::nullopt;
  if (!calls->is_array()) return fmt::format("'tool_calls' is {}, expected a list", calls->type_name());
  for (std::size_t i = 0; i < calls->size(); ++i) {
    const nlohmann::json& call = (*calls)[i];
    if (!call.is_object()) return fmt::format("'tool_calls[{}]' is {}, expected an object", i, call.type_name());
    ToolCallDelta piece;
    if (auto index = call.find("index"); index != call.end() && index->is_number_integer()) {
      const auto value = index->get<std::int64_t>();
      if (value < 0 || value > 1'000'000) return fmt::format("'tool_calls[{}].index' is {}", i, value);
      piece.index = static_cast<long>(value);
    }
    if (auto problem = string_member(call, "id", piece.id)) return fmt::format("tool_calls[{}]: {}", i, *problem);
    if (auto function = call.find("function"); function != call.end() && !function->is_null()) {
      if (!function->is_object()) return fmt::format("'tool_calls[{}].function' is not an object", i);
      if (auto problem = string_member(*function, "name", piece.name))
        return fmt::format("tool_calls[{}]: {}", i, *problem);
      if (auto problem = arguments_member(*function, piece.arguments))
        return fmt::format("tool_calls[{}]: {}", i, *problem);
    }
    out.push_back(std::move(piece));
  }
  return std::nullopt;
}

// The parts common to a streamed chunk and a whole reply. `message_key` is "delta" for a
// chunk and "message" for a whole reply.
std::optional<std::string> read_choice_and_usage(const nlohmann::json& root, const char* message_key,
                                                 ChunkDelta& out) {
  if (auto it = root.find("model"); it != root.end() && it->is_string()) out.model = *it;
  if (auto it = root.find("usage"); it != root.end() && it->is_object()) {
    out.has_usage = true;
    ReportedUsage usage;
    usage.prompt_tokens = count_member(*it, "prompt_tokens");
    usage.completion_tokens = count_member(*it, "completion_tokens");
    if (auto details = it->find("prompt_tokens_details"); details != it->end() && details->is_object())
      usage.cached_tokens = count_member(*details, "cached_tokens");
    usage.cache_hit = count_member(*it, "prompt_cache_hit_tokens");
    usage.cache_miss = count_member(*it, "prompt_cache_miss_tokens");
    settle_usage(usage, out);
  }
  auto choices = root.find("choices");
  if (choices == root.end() || choices->is_null()) return std::nullopt;
  if (!choices->is_array()) return "'choices' is not a list";
  if (choices->empty()) return std::nullopt;  // the usage-only chunk has "choices": []
  const nlohmann::json* choice = &(*choices)[0];
  for (const auto& candidate : *choices) {  // n=1 is what we ask for; prefer index 0 anyway
    if (!candidate.is_object()) continue;
    // Compared as JSON: an index that is no number (or too big for an int) is not 0, not an exception.
    if (auto index = candidate.find("index"); index != candidate.end() && *index == 0) choice = &candidate;
  }
  if (!choice->is_object()) return "'choices[0]' is not an object";
  if (auto reason = choice->find("finish_reason"); reason != choice->end() && reason->is_string())
    out.finish_reason = *reason;
  auto message = choice->find(message_key);
  if (message == choice->end() || message->is_null()) return std::nullopt;
  if (!message->is_object()) return fmt::format("'choices[0].{}' is not an object", message_key);
  if (auto problem = string_member(*message, "content", out.content)) return problem;
  if (auto problem = string_member(*message, "reasoning_content", out.reasoning)) return problem;
  if (out.reasoning.empty())  // OpenRouter and some Ollama versions call it "reasoning"
    if (auto problem = string_member(*message, "reasoning", out.reasoning)) return problem;
  return read_tool_calls(*message, out.tool_calls);
}

std::string server_error_text(const nlohmann::json& error) {
  if (error.is_string()) return error.get<std::string>();
  if (error.is_object()) {
    std::string text;
    if (auto message = error.find("message"); message != error.end() && message->is_string()) text = *message;
    if (auto type = error.find("type"); type != error.end() && type->is_string())
      text += fmt::format(" ({})", type->get<std::string>());
    if (!text.empty()) return text;
  }
  return error.dump();
}

}  // namespace

long token_count(double value) {
  constexpr double kMost = 1e12;
  if (!(value > 0)) return 0;  // also NaN
  return static_cast<long>(std::min(value, kMost));
}

void settle_usage(const ReportedUsage& reported, ChunkDelta& out) {
  if (reported.prompt_tokens)
    out.prompt_tokens = *reported.prompt_tokens;
  else if (reported.cache_hit || reported.cache_miss)
    out.prompt_tokens = reported.cache_hit.value_or(0) + reported.cache_miss.value_or(0);
  if (reported.completion_tokens) out.completion_tokens = *reported.completion_tokens;
  const long cached = reported.cached_tokens ? *reported.cached_tokens : reported.cache_hit.value_or(0);
  out.cached_tokens = std::min(cached, out.prompt_tokens);
}

std::string excerpt(std::string_view text, std::size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += '?';
    else
      out += c;
  }
  if (text.size() > limit) out += "…";
  return out;
}

// ---- SseParser ---------------------------------------------------------------------------

std::size_t SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  std::size_t appended = 0;
  while (!started_ && !bytes.empty()) {  // a byte-order mark may arrive one byte at a time
    line_.push_back(bytes.front());
    if (!kByteOrderMark.starts_with(line_)) {
      line_.pop_back();
      started_ = true;
      break;
    }
    bytes.remove_prefix(1);
    if (line_.size() == kByteOrderMark.size()) {
      line_.clear();
      started_ = true;
    }
  }
  while (!bytes.empty()) {
    if (after_cr_ && bytes.front() == '\n') {  // the second half of a "\r\n"
      bytes.remove_prefix(1);
      after_cr_ = false;
      continue;
    }
    after_cr_ = false;
    const std::size_t end = bytes.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      line_.append(bytes);
      break;
    }
    line_.append(bytes.substr(0, end));
    after_cr_ = bytes[end] == '\r';
    bytes.remove_prefix(end + 1);
    take_line(out, appended);
  }
  return appended;
}

std::size_t SseParser::finish(std::vector<SseEvent>& out) {
  std::size_t appended = 0;
  if (!line_.empty()) take_line(out, appended);
  if (has_data_) dispatch(out, appended);
  data_.clear();
  type_.clear();
  after_cr_ = false;
  return appended;
}

void SseParser::take_line(std::vector<SseEvent>& out, std::size_t& appended) {
  const std::string_view line = line_;
  if (line.empty()) {
    dispatch(out, appended);
    return;
  }
  if (line.front() == ':') {  // a comment (keep-alive pings look like this)
    line_.clear();
    return;
  }
  const std::size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  } else if (field == "retry") {
    if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos &&
        value.size() < 12)
      retry_ms_ = std::stol(std::string(value));
  }
  // Other fields are ignored, as the spec says.
  line_.clear();
}

void SseParser::dispatch(std::vector<SseEvent>& out, std::size_t& appended) {
  if (has_data_) {
    SseEvent event;
    event.type = type_.empty() ? "message" : type_;
    event.data = std::move(data_);
    if (!event.data.empty() && event.data.back() == '\n') event.data.pop_back();
    event.id = last_id_;
    event.index = ++events_;
    out.push_back(std::move(event));
    ++appended;
  }
  data_.clear();
  type_.clear();
  has_data_ = false;
}

// ---- OpenAI chunks -----------------------------------------------------------------------

Result<ChunkDelta> interpret_chunk(const SseEvent& event) {
  ChunkDelta delta;
  const std::string_view data = trim(event.data);
  if (data == "[DONE]") {
    delta.done = true;
    return delta;
  }
  if (event.type != "error") {
    if (auto common = read_common_chunk(data)) return std::move(*common);
  }
  nlohmann::json root;
  const Utf8Repair readable = repair_utf8(data);
  try {
    root = nlohmann::json::parse(readable.text);
  } catch (const nlohmann::json::exception& e) {
    return llm_error(fmt::format("malformed event #{} in the model server's stream: {}; data: '{}'",
                                 event.index, e.what(), excerpt(event.data)));
  }
  if (!root.is_object())
    return llm_error(
        fmt::format("malformed event #{} in the model server's stream: expected a "
                    "JSON object, got {}; data: '{}'",
                    event.index, root.type_name(), excerpt(event.data)));
  if (auto error = root.find("error"); error != root.end() && !error->is_null())
    return llm_error(fmt::format("the model server reported an error in event #{}: {}", event.index,
                                 server_error_text(*error)));
  if (event.type == "error")
    return llm_error(fmt::format("the model server reported an error in event #{}: '{}'", event.index,
                                 excerpt(event.data)));
  if (auto problem = read_choice_and_usage(root, "delta", delta))
    return llm_error(fmt::format("malformed event #{} in the model server's stream: {}; data: '{}'",
                                 event.index, *problem, excerpt(event.data)));
  delta.repaired_utf8_bytes = readable.replaced;
  return delta;
}

Result<ChunkDelta> interpret_completion(std::string_view body) {
  ChunkDelta whole;
  whole.done = true;
  nlohmann::json root;
  const Utf8Repair readable = repair_utf8(body);
  whole.repaired_utf8_bytes = readable.replaced;
  try {
    root = nlohmann::json::parse(readable.text);
  } catch (const nlohmann::json::exception& e) {
    return llm_error(
        fmt::format("the model server's reply is not valid JSON: {}; body: '{}'", e.what(), excerpt(body)));
  }
  if (!root.is_object())
    return llm_error(fmt::format("the model server's reply is {}, expected a JSON object; body: '{}'",
                                 root.type_name(), excerpt(body)));
  if (auto error = root.find("error"); error != root.end() && !error->is_null())
    return llm_error("the model server reported an error: " + server_error_text(*error));
  auto choices = root.find("choices");
  if (choices == root.end() || !choices->is_array() || choices->empty())
    return llm_error(fmt::format("the model server's reply has no choices; body: '{}'", excerpt(body)));
  if (auto problem = read_choice_and_usage(root, "message", whole))
    return llm_error(
        fmt::format("the model server's reply is malformed: {}; body: '{}'", *problem, excerpt(body)));
  return whole;
}

// ---- ReasoningSplitter -------------------------------------------------------------------

namespace {
constexpr std::string_view kOpenTags[] = {"<think>", "<thinking>"};
}  // namespace

ReasoningSplitter::Parts ReasoningSplitter::feed(std::string_view piece) {
  Parts out;
  held_.append(piece);
  run(out, false);
  return out;
}

ReasoningSplitter::Parts ReasoningSplitter::finish() {
  Parts out;
  run(out, true);
  return out;
}

void ReasoningSplitter::run(Parts& out, bool at_end) {
  if (state_ == State::start) {
    const std::size_t first = held_.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
      if (at_end) out.answer += std::exchange(held_, {});
      return;
    }
    const std::string_view rest = std::string_view(held_).substr(first);
    bool maybe_tag = false;
    for (std::string_view tag : kOpenTags) {
      if (rest.starts_with(tag)) {
        close_tag_ = "</" + std::string(tag.substr(1));
        held_ = std::string(rest.substr(tag.size()));
        state_ = State::thinking;
        break;
      }
      if (tag.starts_with(rest)) maybe_tag = true;
    }
    if (state_ == State::start) {
      if (maybe_tag && !at_end) return;  // "<thi" so far: wait for more
      state_ = State::answer;
    }
  }
  if (state_ == State::thinking) {
    const std::size_t close = held_.find(close_tag_);
    if (close != std::string::npos) {
      out.reasoning.append(held_, 0, close);
      held_.erase(0, close + close_tag_.size());
      state_ = State::answer;
      skip_space_ = true;  // "</think>\n\nAnswer": the answer starts at "Answer"
    } else {
      if (at_end) {
        out.reasoning += std::exchange(held_, {});
        return;
      }
      // Keep back the longest tail that could be the start of the closing tag.
      std::size_t keep = 0;
      for (std::size_t n = std::min(held_.size(), close_tag_.size() - 1); n > 0; --n) {
        if (std::string_view(held_).substr(held_.size() - n) == std::string_view(close_tag_).substr(0, n)) {
          keep = n;
          break;
        }
      }
      out.reasoning.append(held_, 0, held_.size() - keep);
      held_.erase(0, held_.size() - keep);
      return;
    }
  }
  if (state_ == State::answer) {
    if (skip_space_) {
      const std::size_t text = held_.find_first_not_of(" \t\r\n");
      if (text == std::string::npos) {
        held_.clear();
        return;
      }
      held_.erase(0, text);
      skip_space_ = false;
    }
    out.answer += std::exchange(held_, {});
  }
}

}  // namespace agentco
