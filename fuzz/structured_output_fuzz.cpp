// Fuzz target: a model's reply through the structured-output layer (strip <think>, find
// [CONTENT] or the outermost object, strip fences, repair, parse, validate against a schema),
// and through extract_code, as the actions read every reply.
#include <cstddef>
#include <cstdint>
#include <string>

#include "actions/structured_output.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

agentco::FieldSpec field(std::string name, std::string type, bool required) {
  agentco::FieldSpec spec;
  spec.name = std::move(name);
  spec.type = std::move(type);
  spec.required = required;
  return spec;
}

// Every field type, required (MetaGPT's PRD and task keys) and optional.
const agentco::OutputSchema& required_schema() {
  static const agentco::OutputSchema schema{{
      field("Project Name", "str", true),
      field("Product Goals", "list[str]", true),
      field("Requirement Pool", "list[list[str]]", true),
      field("Anything UNCLEAR", "str", true),
  }};
  return schema;
}

const agentco::OutputSchema& optional_schema() {
  static const agentco::OutputSchema schema{{
      field("a", "str", false),
      field("n", "int", false),
      field("x", "float", false),
      field("b", "bool", false),
      field("l", "list", false),
      field("o", "object", false),
      field("s", "list[str]", false),
      field("t", "list[list[str]]", false),
  }};
  return schema;
}

void check(const agentco::Result<agentco::StructuredReply>& reply, const agentco::OutputSchema& schema) {
  if (!reply) {
    if (reply.error().message.empty()) agentco::fuzz::fail("a refused reply without a message");
    return;
  }
  if (!reply->value.is_object()) agentco::fuzz::fail("an accepted reply that is not an object");
  for (const auto& f : schema.fields)
    if (f.required && !reply->value.contains(f.name))
      agentco::fuzz::fail("an accepted reply misses " + f.name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  fuzz::quiet();
  const std::string_view reply = fuzz::as_text(data, size);
  (void)strip_think(reply);
  (void)extract_code(reply);
  check(extract_structured(reply, required_schema()), required_schema());
  check(extract_structured(reply, optional_schema()), optional_schema());
  return 0;
}
