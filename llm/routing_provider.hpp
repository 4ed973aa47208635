// RoutingProvider: a Provider over several model servers, one Provider each, that sends every
// call to the server its role or its model names (MetaGPT's `roles:` and `models:` in the
// config; llm/providers.cpp builds it when they name servers of their own).
//
// Promises:
// - A call goes to the first of: the server of the roles: entry that governs the call's role
//   (hints "role" and "profile", see role_llm_for in config/config.hpp) when that entry names
//   a server; the server of the models: entry named by the request's model, which is sent the
//   entry's model in its place (the trace keeps the name the call asked for); the default
//   server (llm:).
// - A call whose model has a pricing plan reports that model as ChatResult::model, the name
//   it asked for, so that the ledger prices it by the plan whatever name the server reports
//   (Azure reports its base model, not the deployment).
// - cancel_calls() reaches every server.
// - name() is the default server's provider name, followed by the other kinds of servers
//   ("openai+azure").
// Thread-safety: as the providers it holds: calls from coroutines on one thread.
#pragma once
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "llm/provider.hpp"

namespace agentco {

struct RoutingTable {
  struct Server {
    std::shared_ptr<Provider> provider;
    std::vector<std::string> users;  // who sends calls here: "llm", "roles Architect", "models NAME"
    std::string check_model;         // the model a check (check-llm) asks it for
  };
  struct ModelRoute {
    std::size_t server = 0;
    std::string send_as;  // the model sent to the server; empty: the request's own
  };
  std::vector<Server> servers;  // [0] is the default server (llm:)
  std::vector<RoleLlm> roles;   // the config's roles: entries, and for each the server it names
  std::vector<std::optional<std::size_t>> role_servers;
  std::map<std::string, ModelRoute> models;  // models: entry name -> its server
  std::set<std::string> planned_models;      // models priced by a pricing plan
};

class RoutingProvider : public Provider {
 public:
  explicit RoutingProvider(RoutingTable table);

  std::string name() const override;
  boost::asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override;
  void cancel_calls() override;

  // The servers, the default first.
  const std::vector<RoutingTable::Server>& servers() const { return table_.servers; }
  // Which server a call with this role, profile and model goes to, and the model it is sent.
  std::pair<std::size_t, std::string> route(const std::string& role, const std::string& profile,
                                            const std::string& model) const;

 private:
  RoutingTable table_;
};

}  // namespace agentco
