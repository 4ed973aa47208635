// `agentco import <tool> <source>`: turns another tool's record of a run into an agentco
// project folder (run.jsonl in our schema, meta.json, the files, git history), so that
// `stats`, the viewer and comparisons treat it like one of ours.
//
// Each importer is one function registered by name in importer.cpp (chatdev, metagpt).
// It reads the source, writes through ImportedRun (importers/imported_run.hpp) and
// reports what the source lacked as warnings. Not thread-safe.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "importers/import_limits.hpp"

namespace agentco {

struct ImportRequest {
  std::string tool;                 // "chatdev", "metagpt"
  std::filesystem::path source;     // a log file, a folder, a zip ...
  std::filesystem::path out;        // the project folder to create; empty: under `warehouse`
  std::filesystem::path warehouse = "warehouse";
  ImportLimits limits;              // how much may be read (and unpacked)
};

struct ImportReport {
  std::filesystem::path project;      // the folder written
  std::vector<std::string> warnings;  // what the source lacked or what could not be mapped
  std::size_t records = 0;            // trace records written
};

using Importer = Result<ImportReport> (*)(const ImportRequest&);

// Dispatches on request.tool. Error code "import" with a message naming the source (and
// line when known); an unknown tool lists the known ones.
Result<ImportReport> import_run(const ImportRequest& request);

// Known tool names, sorted.
std::vector<std::string> importer_names();

// The importers (defined in their own files).
Result<ImportReport> import_chatdev(const ImportRequest& request);
Result<ImportReport> import_metagpt(const ImportRequest& request);

}  // namespace agentco
