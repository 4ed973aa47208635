// agentco bench: the prompt list (txt, csv with quotes and newlines, bad files), the results
// files from fixed rows, and end to end through the binary: the mock with two SOP variants,
// the fake server program with a run that fails, and Ctrl-C in the middle of an experiment.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "research/comparison.hpp"
#include "research/experiment.hpp"
#include "research/experiment_runner.hpp"
#include "research/prompt_list.hpp"
#include "research/results_writer.hpp"
#include "tests/support/bench_runs.hpp"
#include "tests/support/fake_llm_server_runs.hpp"
#include "tests/support/fixtures.hpp"

namespace agentco {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::RunSandbox;
using testing::slurp;
using testing::spill;

using testing::has;
using testing::kFastConfig;
using testing::results_of;
using testing::tiny_project_script;

std::vector<Prompt> parse_ok(const std::string& text, PromptFormat format) {
  auto prompts = parse_prompt_list(text, format, "p.csv");
  EXPECT_TRUE(prompts.ok()) << (prompts.ok() ? "" : prompts.error().message);
  return prompts.ok() ? *prompts : std::vector<Prompt>{};
}

std::string parse_error(const std::string& text, PromptFormat format) {
  auto prompts = parse_prompt_list(text, format, "p.csv");
  EXPECT_FALSE(prompts.ok());
  return prompts.ok() ? "" : prompts.error().message;
}

// ---- The prompt list ------------------------------------------------------------------------

TEST(PromptList, TextTakesOneIdeaPerLineAndSkipsBlankLinesAndComments) {
  const auto prompts = parse_ok(
      "# ideas\n\nwrite a cli snake game\n   \n  # indented comment\n  a todo app  \r\n", PromptFormat::text);
  ASSERT_EQ(prompts.size(), 2u);
  EXPECT_EQ(prompts[0].idea, "write a cli snake game");
  EXPECT_EQ(prompts[0].line, 3);
  EXPECT_EQ(prompts[0].id, 1);
  EXPECT_EQ(prompts[1].idea, "a todo app");
  EXPECT_EQ(prompts[1].line, 6);
  EXPECT_EQ(prompts[1].id, 2);
  EXPECT_EQ(prompt_label(prompts[0]), "write a cli snake game");
}

TEST(PromptList, CsvUsesDescriptionAsTheIdeaAndNameAsTheName) {
  const std::string text =
      "\xEF\xBB\xBFName,Description,Category\r\n"
      "Snake,\"A snake game, in the terminal\",Game\r\n"
      "Quote_Book,\"Keeps \"\"famous\"\" quotes\nacross two lines\",Books\r\n"
      "\r\n"
      "Plain,A plain one,\r\n";
  const auto prompts = parse_ok(text, PromptFormat::csv);
  ASSERT_EQ(prompts.size(), 3u);
  EXPECT_EQ(prompts[0].name, "Snake");
  EXPECT_EQ(prompts[0].idea, "A snake game, in the terminal");
  EXPECT_EQ(prompts[0].line, 2);
  EXPECT_EQ(prompts[1].name, "Quote_Book");
  EXPECT_EQ(prompts[1].idea, "Keeps \"famous\" quotes\nacross two lines");
  EXPECT_EQ(prompts[1].line, 3);
  EXPECT_EQ(prompts[2].idea, "A plain one");
  EXPECT_EQ(prompts[2].line, 6);  // the quoted newline counts as a line
  EXPECT_EQ(prompt_label(prompts[2]), "Plain");
}

TEST(PromptList, CsvWithoutADescriptionColumnTakesTheFirstColumn) {
  const auto prompts = parse_ok("idea,notes\nwrite a calculator,quick\n", PromptFormat::csv);
  ASSERT_EQ(prompts.size(), 1u);
  EXPECT_EQ(prompts[0].idea, "write a calculator");
  EXPECT_EQ(prompts[0].name, "");
}

TEST(PromptList, MalformedFilesNameTheFileAndLine) {
  EXPECT_TRUE(has(parse_error("Name,Description\nA,\"never closed\nB,c\n", PromptFormat::csv), "p.csv:2:"));
  EXPECT_TRUE(has(parse_error("Name,Description\nA,b\nC,d,e\n", PromptFormat::csv), "p.csv:3: 3 fields"));
  EXPECT_TRUE(
      has(parse_error("Name,Description\nA,say \"hi\"\n", PromptFormat::csv), "p.csv:2: a quote inside"));
  EXPECT_TRUE(has(parse_error("Name,Description\nA,\"x\"y\n", PromptFormat::csv), "p.csv:2: text after"));
  EXPECT_TRUE(has(parse_error("Name,Description\nA,b\nB,\n", PromptFormat::csv),
                  "p.csv:3: the Description column is empty"));
  EXPECT_TRUE(has(parse_error("Name,Description\n", PromptFormat::csv), "no prompts"));
  EXPECT_TRUE(has(parse_error("", PromptFormat::csv), "p.csv: empty"));
  EXPECT_TRUE(has(parse_error("# only a comment\n\n", PromptFormat::text), "no prompts"));
  EXPECT_TRUE(has(parse_error("ok\nbad \xff byte\n", PromptFormat::text), "p.csv:2: not valid UTF-8"));
  auto missing = read_prompt_list("/nonexistent/prompts.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(has(missing.error().message, "/nonexistent/prompts.txt"));
}

TEST(PromptList, ReadsTheSrddSample) {
  AGENTCO_REQUIRE_FIXTURES(fixtures);
  auto prompts = read_prompt_list(fixtures / "srdd" / "srdd_sample.csv");
  ASSERT_TRUE(prompts.ok()) << prompts.error().message;
  EXPECT_EQ(prompts->size(), 120u);
  EXPECT_EQ(prompts->front().name, "Mystic_Maze");
  EXPECT_TRUE(prompts->front().idea.starts_with("Mystic Maze is a 3D action game"));
  for (const auto& p : *prompts) EXPECT_FALSE(p.idea.empty()) << p.line;
}

// ---- The plan ----------------------------------------------------------------------------------

TEST(ExperimentPlan, EveryPromptTimesEveryVariantTimesEachRepeatWithUniqueNames) {
  const auto variants = make_variants({"software_company", "/x/fast.yaml", "/y/fast.yaml"}, "ignored");
  ASSERT_EQ(variants.size(), 3u);
  EXPECT_EQ(variants[0].name, "software_company");
  EXPECT_EQ(variants[1].name, "fast");
  EXPECT_EQ(variants[2].name, "fast-2");
  EXPECT_EQ(make_variants({}, "software_company").front().sop, "");
  EXPECT_EQ(make_variants({}, "software_company").front().name, "software_company");

  const auto prompts = parse_ok("one\ntwo\n", PromptFormat::text);
  const auto plan = plan_experiment(prompts, variants, 2);
  ASSERT_EQ(plan.size(), 12u);
  std::set<std::string> names;
  for (const auto& run : plan) names.insert(run.run_name);
  EXPECT_EQ(names.size(), 12u);
  EXPECT_EQ(plan[0].run_name, "p001_software_company_r1_one");
  EXPECT_EQ(plan[1].repeat, 2);
  EXPECT_EQ(plan[11].prompt.idea, "two");
  EXPECT_EQ(plan[11].variant.name, "fast-2");
}

// ---- Results files -----------------------------------------------------------------------------

RunRow row(const std::string& variant, int prompt, const std::string& status, double cost, long lines,
           const std::string& verdict) {
  RunRow r;
  r.run.prompt.id = prompt;
  r.run.prompt.name = "P" + std::to_string(prompt);
  r.run.prompt.idea = "an idea, with \"quotes\"";
  r.run.variant = {variant, variant + ".yaml"};
  r.run.repeat = 1;
  r.run.run_name = "p00" + std::to_string(prompt) + "_" + variant;
  r.status = status;
  r.exit_code = status == "finished" ? 0 : 1;
  r.has_figures = true;
  r.outcome = status == "finished" ? "idle" : "failed";
  r.verdict = verdict;
  r.cost_usd = cost;
  r.prompt_tokens = 1000;
  r.completion_tokens = 500;
  r.wall_s = 10;
  r.files = 4;
  r.lines = lines;
  r.review_rounds = 2;
  r.test_rounds = 1;
  r.folder = "/exp/" + r.run.run_name;
  if (status != "finished") r.error = "run failed: boom";
  return r;
}

TEST(ResultsWriter, WritesOneCsvRowPerRunAndASummaryPerVariant) {
  const std::vector<RunRow> rows = {
      row("a", 1, "finished", 1.0, 100, "passed"), row("a", 2, "finished", 2.0, 200, "failed"),
      row("a", 3, "failed", 10.0, 300, ""), row("b", 1, "finished", 0.5, 50, "passed")};
  ExperimentInfo info;
  info.prompts_file = "prompts.csv";
  info.variants = {{"a", "a.yaml"}, {"b", "b.yaml"}};
  info.prompts = 3;
  info.planned = 6;
  info.launched = 4;
  info.jobs = 2;
  info.started_at = "2026-11-27T10:00:00.000Z";
  info.stopped = "interrupted";
  testing::RunTempDir dir("results");
  info.folder = dir.path() / "bench-x";
  fs::create_directories(info.folder);

  const std::string csv = render_results_csv(rows);
  auto parsed = parse_prompt_list(csv, PromptFormat::csv, "results.csv");  // first column: run
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->size(), 4u);
  EXPECT_TRUE(
      csv.starts_with("run,prompt_id,prompt_name,idea,variant,sop,repeat,status,exit_code,finished,"));
  EXPECT_TRUE(has(csv, "\"an idea, with \"\"quotes\"\"\""));
  EXPECT_TRUE(has(csv, ",failed,1,false,failed,,false,10.000000,1000,500,"));

  const std::string md = render_summary_md(rows, info);
  EXPECT_TRUE(
      has(md, "| a | a.yaml | 3 | 2 | 1 | 0 | 1 | 4.3333 | 1500 | 10.0 | 4.0 | 200.0 | 2.00 | 1.00 |"))
      << md;
  EXPECT_TRUE(has(md, "| b | b.yaml | 1 | 1 | 0 | 0 | 1 | 0.5000 |")) << md;
  EXPECT_TRUE(has(md, "| cost (USD) | 4.3333 | 2.0000 | 1.0000 | 10.0000 |")) << md;
  EXPECT_TRUE(has(md, "**Interrupted**")) << md;
  EXPECT_TRUE(has(md, "`p003_a`: failed (exit 1): run failed: boom")) << md;

  ASSERT_TRUE(write_results(rows, info).ok());
  EXPECT_EQ(slurp(info.folder / "results.csv"), csv);
  EXPECT_EQ(slurp(info.folder / "summary.md"), md);
  const auto j = json::parse(slurp(info.folder / "results.json"));
  EXPECT_EQ(j["runs"].size(), 4u);
  EXPECT_EQ(j["runs"][2]["status"], "failed");
  EXPECT_EQ(j["runs"][0]["executable"], true);
  EXPECT_EQ(j["experiment"]["stopped"], "interrupted");
  EXPECT_EQ(j["experiment"]["launched"], 4);
  EXPECT_FALSE(fs::exists(info.folder / "results.csv.tmp"));
}

// ---- Variants side by side -------------------------------------------------------------------

TEST(Comparison, WilcoxonSignedRankAgreesWithItsNormalApproximation) {
  // Ten positive differences: W+ = 55, mean 27.5, variance 96.25; z = 27/9.811 = 2.752.
  EXPECT_NEAR(wilcoxon_signed_rank_p({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), 0.00592, 2e-4);
  EXPECT_NEAR(wilcoxon_signed_rank_p({-1, -2, -3, -4, -5, -6, -7, -8, -9, -10}), 0.00592, 2e-4);
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank_p({1, -1, 2, -2}), 1.0);  // balanced: no evidence
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank_p({0, 0, 0}), 1.0);       // no non-zero difference
}

