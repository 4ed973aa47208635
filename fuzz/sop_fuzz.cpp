// Fuzz target: a SOP file (YAML text) through parse_sop, validated against the built-in
// action types and the embedded prompt templates, as `agentco run --sop FILE` loads it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "actions/action.hpp"
#include "fuzz/fuzz_support.hpp"
#include "sop/prompt_library.hpp"
#include "sop/sop.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  fuzz::quiet();
  static ActionRegistry* registry = [] {
    auto* r = new ActionRegistry;
    register_builtin_actions(*r);
    return r;
  }();
  static const PromptLibrary prompts;
  Result<Sop> sop = parse_sop(std::string(fuzz::as_text(data, size)), "fuzz.yaml", *registry, prompts);
  if (sop) {
    (void)sop->documents();
    for (const auto& role : sop->roles) {
      // A population is expanded when the run starts; keep the copies few here.
      if (role.count <= 64) (void)role_instances(role);
    }
  } else if (sop.error().message.empty()) {
    fuzz::fail("a refused SOP without a message");
  }
  return 0;
}
