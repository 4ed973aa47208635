#include "tools/tool_hub.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/secrets.hpp"
#include "tools/builtin_tools.hpp"
#include "tools/tool_names.hpp"
#include "trace/trace.hpp"

namespace agentco {

using json = nlohmann::json;

namespace {

// An MCP server's tool as the model sees it ("SERVER__TOOL"), answered from the recording
// when it holds the call, else by the live server.
class McpTool : public Tool {
 public:
  McpTool(ToolHub& hub, std::string server, McpToolInfo info)
      : hub_(hub), server_(std::move(server)), info_(std::move(info)) {
    spec_.name = mcp_tool_function_name(server_, info_.name);
    spec_.description = info_.description.empty() ? info_.title : info_.description;
    if (spec_.description.empty()) spec_.description = info_.name + " (MCP server " + server_ + ")";
    spec_.parameters = info_.input_schema;
  }

  const ToolSpec& spec() const override { return spec_; }
  std::string server() const override { return server_; }

  boost::asio::awaitable<ToolResult> call(ToolContext& context, const json& arguments) override {
    if (ToolRecall* recall = hub_.recall())
      if (auto recorded = recall->result(context.role, spec_.name, arguments)) co_return *recorded;
    Result<std::shared_ptr<McpClient>> client = co_await hub_.client(server_);
    if (!client) co_return ToolResult{client.error().message, true, nullptr, {}};
    Result<McpCallOutcome> outcome = co_await (*client)->call(info_, arguments);
    if (!outcome) co_return ToolResult{outcome.error().message, true, nullptr, {}};
    co_return ToolResult{std::move(outcome->text), outcome->is_error, std::move(outcome->structured), {}};
  }

 private:
  ToolHub& hub_;
  std::string server_;
  McpToolInfo info_;
  ToolSpec spec_;
};

json tool_json(const McpToolInfo& tool) {
  json out = {{"name", tool.name}, {"description", tool.description}, {"input_schema", tool.input_schema}};
  if (!tool.title.empty()) out["title"] = tool.title;
  if (!tool.output_schema.is_null()) out["output_schema"] = tool.output_schema;
  return out;
}

std::string text_of(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

json mcp_server_record(const McpServerView& view) {
  json tools = json::array();
  for (const auto& tool : view.tools) tools.push_back(tool_json(tool));
  return {{"server", view.name},         {"transport", scrub_secrets(view.transport)},
          {"revision", view.info.revision}, {"server_name", view.info.name},
          {"server_version", view.info.version}, {"tools", std::move(tools)},
          {"skipped", view.skipped}};
}

McpServerView mcp_server_view(const std::string& name, const json& record) {
  McpServerView view;
  view.name = name;
  view.recorded = true;
  view.transport = text_of(record, "transport");
  view.info.revision = text_of(record, "revision");
  view.info.name = text_of(record, "server_name");
  view.info.version = text_of(record, "server_version");
  if (auto tools = record.find("tools"); tools != record.end() && tools->is_array()) {
    for (const json& entry : *tools) {
      if (!entry.is_object()) continue;
      McpToolInfo tool;
      tool.name = text_of(entry, "name");
      tool.title = text_of(entry, "title");
      tool.description = text_of(entry, "description");
      tool.input_schema = entry.value("input_schema", json::object());
      tool.output_schema = entry.value("output_schema", json());
      if (!tool.name.empty()) view.tools.push_back(std::move(tool));
    }
  }
  if (auto skipped = record.find("skipped"); skipped != record.end() && skipped->is_array())
    for (const json& entry : *skipped)
      if (entry.is_string()) view.skipped.push_back(entry.get<std::string>());
  return view;
}

ToolHub::ToolHub(const Config& config, std::function<std::string()> project_root, TraceWriter* trace,
                 ToolRecall* recall)
    : config_(config), project_root_(std::move(project_root)), trace_(trace), recall_(recall) {}

ToolHub::~ToolHub() = default;

boost::asio::awaitable<Result<std::shared_ptr<McpClient>>> ToolHub::client(const std::string& name) {
  if (auto it = clients_.find(name); it != clients_.end()) co_return it->second;
  if (auto it = failed_.find(name); it != failed_.end()) co_return it->second;
  auto config = config_.mcp_servers.find(name);
  if (config == config_.mcp_servers.end())
    co_return make_error("mcp", fmt::format("no MCP server '{}' in the config's mcp_servers", name));
  Result<std::shared_ptr<McpClient>> connected = co_await McpClient::connect(name, config->second, project_root_());
  if (!connected) {
    failed_.emplace(name, connected.error());
    co_return connected.error();
  }
  clients_[name] = *connected;
  co_return *connected;
}

boost::asio::awaitable<Result<McpServerView>> ToolHub::server(const std::string& name) {
  if (auto it = views_.find(name); it != views_.end()) co_return it->second;
  McpServerView view;
  std::optional<json> recorded = recall_ ? recall_->server(name) : std::nullopt;
  if (recorded) {
    view = mcp_server_view(name, *recorded);
  } else {
    Result<std::shared_ptr<McpClient>> live = co_await client(name);
    if (!live) co_return live.error();
    view.name = name;
    view.transport = (*live)->describe();
    view.info = (*live)->server();
    view.tools = (*live)->tools();
    view.skipped = (*live)->skipped();
  }
  if (trace_) trace_->append("mcp_server", mcp_server_record(view));
  views_[name] = view;
  co_return view;
}

boost::asio::awaitable<Result<ToolBox>> ToolHub::box_for(const std::string& role, const std::vector<std::string>& entries) {
  ToolBox box;
  box.result_cap = static_cast<std::size_t>(config_.tools.result_cap);
  std::set<std::string> added;
  for (const std::string& entry : entries) {
    Result<ToolRef> ref = parse_tool_ref(entry);
    if (!ref) co_return make_error("tools", fmt::format("{}: {}", role, ref.error().message));
    if (ref->server.empty()) {
      if (added.insert(ref->tool).second) box.add(make_builtin_tool(ref->tool));
      continue;
    }
    Result<McpServerView> view = co_await server(ref->server);
    if (!view) co_return view.error();
    bool found = false;
    for (const McpToolInfo& tool : view->tools) {
      if (ref->tool != "*" && tool.name != ref->tool) continue;
      found = true;
      auto made = std::make_unique<McpTool>(*this, ref->server, tool);
      if (added.insert(made->spec().name).second) box.add(std::move(made));
    }
    if (!found) {
      std::vector<std::string> names;
      for (const McpToolInfo& tool : view->tools) names.push_back(tool.name);
      co_return make_error("tools", fmt::format("{}: tool '{}': MCP server '{}' offers {}", role, entry, ref->server,
                                                names.empty() ? std::string("no tools")
                                                              : fmt::format("{}", fmt::join(names, ", "))));
    }
  }
  co_return box;
}

boost::asio::awaitable<void> ToolHub::close() {
  for (auto& [name, client] : clients_) co_await client->close();
  clients_.clear();
}

}  // namespace agentco
