// A config2.yaml shaped like the example MetaGPT ships (config/config2.example.yaml in its
// repository): the same sections, keys and nesting, every placeholder filled in, the model
// servers pointing wherever a test says. Written here, so no test reads MetaGPT's files.
#pragma once
#include <string>

namespace agentco::testing {

struct MetaGptServers {
  std::string llm = "http://127.0.0.1:9/v1";        // llm.base_url
  std::string llm_proxy = "http://127.0.0.1:9";     // llm.proxy
  std::string openai = "http://127.0.0.1:9/v1";     // roles ProductManager and Architect (openai)
  std::string openai_proxy = "http://127.0.0.1:9";  // their proxy
  std::string azure = "http://127.0.0.1:9";         // roles ProjectManager and Engineer (azure)
  std::string models = "http://127.0.0.1:9/v1";     // the two models: entries
};

// The line of `key:` at the start of a line in `yaml` (1-based), 0 when absent.
inline int line_of(const std::string& yaml, const std::string& key) {
  const std::string needle = "\n" + key + ":";
  const auto at = yaml.find(needle);
  if (at == std::string::npos) return 0;
  int line = 2;
  for (std::size_t i = 0; i < at; ++i) line += yaml[i] == '\n';
  return line;
}

// clang-format off
inline std::string metagpt_config2(const MetaGptServers& s) {
  return "llm:\n"
         "  api_type: \"openai\"\n"
         "  base_url: \"" + s.llm + "\"\n"
         "  api_key: \"sk-llm-0001\"\n"
         "  model: \"gpt-4-turbo\"\n"
         "  proxy: \"" + s.llm_proxy + "\"\n"
         "  timeout: 600\n"
         "  pricing_plan: \"\"\n"
         "\n"
         "embedding:\n"
         "  api_type: \"openai\"\n"
         "  base_url: \"http://127.0.0.1:9/v1\"\n"
         "  api_key: \"sk-embedding-0002\"\n"
         "  model: \"text-embedding-3-small\"\n"
         "  api_version: \"\"\n"
         "  embed_batch_size: 100\n"
         "  dimensions:\n"
         "\n"
         "roles:\n"
         "  - role: \"ProductManager\"\n"
         "    llm:\n"
         "      api_type: \"openai\"\n"
         "      base_url: \"" + s.openai + "\"\n"
         "      api_key: \"sk-pm-0003\"\n"
         "      proxy: \"" + s.openai_proxy + "\"\n"
         "      model: \"gpt-4-turbo-1106\"\n"
         "  - role: \"Architect\"\n"
         "    llm:\n"
         "      api_type: \"openai\"\n"
         "      base_url: \"" + s.openai + "\"\n"
         "      api_key: \"sk-architect-0004\"\n"
         "      proxy: \"" + s.openai_proxy + "\"\n"
         "      model: \"gpt-35-turbo\"\n"
         "  - role: \"ProjectManager\"\n"
         "    llm:\n"
         "      api_type: \"azure\"\n"
         "      base_url: \"" + s.azure + "\"\n"
         "      api_key: \"azure-key-0005\"\n"
         "      api_version: \"2024-02-01\"\n"
         "      model: \"gpt-4-1106\"\n"
         "  - role: \"Engineer\"\n"
         "    llm:\n"
         "      api_type: \"azure\"\n"
         "      base_url: \"" + s.azure + "\"\n"
         "      api_key: \"azure-key-0005\"\n"
         "      api_version: \"2024-02-01\"\n"
         "      model: \"gpt-35-turbo-1106\"\n"
         "\n"
         "repair_llm_output: true\n"
         "\n"
         "proxy: \"http://127.0.0.1:9\"\n"
         "\n"
         "search:\n"
         "  api_type: \"google\"\n"
         "  api_key: \"search-key-0006\"\n"
         "  cse_id: \"cse-0007\"\n"
         "\n"
         "browser:\n"
         "  engine: \"playwright\"\n"
         "  browser_type: \"chromium\"\n"
         "\n"
         "mermaid:\n"
         "  engine: \"pyppeteer\"\n"
         "  pyppeteer_path: \"/usr/bin/chromium\"\n"
         "\n"
         "redis:\n"
         "  host: \"127.0.0.1\"\n"
         "  port: 6379\n"
         "  password: \"redis-password-0008\"\n"
         "  db: \"0\"\n"
         "\n"
         "s3:\n"
         "  access_key: \"s3-access-0009\"\n"
         "  secret_key: \"s3-secret-0010\"\n"
         "  endpoint: \"http://127.0.0.1:9\"\n"
         "  secure: false\n"
         "  bucket: \"runs\"\n"
         "\n"
         "exp_pool:\n"
         "  enabled: false\n"
         "  enable_read: false\n"
         "  enable_write: false\n"
         "  persist_path: .chroma_exp_data\n"
         "  retrieval_type: bm25\n"
         "  use_llm_ranker: true\n"
         "  collection_name: experience_pool\n"
         "\n"
         "role_zero:\n"
         "  enable_longterm_memory: false\n"
         "  longterm_memory_persist_path: .role_memory_data\n"
         "  memory_k: 200\n"
         "  similarity_top_k: 5\n"
         "  use_llm_ranker: false\n"
         "\n"
         "azure_tts_subscription_key: \"tts-key-0011\"\n"
         "azure_tts_region: \"eastus\"\n"
         "\n"
         "iflytek_api_id: \"iflytek-app-0012\"\n"
         "iflytek_api_key: \"iflytek-key-0013\"\n"
         "iflytek_api_secret: \"iflytek-secret-0014\"\n"
         "\n"
         "metagpt_tti_url: \"http://127.0.0.1:9/tti\"\n"
         "\n"
         "omniparse:\n"
         "  api_key: \"omniparse-key-0015\"\n"
         "  base_url: \"http://127.0.0.1:9\"\n"
         "\n"
         "models:\n"
         "  \"model-one\":\n"
         "    api_type: \"openai\"\n"
         "    base_url: \"" + s.models + "\"\n"
         "    api_key: \"sk-model-one-0016\"\n"
         "    proxy: \"\"\n"
         "    timeout: 0\n"
         "    pricing_plan: \"\"\n"
         "  \"model-two\":\n"
         "    api_type: \"openai\"\n"
         "    base_url: \"" + s.models + "\"\n"
         "    api_key: \"sk-model-two-0017\"\n"
         "    timeout: 120\n"
         "    pricing_plan: \"gpt-4o\"\n";
}
// clang-format on

// Every secret metagpt_config2() holds.
inline const char* const kMetaGptSecrets[] = {
    "sk-llm-0001",       "sk-embedding-0002", "sk-pm-0003",          "sk-architect-0004",
    "azure-key-0005",    "search-key-0006",   "redis-password-0008", "s3-secret-0010",
    "tts-key-0011",      "iflytek-key-0013",  "iflytek-secret-0014", "omniparse-key-0015",
    "sk-model-one-0016", "sk-model-two-0017",
};

}  // namespace agentco::testing
