// execute_run: folder + trace + ledger + gateway + journal -> team -> summary.
#include "app/run_pipeline.hpp"

#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/secrets.hpp"
#include "core/resources.hpp"
#include "core/text.hpp"
#include "environment/message_bus.hpp"
#include "environment/project_summary.hpp"
#include "actions/run_context.hpp"
#include "environment/workspace.hpp"
#include "llm/gateway.hpp"
#include "llm/ledger.hpp"
#include "trace/trace.hpp"

namespace agentco {
namespace fs = std::filesystem;

namespace {

// warehouse/<base>_<stamp>, with -2, -3 ... when that exists already.
// A folder that cannot be looked at (no permission, a name too long) is returned as it is:
// creating it then fails with a message that names it.
fs::path fresh_folder(const fs::path& warehouse, const std::string& base, const std::string& stamp) {
  fs::path candidate = warehouse / (base + "_" + stamp);
  std::error_code ec;
  for (int i = 2; fs::exists(candidate, ec) && !ec; ++i) candidate = warehouse / fmt::format("{}_{}-{}", base, stamp, i);
  return candidate;
}

RunReport not_started(const std::string& message) {
  spdlog::error("{}", message);
  RunReport report;
  report.exit_code = 2;
  return report;
}

// Installs a process journal for the length of the run.
struct JournalScope {
  explicit JournalScope(ProcessJournal* journal) { set_process_journal(journal); }
  ~JournalScope() { set_process_journal(nullptr); }
};

// A folder without git (e.g. from MetaGPT) is imported first; the documents it holds are
// the starting point of the refinement.
void adopt_existing_project(RunContext& run, Workspace& ws, const ExistingProject& existing) {
  if (ws.log().empty()) {
    ProjectSummary before = summarize_project(ws.root());
    (void)run.commit("agentco", "Import the existing project (" + existing.layout + ")", before.files);
  }
  for (const auto& [name, doc] : {std::pair<const char*, const nlohmann::json*>{"prd", &existing.prd},
                                  {"system_design", &existing.system_design},
                                  {"tasks", &existing.tasks}}) {
    if (doc->is_object()) run.documents[name] = *doc;
  }
  run.project.sources = existing.code;
  run.project.source_root = existing.source_root;
  spdlog::info("developing the {} project in {} further ({} source files)", existing.layout, ws.root().string(),
               existing.code.size());
}

}  // namespace

nlohmann::json used_prompts(const Sop& sop, const PromptLibrary& prompts) {
  nlohmann::json out = nlohmann::json::object();
  // Every template the SOP's actions use, their types' defaults included, so that a replay
  // renders the very same prompts.
  for (const auto& [name, action] : sop.actions) {
    for (const auto& [slot, template_name] : action.templates) {
      out[template_name] = {{"origin", prompts.origin(template_name)},
                            {"text", prompts.find(template_name).value_or("")}};
    }
  }
  return out;
}

std::string sop_text(const Config& config) {
  std::string text;
  if (fs::exists(config.run.sop) && read_file(config.run.sop, text)) return text;
  return embedded_resource("sop/" + config.run.sop + ".yaml").value_or("");
}

RunReport execute_run(RunPlan& plan) {
  const Config& config = plan.config;
  if (plan.started_at.empty()) plan.started_at = iso_timestamp_now();
  if (plan.stamp.empty()) plan.stamp = folder_timestamp_now();
  const fs::path warehouse = fs::absolute(config.run.warehouse);
  if (plan.folder.empty()) {
    plan.folder = fresh_folder(warehouse, slugify(plan.name.empty() ? plan.idea : plan.name), plan.stamp);
  }
  auto workspace = Workspace::open(plan.folder);
  if (!workspace) return not_started(workspace.error().message);  // names the folder and why
  Workspace& ws = **workspace;
  auto trace_writer = TraceWriter::open(ws.root() / "run.jsonl");
  if (!trace_writer) return not_started("cannot write the trace: " + trace_writer.error().message);
  TraceWriter& trace = **trace_writer;

  nlohmann::json start = {{"schema_version", kTraceSchemaVersion},
                          {"agentco_version", AGENTCO_VERSION},
                          {"idea", plan.idea},
                          {"name", plan.name},
                          {"started_at", plan.started_at},
                          {"folder_stamp", plan.stamp},
                          {"config", config.to_json(true)},
                          {"provider", plan.provider->name()},
                          {"sop", {{"name", plan.sop.name}, {"source", plan.sop.source}, {"text", plan.sop_text}}},
                          {"prompts", used_prompts(plan.sop, plan.prompts)},
                          {"incremental", plan.existing ? nlohmann::json{{"layout", plan.existing->layout},
                                                                         {"source_root", plan.existing->source_root},
                                                                         {"files", plan.existing->code.size()}}
                                                        : nlohmann::json(nullptr)}};
  if (!plan.context_windows.empty()) start["context_windows"] = plan.context_windows;
  if (plan.ask_human) start["ask_human"] = true;
  for (const auto& [key, value] : plan.run_start_extra.items()) start[key] = value;
  try {
    trace.append("run_start", std::move(start));
  } catch (const TraceWriteError& e) {
    return not_started(std::string("cannot start the run: ") + e.what());
  }
  spdlog::info("project folder: {}", ws.root().string());

  auto project_root = [&ws] { return ws.root().string(); };
  std::unique_ptr<ProcessJournal> journal =
      plan.journal ? plan.journal(trace, project_root) : std::make_unique<TraceProcessJournal>(trace, project_root);
  JournalScope journal_scope(journal.get());

  CostLedger ledger(config.pricing, config.run.investment);
  LlmGateway gateway(plan.provider, ledger, &trace);
  MessageBus bus;
  boost::asio::io_context io;
  RunContext run(io.get_executor(), config, plan.idea, bus, ws, trace, gateway, plan.prompts);
  gateway.watch_stop(&run.stop);
  std::unique_ptr<ToolRecall> tool_recall = plan.tool_recall ? plan.tool_recall() : nullptr;
  ToolHub tools(config, project_root, &trace, tool_recall.get());
  run.tools = &tools;
  run.sop = &plan.sop;
  run.ask_human = plan.ask_human;
  run.context_windows.probed = plan.context_windows;
  if (plan.existing) adopt_existing_project(run, ws, *plan.existing);

  std::vector<std::string> first;
  if (plan.existing && ws.exists(".gitignore")) {
    // keep the project's own .gitignore
  } else if (auto w = run.write_file("User", ".gitignore", "run.jsonl\nmeta.json\n__pycache__/\n*.pyc\nbuild/\nnode_modules/\n")) {
    first.push_back(w->path);
  }
  if (auto w = run.write_file("User", "docs/requirement.txt", plan.idea + "\n")) first.push_back(w->path);
  (void)run.commit("User", "UserRequirement: docs/requirement.txt", first);

  bool renamed = !plan.allow_rename || !plan.name.empty() || plan.existing.has_value();
  run.on_project_name = [&](const std::string& project_name) {
    if (renamed) return;
    renamed = true;
    // Already so named (an idea that slugs to the project's name, a resumed run): keep it.
    // fresh_folder would pass over the folder itself as taken and pick "-2".
    const std::string base = slugify(project_name);
    if (ws.root().filename() == base + "_" + plan.stamp) return;
    fs::path target = fresh_folder(warehouse, base, plan.stamp);
    fs::path from = ws.root();
    if (auto status = ws.rename_root(target); !status) {
      run.warn("Team", "could not rename the project folder: " + status.error().message);
      return;
    }
    trace.renamed_to(target / "run.jsonl");
    trace.append("project_renamed", {{"from", from.filename().string()}, {"to", target.filename().string()}});
    spdlog::info("project folder renamed to {}", target.string());
  };

  RunReport report;
  report.started = true;
  report.outcome = run_team(io, run, plan.sop, *plan.registry, plan.started_at, plan.spread);
  // The team closes the MCP servers when it ends; this catches a run that ended otherwise.
  io.restart();
  boost::asio::co_spawn(io, tools.close(), boost::asio::detached);
  io.run();
  report.exit_code = report.outcome.exit_code;
  report.folder = ws.root();

  const auto& total = ledger.total();
  std::string figures = fmt::format("{} turns, {} model calls, {} tokens{}, ${:.4f}; {} commits, {} lines of code",
                                    run.turns(), total.calls, total.prompt_tokens + total.completion_tokens,
                                    total.estimated ? " (estimated)" : "", total.cost,
                                    report.outcome.meta.value("commits", 0),
                                    report.outcome.meta.value("lines_of_code", 0L));
  std::string headline;
  const RunOutcome& outcome = report.outcome;
  if (outcome.reason == "idle") headline = "run finished: " + outcome.detail;
  else if (outcome.reason == "failed") headline = "run failed: " + outcome.detail;
  else headline = "run stopped (" + outcome.reason + "): " + outcome.detail;
  std::fprintf(stderr, "%s\n%s\nfinished work is kept in the folder below\n", scrub_secrets(headline).c_str(),
               figures.c_str());
  if (!trace.failure().empty()) {
    std::fprintf(stderr,
                 "the trace holds every record up to seq %llu, whole: free some space, then continue with\n"
                 "  agentco resume %s\n",
                 static_cast<unsigned long long>(trace.last_seq()), ws.root().c_str());
  }
  if (plan.after_run) plan.after_run();
  return report;
}

}  // namespace agentco
