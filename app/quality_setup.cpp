#include "app/quality_setup.hpp"

#include "llm/embeddings.hpp"

namespace agentco {

QualityOptions quality_options(const Config& config, double deadline_s) {
  QualityOptions options;
  options.deadline = std::chrono::milliseconds(static_cast<long long>(deadline_s * 1000));
  if (config.llm.embedding_model.empty() || config.llm.api_type == "mock") return options;
  EmbeddingsTarget target;
  target.base_url = config.llm.base_url.empty() ? "https://api.openai.com/v1" : config.llm.base_url;
  target.api_key = config.llm.api_key;
  target.model = config.llm.embedding_model;
  target.insecure = config.llm.insecure;
  target.timeout = std::chrono::milliseconds(static_cast<long long>(config.llm.timeout_total_s * 1000));
  options.embed = [target](const std::vector<std::string>& texts) { return fetch_embeddings(target, texts); };
  options.embed_label = "embeddings " + target.model;
  return options;
}

}  // namespace agentco
