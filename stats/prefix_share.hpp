// PrefixShare: how much of a run's prompt text repeats the start of a request sent earlier in
// the same run, i.e. what a server's prompt cache could serve at best. For each model request
// in trace order, the longest common prefix of its serialized messages with those of any
// earlier request counts as prefix; the share is the sum of those prefixes over the sum of
// the whole prompts. Both are in estimated tokens (4 bytes a token, as the trace's estimates;
// a prefix counts whole tokens only), so the share does not depend on a tokenizer.
//
// A request is serialized as its messages in order, each as "<role>\n<content>\n\n", much
// as a chat template renders them for the model: a system prompt and the documents that open
// every prompt of a role form the shared prefix.
//
// Each add() costs O(log n) comparisons of at most the request's length; the counter keeps
// every serialized request. Not thread-safe; use one counter per run.
#pragma once
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace agentco {

// The messages of a request (a JSON list of {role, content}) as the counter compares them.
// Entries that are not objects, and members that are not strings, count as empty.
std::string serialize_messages(const nlohmann::json& messages);

// Tokens of `bytes` bytes of prompt at the trace's estimate (4 bytes a token, rounded up).
long estimated_prompt_tokens(std::size_t bytes);

class PrefixShareCounter {
 public:
  struct Figures {
    long prompt_tokens = 0;  // the whole request, estimated
    long prefix_tokens = 0;  // the part that an earlier request began with, estimated
  };

  // The next request of the run (in trace order): its figures against every earlier one.
  Figures add(const nlohmann::json& messages);

 private:
  std::set<std::string, std::less<>> seen_;  // sorted: the longest common prefix is with a neighbour
};

// prefix / prompt, or 0 when there is no prompt.
double prefix_share(long prefix_tokens, long prompt_tokens);

}  // namespace agentco
