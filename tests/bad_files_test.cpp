// Faults of the file system and damaged files, through the real binary: a disk that fills up
// while the trace is written, a warehouse that cannot be entered, a trace with a line
// deleted or a field of the wrong type, an import that unpacks to far more than its size.
// Each ends with one clear message naming the file, line or seq and exit 1 or 2, never 134
// or 139, and keeps finished work (a disk-full run is resumed afterwards).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"
#include "trace/trace.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::has;
using testing::RunSandbox;
using testing::slurp;

class BadFiles : public ::testing::Test {
 protected:
  BadFiles() : sandbox_("bad_files") {}

  AgentcoRun mock_run(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                      const fs::path& warehouse = {}) {
    std::vector<std::string> all = {"run", "--no-user-config", "--warehouse",
                                    (warehouse.empty() ? sandbox_.warehouse() : warehouse).string(), "--llm", "mock", "-q"};
    all.insert(all.end(), args.begin(), args.end());
    return sandbox_.collect(testing::run_process(sandbox_.options(all, env)));
  }
  testing::ProcessResult agentco(const std::vector<std::string>& args) {
    return testing::run_process(sandbox_.options(args, {}));
  }

  RunSandbox sandbox_;
};

void expect_clean_failure(int exit_code, const std::string& err, const std::string& what) {
  EXPECT_TRUE(exit_code == 1 || exit_code == 2) << what << ": exit " << exit_code << "\n" << err;
  EXPECT_FALSE(has(err, "internal error")) << what << ": " << err;
  EXPECT_FALSE(has(err, "terminate called")) << what << ": " << err;
}

TEST_F(BadFiles, ADiskThatFillsWhileTheTraceIsWrittenStopsTheRunCleanlyAndItResumes) {
  const AgentcoRun full = mock_run({"write a cli snake game"}, {"AGENTCO_CRASH_AT_RECORD=30:full"});
  EXPECT_EQ(full.process.exit_code, 1) << full.describe();
  expect_clean_failure(full.process.exit_code, full.process.err, "disk full");
  EXPECT_TRUE(has(full.process.err, "the trace could not be written")) << full.process.err;
  EXPECT_TRUE(has(full.process.err, "No space left on device")) << full.process.err;
  EXPECT_TRUE(has(full.process.err, "agentco resume " + full.folder.string())) << full.process.err;
  // Every record before the failed one is there, whole, and nothing after it.
  auto trace = read_trace(full.folder / "run.jsonl");
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_EQ(trace->records.size(), 29u);
  EXPECT_TRUE(trace->warnings.empty());
  // meta.json is whole (written beside and renamed) or absent, never empty.
  if (fs::exists(full.folder / "meta.json")) {
    EXPECT_FALSE(json::parse(slurp(full.folder / "meta.json"), nullptr, false).is_discarded());
  }

  const auto resumed = agentco({"resume", "--no-user-config", full.folder.string()});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(has(resumed.err, "run finished")) << resumed.err;
  auto after = read_trace(full.folder / "run.jsonl");
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->records.back().value("type", ""), "run_end");
}

TEST_F(BadFiles, AWarehouseThatCannotBeEnteredIsNamedAndNothingAborts) {
  std::ofstream(sandbox_.root() / "a_file") << "not a folder\n";
  const std::vector<std::pair<fs::path, std::string>> cases = {
      {sandbox_.root() / std::string(300, 'w'), "File name too long"},
      {sandbox_.root() / "a_file" / "warehouse", "Not a directory"},
  };
  for (const auto& [warehouse, reason] : cases) {
    const AgentcoRun run = mock_run({"write a cli snake game"}, {}, warehouse);
    EXPECT_EQ(run.process.exit_code, 2) << run.describe();
    expect_clean_failure(run.process.exit_code, run.process.err, reason);
    EXPECT_TRUE(has(run.process.err, "cannot create the project folder")) << run.process.err;
    EXPECT_TRUE(has(run.process.err, reason)) << run.process.err;
  }
}