TEST(Comparison, VariantsArePairedOnTheirSharedPromptsOverTheMeanOfTheirRepeats) {
  std::vector<RunRow> rows;
  auto measured = [](RunRow r, double quality, int repeat) {
    r.quality = Quality{};
    r.quality->quality = quality;
    r.run.repeat = repeat;
    return r;
  };
  for (int p = 1; p <= 3; ++p) {
    rows.push_back(measured(row("a", p, "finished", 1.0, 100, "passed"), 0.1 * p, 1));
    rows.push_back(measured(row("b", p, "finished", 2.0, 100, "passed"), 0.1 * p + 0.2, 1));
    rows.push_back(measured(row("b", p, "finished", 2.0, 100, "passed"), 0.1 * p + 0.4, 2));  // mean +0.3
  }
  rows.push_back(measured(row("b", 4, "finished", 2.0, 100, "passed"), 0.9, 1));  // a never ran prompt 4
  const auto comparisons = compare_variants(rows, {{"a", "a.yaml"}, {"b", "b.yaml"}});
  ASSERT_EQ(comparisons.size(), 3u);  // quality, cost, wall time
  const auto& quality = comparisons[0];
  EXPECT_EQ(quality.figure, "quality");
  EXPECT_EQ(quality.other, "b");
  EXPECT_EQ(quality.pairs, 3);
  EXPECT_NEAR(quality.mean_difference, 0.3, 1e-9);
  EXPECT_NEAR(quality.ci95, 0.0, 1e-9);
  EXPECT_EQ(quality.higher, 3);
  EXPECT_LT(quality.p_value, 0.2);
  const auto& cost = comparisons[1];
  EXPECT_NEAR(cost.mean_difference, 1.0, 1e-9);
  EXPECT_EQ(comparisons[2].ties, 3);  // same wall time
  EXPECT_DOUBLE_EQ(comparisons[2].p_value, 1.0);

  const std::string svg = bar_chart_svg("Quality <per run>", {{"a", 0.2, 0.05}, {"b", 0.5, 0.1}});
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")) << svg;
  EXPECT_TRUE(has(svg, "Quality &lt;per run&gt;")) << svg;
  EXPECT_TRUE(has(svg, "<title>b: 0.5 ± 0.1</title>")) << svg;
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
}

