// Config: every setting of a run, with where each value came from.
//
// Layers, lowest first: built-in defaults (config/agentco.yaml compiled into the binary) <
// ./config/agentco.yaml < ~/.config/agentco/config.yaml < --config FILE < environment
// (OPENAI_API_KEY, OPENAI_BASE_URL, AGENTCO_<SECTION>_<KEY>) < command-line flags.
// The `llm:` section also accepts MetaGPT's config2.yaml keys (api_type, model, base_url,
// api_key, api_version, proxy, pricing_plan are our own names too; timeout and max_token are
// read as timeout_total_s and max_tokens). `llm.models` is a map (role or role/action ->
// model); in the environment it is AGENTCO_LLM_MODELS holding a YAML flow map, e.g.
// '{Architect: gpt-4o, Engineer/WriteCode: deepseek-coder}'.
// A MetaGPT config2.yaml loads as it is: its top-level `roles:` (a role's own model and
// server) and `models:` (named models on servers of their own) are read (config/metagpt_keys.hpp),
// and the MetaGPT keys agentco has no use for are collected in Config::ignored, for one warning.
// Unknown keys and values of the wrong type are errors naming file:line and the key.
// Not thread-safe; built once at start-up, then read-only.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
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
  std::string proxy;                // http://[user:password@]host:port for model requests; wins over
                                    // HTTPS_PROXY/HTTP_PROXY; empty: the environment decides.
                                    // Its credentials are secret.
  std::string pricing_plan;         // price `model`'s calls as this pricing: name (MetaGPT's key)
  double temperature = 0.2;
  int max_tokens = 4096;
  bool stream = true;
  int repair_attempts = 2;  // re-asks after an unusable structured reply
  // Tokens the model can read and write in one call (0 = ask the server or use the built-in
  // table of well-known models, llm/context_window.hpp). Prompts are assembled to fit it.
  int context_window = 0;
  // The model of the server's /embeddings endpoint (e.g. text-embedding-3-small,
  // nomic-embed-text); empty: quality's consistency is measured lexically.
  std::string embedding_model;
  // HTTP client (openai, azure and compatible servers).
  bool insecure = false;               // accept any TLS certificate (self-signed local servers)
  double timeout_connect_s = 10;       // DNS + TCP + proxy + TLS handshake
  double timeout_first_byte_s = 120;   // request sent -> first byte of the reply
  double timeout_idle_s = 60;          // longest silence in the middle of a streamed reply
  double timeout_total_s = 600;        // one request, start to end
  int max_retries = 4;                 // tries after the first, on 429/5xx/resets/timeouts
  double retry_base_s = 1.0;           // backoff: random in [0, min(retry_max_s, base * 2^n)]
  double retry_max_s = 30;
  int concurrency = 4;                 // model requests in flight at once, all roles together (per server)
  int requests_per_minute = 0;         // 0 = unlimited
  // How tool calls travel (llm/tool_call_text.hpp): "native" (the server's tool_calls),
  // "text" (<tool_call> blocks in the text, for servers without function calling), "auto"
  // (native, and calls found in the text of a reply that has none).
  std::string tool_format = "auto";
  // Models per role or per role and action, without editing the SOP: "Architect" (a role's
  // name or profile) or "Engineer/WriteCode" -> model. They win over the SOP's own `model:`;
  // see model_for() in sop/model_choice.hpp for the whole order. Each layer merges key by key
  // (origin "llm.models.<key>"); the keys are checked against the SOP when a run starts.
  std::map<std::string, std::string> models;
  // Keys of `models` filled in from `roles:` entries once the SOP is known (sop/role_llms.hpp);
  // derived, so to_json() leaves them out.
  std::set<std::string> models_from_roles;
};

// A model server that a `roles:` or `models:` entry names, as MetaGPT's LLMConfig gives it.
// Empty fields are not given. An entry with its own base_url is a server of its own (only
// its own key, api_version and proxy apply); one without base_url is llm's server with the
// given fields replaced.
struct EndpointSettings {
  std::string api_type;  // empty: llm.api_type (without base_url) or openai (with one)
  std::string base_url;
  std::string api_key;  // secret
  std::string api_version;
  std::string proxy;           // credentials secret
  double timeout_total_s = 0;  // MetaGPT's `timeout`; 0: llm.timeout_total_s

  // True when any field that picks a server or its credentials is given (not the timeout).
  bool names_a_server() const {
    return !api_type.empty() || !base_url.empty() || !api_key.empty() || !api_version.empty() ||
           !proxy.empty();
  }
};

// One entry of the top-level `roles:` list (MetaGPT's RoleCustomConfig): a role's own model
// and, when its llm names a server, its own server.
struct RoleLlm {
  std::string role;          // as written: a MetaGPT class name ("ProductManager"), a profile or a name
  std::string model;         // empty: the role keeps the model it would use anyway
  std::string pricing_plan;  // price `model` as this pricing: name
  EndpointSettings endpoint;
  std::string origin;  // "file:line" of the entry's `role:`
};

// How well a roles: entry's `role` names a SOP role: 3 by its name, 2 by its population's name
// (the name without a trailing "-<number>"), 1 by its profile, 0 not at all. Case, blanks and
// underscores do not count, so MetaGPT's class names name profiles ("QaEngineer" is "QA Engineer").
int role_entry_match(std::string_view entry_role, std::string_view name, std::string_view profile);
// The roles: entry that governs a role: the best match, the first of equals; null when none.
const RoleLlm* role_llm_for(const std::vector<RoleLlm>& roles, std::string_view name,
                            std::string_view profile);

