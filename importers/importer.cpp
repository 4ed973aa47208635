#include "importers/importer.hpp"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace agentco {

namespace {
// The one place importers are registered.
const std::map<std::string, Importer>& registry() {
  static const std::map<std::string, Importer> importers{{"chatdev", &import_chatdev}, {"metagpt", &import_metagpt}};
  return importers;
}
}  // namespace

std::vector<std::string> importer_names() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : registry()) names.push_back(name);
  return names;
}

Result<ImportReport> import_run(const ImportRequest& request) {
  auto it = registry().find(request.tool);
  if (it == registry().end())
    return make_error("import", fmt::format("unknown tool '{}' (known: {})", request.tool, fmt::join(importer_names(), ", ")));
  std::error_code ec;
  if (!std::filesystem::exists(request.source, ec))
    return make_error("import", request.source.string() + ": no such file or folder");
  return it->second(request);
}

}  // namespace agentco
