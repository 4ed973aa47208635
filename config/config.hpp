// Config: every setting of a run, with where each value came from.
//
// Layers, lowest first: built-in defaults (config/agentco.yaml compiled into the binary) <
// ./config/agentco.yaml < ~/.config/agentco/config.yaml < --config FILE < environment
// (OPENAI_API_KEY, OPENAI_BASE_URL, AGENTCO_<SECTION>_<KEY>) < command-line flags.
// The `llm:` section also accepts MetaGPT's config2.yaml keys (api_type, model, base_url,
// api_key, api_version), which are our own names too. `llm.models` is a map (role or
// role/action -> model); in the environment it is AGENTCO_LLM_MODELS holding a YAML flow map,
// e.g. '{Architect: gpt-4o, Engineer/WriteCode: deepseek-coder}'.
// Unknown keys and values of the wrong type are errors naming file:line and the key.
// Not thread-safe; built once at start-up, then read-only.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace agentco {

struct ModelPrice {
  double prompt_per_1k = 0.0;      // USD per 1,000 prompt tokens
  double completion_per_1k = 0.0;  // USD per 1,000 completion tokens
  // USD per 1,000 prompt tokens the server reports as served from its prompt cache; when
  // absent, they cost the prompt price.
  std::optional<double> cached_per_1k;
};

struct LlmConfig {
  std::string api_type = "openai";  // openai | azure | mock | ... (provider name)
  std::string model = "gpt-4o-mini";
  std::string base_url;             // empty: the provider's default
  std::string api_key;              // secret: never logged or traced
  std::string api_version;          // azure only
  double temperature = 0.2;
  int max_tokens = 4096;
  bool stream = true;
  int repair_attempts = 2;  // re-asks after an unusable structured reply
  // Tokens the model can read and write in one call (0 = ask the server or use the built-in
  // table of well-known models, llm/context_window.hpp). Prompts are assembled to fit it.
  int context_window = 0;
  // HTTP client (openai, azure and compatible servers).
  bool insecure = false;               // accept any TLS certificate (self-signed local servers)
  double timeout_connect_s = 10;       // DNS + TCP + proxy + TLS handshake
  double timeout_first_byte_s = 120;   // request sent -> first byte of the reply
  double timeout_idle_s = 60;          // longest silence in the middle of a streamed reply
  double timeout_total_s = 600;        // one request, start to end
  int max_retries = 4;                 // tries after the first, on 429/5xx/resets/timeouts
  double retry_base_s = 1.0;           // backoff: random in [0, min(retry_max_s, base * 2^n)]
  double retry_max_s = 30;
  int concurrency = 4;                 // model requests in flight at once, all roles together
  int requests_per_minute = 0;         // 0 = unlimited
  // Models per role or per role and action, without editing the SOP: "Architect" (a role's
  // name or profile) or "Engineer/WriteCode" -> model. They win over the SOP's own `model:`;
  // see model_for() in sop/model_choice.hpp for the whole order. Each layer merges key by key
  // (origin "llm.models.<key>"); the keys are checked against the SOP when a run starts.
  std::map<std::string, std::string> models;
};

struct RunConfig {
  std::string warehouse = "warehouse";
  std::string sop = "software_company";  // built-in name or a path to a YAML file
  std::string prompts_dir;               // user directory overriding actions/prompts/
  int max_rounds = 100;                  // role turns before the run stops
  double investment = 10.0;              // USD budget for the whole run
  int code_review_rounds = 2;
  int test_rounds = 3;
};

struct LogConfig {
  std::string level = "info";  // trace | debug | info | warn | error | off
};

struct Config {
  LlmConfig llm;
  RunConfig run;
  LogConfig log;
  std::map<std::string, ModelPrice> pricing;  // model name -> price

  // Where each set value came from: dotted key -> "file:line", "env OPENAI_API_KEY",
  // "flag --model" or "default". Entries of llm.models have one each: "llm.models.Architect".
  std::map<std::string, std::string> origin;

  // The whole config as JSON; secrets become "***" when redact is true.
  nlohmann::json to_json(bool redact_secrets = true) const;
};

// One layer given on the command line: dotted key -> value as text, e.g. {"llm.model","gpt-4o"},
// {"pricing.gpt-4o.prompt","0.0025"} or {"llm.models.Engineer/WriteCode","deepseek-coder"}.
using FlagOverrides = std::vector<std::pair<std::string, std::string>>;

struct ConfigSources {
  bool read_default_files = true;          // ./config/agentco.yaml and ~/.config/agentco/config.yaml
  std::optional<std::string> config_file;  // --config FILE (must exist)
  bool read_environment = true;
  FlagOverrides flags;
};

// Builds the layered config. Errors: "FILE:LINE: unknown key 'llm.modle' (did you mean
// 'llm.model'?)", "FILE:LINE: llm.temperature: expected a number, got 'warm'", YAML syntax
// errors with file:line, a --config file that does not exist.
Result<Config> load_config(const ConfigSources& sources);

// Applies one YAML document (text) as a layer on top of `config`; `source_name` is used in
// error messages. Exposed for tests and for SOP-embedded overrides.
Status apply_config_yaml(Config& config, const std::string& yaml_text, const std::string& source_name);

}  // namespace agentco