// The lines of a finished mock run's trace, and a way to write a changed copy of the run.
struct Lines {
  std::vector<std::string> lines;
  std::string joined() const {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
};

Lines lines_of(const fs::path& trace) {
  Lines out;
  std::istringstream in(slurp(trace));
  for (std::string line; std::getline(in, line);) out.lines.push_back(line);
  return out;
}

TEST_F(BadFiles, ADamagedTraceIsRefusedByReplayStatsAndResumeNamingTheLine) {
  const AgentcoRun run = mock_run({"write a cli snake game"});
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  const Lines original = lines_of(run.folder / "run.jsonl");
  ASSERT_GT(original.lines.size(), 20u);

  Lines deleted = original;
  deleted.lines.erase(deleted.lines.begin() + 9);
  Lines typed = original;
  std::size_t response_line = 0;
  for (std::size_t i = 0; i < typed.lines.size() && !response_line; ++i) {
    if (typed.lines[i].find("\"type\":\"llm_response\"") != std::string::npos) response_line = i;
  }
  ASSERT_GT(response_line, 0u);
  auto response = open_trace_record(typed.lines[response_line]);
  ASSERT_TRUE(response.ok());
  response->erase("crc");
  (*response)["text"] = 5;  // well sealed, wrongly typed
  typed.lines[response_line] = seal_trace_record(*response);
  const std::string seq = std::to_string(response_line + 1);

  struct Case {
    std::string name;
    std::string trace;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"deleted", deleted.joined(), "run.jsonl:10: seq 11 follows seq 9"},
           {"typed", typed.joined(), "run.jsonl:" + seq + ": the llm_response record: 'text' must be text"}}) {
    const fs::path copy = sandbox_.root() / ("damaged_" + c.name);
    fs::copy(run.folder, copy, fs::copy_options::recursive);
    std::ofstream(copy / "run.jsonl", std::ios::binary | std::ios::trunc) << c.trace;
    std::vector<std::vector<std::string>> commands = {
        {"replay", copy.string(), "--verify"},
        {"resume", "--no-user-config", copy.string()},
    };
    if (c.name == "deleted") commands.push_back({"stats", copy.string()});
    for (const auto& command : commands) {
      const auto result = agentco(command);
      const std::string what = c.name + " / " + command.front();
      expect_clean_failure(result.exit_code, result.err, what);
      EXPECT_TRUE(has(result.err, c.message)) << what << ": " << result.err;
    }
    EXPECT_EQ(slurp(copy / "run.jsonl"), c.trace) << c.name << ": the damaged trace is left as it was";
  }
}

// python3 found on PATH (the test runner starts programs by path).
std::string python3() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t at = 0; at <= dirs.size();) {
    std::size_t end = dirs.find(':', at);
    if (end == std::string::npos) end = dirs.size();
    const fs::path candidate = fs::path(dirs.substr(at, end - at)) / "python3";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    at = end + 1;
  }
  return "/usr/bin/python3";
}

// A MetaGPT workspace zip written with Python's zipfile (deflated): `entries` maps a name
// inside the archive to its size in bytes of zeros.
fs::path zip_of_zeros(const fs::path& zip, const std::vector<std::pair<std::string, std::size_t>>& entries) {
  std::string script = "import zipfile, sys\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n";
  for (const auto& [name, size] : entries) {
    script += "    z.writestr('" + name + "', b'\\0' * " + std::to_string(size) + ")\n";
  }
  testing::ProcessOptions options;
  options.argv = {python3(), "-c", script, zip.string()};
  options.env = {std::string("PATH=") + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin")};
  const auto result = testing::run_process(options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return zip;
}

TEST_F(BadFiles, AnImportThatUnpacksToFarMoreThanItsSizeIsRefusedBeforeItIsUnpacked) {
  const fs::path out = sandbox_.root() / "imported";
  const fs::path big = zip_of_zeros(sandbox_.root() / "big.zip", {{"ws/docs/requirement.txt", 20u << 20}});
  const fs::path dense = zip_of_zeros(sandbox_.root() / "dense.zip", {{"ws/docs/prd/1.json", 2u << 20}});
  const fs::path many = zip_of_zeros(sandbox_.root() / "many.zip", {{"ws/a.py", 1u << 20},
                                                                    {"ws/b.py", 1u << 20},
                                                                    {"ws/c.py", 1u << 20}});
  const fs::path folder = sandbox_.root() / "workspace";
  testing::spill(folder / "docs" / "prd" / "1.json", std::string(2u << 20, ' '));
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{big.string()}, "entry 'ws/docs/requirement.txt' unpacks to 20 MiB, more than the 16 MiB a file may have"},
           {{dense.string()}, "entry 'ws/docs/prd/1.json' unpacks 2 MiB from"},
           {{many.string(), "--max-ratio", "1e6", "--max-total-size", "2MiB"},
            "its entries unpack to more than the 2 MiB an import may read"},
           {{folder.string(), "--max-file-size", "1MiB"}, "1.json: 2 MiB is more than the 1 MiB a file may have"}}) {
    std::vector<std::string> args = {"import", "metagpt"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--out", out.string()});
    const auto result = agentco(args);
    EXPECT_EQ(result.exit_code, 1) << c.args.front() << ": " << result.err;
    EXPECT_TRUE(has(result.err, c.message)) << result.err;
    EXPECT_TRUE(has(result.err, "--max-file-size")) << "the message says how to raise the limit: " << result.err;
    EXPECT_FALSE(fs::exists(out)) << "nothing is written";
  }
  // Raised limits let the same archive through to the next check: it is no workspace.
  const auto raised = agentco({"import", "metagpt", dense.string(), "--max-ratio", "1e6", "--out", out.string()});
  EXPECT_EQ(raised.exit_code, 1) << raised.err;
  EXPECT_TRUE(has(raised.err, "holds neither agentco/MetaGPT documents nor source files")) << raised.err;
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
