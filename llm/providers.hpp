// The one place where model providers are registered, by their `llm.api_type` name.
#pragma once
#include <memory>

#include "config/config.hpp"
#include "core/result.hpp"
#include "llm/provider.hpp"

namespace agentco {

// Builds the provider the config asks for. Error "llm" with the ways to configure a model
// when none is usable. When the config's `roles:` or `models:` entries name servers of their
// own (or a pricing plan is set), it is a RoutingProvider (llm/routing_provider.hpp) over one
// provider per distinct server, llm:'s first; an error in an entry's server names the entry.
Result<std::shared_ptr<Provider>> make_provider(const Config& config);

}  // namespace agentco
