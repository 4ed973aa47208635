// The design's mermaid diagrams rendered to SVG by mmdc, through the real binary and the
// offline mock (its PRD and design hold three diagrams: competitive_analysis, class_diagram,
// sequence_diagram). Most cases put a stand-in `mmdc` script first on PATH, so they run on
// any machine and can make mmdc fail in each way; one runs the real mermaid-cli in chromium
// (skipped where scripts/setup.sh has not installed it). The suite turns rendering off for
// every other test (tests/CMakeLists.txt); these turn it on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_llm_server_runs.hpp"

#ifdef AGENTCO_FAKE_SERVER

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AgentcoRun;
using testing::RunSandbox;
using testing::slurp;
using testing::spill;

const std::vector<std::string> kDiagrams = {"competitive_analysis", "class_diagram", "sequence_diagram"};

// Stands in for mmdc: keeps what it got on stdin (the puppeteer config), fails on the class
// diagram as mmdc does on a parse error (the message, then a stack trace), answers the
// sequence diagram with text that is no SVG, and the rest with a small SVG.
constexpr const char* kFakeMmdc = R"(#!/bin/sh
cat > "$HOME/mmdc-stdin.json"
echo "$*" >> "$HOME/mmdc-calls.txt"
case "$*" in
  *class_diagram*)
    printf '\nError: Parse error on line 2:\n...agram  class Game {{{\n----------------------^\nExpecting STRUCT_STOP, got OPEN_IN_STRUCT\nParser.parseError (https://mermaid-cli-intercept.invalid/chunk.mjs:337:21)\n    at #evaluate (file:///node_modules/ExecutionContext.js:388:19)\n' >&2
    exit 1 ;;
  *sequence_diagram*) echo "Generating single mermaid chart" ;;
  *) printf '<svg xmlns="http://www.w3.org/2000/svg"><text>stand-in</text></svg>' ;;
esac
)";

class Mermaid : public ::testing::Test {
 protected:
  Mermaid() : sandbox_("mermaid") {
    fs::create_directories(bin());
    fs::create_directories(sandbox_.file("no_node_modules"));
  }

  fs::path bin() const { return sandbox_.file("bin"); }

  void install_fake_mmdc() {
    spill(bin() / "mmdc", kFakeMmdc);
    ::chmod((bin() / "mmdc").c_str(), 0755);
  }

  // The agentco command with PATH = `path` and the npm folder of the build hidden (so only
  // PATH can provide mmdc), rendering on unless `render` says otherwise.
  testing::ProcessOptions options(const std::vector<std::string>& args, const std::string& path,
                                  const std::string& render = "true") const {
    testing::ProcessOptions o = sandbox_.options(args, {});
    for (auto& entry : o.env)
      if (entry.starts_with("PATH=")) entry = "PATH=" + path;
    o.env.push_back("AGENTCO_WEB_NODE_MODULES=" + sandbox_.file("no_node_modules").string());
    o.env.push_back("AGENTCO_RUN_RENDER_DIAGRAMS=" + render);
    o.timeout = std::chrono::milliseconds(120000);
    return o;
  }

  AgentcoRun mock_run(const std::string& path, const std::string& render = "true") const {
    return sandbox_.collect(testing::run_process(options(
        {"run", "--no-user-config", "--warehouse", sandbox_.warehouse().string(), "--llm", "mock", "-q",
         "write a cli snake game"},
        path, render)));
  }

  static std::vector<std::string> warnings(const AgentcoRun& run) {
    std::vector<std::string> out;
    for (const auto& w : run.of_type("warning")) out.push_back(w.value("message", ""));
    return out;
  }

  static std::vector<json> mmdc_calls(const AgentcoRun& run) {
    std::vector<json> out;
    for (const auto& p : run.of_type("process"))
      if (p.contains("argv") && !p["argv"].empty() && p["argv"][0] == "mmdc") out.push_back(p);
    return out;
  }

