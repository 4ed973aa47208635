// Reading ChatDev run logs: the pieces the ChatDev importer is built from, each a pure
// function that tests can pin. See /work/shared/fixtures/README.md for the format notes:
// a record starts at a line "[YYYY-DD-MM HH:MM:SS LEVEL] " (ChatDev writes day before
// month) and runs to the next such line.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/text.hpp"  // split_lines

namespace agentco::chatdev {

struct LogRecord {
  std::size_t line = 0;  // 1-based line of the record's header in the log
  std::string at;        // ISO 8601 UTC ("" when the date is impossible)
  std::string level;     // INFO, WARNING, ...
  std::string body;      // text after "] " up to the next record (trailing blank lines kept)
};

struct SplitLog {
  std::vector<LogRecord> records;
  bool day_first = true;     // the log's dates read YYYY-DD-MM
  std::string order_reason;  // how the order was decided (for a warning when it was a guess)
};

// `stamp` ("YYYYMMDDhhmmss" from the folder or file name; may be empty) settles the
// day/month order when no date in the log does (a day above 12).
SplitLog split_log(std::string_view text, const std::string& stamp);

// Token usage as ChatDev's statistics count it: every line starting "prompt_tokens:",
// "completion_tokens:", "total_tokens:" (and "cost: $" when logged).
struct Usage {
  bool any = false;
  long prompt_tokens = 0;
  long completion_tokens = 0;
  long total_tokens = 0;
  double logged_cost = -1;  // the record's own "cost: $x" line, -1 when absent
};
Usage parse_usage(std::string_view body);

// ChatDev's price (USD) of a call as its statistics.py computes it, for the model named by
// the log's "ModelType.X"; -1 when the model is unknown.
double price_usd(const std::string& model, long prompt_tokens, long completion_tokens);
// "GPT_3_5_TURBO" -> "gpt-3.5-turbo" (ChatDev's mapping); unknown names are lower-cased.
std::string model_name(const std::string& model_type);

// Applies a unified diff (lines after "+++ New") to `old_lines`. `clean` is false when a
// context or removed line did not match: the file was changed without a log entry, and the
// result is then what the diff shows (old lines between hunks kept, none after the last).
std::vector<std::string> apply_unified_diff(const std::vector<std::string>& old_lines,
                                            const std::vector<std::string>& diff, bool& clean);

// The files in a reply, as ChatDev's Codes class reads them: "FILENAME\n```lang\nCODE```",
// the file name being the last word.ext before the fence ("main.py" when the code holds
// "__main__", the last class name + ".py" when no name is given), blank lines dropped.
std::vector<std::pair<std::string, std::string>> extract_codes(std::string_view reply);

// "**key**=value" figures of a [Software Info] / [Post Info] record, or the older
// "Software Info: key: value key: value ..." line. Keys as written (num_utterance(s) ...).
std::map<std::string, double> parse_software_info(std::string_view body);

// "| **key** | value |" rows of a System: **[chatting]** table.
std::map<std::string, std::string> parse_parameter_table(std::string_view body);


}  // namespace agentco::chatdev
