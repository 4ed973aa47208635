// The QualityOptions (stats/quality.hpp) of a command from its config: the program's
// deadline, and embeddings for consistency when llm.embedding_model names a model of the
// configured server (else lexical).
#pragma once
#include "config/config.hpp"
#include "stats/quality.hpp"

namespace agentco {

QualityOptions quality_options(const Config& config, double deadline_s);

}  // namespace agentco