// ---- End to end --------------------------------------------------------------------------------

int run_folders(const fs::path& experiment) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(experiment))
    if (entry.is_directory() && fs::exists(entry.path() / "run.jsonl")) ++count;
  return count;
}

// The MetaGPT-style company against ChatDev's chain (sop/chatdev.yaml), as issue 15 asks.
TEST(BenchCommand, RunsEveryPromptWithEverySopVariantWithTheMock) {
  RunSandbox sandbox("bench_mock");
  spill(sandbox.work() / "prompts.txt",
        "# three ideas\nwrite a cli snake game\n\na todo list app\na calculator\n");
  const fs::path out = sandbox.root() / "experiment";
  // `--sop X prompts.txt`: each --sop takes one value, the prompts file stays the prompts file.
  auto options = sandbox.options({"bench", "--sop", "software_company", "prompts.txt", "--llm", "mock",
                                  "--no-user-config", "--sop", "chatdev", "-j", "2", "--out", out.string()},
                                 {});
  options.timeout = std::chrono::milliseconds(240000);
  const auto result = testing::run_process(options);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(has(result.err, "3 prompts × 2 variants × 1 repeat = 6 runs, 2 at a time")) << result.err;
  EXPECT_TRUE(has(result.err, "bench: 6/6 done")) << result.err;
  EXPECT_TRUE(has(result.out, out.string())) << result.out;

  EXPECT_EQ(run_folders(out), 6);
  const auto rows = results_of(out);
  ASSERT_EQ(rows.size(), 6u);
  std::map<std::string, int> per_variant;
  for (const auto& r : rows) {
    EXPECT_EQ(r.at("status"), "finished") << r.at("run");
    EXPECT_EQ(r.at("exit_code"), "0");
    EXPECT_EQ(r.at("outcome"), "idle");
    EXPECT_GT(std::stol(r.at("prompt_tokens")), 0);
    EXPECT_GT(std::stol(r.at("files")), 0);
    EXPECT_TRUE(fs::exists(fs::path(r.at("folder")) / "meta.json")) << r.at("folder");
    // SRDD quality, measured after the run: the mock's programs are whole and start.
    EXPECT_EQ(r.at("completeness"), "1") << r.at("run");
    EXPECT_EQ(r.at("executability"), "1") << r.at("run") << ": " << r.at("execution");
    EXPECT_EQ(r.at("consistency_method"), "lexical");
    EXPECT_GT(std::stod(r.at("consistency")), 0.0);
    EXPECT_NEAR(std::stod(r.at("quality")), std::stod(r.at("consistency")), 1e-4);
    ++per_variant[r.at("variant")];
  }
  EXPECT_EQ(per_variant["software_company"], 3);
  EXPECT_EQ(per_variant["chatdev"], 3);
  const std::string md = slurp(out / "summary.md");
  EXPECT_TRUE(has(md, "| software_company | software_company | 3 | 3 | 0 | 0 |")) << md;
  EXPECT_TRUE(has(md, "| chatdev | ")) << md;
  EXPECT_TRUE(has(md, "## chatdev")) << md;
  EXPECT_TRUE(has(md, "| completeness | executability | consistency | quality (95 % CI) |")) << md;
  EXPECT_TRUE(has(md, "Quality of the 3 measured runs (stats/quality.hpp; consistency: lexical)")) << md;
  // The variants side by side, and their charts.
  EXPECT_TRUE(has(md, "## Side by side")) << md;
  EXPECT_TRUE(has(md, "| quality | chatdev | 3 | ")) << md;
  EXPECT_TRUE(has(md, "![Quality per run (SRDD), mean and 95 % CI](charts/quality.svg)")) << md;
  for (const char* chart : {"cost", "wall", "quality"}) {
    const std::string svg = slurp(out / "charts" / (std::string(chart) + ".svg"));
    EXPECT_TRUE(svg.starts_with("<svg ") && has(svg, "software_company") && has(svg, ">chatdev<")) << chart << ": " << svg;
  }
  const auto j = json::parse(slurp(out / "results.json"));
  EXPECT_EQ(j["runs"].size(), 6u);
  EXPECT_EQ(j["experiment"]["planned"], 6);
}

