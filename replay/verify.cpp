#include "replay/verify.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/text.hpp"
#include "environment/git_repo.hpp"
#include "environment/project_summary.hpp"

namespace agentco {
namespace fs = std::filesystem;

std::vector<std::string> compare_projects(const fs::path& original, const fs::path& copy) {
  std::vector<std::string> out;
  const auto a = summarize_project(original).files;
  const auto b = summarize_project(copy).files;
  std::set<std::string> in_a(a.begin(), a.end()), in_b(b.begin(), b.end());
  for (const auto& f : a) {
    if (!in_b.count(f)) {
      out.push_back("missing in the replay: " + f);
      continue;
    }
    std::string x, y;
    (void)read_file((original / f).string(), x);
    (void)read_file((copy / f).string(), y);
    if (x != y) out.push_back(fmt::format("differs: {} ({} vs {} bytes)", f, x.size(), y.size()));
  }
  for (const auto& f : b)
    if (!in_a.count(f)) out.push_back("only in the replay: " + f);

  auto repo_a = GitRepo::open_or_init(original);
  auto repo_b = GitRepo::open_or_init(copy);
  if (!repo_a || !repo_b) {
    out.push_back("git: cannot open a repository");
    return out;
  }
  auto log_a = (*repo_a)->log();
  auto log_b = (*repo_b)->log();
  std::reverse(log_a.begin(), log_a.end());
  std::reverse(log_b.begin(), log_b.end());
  if (log_a.size() != log_b.size())
    out.push_back(fmt::format("git: {} commits in the original, {} in the replay", log_a.size(), log_b.size()));
  for (std::size_t i = 0; i < std::min(log_a.size(), log_b.size()); ++i) {
    const auto& x = log_a[i];
    const auto& y = log_b[i];
    if (x.tree_id != y.tree_id || x.author != y.author || x.message != y.message)
      out.push_back(fmt::format("git: commit {} differs: {} \"{}\" tree {} vs {} \"{}\" tree {}", i + 1, x.author,
                                x.message.substr(0, x.message.find('\n')), x.tree_id.substr(0, 10), y.author,
                                y.message.substr(0, y.message.find('\n')), y.tree_id.substr(0, 10)));
  }
  return out;
}

}  // namespace agentco
