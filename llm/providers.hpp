// The one place where model providers are registered, by their `llm.api_type` name.
#pragma once
#include <memory>

#include "config/config.hpp"
#include "core/result.hpp"
#include "llm/provider.hpp"

namespace agentco {

// Builds the provider the config asks for. Error "llm" with the ways to configure a model
// when none is usable.
Result<std::shared_ptr<Provider>> make_provider(const Config& config);

}  // namespace agentco
