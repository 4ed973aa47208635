// The layers the top CMakeLists.txt states (AGENTCO_LAYERS, lowest first) hold in the
// sources: a folder includes only itself and the folders before it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> layers() {
  std::vector<std::string> out;
  std::stringstream in(AGENTCO_LAYER_ORDER);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int rank_of(const std::vector<std::string>& order, const std::string& folder) {
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == folder) return static_cast<int>(i);
  }
  return -1;
}

TEST(Layering, EveryFolderIncludesOnlyItselfAndTheFoldersBelowIt) {
  const std::vector<std::string> order = layers();
  ASSERT_GE(order.size(), 5u);
  const std::regex include(R"(^\s*#\s*include\s*"([a-z_]+)/[^"]+")");
  std::vector<std::string> upward;
  int files = 0;
  for (const auto& folder : order) {
    const fs::path dir = fs::path(AGENTCO_SOURCE_DIR) / folder;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp") continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      int number = 0;
      while (std::getline(in, line)) {
        ++number;
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        const int target = rank_of(order, m[1]);
        if (target > rank_of(order, folder)) {
          upward.push_back(folder + "/" + entry.path().filename().string() + ":" + std::to_string(number) +
                           " includes " + m[1].str() + "/, a layer above " + folder);
        }
      }
    }
  }
  EXPECT_GT(files, 50);
  for (const auto& u : upward) ADD_FAILURE() << u;
}

TEST(Layering, TheOrderNamesEveryFolderThatHoldsSources) {
  const std::vector<std::string> order = layers();
  for (const auto& entry : fs::directory_iterator(AGENTCO_SOURCE_DIR)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".") || name == "tests" || name == "bench" || name == "fuzz" || name == "build" || name.starts_with("build")) continue;
    bool has_sources = false;
    for (const auto& file : fs::directory_iterator(entry.path())) {
      has_sources = has_sources || file.path().extension() == ".cpp";
    }
    if (has_sources) EXPECT_NE(rank_of(order, name), -1) << name << "/ holds sources but is in no layer";
  }
}

}  // namespace
