#include "llm/embeddings.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/utf8.hpp"
#include "llm/http_transport.hpp"

namespace agentco {

using json = nlohmann::json;

Result<std::vector<std::vector<double>>> parse_embeddings(const std::string& body, std::size_t count) {
  const json reply = json::parse(body, nullptr, false);
  if (reply.is_discarded() || !reply.is_object())
    return make_error("embeddings", fmt::format("the reply is not a JSON object: {}", cut_utf8(body, 120)));
  const auto data = reply.find("data");
  if (data == reply.end() || !data->is_array())
    return make_error("embeddings", "the reply has no \"data\" list");
  if (data->size() != count)
    return make_error("embeddings", fmt::format("the reply has {} vectors for {} texts", data->size(), count));
  std::vector<std::vector<double>> out(count);
  std::vector<bool> seen(count, false);
  for (std::size_t i = 0; i < data->size(); ++i) {
    const json& item = (*data)[i];
    if (!item.is_object()) return make_error("embeddings", fmt::format("data[{}] is not an object", i));
    std::size_t index = i;
    if (item.contains("index")) {
      if (!item["index"].is_number_unsigned() || item["index"].get<std::size_t>() >= count)
        return make_error("embeddings", fmt::format("data[{}].index is not one of 0..{}", i, count - 1));
      index = item["index"].get<std::size_t>();
    }
    if (seen[index]) return make_error("embeddings", fmt::format("data[{}] repeats index {}", i, index));
    seen[index] = true;
    const auto vector = item.find("embedding");
    if (vector == item.end() || !vector->is_array() || vector->empty())
      return make_error("embeddings", fmt::format("data[{}].embedding is not a list of numbers", i));
    for (const auto& x : *vector) {
      if (!x.is_number()) return make_error("embeddings", fmt::format("data[{}].embedding holds a non-number", i));
      out[index].push_back(x.get<double>());
    }
  }
  for (std::size_t i = 1; i < out.size(); ++i)
    if (out[i].size() != out[0].size())
      return make_error("embeddings", fmt::format("the vectors differ in length ({} and {})", out[0].size(), out[i].size()));
  return out;
}

Result<std::vector<std::vector<double>>> fetch_embeddings(const EmbeddingsTarget& target,
                                                          const std::vector<std::string>& texts) {
  if (target.base_url.empty()) return make_error("embeddings", "no llm.base_url to ask for embeddings");
  TransportOptions options;
  options.insecure = target.insecure;
  options.deadlines.connect = std::min(target.timeout, std::chrono::milliseconds(10000));
  options.deadlines.first_byte = target.timeout;
  options.deadlines.idle = target.timeout;
  options.deadlines.total = target.timeout;
  HttpTransport transport(options);
  HttpRequest request;
  request.method = "POST";
  request.url = join_url(target.base_url, "/embeddings");
  request.headers = {{"Content-Type", "application/json"}};
  if (!target.api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + target.api_key);
  json input = json::array();
  for (const auto& text : texts) input.push_back(repair_utf8(text).text);
  request.body = json{{"model", target.model}, {"input", std::move(input)}}.dump();

  Result<HttpResponse> response = make_error("embeddings", "no answer");
  boost::asio::io_context io;
  auto ask = [&]() -> boost::asio::awaitable<void> {  // named: the closure outlives the coroutine
    response = co_await transport.request(std::move(request));
  };
  boost::asio::co_spawn(io, ask(), boost::asio::detached);
  io.run();
  const std::string where = join_url(target.base_url, "/embeddings");
  if (!response) return make_error("embeddings", fmt::format("{}: {}", where, response.error().message));
  if (response->status != 200)
    // The body is not quoted: a server may echo the request's Authorization header in it.
    return make_error("embeddings", fmt::format("{} answered HTTP {} {}", where, response->status, response->reason));
  auto vectors = parse_embeddings(response->body, texts.size());
  if (!vectors) return make_error("embeddings", fmt::format("{}: {}", where, vectors.error().message));
  return vectors;
}

}  // namespace agentco