TEST(BenchCommand, ARunPastItsTimeoutIsStoppedAndCounted) {
  RunSandbox sandbox("bench_timeout");
  spill(sandbox.work() / "prompts.txt", "write a cli snake game\n");
  const fs::path out = sandbox.root() / "experiment";
  // 17 mock calls at 400 ms each: far beyond one second.
  auto options = sandbox.options({"bench", "prompts.txt", "--llm", "mock", "--no-user-config",
                                  "--run-timeout", "1", "--out", out.string()},
                                 {"AGENTCO_MOCK_LATENCY_MS=400"});
  options.timeout = std::chrono::milliseconds(120000);
  const auto result = testing::run_process(options);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_TRUE(has(result.err, "timed_out")) << result.err;
  const auto rows = results_of(out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "timed_out");
  EXPECT_EQ(rows[0].at("exit_code"), "130");  // the run stopped as on Ctrl-C
  EXPECT_TRUE(has(rows[0].at("error"), "timed out after 1 s")) << rows[0].at("error");
  EXPECT_EQ(rows[0].at("outcome"), "interrupted");
}

TEST(BenchCommand, AMalformedPromptsFileIsOneMessageNamingTheLineAndExit2) {
  RunSandbox sandbox("bench_bad");
  spill(sandbox.work() / "bad.csv", "Name,Description\nA,\"fine\"\nB,\"never closed\n");
  const auto result =
      testing::run_process(sandbox.options({"bench", "bad.csv", "--llm", "mock", "--no-user-config"}, {}));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(has(result.err, "bad.csv:3: a quoted field is never closed")) << result.err;
  EXPECT_FALSE(fs::exists(sandbox.work() / "warehouse"));

  spill(sandbox.work() / "ok.txt", "an idea\n");
  const auto bad_sop = testing::run_process(
      sandbox.options({"bench", "ok.txt", "--llm", "mock", "--no-user-config", "--sop", "missing.yaml"}, {}));
  EXPECT_EQ(bad_sop.exit_code, 2);
  EXPECT_TRUE(has(bad_sop.err, "missing.yaml")) << bad_sop.err;
}

