// Fuzz target: a ChatDev run log, first through the pure readers of importers/chatdev_log.hpp
// (records, usage lines, software info, parameter tables, code blocks, unified diffs), then
// through the whole importer (`agentco import chatdev LOG`), which writes a project folder.
//
// An input starting with "#stamp DIGITS\n" gives the folder stamp that settles day/month.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "importers/chatdev_log.hpp"
#include "importers/importer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentco;
  namespace fs = std::filesystem;
  fuzz::quiet();
  std::string_view text = fuzz::as_text(data, size);
  std::string stamp;
  if (text.starts_with("#stamp ")) {
    auto end = text.find('\n');
    stamp = std::string(text.substr(7, end == std::string_view::npos ? std::string_view::npos : end - 7));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }

  chatdev::SplitLog split = chatdev::split_log(text, stamp);
  for (const auto& record : split.records) {
    chatdev::Usage usage = chatdev::parse_usage(record.body);
    if (usage.any) (void)chatdev::price_usd("gpt-4", usage.prompt_tokens, usage.completion_tokens);
    (void)chatdev::parse_software_info(record.body);
    (void)chatdev::parse_parameter_table(record.body);
    (void)chatdev::extract_codes(record.body);
  }
  const std::vector<std::string> lines = split_lines(text);
  const std::vector<std::string> old(lines.begin(), lines.begin() + static_cast<long>(lines.size() / 2));
  const std::vector<std::string> diff(lines.begin() + static_cast<long>(lines.size() / 2), lines.end());
  bool clean = true;
  (void)chatdev::apply_unified_diff(old, diff, clean);
  (void)chatdev::model_name(stamp);

  // The whole import, into a fresh folder each time.
  const fs::path work = fuzz::scratch_dir() / "chatdev";
  std::error_code ec;
  fs::remove_all(work, ec);
  const fs::path log = work / ("Fuzz_DefaultOrganization_" + std::string("20240102030405")) / "fuzz.log";
  fuzz::write_bytes(log, text);
  ImportRequest request{"chatdev", log, work / "out", work / "warehouse"};
  Result<ImportReport> report = import_run(request);
  if (!report && report.error().message.empty()) fuzz::fail("a refused log without a message");
  return 0;
}
