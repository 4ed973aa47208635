// prompt-bench: what agentco's prompts cost, measured with a model that reads them (the
// reading model of tests/support/reading_model.hpp behind the fake server). Prints, for
// designs of 3/6/12/24 files, the prompt tokens per generated line, the largest prompt and
// the share of prompt tokens that repeat the start of an earlier request (what a provider's
// prefix cache can serve); then the SRDD sample through `agentco bench`; then MetaGPT's own
// snake run (rsp_cache.json 200-212) replayed through agentco, to compare the prompts of both
// tools for the very same model replies and so the same lines of code.
//
// Token counts are the fake server's (4 bytes a token), the same estimate for MetaGPT's
// prompts, so the ratios compare like with like.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench/support/measure.hpp"
#include "stats/prefix_share.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/metagpt_snake_chain.hpp"
#include "trace/trace.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace agentco;

namespace {

struct RunFigures {
  bool ok = false;
  std::string failure;
  long calls = 0, prompt_tokens = 0, largest_prompt = 0, prefix_tokens = 0, estimated_prompt = 0;
  // What the prompts cost, in prompt-token equivalents, where a provider caches prefixes:
  // OpenAI (half price, prompts and prefixes of 1,024 tokens or more, in steps of 128) and
  // DeepSeek (a tenth of the price, in steps of 64): the tokens that would cost as much
// uncached. Estimated tokens, as the prefix share.
  double openai_cost = 0, deepseek_cost = 0;
  long source_lines = 0, test_lines = 0;
  std::map<std::string, long> prompt_by_action;  // action/kind -> prompt tokens
  std::string verdict;
};

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

RunFigures figures_of(const fs::path& folder) {
  RunFigures f;
  auto trace = read_trace(folder / "run.jsonl");
  if (!trace.ok()) {
    f.failure = trace.error().message;
    return f;
  }
  PrefixShareCounter prefix;
  std::map<std::string, std::string> action_of_call;
  for (const auto& record : trace->records) {
    const std::string type = record.value("type", "");
    if (type == "llm_request") {
      const auto share = prefix.add(record["request"]["messages"]);
      f.prefix_tokens += share.prefix_tokens;
      f.estimated_prompt += share.prompt_tokens;
      const long openai_cached =
          share.prompt_tokens >= 1024 && share.prefix_tokens >= 1024 ? share.prefix_tokens / 128 * 128 : 0;
      f.openai_cost += static_cast<double>(share.prompt_tokens) - 0.5 * static_cast<double>(openai_cached);
      f.deepseek_cost += static_cast<double>(share.prompt_tokens) - 0.9 * static_cast<double>(share.prefix_tokens / 64 * 64);
      // Reviews after the second (which MetaGPT's chain does not make) are told apart.
      const json hints = record.value("hints", json::object());
      const std::string kind = hints.value("kind", "");
      action_of_call[record.value("call_id", json()).dump()] =
          record.value("action", "") + "/" + kind + (kind == "review" && hints.value("round", 0) > 2 ? "+" : "");
    } else if (type == "llm_response") {
      const long prompt = record["usage"].value("prompt_tokens", 0L);
      ++f.calls;
      f.prompt_tokens += prompt;
      f.largest_prompt = std::max(f.largest_prompt, prompt);
      f.prompt_by_action[action_of_call[record.value("call_id", json()).dump()]] += prompt;
    }
  }
  const auto meta = json::parse(slurp(folder / "meta.json"), nullptr, false);
  if (meta.is_object()) {
    f.source_lines = meta.value("lines_of_code", 0L);
    f.test_lines = meta.value("test_lines", 0L);
    f.verdict = meta.value("verdict", json::object()).value("decision", "");
  }
  f.ok = true;
  return f;
}

// The folder a run printed as its last stdout line.
fs::path last_line(const std::string& out) {
  std::istringstream in(out);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

double per(long a, long b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

std::optional<fs::path> fixtures_dir() {
  if (const char* env = std::getenv("AGENTCO_FIXTURES"); env && *env) return fs::path(env);
  const auto dir = fs::path(AGENTCO_SOURCE_DIR) / ".." / "shared" / "fixtures";
  if (fs::is_directory(dir)) return fs::weakly_canonical(dir);
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {3, 6, 12, 24};
  std::vector<std::string> designs = {"excerpt", "whole"};
  int jobs = 2;
  bool srdd = true, snake = true, keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc)
      sizes = bench::int_list(argv[++i]);
    else if (a == "--designs" && i + 1 < argc) {
      designs.clear();
      std::istringstream list(argv[++i]);
      for (std::string d; std::getline(list, d, ',');) designs.push_back(d);
    } else if (a == "--jobs" && i + 1 < argc)
      jobs = std::max(1, std::stoi(argv[++i]));
    else if (a == "--no-srdd")
      srdd = false;
    else if (a == "--no-snake")
      snake = false;
    else if (a == "--keep")
      keep = true;
    else {
      std::fprintf(stderr,
                   "usage: prompt-bench [--sizes 3,6,12,24] [--designs excerpt,whole] [--jobs 2] [--no-srdd] [--no-snake] "
                   "[--keep]\n");
      return 2;
    }
  }
  const fs::path root = bench::fresh_dir("prompt_bench");
  fs::create_directories(root / "home");
  const std::vector<std::string> env = {"HOME=" + (root / "home").string()};
  fmt::print("prompt bench: the reading model behind fake-llm-server (4 bytes a token); load {}\n",
             bench::load_average());
  int status = 0;

  testing::FakeLlmServer reader("rules:\n  - read: true\n");
  fmt::print("\n{:>7} {:>5} {:>6} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9} {:>10} {:>7} {:>8} {:>8}  {}\n", "design",
             "files", "calls",
             "prompt_tok", "src_ln", "test_ln", "tok/src", "tok/all", "largest", "largest/f", "prefix",
             "openai", "deepseek", "verdict");
  for (const auto& design : designs) {
    // run.file_design, as a user sets it (the fake model has no price: "auto" is "excerpt").
    std::vector<std::string> design_env = env;
    design_env.push_back("AGENTCO_RUN_FILE_DESIGN=" + design);
    for (int size : sizes) {
      const auto run = bench::run_child(
          {AGENTCO_BINARY, "run", "--no-user-config", "--warehouse",
           (root / fmt::format("w{}_{}", size, design)).string(), "--llm-base-url", reader.base_url(), "--model",
           "fake-model", "-q", fmt::format("write a cli inventory tool with {} files", size)},
          design_env);
      const auto f = run.exit_code == 0 ? figures_of(last_line(run.out)) : RunFigures{};
      if (!f.ok) {
        fmt::print("{:>7} {:>5} failed (exit {}): {}{}\n", design, size, run.exit_code, f.failure, run.err);
        status = 1;
        continue;
      }
      fmt::print(
          "{:>7} {:>5} {:>6} {:>9} {:>7} {:>7} {:>9.1f} {:>9.1f} {:>9} {:>10.1f} {:>6.1f}% {:>8.0f} {:>8.0f}  {}\n",
          design, size, f.calls, f.prompt_tokens, f.source_lines, f.test_lines, per(f.prompt_tokens, f.source_lines),
          per(f.prompt_tokens, f.source_lines + f.test_lines), f.largest_prompt, per(f.largest_prompt, size),
          100.0 * per(f.prefix_tokens, f.estimated_prompt), f.openai_cost, f.deepseek_cost, f.verdict);
      if (size == sizes.back()) {
        fmt::print("        prompt tokens by step at {} files:", size);
        for (const auto& [action, tokens] : f.prompt_by_action) fmt::print(" {} {};", action, tokens);
        fmt::print("\n");
      }
    }
  }

  const auto fixtures = fixtures_dir();
  if (srdd && fixtures && fs::is_regular_file(*fixtures / "srdd" / "srdd_sample.csv")) {
    const fs::path out = root / "srdd";
    const auto run =
        bench::run_child({AGENTCO_BINARY, "bench", (*fixtures / "srdd" / "srdd_sample.csv").string(),
                          "--no-user-config", "--llm-base-url", reader.base_url(), "--model", "fake-model",
                          "-j", std::to_string(jobs), "--out", out.string(), "-q"},
                         env);
    long runs = 0, passed = 0, prompt = 0, src = 0, tests = 0, prefix = 0, estimated = 0, largest = 0;
    for (const auto& entry : fs::directory_iterator(out)) {
      if (!fs::is_regular_file(entry.path() / "run.jsonl")) continue;
      const auto f = figures_of(entry.path());
      ++runs;
      passed += f.verdict == "passed";
      prompt += f.prompt_tokens;
      src += f.source_lines;
      tests += f.test_lines;
      prefix += f.prefix_tokens;
      estimated += f.estimated_prompt;
      largest = std::max(largest, f.largest_prompt);
    }
    fmt::print(
        "\nSRDD sample through `agentco bench -j {}` (exit {}, {:.0f} s wall): {} runs, {} passed QA; "
        "{:.1f} prompt tokens per source line, {:.1f} per line incl. tests; largest prompt {}; prefix "
        "{:.1f}%\n",
        jobs, run.exit_code, run.wall_s, runs, passed, per(prompt, src), per(prompt, src + tests), largest,
        100.0 * per(prefix, estimated));
    if (run.exit_code != 0 || passed != runs) status = 1;
  } else if (srdd) {
    fmt::print("\nSRDD: skipped (no ../shared/fixtures/srdd/srdd_sample.csv)\n");
  }

  if (snake && fixtures && fs::is_regular_file(*fixtures / "metagpt" / "rsp_cache.json")) {
    const auto cache_file = *fixtures / "metagpt" / "rsp_cache.json";
    testing::FakeLlmServer server(testing::snake_script(), cache_file.string());
    std::ofstream(root / "snake.yaml") << "run:\n  code_review_rounds: 3\n  test_rounds: 1\n";
    const auto run =
        bench::run_child({AGENTCO_BINARY, "run", "--no-user-config", "--warehouse", (root / "snake").string(),
                          "--config", (root / "snake.yaml").string(), "--llm-base-url", server.base_url(),
                          "--model", "fake-model", "-q", "write a cli snake game"},
                         env);
    const auto f = run.exit_code == 0 ? figures_of(last_line(run.out)) : RunFigures{};
    if (!f.ok) {
      fmt::print("\nsnake chain: failed (exit {}): {}{}\n", run.exit_code, f.failure, run.err);
      status = 1;
    } else {
      // MetaGPT's prompts for the chain: the keys of its cache entries.
      const auto cache = nlohmann::ordered_json::parse(slurp(cache_file), nullptr, false);
      long metagpt_prompt = 0;
      int index = 0;
      for (const auto& [prompt, reply] : cache.items()) {
        if (index >= testing::kSnakeChainFirst && index <= testing::kSnakeChainLast)
          metagpt_prompt += static_cast<long>((prompt.size() + 3) / 4);
        ++index;
      }
      // Ours for the same steps: the documents, and the code, review and rewrite calls.
      long ours_same_steps = 0;
      for (const auto& [action, tokens] : f.prompt_by_action)
        if (action.starts_with("WritePRD") || action.starts_with("WriteDesign") ||
            action.starts_with("WriteTasks") || action == "WriteCode/code" || action == "WriteCode/review" ||
            action == "WriteCode/rewrite")
          ours_same_steps += tokens;
      fmt::print(
          "\nMetaGPT's snake run (rsp_cache.json 200-212), the same replies through both tools; "
          "{} lines of code (game.py + main.py as MetaGPT's last rewrites)\n",
          f.source_lines);
      fmt::print(
          "  MetaGPT: {} prompt tokens for PRD, design, tasks, 2 files x (code + 2 reviews + 2 rewrites) = "
          "{:.1f} per line\n",
          metagpt_prompt, per(metagpt_prompt, f.source_lines));
      fmt::print(
          "  agentco: {} prompt tokens for the same steps = {:.1f} per line ({:.1f} with the third review of each "
          "file, which MetaGPT does not make); whole run incl. tests, summary, manual, QA: {} = {:.1f} per line; "
          "prefix {:.1f}%\n",
          ours_same_steps, per(ours_same_steps, f.source_lines),
          per(ours_same_steps + (f.prompt_by_action.count("WriteCode/review+") ? f.prompt_by_action.at("WriteCode/review+") : 0),
              f.source_lines),
          f.prompt_tokens,
          per(f.prompt_tokens, f.source_lines), 100.0 * per(f.prefix_tokens, f.estimated_prompt));
    }
  }
  if (keep) {
    fmt::print("runs kept in {}\n", root.string());
  } else {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  return status;
}
