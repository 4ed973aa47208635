#include "llm/routing_provider.hpp"

#include <algorithm>

namespace agentco {

RoutingProvider::RoutingProvider(RoutingTable table) : table_(std::move(table)) {}

std::string RoutingProvider::name() const {
  std::vector<std::string> kinds;
  for (const auto& server : table_.servers) {
    const std::string kind = server.provider->name();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  }
  std::string out;
  for (const auto& kind : kinds) out += (out.empty() ? "" : "+") + kind;
  return out;
}

std::pair<std::size_t, std::string> RoutingProvider::route(const std::string& role,
                                                           const std::string& profile,
                                                           const std::string& model) const {
  if (const RoleLlm* entry = role_llm_for(table_.roles, role, profile)) {
    const auto index = static_cast<std::size_t>(entry - table_.roles.data());
    if (table_.role_servers[index]) return {*table_.role_servers[index], model};
  }
  if (auto it = table_.models.find(model); it != table_.models.end()) {
    const auto& send_as = it->second.send_as;
    return {it->second.server, send_as.empty() ? model : send_as};
  }
  return {0, model};
}

boost::asio::awaitable<Result<ChatResult>> RoutingProvider::chat(const ChatRequest& request) {
  std::string role, profile;
  if (request.hints.is_object()) {
    role = request.hints.value("role", "");
    profile = request.hints.value("profile", "");
  }
  const auto [server, send_as] = route(role, profile, request.model);
  Provider& provider = *table_.servers[server].provider;
  Result<ChatResult> result = make_error("llm", "not sent");
  if (send_as == request.model) {
    result = co_await provider.chat(request);
  } else {
    ChatRequest sent = request;
    sent.model = send_as;
    result = co_await provider.chat(sent);
  }
  if (result && table_.planned_models.count(request.model)) result->model = request.model;
  co_return result;
}

void RoutingProvider::cancel_calls() {
  for (auto& server : table_.servers) server.provider->cancel_calls();
}

}  // namespace agentco