  // `agentco replay --verify --strict FOLDER` with no mmdc anywhere: every answer must come
  // from the trace.
  testing::ProcessResult replay(const fs::path& folder) const {
    return testing::run_process(options({"replay", "--verify", "--strict", folder.string()}, "/usr/bin:/bin"));
  }

  std::string test_path() const { return bin().string() + ":/usr/bin:/bin"; }

  RunSandbox sandbox_;
};

TEST_F(Mermaid, EachOutcomeOfMmdcIsWrittenOrWarnedAndTheReplayNeedsNoMmdc) {
  install_fake_mmdc();
  AgentcoRun run = mock_run(test_path());
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();

  // The SVG mmdc printed is written into the project and committed with the diagram.
  const fs::path svg = run.folder / "resources" / "competitive_analysis.svg";
  ASSERT_TRUE(fs::exists(svg)) << run.describe();
  EXPECT_EQ(slurp(svg), R"(<svg xmlns="http://www.w3.org/2000/svg"><text>stand-in</text></svg>)");
  bool committed = false;
  for (const auto& c : run.of_type("commit"))
    for (const auto& p : c.value("paths", json::array())) committed |= p == "resources/competitive_analysis.svg";
  EXPECT_TRUE(committed) << "the SVG is not in any commit";

  // A parse error: a warning naming the diagram with mmdc's message, not its stack trace; an
  // output that is no SVG: a warning too. Both diagrams stay as .mmd files only.
  std::string parse_warning, output_warning;
  for (const auto& w : warnings(run)) {
    if (w.find("resources/class_diagram.mmd") != std::string::npos) parse_warning = w;
    if (w.find("resources/sequence_diagram.mmd") != std::string::npos) output_warning = w;
  }
  EXPECT_NE(parse_warning.find("exit code 1: Error: Parse error on line 2:"), std::string::npos) << parse_warning;
  EXPECT_NE(parse_warning.find("----------------------^"), std::string::npos) << parse_warning;
  EXPECT_NE(parse_warning.find("Expecting STRUCT_STOP"), std::string::npos) << parse_warning;
  EXPECT_EQ(parse_warning.find("at #evaluate"), std::string::npos) << parse_warning;
  EXPECT_EQ(parse_warning.find("://"), std::string::npos) << parse_warning;
  EXPECT_NE(output_warning.find("its output is not an SVG: Generating single mermaid chart"), std::string::npos)
      << output_warning;
  for (const std::string stem : {"class_diagram", "sequence_diagram"}) {
    EXPECT_TRUE(fs::exists(run.folder / "resources" / (stem + ".mmd"))) << stem;
    EXPECT_FALSE(fs::exists(run.folder / "resources" / (stem + ".svg"))) << stem;
  }
  EXPECT_NE(run.process.err.find("mmdc could not render resources/class_diagram.mmd"), std::string::npos)
      << run.describe();

  // One mmdc per diagram, each recorded with the same command line on every machine: the
  // browser's config goes in on stdin, no temporary file is named.
  std::vector<json> calls = mmdc_calls(run);
  ASSERT_EQ(calls.size(), kDiagrams.size()) << run.describe();
  for (const auto& call : calls) {
    EXPECT_EQ(call.value("cwd", ""), "$PROJECT") << call.dump();
    EXPECT_EQ(call["argv"][3], "/dev/stdin") << call.dump();
  }
  EXPECT_NE(slurp(sandbox_.home() / "mmdc-stdin.json").find(R"("executablePath":"/usr/bin/chromium")"),
            std::string::npos);

  // The replay runs no mmdc (none is on its PATH) and rebuilds the same bytes.
  testing::ProcessResult replayed = replay(run.folder);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
  EXPECT_NE((replayed.out + replayed.err).find("processes answered from the recording, 0 live calls"), std::string::npos)
      << replayed.out << replayed.err;
  EXPECT_NE((replayed.out + replayed.err).find("verify: files and git trees are identical"), std::string::npos)
      << replayed.out << replayed.err;
  EXPECT_EQ(slurp(fs::path(run.folder.string() + "-replay") / "resources" / "competitive_analysis.svg"), slurp(svg));
}

TEST_F(Mermaid, WithoutMmdcTheRunSaysSoOnceAndKeepsTheDiagrams) {
  if (fs::exists("/usr/bin/mmdc") || fs::exists("/bin/mmdc")) GTEST_SKIP() << "mmdc is installed in /usr/bin";
  AgentcoRun run = mock_run("/usr/bin:/bin");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  int said = 0;
  for (const auto& w : warnings(run)) {
    if (w.find("mmdc") == std::string::npos) continue;
    ++said;
    EXPECT_NE(w.find("is not installed"), std::string::npos) << w;
    EXPECT_NE(w.find("scripts/setup.sh"), std::string::npos) << w;
    EXPECT_NE(w.find("run.render_diagrams"), std::string::npos) << w;
  }
  EXPECT_EQ(said, 1) << run.describe();
  EXPECT_EQ(mmdc_calls(run).size(), 1u) << "tried once, then not again";
  for (const auto& stem : kDiagrams) {
    EXPECT_TRUE(fs::exists(run.folder / "resources" / (stem + ".mmd"))) << stem;
    EXPECT_FALSE(fs::exists(run.folder / "resources" / (stem + ".svg"))) << stem;
  }
  // The replay says the same once more, on a machine that may well have mmdc.
  testing::ProcessResult replayed = replay(run.folder);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
  EXPECT_NE((replayed.out + replayed.err).find("verify: files and git trees are identical"), std::string::npos) << replayed.err;
}

TEST_F(Mermaid, SwitchedOffNothingIsTriedNorSaid) {
  install_fake_mmdc();
  AgentcoRun run = mock_run(test_path(), "false");
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  EXPECT_TRUE(mmdc_calls(run).empty());
  EXPECT_FALSE(fs::exists(sandbox_.home() / "mmdc-calls.txt"));
  for (const auto& w : warnings(run)) EXPECT_EQ(w.find("mmdc"), std::string::npos) << w;
  for (const auto& stem : kDiagrams) EXPECT_TRUE(fs::exists(run.folder / "resources" / (stem + ".mmd"))) << stem;
}

// The real mermaid-cli that scripts/setup.sh installs, in Debian's chromium.
TEST_F(Mermaid, RealMmdcDrawsEveryDiagram) {
  const fs::path mmdc = fs::path(AGENTCO_SOURCE_DIR) / "web" / "node_modules" / ".bin" / "mmdc";
  if (!fs::exists(mmdc)) GTEST_SKIP() << "mmdc is not installed in web/node_modules (scripts/setup.sh installs it)";
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed";
  fs::create_directories(bin());
  fs::create_symlink(mmdc, bin() / "mmdc");
  AgentcoRun run = mock_run(test_path());
  ASSERT_EQ(run.process.exit_code, 0) << run.describe();
  for (const auto& w : warnings(run)) EXPECT_EQ(w.find("mmdc"), std::string::npos) << w;
  for (const auto& stem : kDiagrams) {
    const fs::path svg = run.folder / "resources" / (stem + ".svg");
    ASSERT_TRUE(fs::exists(svg)) << stem << "\n" << run.describe();
    const std::string text = slurp(svg);
    EXPECT_TRUE(text.starts_with("<svg")) << text.substr(0, 200);
    EXPECT_NE(text.find("</svg>"), std::string::npos) << stem;
  }
  // mmdc's SVGs differ from one run to the next; the replay still rebuilds the same bytes.
  testing::ProcessResult replayed = replay(run.folder);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
  EXPECT_NE((replayed.out + replayed.err).find("verify: files and git trees are identical"), std::string::npos) << replayed.err;
}

}  // namespace
}  // namespace agentco

#endif  // AGENTCO_FAKE_SERVER
