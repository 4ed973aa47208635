#include "llm/chunk_reader.hpp"

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace agentco {
namespace {

using json = nlohmann::json;

// The members the reader cares about; every other key is `other`.
enum class Key { other, model, usage, choices, error, prompt_tokens, completion_tokens, finish_reason, delta,
                 content, reasoning_content, reasoning, prompt_tokens_details, cached_tokens,
                 prompt_cache_hit_tokens, prompt_cache_miss_tokens, tool_calls, function_call };

Key key_of(std::string_view k) {
  switch (k.size()) {
    case 5:
      if (k == "model") return Key::model;
      if (k == "usage") return Key::usage;
      if (k == "error") return Key::error;
      if (k == "delta") return Key::delta;
      break;
    case 7:
      if (k == "choices") return Key::choices;
      if (k == "content") return Key::content;
      break;
    case 9:
      if (k == "reasoning") return Key::reasoning;
      break;
    case 10:
      if (k == "tool_calls") return Key::tool_calls;
      break;
    case 13:
      if (k == "prompt_tokens") return Key::prompt_tokens;
      if (k == "finish_reason") return Key::finish_reason;
      if (k == "cached_tokens") return Key::cached_tokens;
      if (k == "function_call") return Key::function_call;
      break;
    case 17:
      if (k == "completion_tokens") return Key::completion_tokens;
      if (k == "reasoning_content") return Key::reasoning_content;
      break;
    case 21:
      if (k == "prompt_tokens_details") return Key::prompt_tokens_details;
      break;
    case 23:
      if (k == "prompt_cache_hit_tokens") return Key::prompt_cache_hit_tokens;
      break;
    case 24:
      if (k == "prompt_cache_miss_tokens") return Key::prompt_cache_miss_tokens;
      break;
    default:
      break;
  }
  return Key::other;
}

// The containers on the way to what a ChunkDelta holds.
enum class Role { root, usage, usage_details, choices, choice, delta };

class ChunkSax {
 public:
  explicit ChunkSax(ChunkDelta& out) : out_(out) {}

  bool gave_up() const { return gave_up_; }
  const ReportedUsage& usage() const { return usage_; }
  const std::string& reasoning_content() const { return reasoning_content_; }
  const std::string& reasoning() const { return reasoning_; }

  // ---- nlohmann::json_sax interface ----
  bool null() { return scalar(Scalar::null); }
  bool boolean(bool) { return scalar(Scalar::other); }
  bool number_integer(json::number_integer_t v) { return number(token_count(static_cast<double>(v))); }
  bool number_unsigned(json::number_unsigned_t v) { return number(token_count(static_cast<double>(v))); }
  bool number_float(json::number_float_t v, const json::string_t&) { return number(token_count(v)); }
  bool binary(json::binary_t&) { return give_up(); }
  bool string(json::string_t& value) {
    if (ignored_ > 0) return true;
    if (depth_ == 0) return give_up();
    const Role role = frames_[depth_ - 1].role;
    const Key key = frames_[depth_ - 1].key;
    if (role == Role::root) {
      if (key == Key::model) out_.model = value;
      else if (key == Key::choices) return give_up();  // an error member gave up at its key
    } else if (role == Role::choice) {
      if (key == Key::finish_reason) out_.finish_reason = value;
      else if (key == Key::delta) return give_up();
    } else if (role == Role::delta) {
      if (key == Key::content) out_.content += value;
      else if (key == Key::reasoning_content) reasoning_content_ += value;
      else if (key == Key::reasoning) reasoning_ += value;
      else if (key == Key::tool_calls || key == Key::function_call) return give_up();
    } else if (role == Role::choices) {
      return give_up();
    }
    return true;
  }
  bool key(json::string_t& name) {
    if (ignored_ > 0) return true;
    Key k = key_of(name);
    if (k == Key::error && frames_[depth_ - 1].role == Role::root) return give_up();
    frames_[depth_ - 1].key = k;
    return true;
  }
  bool start_object(std::size_t) { return open(true); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(false); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return give_up(); }

 private:
  enum class Scalar { null, other };
  struct Frame {
    Role role = Role::root;
    Key key = Key::other;
    int elements = 0;  // for choices: how many elements began
  };

  bool give_up() {
    gave_up_ = true;
    return false;
  }

  bool number(long value) {
    if (ignored_ > 0) return true;
    if (depth_ == 0) return give_up();
    const Frame& f = frames_[depth_ - 1];
    if (f.role == Role::usage) {
      if (f.key == Key::prompt_tokens) usage_.prompt_tokens = value;
      else if (f.key == Key::completion_tokens) usage_.completion_tokens = value;
      else if (f.key == Key::prompt_cache_hit_tokens) usage_.cache_hit = value;
      else if (f.key == Key::prompt_cache_miss_tokens) usage_.cache_miss = value;
      return true;
    }
    if (f.role == Role::usage_details) {
      if (f.key == Key::cached_tokens) usage_.cached_tokens = value;
      return true;
    }
    return scalar(Scalar::other);
  }

  // A null, boolean or number in a place that matters.
  bool scalar(Scalar kind) {
    if (ignored_ > 0) return true;
    if (depth_ == 0) return give_up();
    const Frame& f = frames_[depth_ - 1];
    switch (f.role) {
      case Role::root:
        // A non-string model or non-object usage is ignored, as the thorough reader does; a
        // choices that is neither null nor a list is an error it words.
        if (f.key == Key::choices && kind != Scalar::null) return give_up();
        return true;
      case Role::choices:
        return give_up();  // an element that is not an object
      case Role::choice:
        if (f.key == Key::delta && kind != Scalar::null) return give_up();
        return true;
      case Role::delta:
        if ((f.key == Key::content || f.key == Key::reasoning_content || f.key == Key::reasoning ||
             f.key == Key::tool_calls || f.key == Key::function_call) &&
            kind != Scalar::null)
          return give_up();
        return true;
      case Role::usage:
      case Role::usage_details:
        return true;
    }
    return true;
  }

  bool open(bool object) {
    if (ignored_ > 0) {
      ++ignored_;
      return true;
    }
    if (depth_ == 0) {
      if (!object) return give_up();
      return push(Role::root);
    }
    Frame& parent = frames_[depth_ - 1];
    switch (parent.role) {
      case Role::root:
        if (parent.key == Key::usage) {
          if (!object) {  // the thorough reader ignores a usage that is not an object
            ++ignored_;
            return true;
          }
          out_.has_usage = true;
          return push(Role::usage);
        }
        if (parent.key == Key::choices) return object ? give_up() : push(Role::choices);
        break;
      case Role::choices:
        if (!object || ++parent.elements > 1) return give_up();  // several choices: the thorough way
        return push(Role::choice);
      case Role::choice:
        if (parent.key == Key::delta) return object ? push(Role::delta) : give_up();
        break;
      case Role::delta:
        if (parent.key == Key::content || parent.key == Key::reasoning_content || parent.key == Key::reasoning)
          return give_up();  // a list of parts
        if (parent.key == Key::tool_calls || parent.key == Key::function_call)
          return give_up();  // tool calls: rarer than text, read by the thorough reader
        break;
      case Role::usage:
        if (parent.key == Key::prompt_tokens_details && object) return push(Role::usage_details);
        break;
      case Role::usage_details:
        break;
    }
    ++ignored_;
    return true;
  }

  bool close() {
    if (ignored_ > 0) {
      --ignored_;
      return true;
    }
    if (depth_ == 0) return give_up();
    --depth_;
    return true;
  }

  bool push(Role role) {
    if (depth_ == frames_.size()) return give_up();
    frames_[depth_++] = Frame{role, Key::other, 0};
    return true;
  }

  ChunkDelta& out_;
  std::array<Frame, 5> frames_{};
  std::size_t depth_ = 0;
  int ignored_ = 0;  // depth inside a container nobody reads
  bool gave_up_ = false;
  ReportedUsage usage_;
  std::string reasoning_content_, reasoning_;
};

}  // namespace

std::optional<ChunkDelta> read_common_chunk(std::string_view text) {
  ChunkDelta delta;
  ChunkSax sax(delta);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json, true);
  if (!ok || sax.gave_up()) return std::nullopt;
  if (delta.has_usage) settle_usage(sax.usage(), delta);
  // As the thorough reader: reasoning_content first, "reasoning" (OpenRouter, Ollama) otherwise.
  delta.reasoning = sax.reasoning_content().empty() ? sax.reasoning() : sax.reasoning_content();
  return delta;
}

}  // namespace agentco
