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
  // A zip is checked from its listing before it is unpacked (see import_metagpt); anything
  // else is checked as it lies on disk before it is read.
  if (request.source.extension() != ".zip") {
    if (auto status = check_tree_limits(request.source, request.limits); !status) return status.error();
  }
  return it->second(request);
}

}  // namespace agentco
