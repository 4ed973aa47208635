// The quality of a project as ChatDev's SRDD evaluation measures software, so that agentco's
// runs, imported ChatDev and MetaGPT runs and other tools' projects sit in one table:
//   completeness   1 when no source file holds a placeholder (a TODO or FIXME, a
//                  NotImplementedError, a function whose body is only `pass` or `...`), else 0;
//   executability  1 when the program's entry point (main.py, app.py, run.py, main.js, ...)
//                  starts in the sandbox and exits 0, or is still running without an error
//                  at the deadline (a game, a program waiting for input), else 0;
//   consistency    how close the code is to the requirement, in [0, 1]: the cosine of the two
//                  texts' embeddings when an embedder is given, else the cosine of their word
//                  counts (labelled "lexical" wherever it is shown: the two scales differ);
//   quality        the product of the three.
// Tests (test_*.py, *_test.*, tests/) are not the program: they are left out of completeness
// and consistency.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace agentco {

// Turns texts into vectors (one per text); an error when the server cannot.
using Embedder = std::function<Result<std::vector<std::vector<double>>>(const std::vector<std::string>& texts)>;

struct QualityOptions {
  std::chrono::milliseconds deadline{5000};  // the entry point's run
  bool sandbox = true;                       // false only in tests of the measure itself
  Embedder embed;                            // empty: lexical consistency
  std::string embed_label;                   // e.g. "embeddings text-embedding-3-small"
};

struct Quality {
  long code_files = 0;                    // source files read (tests excluded)
  double completeness = 0;
  std::vector<std::string> placeholders;  // "stats.py:12: TODO" (the first 20)
  double executability = 0;
  std::string entry;                      // the file run, "" when none was found
  std::string execution;                  // what the run did: "exited 0", "still running at the 5 s deadline", ...
  double consistency = 0;
  std::string consistency_method;         // "lexical" or the embedder's label
  std::string consistency_note;           // why embeddings were not used, when they were asked for
  double quality = 0;
};

// Measures the project in `folder` against `requirement` (the run's idea).
Result<Quality> measure_quality(const std::filesystem::path& folder, const std::string& requirement,
                                const QualityOptions& options);

// The placeholders in one source file's text ("LINE: what"), for completeness.
std::vector<std::string> find_placeholders(const std::string& path, const std::string& text);

// The cosine of the word counts of two texts (identifiers split at '_' and camelCase, words
// of three letters or more, common English and keywords left out), in [0, 1].
double lexical_similarity(const std::string& a, const std::string& b);

nlohmann::json to_json(const Quality& quality);

}  // namespace agentco
