#include "app/cli_flags.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace agentco {

CLI::Validator finite_number(double min, bool above) {
  const std::string bound = fmt::format("{} {}", above ? "above" : "at least", min);
  return CLI::Validator(
      [min, above, bound](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        const auto [at, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc() || at != end || !std::isfinite(value)) return "expected a number, got '" + text + "'";
        if (above ? value <= min : value < min) return "must be " + bound + ", got " + text;
        return {};
      },
      "NUMBER " + bound);
}

void CommonFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--config", config_file, "Extra config file (YAML), above the user's config");
  cmd->add_option("--llm", llm, "Model provider: mock (offline) | openai | azure | ollama | lmstudio | llama.cpp | vllm");
  cmd->add_option("--model", model, "Model name");
  cmd->add_option("--warehouse", warehouse, "Folder that receives the projects");
  cmd->add_option("--sop", sop, "SOP: a built-in name (software_company) or a YAML file");
  cmd->add_option("--investment", investment, "Budget in USD; the run stops before a call that could exceed it");
  cmd->add_option("--max-rounds", max_rounds, "Role turns before the run stops");
  cmd->add_flag("-v,--verbose", verbose, "Debug logging");
  cmd->add_flag("-q,--quiet", quiet, "Warnings and errors only");
  cmd->add_flag("--no-user-config", no_user_config, "Ignore ./config/agentco.yaml and ~/.config/agentco/config.yaml");
}

ConfigSources CommonFlags::sources() const {
  ConfigSources s;
  s.read_default_files = !no_user_config;
  if (!config_file.empty()) s.config_file = config_file;
  if (!llm.empty()) s.flags.emplace_back("llm.api_type", llm);
  if (!model.empty()) s.flags.emplace_back("llm.model", model);
  else if (llm == "mock") s.flags.emplace_back("llm.model", "mock");
  if (!warehouse.empty()) s.flags.emplace_back("run.warehouse", warehouse);
  if (!sop.empty()) s.flags.emplace_back("run.sop", sop);
  if (!investment.empty()) s.flags.emplace_back("run.investment", investment);
  if (!max_rounds.empty()) s.flags.emplace_back("run.max_rounds", max_rounds);
  if (verbose) s.flags.emplace_back("log.level", "debug");
  else if (quiet) s.flags.emplace_back("log.level", "warn");
  return s;
}

void LlmFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--llm-base-url", base_url,
                  "OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (sets llm.base_url)");
  cmd->add_flag("--insecure", insecure, "Accept any TLS certificate (a self-signed local server you trust)");
}

void LlmFlags::add_flags(ConfigSources& sources) const {
  if (!base_url.empty()) sources.flags.emplace_back("llm.base_url", base_url);
  if (insecure) sources.flags.emplace_back("llm.insecure", "true");
}

}  // namespace agentco
