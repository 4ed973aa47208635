// Fuzz target: a config file (YAML text, ours or MetaGPT's config2.yaml) loaded as
// `agentco --config FILE` loads it, over the built-in defaults. A loaded config is then
// recorded as a run records it (to_json, secrets redacted) and loaded back as a replay does.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "core/secrets.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  fuzz::quiet();
  static const std::filesystem::path file = fuzz::scratch_dir() / "config.yaml";
  fuzz::write_bytes(file, fuzz::as_text(data, size));

  ConfigSources sources;
  sources.read_default_files = false;
  sources.read_environment = false;
  sources.config_file = file.string();
  Result<Config> config = load_config(sources);
  if (!config) {
    // load_config() words what it expects; an exception it had to catch is a parser bug.
    if (config.error().message.starts_with("cannot load the configuration:"))
      fuzz::fail(config.error().message);
  } else {
    nlohmann::json recorded = config->to_json(true);
    drop_redacted_secrets(recorded);
    Config replayed;
    Status back = apply_config_yaml(replayed, recorded.dump(), "recorded config");
    if (!back) fuzz::fail("a loaded config does not load back from its record: " + back.error().message);
  }
  clear_secrets();  // load_config() registers the file's keys; keep the registry from growing
  return 0;
}
