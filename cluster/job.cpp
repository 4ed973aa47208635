#include "cluster/job.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <random>

namespace agentco {
namespace {

using json = nlohmann::json;

std::optional<CarriedFile> carried_from(const json& j) {
  if (!j.is_object()) return std::nullopt;
  return CarriedFile{j.value("name", ""), j.value("text", "")};
}

json carried_to(const std::optional<CarriedFile>& file) {
  if (!file) return nullptr;
  return {{"name", file->name}, {"text", file->text}};
}

// A carried file's name must stay a plain name in the worker's folder.
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

void drop_secret_keys(YAML::Node node) {
  if (!node.IsMap()) {
    if (node.IsSequence())
      for (auto item : node) drop_secret_keys(item);
    return;
  }
  std::vector<std::string> drop;
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (key == "api_key" || key == "proxy") drop.push_back(key);
  }
  for (const auto& key : drop) node.remove(key);
  for (auto entry : node) drop_secret_keys(entry.second);
}

}  // namespace

std::string jobs_subject(const std::string& experiment) { return "agentco.jobs." + experiment; }
std::string start_subject(const std::string& experiment, int index) {
  return fmt::format("agentco.runs.{}.start.{}", experiment, index);
}
std::string trace_subject(const std::string& experiment, int index, std::uint64_t attempt) {
  return fmt::format("agentco.runs.{}.trace.{}.{}", experiment, index, attempt);
}
std::string done_subject(const std::string& experiment, int index) {
  return fmt::format("agentco.runs.{}.done.{}", experiment, index);
}
std::string control_subject(const std::string& experiment) { return "agentco.control." + experiment; }
std::string runs_filter(const std::string& experiment) { return "agentco.runs." + experiment + ".>"; }
std::string runs_stream(const std::string& experiment) { return "AGENTCO_RUN_" + experiment; }

std::optional<std::uint64_t> chunk_offset(const std::string& header) {
  if (header.empty() || header.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(header);
  } catch (const std::exception&) {  // out of range
    return std::nullopt;
  }
}

std::string to_wire(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string new_experiment_id() {
  std::random_device device;
  std::mt19937_64 generator((static_cast<std::uint64_t>(device()) << 32) ^ device());
  return fmt::format("{:016x}", generator());
}

std::optional<RunSubject> parse_run_subject(const std::string& experiment, std::string_view subject) {
  const std::string prefix = "agentco.runs." + experiment + ".";
  if (!subject.starts_with(prefix)) return std::nullopt;
  std::vector<std::string> parts;
  std::string rest(subject.substr(prefix.size()));
  for (std::size_t start = 0;;) {
    const auto dot = rest.find('.', start);
    parts.push_back(rest.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  RunSubject out;
  try {
    if (parts.size() == 2 && (parts[0] == "start" || parts[0] == "done")) {
      out.kind = parts[0];
      out.index = std::stoi(parts[1]);
    } else if (parts.size() == 3 && parts[0] == "trace") {
      out.kind = parts[0];
      out.index = std::stoi(parts[1]);
      out.attempt = std::stoull(parts[2]);
    } else {
      return std::nullopt;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (out.index < 0) return std::nullopt;
  return out;
}

json ClusterJob::to_json() const {
  return {{"experiment", experiment},
          {"index", index},
          {"run_name", run_name},
          {"idea", idea},
          {"sop", sop},
          {"sop_file", carried_to(sop_file)},
          {"config_file", carried_to(config_file)},
          {"flags", flags},
          {"investment_usd", investment_usd},
          {"run_timeout_s", run_timeout_s},
          {"partitions", partitions}};
}

Result<ClusterJob> ClusterJob::from_json(std::string_view text) {
  try {
    const json j = json::parse(text);
    ClusterJob job;
    job.experiment = j.at("experiment").get<std::string>();
    job.index = j.at("index").get<int>();
    job.run_name = j.at("run_name").get<std::string>();
    job.idea = j.at("idea").get<std::string>();
    job.sop = j.value("sop", "");
    job.sop_file = carried_from(j.value("sop_file", json()));
    job.config_file = carried_from(j.value("config_file", json()));
    job.flags = j.value("flags", std::vector<std::string>{});
    job.investment_usd = j.value("investment_usd", -1.0);
    job.run_timeout_s = j.value("run_timeout_s", 0.0);
    job.partitions = j.value("partitions", 0);
    if (job.experiment.empty() || job.index < 0 || job.run_name.empty())
      return make_error("job", "a job without its experiment, index or run name");
    for (const auto* file : {&job.sop_file, &job.config_file})
      if (*file && !plain_name((*file)->name))
        return make_error("job", "a job's file name is not a plain name");
    for (const auto& flag : job.flags)
      if (flag == "--warehouse" || flag == "--name" || flag == "--project-path" || flag == "--partition" ||
          flag == "--nats" || flag == "--nats-config")
        return make_error("job", "a job may not choose " + flag);
    return job;
  } catch (const std::exception& e) {
    return make_error("job", std::string("a malformed job: ") + e.what());
  }
}

json ClusterDone::to_json() const {
  return {
      {"index", index},   {"attempt", attempt},     {"worker", worker},           {"exit_code", exit_code},
      {"wall_s", wall_s}, {"timed_out", timed_out}, {"trace_bytes", trace_bytes}, {"folder", folder},
      {"meta", meta},     {"error", error}};
}

Result<ClusterDone> ClusterDone::from_json(std::string_view text) {
  try {
    const json j = json::parse(text);
    ClusterDone done;
    done.index = j.at("index").get<int>();
    done.attempt = j.at("attempt").get<std::uint64_t>();
    done.worker = j.value("worker", "");
    done.exit_code = j.at("exit_code").get<int>();
    done.wall_s = j.value("wall_s", 0.0);
    done.timed_out = j.value("timed_out", false);
    done.trace_bytes = j.value("trace_bytes", std::uint64_t{0});
    done.folder = j.value("folder", "");
    done.meta = j.value("meta", json());
    done.error = j.value("error", "");
    if (!done.folder.empty() && !plain_name(done.folder))
      return make_error("job", "a result names a folder that is not a plain name: " + done.folder);
    return done;
  } catch (const std::exception& e) {
    return make_error("job", std::string("a malformed result: ") + e.what());
  }
}

Result<std::string> secretless_config(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return make_error("config", fmt::format("{}:{}: {}", source, e.mark.line + 1, e.msg));
  }
  if (!root || root.IsNull()) return std::string();
  if (!root.IsMap()) return text;  // the run's own loader will say what is wrong with it
  root.remove("nats");
  drop_secret_keys(root);
  if (auto servers = root["mcp_servers"]; servers && servers.IsMap())
    for (auto server : servers)
      if (server.second.IsMap()) {
        server.second.remove("env");
        server.second.remove("headers");
      }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace agentco
