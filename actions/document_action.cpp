#include "actions/document_action.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "actions/ask.hpp"
#include "actions/markdown.hpp"
#include "actions/mermaid.hpp"
#include "actions/prompt.hpp"
#include "actions/run_context.hpp"

namespace agentco {
namespace {

const TemplateSlot kWriteSlot{"prompt", "", "the document, written", {Input::kIdea, Input::kFormat}, true};
const TemplateSlot kRefineSlot{
    "refine_prompt", "", "the document, refined for a new requirement", {Input::kIdea, Input::kFormat}, true};

std::vector<std::string> string_param(const nlohmann::json& params, const char* key) {
  std::vector<std::string> out;
  if (params.contains(key) && params[key].is_array()) {
    for (const auto& item : params[key]) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

class DocumentAction : public Action {
 public:
  explicit DocumentAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    const std::string document = spec_.writes.empty() ? spec_.name : spec_.writes;
    const std::string title = spec_.params.value("title", document);

    // Incremental development: the document exists already, so it is refined, not written anew.
    const bool refine = ctx.run.documents.count(document) && spec_.templates.count("refine_prompt");
    PromptValues values(refine ? kRefineSlot : kWriteSlot);
    values.set(Input::kIdea, ctx.run.idea);
    values.set(Input::kFormat, format_instructions(spec_.schema));
    Result<ChatRequest> request =
        build_request(ctx, values, {{"kind", "document"}, {"document", document}, {"refine", refine}});
    if (!request) co_return request.error();
    Result<StructuredReply> reply = co_await ask_structured(ctx, std::move(*request), spec_.schema);
    if (!reply) co_return reply.error();
    const nlohmann::json& value = reply->value;

    DocumentLayout layout;
    for (const auto& field : spec_.schema.fields) layout.fields.push_back(field.name);
    layout.brief = string_param(spec_.params, "brief");
    ctx.run.document_layouts[document] = std::move(layout);
    ctx.run.documents[document] = value;
    const std::string author = ctx.role.name + " (" + ctx.role.profile + ")";
    std::vector<std::string> paths;
    std::set<std::string> mermaid_fields;
    auto write = [&](const std::string& path, const std::string& content) {
      if (auto written = ctx.run.write_file(ctx.role.name, path, content)) paths.push_back(written->path);
    };
    write("docs/" + document + ".json", value.dump(2) + "\n");
    if (spec_.params.contains("mermaid")) {
      for (const auto& [field, stem] : spec_.params["mermaid"].items()) {
        mermaid_fields.insert(field);
        if (value.contains(field) && value[field].is_string() && !value[field].get<std::string>().empty()) {
          std::string diagram = value[field].get<std::string>();
          if (!diagram.ends_with('\n')) diagram += '\n';
          write("resources/" + stem.get<std::string>() + ".mmd", diagram);
        }
      }
    }
    write("docs/" + document + ".md", document_markdown(title, value, spec_.schema, mermaid_fields));
    std::vector<std::string> diagrams;
    for (const auto& p : paths) {
      if (p.ends_with(".mmd")) diagrams.push_back(p);
    }
    std::vector<std::string> svgs = co_await render_mermaid(ctx.run, ctx.role.name, diagrams);
    paths.insert(paths.end(), svgs.begin(), svgs.end());
    (void)ctx.run.commit(author, fmt::format("{}: docs/{}.json", spec_.name, document), paths);

    if (value.contains("Project Name") && value["Project Name"].is_string() && ctx.run.on_project_name) {
      ctx.run.on_project_name(value["Project Name"].get<std::string>());
    }
    ActionOutput out;
    out.content = fmt::format("{} written: {}", title, fmt::join(paths, ", "));
    out.payload = {{"document", document}, {"value", value}};
    co_return out;
  }

 private:
  ActionSpec spec_;
};

}  // namespace

ActionType document_action_type() {
  return {{.name = "document",
           .summary = "asks for a structured document and writes docs/<document>.json/.md",
           .needs_prompt = true,
           .needs_schema = true,
           .param_keys = {"document", "title", "mermaid", "refine_prompt", "brief"},
           .writes_document = true,
           .slots = {kWriteSlot, kRefineSlot}},
          [](const ActionSpec& spec) { return std::make_unique<DocumentAction>(spec); }};
}

}  // namespace agentco