#ifdef AGENTCO_FAKE_SERVER

std::vector<std::string> bench_args(const RunSandbox& sandbox, const std::string& base_url,
                                    const fs::path& out, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"bench",          "prompts.txt", "--no-user-config",
                                   "--llm-base-url", base_url,      "--model",
                                   "fake-model",     "--config",    sandbox.file("fast.yaml").string(),
                                   "--out",          out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(BenchCommand, AgainstTheFakeServerAFailingRunIsCountedAndTheOthersFinish) {
  RunSandbox sandbox("bench_fake");
  spill(sandbox.file("fast.yaml"), kFastConfig);
  // Every request about "frobnicate" gets 502: that run fails after its retries.
  const json fault = {{"match", {{"regex", "frobnicate"}}}, {"fault", "http_502"}, {"reply", "unused"}};
  testing::FakeServerProcess server(sandbox.root() / "server", {tiny_project_script(fault), "", false});
  ASSERT_TRUE(server.ok());
  spill(sandbox.work() / "prompts.txt", "add two numbers\nfrobnicate the widgets\nadd three numbers\n");
  const fs::path out = sandbox.root() / "experiment";
  auto options = sandbox.options(bench_args(sandbox, server.base_url(), out, {"-j", "2"}), {});
  options.timeout = std::chrono::milliseconds(240000);
  const auto result = testing::run_process(options);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_TRUE(has(result.err, "frobnicate")) << result.err;
  EXPECT_TRUE(has(result.err, "failed (exit 1)")) << result.err;
  EXPECT_TRUE(has(result.err, "bench: 3/3 done (1 failed)")) << result.err;

  const auto rows = results_of(out);
  ASSERT_EQ(rows.size(), 3u);
  int finished = 0;
  for (const auto& r : rows) {
    if (r.at("prompt_id") == "2") {
      EXPECT_EQ(r.at("status"), "failed");
      EXPECT_EQ(r.at("exit_code"), "1");
      EXPECT_TRUE(has(r.at("error"), "502")) << r.at("error");
    } else {
      EXPECT_EQ(r.at("status"), "finished") << r.at("error");
      EXPECT_EQ(r.at("verdict"), "passed");
      EXPECT_EQ(r.at("executable"), "true");
      ++finished;
    }
  }
  EXPECT_EQ(finished, 2);
  const std::string md = slurp(out / "summary.md");
  EXPECT_TRUE(has(md, "| 3 | 2 | 1 | 0 | 2 |")) << md;
}

TEST(BenchCommand, CtrlCStopsLaunchingStopsTheRunInFlightAndKeepsTheFinishedRow) {
  RunSandbox sandbox("bench_sigint");
  spill(sandbox.file("fast.yaml"), kFastConfig);
  testing::FakeServerProcess server(sandbox.root() / "server",
                                    {tiny_project_script(nullptr, {{"first_token_ms", 250}}), "", false});
  ASSERT_TRUE(server.ok());
  spill(sandbox.work() / "prompts.txt", "add two numbers\nadd three numbers\nadd four numbers\n");
  const fs::path out = sandbox.root() / "experiment";
  testing::BackgroundProcess bench(
      sandbox.options(bench_args(sandbox, server.base_url(), out, {"-j", "1"}), {}));
  ASSERT_TRUE(bench.started());

  // results.csv is rewritten after every run: wait for its first row, then press Ctrl-C.
  bool first_done = false;
  for (int i = 0; i < 2400 && !first_done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    first_done = fs::exists(out / "results.csv") && results_of(out).size() >= 1;
  }
  ASSERT_TRUE(first_done) << bench.err();
  bench.signal(SIGINT);
  const auto result = bench.wait(std::chrono::seconds(120));
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_TRUE(has(result.err, "stopping")) << result.err;

  const auto rows = results_of(out);
  ASSERT_GE(rows.size(), 1u);
  EXPECT_LE(rows.size(), 2u);  // the third prompt never started
  EXPECT_EQ(rows[0].at("status"), "finished");
  EXPECT_EQ(rows[0].at("prompt_id"), "1");
  if (rows.size() == 2) {
    EXPECT_EQ(rows[1].at("status"), "stopped") << rows[1].at("error");
    EXPECT_EQ(rows[1].at("exit_code"), "130");
  }
  const auto j = json::parse(slurp(out / "results.json"));
  EXPECT_EQ(j["experiment"]["stopped"], "interrupted");
  EXPECT_FALSE(j["experiment"]["ended_at"].get<std::string>().empty());
  EXPECT_TRUE(has(slurp(out / "summary.md"), "**Interrupted**"));
}

TEST(BenchCommand, TheBudgetStopsLaunchingAndTheRunsGetWhatIsLeft) {
  RunSandbox sandbox("bench_budget");
  // Priced so that even the first call's worst case is beyond the experiment's budget.
  spill(sandbox.file("fast.yaml"),
        std::string(kFastConfig) + "pricing:\n  fake-model: {prompt: 1.0, completion: 1.0}\n");
  testing::FakeServerProcess server(sandbox.root() / "server", {tiny_project_script(nullptr), "", false});
  ASSERT_TRUE(server.ok());
  spill(sandbox.work() / "prompts.txt", "add two numbers\nadd three numbers\nadd four numbers\n");
  const fs::path out = sandbox.root() / "experiment";
  auto options = sandbox.options(bench_args(sandbox, server.base_url(), out, {"--budget", "0.001"}), {});
  options.timeout = std::chrono::milliseconds(120000);
  const auto result = testing::run_process(options);
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_TRUE(has(result.err, "budget reached")) << result.err;
  const auto rows = results_of(out);
  ASSERT_EQ(rows.size(), 1u);  // the others were never launched
  EXPECT_EQ(rows[0].at("exit_code"), "3");
  EXPECT_EQ(rows[0].at("outcome"), "budget");
  const auto j = json::parse(slurp(out / "results.json"));
  EXPECT_EQ(j["experiment"]["stopped"], "budget");
  EXPECT_EQ(j["experiment"]["launched"], 1);
  EXPECT_TRUE(has(slurp(out / "logs" / (rows[0].at("run") + ".err")), "budget"))
      << "the run got the budget as its own";

  const auto none = testing::run_process(sandbox.options(
      bench_args(sandbox, server.base_url(), sandbox.root() / "zero", {"--budget", "0"}), {}));
  EXPECT_EQ(none.exit_code, 3) << none.err;
  EXPECT_TRUE(results_of(sandbox.root() / "zero").empty());
}

#endif  // AGENTCO_FAKE_SERVER

}  // namespace
}  // namespace agentco
