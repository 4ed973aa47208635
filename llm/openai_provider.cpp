#include "llm/openai_provider.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cmath>
#include <ctime>
#include <deque>
#include <random>

#include "core/secrets.hpp"
#include "llm/sse_parser.hpp"
#include "llm/tool_call_text.hpp"
#include "llm/tool_calls.hpp"

namespace agentco {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

asio::awaitable<void> sleep_for(double seconds) {
  if (seconds <= 0) co_return;
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(
      executor, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Waiters are served first come, first served. Single-threaded, like the provider.
class Semaphore {
 public:
  explicit Semaphore(int limit) : limit_(limit) {}

  // False when the wait was cancelled (nothing is then held).
  asio::awaitable<bool> acquire() {
    if (limit_ <= 0 || (in_use_ < limit_ && waiters_.empty())) {
      ++in_use_;
      co_return true;
    }
    const auto executor = co_await asio::this_coro::executor;
    auto waiter = std::make_shared<Waiter>(executor);
    waiter->timer.expires_at(asio::steady_timer::time_point::max());
    waiters_.push_back(waiter);
    // Also runs when the coroutine is destroyed while waiting (its io_context went away):
    // the queue must not keep a timer of a dead context, nor a slot nobody will release.
    Leave leave{*this, waiter};
    co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    waiter->resumed = true;
    co_return waiter->granted;  // granted: release() handed its slot over
  }

  void release() {
    if (!waiters_.empty()) {
      auto next = waiters_.front();
      waiters_.pop_front();
      next->granted = true;
      next->timer.cancel();
      return;
    }
    --in_use_;
  }

 private:
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    bool granted = false;
    bool resumed = false;
  };
  struct Leave {
    Semaphore& semaphore;
    std::shared_ptr<Waiter> waiter;
    ~Leave() {
      if (!waiter->granted)
        std::erase(semaphore.waiters_, waiter);
      else if (!waiter->resumed)
        semaphore.release();  // granted to a coroutine that is gone
    }
  };
  int limit_;
  int in_use_ = 0;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

class Permit {
 public:
  explicit Permit(Semaphore& semaphore) : semaphore_(semaphore) {}
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  ~Permit() { semaphore_.release(); }

 private:
  Semaphore& semaphore_;
};

// Starts at most `per_minute` requests a minute, with a burst of about one second's worth.
// A caller that finds the bucket empty reserves a token (the count goes negative) and waits
// for it, so waiters are spaced evenly.
class TokenBucket {
 public:
  explicit TokenBucket(double per_minute)
      : rate_(per_minute / 60.0),
        capacity_(1.0 + per_minute / 60.0),
        tokens_(capacity_),
        last_(Clock::now()) {}

  asio::awaitable<void> acquire() {
    if (rate_ <= 0) co_return;
    const auto now = Clock::now();
    tokens_ = std::min(capacity_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
    last_ = now;
    tokens_ -= 1.0;
    if (tokens_ < 0) co_await sleep_for(-tokens_ / rate_);
  }

 private:
  double rate_;
  double capacity_;
  double tokens_;
  Clock::time_point last_;
};

std::string trim_copy(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

bool contains_ignoring_case(std::string_view text, std::string_view word) {
  auto it = std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

// The server's own words from an error body: OpenAI's {"error":{"message":...}}, a plain
// {"error":"..."} or {"message":...}, else the start of the body.
std::string server_message(std::string_view body) {
  try {
    const auto json = nlohmann::json::parse(body);
    if (json.is_object()) {
      if (auto error = json.find("error"); error != json.end()) {
        if (error->is_string()) return error->get<std::string>();
        if (error->is_object() && error->contains("message") && (*error)["message"].is_string())
          return (*error)["message"].get<std::string>();
      }
      if (auto message = json.find("message"); message != json.end() && message->is_string())
        return message->get<std::string>();
      if (auto detail = json.find("detail"); detail != json.end() && detail->is_string())
        return detail->get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
  }
  if (const auto open = body.find("<title>"); open != std::string_view::npos) {  // an HTML error page
    const auto close = body.find("</title>", open);
    if (close != std::string_view::npos) return trim_copy(body.substr(open + 7, close - open - 7));
  }
  std::string text(body.substr(0, 300));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return excerpt(text, 300);
}

std::string said(std::string_view body) {
  const std::string message = server_message(body);
  return message.empty() ? std::string() : ": " + message;
}

std::string header_safe(std::string text) {
  for (char& c : text)
    if (c == '\r' || c == '\n') c = ' ';
  return text;
}

long estimate_completion_tokens(const ChatResult& result) {
  long total = estimate_tokens(result.text) + estimate_tokens(result.reasoning);
  for (const auto& call : result.tool_calls) total += 3 + estimate_tokens(call.name) + estimate_tokens(call.arguments);
  return total;
}

// What one response body turns into, fed piece by piece by the transport.
struct ReplyReader {
  const std::function<void(std::string_view)>* on_delta = nullptr;
  Clock::time_point started;
  bool decided = false;
  bool streamed = false;  // a 200 with text/event-stream
  std::string raw;        // the body when not streamed (JSON reply or an error page)
  SseParser parser;
  std::vector<SseEvent> events;
  ReasoningSplitter splitter;
  std::string text;
  std::string reasoning;
  std::string finish_reason;
  std::string model;
  bool saw_done = false;
  std::size_t repaired_utf8_bytes = 0;  // bytes that were not UTF-8 where the JSON was read
  bool has_usage = false;
  long prompt_tokens = 0;
  long completion_tokens = 0;
  long cached_tokens = 0;
  double first_token_s = 0.0;
  ToolCallAssembler tool_calls;
  std::optional<Error> error;

  bool take(const HttpResponse& head, std::string_view piece) {
    if (!decided) {
      decided = true;
      const std::string type = head.header("content-type");
      // Some servers stream without saying so; their first bytes give them away.
      streamed =
          head.status == 200 &&
          (contains_ignoring_case(type, "text/event-stream") ||
           (!contains_ignoring_case(type, "json") && (piece.starts_with("data:") || piece.starts_with(":"))));
    }
    if (!streamed) {
      raw.append(piece);
      return true;
    }
    events.clear();
    parser.feed(piece, events);
    return handle_events();
  }

  bool handle_events() {
    for (const auto& event : events) {
      auto delta = interpret_chunk(event);
      if (!delta) {
        error = delta.error();
        return false;
      }
      absorb(*delta);
    }
    events.clear();
    return true;
  }

  void absorb(const ChunkDelta& delta) {
    if (delta.done) {
      saw_done = true;
      return;
    }
    repaired_utf8_bytes += delta.repaired_utf8_bytes;
    if (!delta.model.empty()) model = delta.model;
    if (!delta.finish_reason.empty()) finish_reason = delta.finish_reason;
    if (delta.has_usage) {
      has_usage = true;
      prompt_tokens = delta.prompt_tokens;
      completion_tokens = delta.completion_tokens;
      cached_tokens = delta.cached_tokens;
    }
    if ((!delta.content.empty() || !delta.reasoning.empty() || !delta.tool_calls.empty()) && first_token_s == 0.0)
      first_token_s = seconds_since(started);
    for (const auto& piece : delta.tool_calls) tool_calls.add(piece);
    reasoning += delta.reasoning;
    if (!delta.content.empty()) add(splitter.feed(delta.content));
  }

  void add(const ReasoningSplitter::Parts& parts) {
    reasoning += parts.reasoning;
    if (parts.answer.empty()) return;
    text += parts.answer;
    if (on_delta && *on_delta) (*on_delta)(parts.answer);
  }

  // After the body ended: the last event and held-back text; for a JSON reply, all of it.
  Status finish() {
    if (streamed) {
      parser.finish(events);
      if (!handle_events()) return *error;
      add(splitter.finish());
      return ok_status();
    }
    auto whole = interpret_completion(raw);
    if (!whole) return whole.error();
    first_token_s = seconds_since(started);
    whole->done = false;  // absorb() skips end markers; this one carries the whole reply
    absorb(*whole);
    add(splitter.finish());
    return ok_status();
  }
};

// How one try ended.
struct TryOutcome {
  enum class Kind { ok, retry, fatal, stream_options_rejected, not_found } kind = Kind::fatal;
  ChatResult result;
  std::string problem;  // what went wrong, for the error and the list of tries
  std::optional<double> retry_after_s;
};

}  // namespace

std::optional<double> parse_retry_after(std::string_view value) {
  const std::string text = trim_copy(value);
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789.") == std::string::npos) {
    char* end = nullptr;
    const double seconds = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(seconds)) return std::nullopt;
    return std::max(0.0, seconds);
  }
  std::tm tm{};
  for (const char* format : {"%a, %d %b %Y %H:%M:%S", "%A, %d-%b-%y %H:%M:%S", "%a %b %d %H:%M:%S %Y"}) {
    tm = {};
    if (strptime(text.c_str(), format, &tm)) {
      const std::time_t when = timegm(&tm);
      return std::max(0.0, std::difftime(when, std::time(nullptr)));
    }
  }
  return std::nullopt;
}

Result<std::vector<std::string>> parse_model_list(std::string_view body) {
  try {
    const auto json = nlohmann::json::parse(body);
    std::vector<std::string> out;
    auto collect = [&](const char* list, const char* key) {
      if (!json.is_object() || !json.contains(list) || !json[list].is_array()) return false;
      for (const auto& entry : json[list])
        if (entry.is_object() && entry.contains(key) && entry[key].is_string()) out.push_back(entry[key]);
      return true;
    };
    if (collect("data", "id") || collect("models", "name") || collect("models", "id")) return out;
  } catch (const nlohmann::json::exception&) {
  }
  return make_error("llm", "the model list is not in a known format: '" + excerpt(body) + "'");
}

// ---- The provider --------------------------------------------------------------------------

struct OpenAiProvider::Impl {
  explicit Impl(OpenAiOptions opts)
      : options(std::move(opts)),
        transport(options.transport),
        semaphore(options.concurrency),
        bucket(options.requests_per_minute),
        random(std::random_device{}()) {
    if (options.base_url.empty()) options.base_url = "https://api.openai.com/v1";
    if (options.azure && options.api_version.empty()) options.api_version = kDefaultAzureApiVersion;
    auto parsed = parse_http_url(options.base_url);
    if (parsed)
      host = parsed->host;
    else
      base_error = parsed.error().message;
  }

  std::string chat_url(const std::string& model) const {
    if (options.azure)
      return join_url(options.base_url, fmt::format("openai/deployments/{}/chat/completions?api-version={}",
                                                    model, options.api_version));
    return join_url(options.base_url, "chat/completions");
  }

  std::string models_url() const {
    if (options.azure) return join_url(options.base_url, "openai/models?api-version=" + options.api_version);
    return join_url(options.base_url, "models");
  }

  void add_auth(HttpRequest& request) const {
    if (options.api_key.empty()) return;
    if (options.azure)
      request.headers.emplace_back("api-key", options.api_key);
    else
      request.headers.emplace_back("Authorization", "Bearer " + options.api_key);
  }

  std::string key_hint() const {
    if (options.api_key.empty()) return "no key was sent: set OPENAI_API_KEY or llm.api_key";
    return options.azure ? "check llm.api_key (or OPENAI_API_KEY)" : "check OPENAI_API_KEY (or llm.api_key)";
  }

  double backoff(int retry) {
    const double ceiling = std::min(options.retry_max_s, options.retry_base_s * std::pow(2.0, retry - 1));
    std::uniform_real_distribution<double> jitter(0.0, std::max(0.0, ceiling));
    return jitter(random);
  }

  asio::awaitable<TryOutcome> try_once(const ChatRequest& request, const std::string& model, bool include_usage) {
    HttpRequest http;
    http.method = "POST";
    http.url = chat_url(model);
    http.headers.emplace_back("Content-Type", "application/json");
    http.headers.emplace_back("Accept", request.stream ? "text/event-stream" : "application/json");
    add_auth(http);
    for (const auto& [hint, header] :
         {std::pair{"role", "X-Agentco-Role"}, std::pair{"action", "X-Agentco-Action"}}) {
      auto it = request.hints.find(hint);
      if (it != request.hints.end() && it->is_string()) http.headers.emplace_back(header, header_safe(*it));
    }
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& m : request.messages) messages.push_back(message_to_json(m));
    nlohmann::json body = {{"messages", std::move(messages)},
                           {"temperature", request.temperature},
                           {"max_tokens", request.max_tokens},
                           {"stream", request.stream}};
    body.update(tools_to_json(request));
    if (!options.azure) body["model"] = model;
    if (request.stream && include_usage) body["stream_options"] = {{"include_usage", true}};
    http.body = body.dump();

    ReplyReader reader;
    reader.on_delta = &request.on_delta;
    reader.started = Clock::now();
    BodySink sink = [&reader](const HttpResponse& head, std::string_view piece) {
      return reader.take(head, piece);
    };
    ++stats.requests;
    ++in_flight;
    stats.peak_in_flight = std::max(stats.peak_in_flight, in_flight);
    Result<HttpResponse> response = co_await transport.request(std::move(http), sink);
    --in_flight;

    TryOutcome outcome;
    if (!response) {
      const Error& error = response.error();
      if (error.code == "aborted" && reader.error) {
        outcome.problem = reader.error->message;
        co_return outcome;  // a broken stream is the server's bug: asking again will not help
      }
      outcome.kind = is_transient_transport_error(error) ? TryOutcome::Kind::retry : TryOutcome::Kind::fatal;
      outcome.problem = error.message;
      co_return outcome;
    }
    const HttpResponse& head = *response;
    const int status = head.status;
    if (status == 200) {
      if (Status finished = reader.finish(); !finished) {
        outcome.problem = finished.error().message;
        co_return outcome;
      }
      if (reader.streamed && !reader.saw_done && reader.finish_reason.empty()) {
        // A body that ends by closing the connection cannot tell a reset from an end; the
        // stream's own end markers can.
        outcome.kind = TryOutcome::Kind::retry;
        outcome.problem = fmt::format(
            "the stream from {} ended before the reply was complete (no finish_reason, "
            "no [DONE])",
            host);
        co_return outcome;
      }
      ChatResult& result = outcome.result;
      result.text = std::move(reader.text);
      result.tool_calls = reader.tool_calls.calls();
      result.repaired_utf8_bytes = reader.repaired_utf8_bytes;
      result.reasoning = trim_copy(reader.reasoning);
      result.finish_reason = reader.finish_reason.empty() ? "stop" : reader.finish_reason;
      result.model = reader.model.empty() ? model : reader.model;
      // Both figures come from the one clock started here, so the first token can never
      // seem to arrive after the whole reply (the transport's own clock starts later).
      result.latency_s = seconds_since(reader.started);
      result.first_token_s = std::min(reader.first_token_s, result.latency_s);
      if (reader.has_usage) {
        result.usage = {reader.prompt_tokens, reader.completion_tokens, false, reader.cached_tokens};
      } else {
        result.usage = {count_prompt_tokens(request, &estimate_tokens),
                        estimate_completion_tokens(result), true};
      }
      outcome.kind = TryOutcome::Kind::ok;
      co_return outcome;
    }

    const std::string& body_text = reader.raw;
    outcome.problem = fmt::format("HTTP {} from {}{}", status, host, said(body_text));
    if (status == 400 && include_usage && request.stream &&
        contains_ignoring_case(body_text, "stream_options")) {
      outcome.kind = TryOutcome::Kind::stream_options_rejected;
    } else if (status == 401) {
      outcome.problem =
          fmt::format("key rejected by {} — {} (HTTP 401{})", host, key_hint(), said(body_text));
    } else if (status == 403) {
      outcome.problem = fmt::format("access denied by {} (HTTP 403{}); the key may lack access to model '{}'",
                                    host, said(body_text), model);
    } else if (status == 404) {
      outcome.kind = TryOutcome::Kind::not_found;
    } else if (status == 408 || status == 409 || status == 429 || status >= 500) {
      outcome.kind = TryOutcome::Kind::retry;
      std::optional<double> wait;
      if (auto ms = parse_retry_after(head.header("retry-after-ms")))
        wait = *ms / 1000.0;
      else
        wait = parse_retry_after(head.header("retry-after"));
      outcome.retry_after_s = wait;
    }
    co_return outcome;
  }

  // A 404 for a chat request: a model the server does not have, or a wrong base_url.
  asio::awaitable<std::string> explain_not_found(const std::string& model, const std::string& problem) {
    if (options.azure)
      co_return fmt::format("deployment '{}' not found at {} ({}); llm.model must name an Azure deployment",
                            model, options.base_url, problem);
    auto models = co_await list_models();
    if (!models)
      co_return fmt::format(
          "{} not found ({}); is llm.base_url right? OpenAI-compatible servers usually end in /v1",
          chat_url(model), problem);
    const auto& list = *models;
    if (std::find(list.begin(), list.end(), model) != list.end())
      co_return fmt::format("{} answered 404 for model '{}', which it lists ({})", options.base_url, model,
                            problem);
    std::string available;
    for (std::size_t i = 0; i < list.size() && i < 20; ++i) available += (i ? ", " : "") + list[i];
    if (list.size() > 20) available += fmt::format(", … ({} in all)", list.size());
    if (available.empty()) available = "(none)";
    co_return fmt::format("model {} not found at {}; available: {}", model, options.base_url, available);
  }

  // One call with tools in the configured format (llm/tool_call_text.hpp): text mode sends the
  // tools in the system message; auto and text modes read calls from a reply's text when it
  // has no tool_calls of the server's.
  asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) {
    if (request.tools.empty() || options.tool_format == "native") co_return co_await send(request);
    std::optional<ChatRequest> rewritten;
    if (options.tool_format == "text") rewritten = as_text_tool_request(request);
    const ChatRequest& sent = rewritten ? *rewritten : request;
    Result<ChatResult> result = co_await send(sent);
    if (!result || !result->tool_calls.empty()) co_return result;
    TextToolCalls found = parse_text_tool_calls(result->text, request.tools);
    if (!found.calls.empty()) {
      result->tool_calls = std::move(found.calls);
      result->text = std::move(found.text);
      if (result->finish_reason == "stop") result->finish_reason = "tool_calls";
    }
    co_return result;
  }

  asio::awaitable<Result<ChatResult>> send(const ChatRequest& request) {
    if (!base_error.empty()) co_return make_error("llm", "llm.base_url: " + base_error);
    std::string model = request.model;
    if (model.empty() || options.replace_model) model = options.model;
    std::vector<std::string> tries;
    int retries = 0;
    while (true) {
      co_await bucket.acquire();
      const bool admitted = co_await semaphore.acquire();
      if (!admitted) co_return make_error("llm", "cancelled while waiting for a free request slot");
      std::optional<TryOutcome> attempt;
      {
        Permit permit(semaphore);  // released even if this coroutine is destroyed mid-request
        attempt = co_await try_once(request, model, stream_options_supported);
      }
      // Cancelled (cancel_calls): whatever the try made of its aborted socket is not news.
      const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
      if (cancellation.cancelled() != asio::cancellation_type::none)
        co_return make_error("interrupted", fmt::format("the model call to {} was cancelled", host));
      TryOutcome& outcome = *attempt;
      if (outcome.kind == TryOutcome::Kind::ok && outcome.result.finish_reason != "length" &&
          trim_copy(outcome.result.text).empty() && outcome.result.tool_calls.empty()) {
        // Local servers and overloaded hosted ones sometimes answer with nothing; asking
        // again usually helps, and the list of tries says so when it does not.
        outcome.kind = TryOutcome::Kind::retry;
        outcome.problem =
            fmt::format("the model '{}' at {} returned an empty reply (finish_reason \"{}\"{})", model, host,
                        outcome.result.finish_reason, outcome.result.reasoning.empty() ? "" : ", reasoning only");
      }

      switch (outcome.kind) {
        case TryOutcome::Kind::ok:
          co_return std::move(outcome.result);  // a cut-off reply too: the gateway decides
        case TryOutcome::Kind::stream_options_rejected:
          spdlog::info(
              "{} does not accept stream_options; asking without it (usage will be estimated if not sent)",
              host);
          stream_options_supported = false;
          continue;
        case TryOutcome::Kind::not_found: {
          std::string message = co_await explain_not_found(model, outcome.problem);
          co_return make_error("llm", std::move(message));
        }
        case TryOutcome::Kind::fatal:
          if (tries.empty()) co_return make_error("llm", std::move(outcome.problem));
          tries.push_back(std::move(outcome.problem));
          co_return make_error("llm", tries_message(tries));
        case TryOutcome::Kind::retry:
          break;
      }
      tries.push_back(outcome.problem);
      if (retries >= options.max_retries) co_return make_error("llm", tries_message(tries));
      ++retries;
      double wait = backoff(retries);
      std::string why = fmt::format("backing off {:.1f} s", wait);
      if (outcome.retry_after_s) {
        wait = std::min(*outcome.retry_after_s, options.retry_after_cap_s);
        why = fmt::format("waiting {:.1f} s as the server asked", wait);
      }
      spdlog::warn("model request to {} failed (try {} of {}): {}; {}", host, retries,
                   options.max_retries + 1, outcome.problem, why);
      co_await sleep_for(wait);
    }
  }

  // chat() in a default-constructible box, as co_spawn needs.
  asio::awaitable<std::optional<Result<ChatResult>>> boxed_chat(const ChatRequest& request) {
    Result<ChatResult> result = co_await chat(request);
    co_return std::optional<Result<ChatResult>>(std::move(result));
  }

  std::string tries_message(const std::vector<std::string>& tries) const {
    std::string out = fmt::format("the model request to {} failed after {} {}:", host, tries.size(),
                                  tries.size() == 1 ? "try" : "tries");
    bool timed_out = false;
    for (std::size_t i = 0; i < tries.size(); ++i) {
      out += fmt::format("\n  try {}: {}", i + 1, tries[i]);
      if (tries[i].find(" deadline)") != std::string::npos) timed_out = true;
    }
    if (timed_out)
      out +=
          "\n(deadlines: llm.timeout_connect_s, llm.timeout_first_byte_s, llm.timeout_idle_s, "
          "llm.timeout_total_s)";
    return out;
  }

  asio::awaitable<Result<std::vector<std::string>>> list_models() {
    if (!base_error.empty()) co_return make_error("llm", "llm.base_url: " + base_error);
    HttpRequest http;
    http.url = models_url();
    http.headers.emplace_back("Accept", "application/json");
    add_auth(http);
    Result<HttpResponse> response = co_await transport.request(std::move(http));
    if (!response)
      co_return make_error(
          "llm", fmt::format("cannot list the models at {}: {}", options.base_url, response.error().message));
    if (response->status == 401)
      co_return make_error(
          "llm", fmt::format("key rejected by {} — {} (HTTP 401{})", host, key_hint(), said(response->body)));
    if (response->status != 200)
      co_return make_error("llm", fmt::format("listing the models at {} failed: HTTP {}{}", options.base_url,
                                              response->status, said(response->body)));
    co_return parse_model_list(response->body);
  }

  struct CallInFlight {
    asio::cancellation_signal signal;
    bool cancelled = false;
  };

  OpenAiOptions options;
  HttpTransport transport;
  std::vector<std::shared_ptr<CallInFlight>> calls;  // chat() calls in flight, for cancel_calls()
  Semaphore semaphore;
  TokenBucket bucket;
  std::mt19937 random;
  std::string host;
  std::string base_error;
  bool stream_options_supported = true;
  int in_flight = 0;
  ProviderStats stats;
};

OpenAiProvider::OpenAiProvider(OpenAiOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

OpenAiProvider::~OpenAiProvider() = default;

std::string OpenAiProvider::name() const { return impl_->options.name; }

asio::awaitable<Result<ChatResult>> OpenAiProvider::chat(const ChatRequest& request) {
  std::shared_ptr<Impl> impl = impl_;
  // The call runs as a child coroutine with a cancellation slot of its own, so that
  // cancel_calls() can abort its socket reads, deadline and backoff waits at once.
  auto call = std::make_shared<Impl::CallInFlight>();
  impl->calls.push_back(call);
  // Leaves the list however this frame ends (also when it is destroyed with its io_context).
  struct Leave {
    Impl& impl;
    std::shared_ptr<Impl::CallInFlight> call;
    ~Leave() { std::erase(impl.calls, call); }
  } leave{*impl, call};
  const auto executor = co_await asio::this_coro::executor;
  std::optional<Result<ChatResult>> result;
  try {
    auto token = asio::bind_cancellation_slot(call->signal.slot(), asio::use_awaitable);
    result = co_await asio::co_spawn(executor, impl->boxed_chat(request), token);
  } catch (const boost::system::system_error& error) {
    if (error.code() != asio::error::operation_aborted || !call->cancelled) throw;
  }
  if (call->cancelled && (!result || !*result))
    co_return make_error("interrupted", fmt::format("the model call to {} was cancelled", impl->host));
  // A server may quote the request's Authorization header in its error body.
  if (!*result) co_return make_error(result->error().code, scrub_secrets(result->error().message));
  co_return std::move(*result);
}

void OpenAiProvider::cancel_calls() {
  // Emitting may resume nothing synchronously (completions are posted), but copy anyway:
  // the list must not change under the loop.
  auto calls = impl_->calls;
  for (auto& call : calls) {
    if (call->cancelled) continue;
    call->cancelled = true;
    call->signal.emit(asio::cancellation_type::terminal);
  }
}

asio::awaitable<Result<std::vector<std::string>>> OpenAiProvider::list_models() {
  std::shared_ptr<Impl> impl = impl_;
  auto models = co_await impl->list_models();
  if (!models) co_return make_error(models.error().code, scrub_secrets(models.error().message));
  co_return models;
}

const OpenAiOptions& OpenAiProvider::options() const { return impl_->options; }

ProviderStats OpenAiProvider::stats() const {
  ProviderStats out = impl_->stats;
  out.transport = impl_->transport.stats();
  return out;
}

}  // namespace agentco