// One entry of the top-level `models:` map: calls whose model is the entry's name go to its
// server, which is sent `model` (the name when empty).
struct NamedModel {
  std::string model;
  std::string pricing_plan;
  EndpointSettings endpoint;
  std::string origin;  // "file:line" of the entry's name
};

// A MetaGPT key that was read and has no use in agentco.
struct IgnoredKey {
  std::string key;    // dotted: "embedding", "llm.top_p", "roles[0].llm.temperature"
  std::string where;  // "file:line"
};

struct RunConfig {
  std::string warehouse = "warehouse";
  std::string sop = "software_company";  // built-in name or a path to a YAML file
  std::string prompts_dir;               // user directory overriding actions/prompts/
  int max_rounds = 100;                  // role turns before the run stops
  double investment = 10.0;              // USD budget for the whole run
  int code_review_rounds = 2;
  int test_rounds = 3;
  // What the prompts about one file show of the design: "excerpt" (only what concerns the
  // file), "whole" (all of it, a prefix shared by every file), or "auto" (whole when the
  // model's cached prompt tokens cost at most 30% of the prompt price, else excerpt).
  std::string file_design = "auto";
  // Render the design's mermaid diagrams (.mmd) to SVG beside them with mmdc, which starts a
  // headless chromium for each (a few seconds); false keeps only the .mmd files.
  bool render_diagrams = true;
};

// The limits of roles that work with tools (actions of type tool_loop; tools/).
struct ToolsConfig {
  int result_cap = 16384;      // bytes of one tool result a model is shown; the cut is said
  double run_timeout_s = 60;   // the run tool's deadline per command
  int run_output_cap = 65536;  // bytes kept of a command's stdout and of its stderr
};

// One MCP server whose tools a SOP role may list (`mcp:NAME/TOOL`): a program spoken to over
// its stdin and stdout (command), or a Streamable HTTP endpoint (url). tools/mcp_client.hpp.
struct McpServerConfig {
  std::string command;                         // stdio: the program (looked up in PATH)
  std::vector<std::string> args;
  std::map<std::string, std::string> env;      // besides PATH, HOME and LANG; values are secret
  std::string cwd;                             // empty: the run's project folder
  std::string url;                             // Streamable HTTP: the server's one endpoint
  std::map<std::string, std::string> headers;  // sent with every request; values are secret
  double startup_timeout_s = 30;               // start, initialize and list the tools
  double call_timeout_s = 120;                 // one tools/call
  std::string origin;                          // "file:line" of its name
};

struct LogConfig {
  std::string level = "info";  // trace | debug | info | warn | error | off
};

struct Config {
  LlmConfig llm;
  RunConfig run;
  LogConfig log;
  ToolsConfig tools;
  // MCP servers by name (merged per name, field by field, over the lower layers).
  std::map<std::string, McpServerConfig> mcp_servers;
  std::map<std::string, ModelPrice> pricing;  // model name -> price
  // The top-level `roles:` list, one entry per role (layers merge entries of the same role
  // field by field), and the top-level `models:` map (merged per name, field by field).
  std::vector<RoleLlm> roles;
  std::map<std::string, NamedModel> named_models;
  // MetaGPT keys read and ignored, in the order met; load_config() warns once about them.
  std::vector<IgnoredKey> ignored;

  // Where each set value came from: dotted key -> "file:line", "env OPENAI_API_KEY",
  // "flag --model" or "default". Entries of llm.models have one each: "llm.models.Architect".
  std::map<std::string, std::string> origin;

  // The whole config as JSON; secrets become "***" when redact is true (api keys wholly,
  // proxies their user:password part).
  nlohmann::json to_json(bool redact_secrets = true) const;
};

// Drops what to_json(true) redacted from a recorded config (every "***" api key and proxy),
// so that it loads back as a layer without posing as a real key: the layers beneath fill them in.
void drop_redacted_secrets(nlohmann::json& recorded_config);

// The one warning about Config::ignored ("FILE:LINE: ignoring MetaGPT keys agentco has no use
// for: embedding, search, ..."), or nothing when none were met.
std::optional<std::string> ignored_keys_warning(const Config& config);

// One layer given on the command line: dotted key -> value as text, e.g. {"llm.model","gpt-4o"},
// {"pricing.gpt-4o.prompt","0.0025"} or {"llm.models.Engineer/WriteCode","deepseek-coder"}.
using FlagOverrides = std::vector<std::pair<std::string, std::string>>;

struct ConfigSources {
  bool read_default_files = true;          // ./config/agentco.yaml and ~/.config/agentco/config.yaml
  std::optional<std::string> config_file;  // --config FILE (must exist)
  bool read_environment = true;
  FlagOverrides flags;
};

// Builds the layered config and resolves pricing plans (llm.pricing_plan and those of the
// roles:/models: entries price their models as the named pricing: entry). Logs
// ignored_keys_warning() once. Errors: "FILE:LINE: unknown key 'llm.modle' (did you mean
// 'llm.model'?)", "FILE:LINE: llm.temperature: expected a number, got 'warm'", YAML syntax
// errors with file:line, a --config file that does not exist.
Result<Config> load_config(const ConfigSources& sources);

// Applies one YAML document (text) as a layer on top of `config`; `source_name` is used in
// error messages. Exposed for tests and for SOP-embedded overrides.
Status apply_config_yaml(Config& config, const std::string& yaml_text, const std::string& source_name);

}  // namespace agentco
