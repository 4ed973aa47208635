#include "actions/document_action.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "actions/ask.hpp"
#include "actions/markdown.hpp"
#include "actions/mermaid.hpp"
#include "environment/run_context.hpp"

namespace agentco {
namespace {

class DocumentAction : public Action {
 public:
  explicit DocumentAction(const ActionSpec& spec) : spec_(spec) {}

  boost::asio::awaitable<Result<ActionOutput>> run(ActionContext& ctx) override {
    const std::string document = spec_.params.value("document", spec_.name);
    const std::string title = spec_.params.value("title", document);

    TemplateVars vars;
    add_document_vars(ctx, vars);
    vars.emplace_back("format", format_instructions(spec_.schema));
    // Incremental development: the document exists already, so it is refined, not written anew.
    std::string template_name;
    if (ctx.run.documents.count(document) && spec_.params.contains("refine_prompt")) {
      template_name = spec_.params["refine_prompt"].get<std::string>();
    }
    auto prompt = render_action_prompt(ctx, vars, template_name);
    if (!prompt) co_return prompt.error();

    ChatRequest request = make_request(ctx, std::move(*prompt),
                                       {{"kind", "document"}, {"document", document}, {"refine", !template_name.empty()}});
    Result<StructuredReply> reply = co_await ask_structured(ctx, std::move(request), spec_.schema);
    if (!reply) co_return reply.error();
    const nlohmann::json& value = reply->value;

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

void add_document_vars(const ActionContext& ctx, TemplateVars& vars) {
  vars.emplace_back("idea", ctx.run.idea);
  for (const auto& [name, value] : ctx.run.documents) {
    vars.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump(2));
  }
}

std::unique_ptr<Action> make_document_action(const ActionSpec& spec) {
  return std::make_unique<DocumentAction>(spec);
}

}  // namespace agentco
