// HumanProvider: a person answers for some roles (--human ROLE) or reviews code
// (--review-by-human). For those calls the person sees what the role is asked and the
// model's draft (when a model is configured), then types an answer at the terminal —
// ending it with a line holding only "." — or presses Enter on an empty first line to
// accept the draft. A role's question (the ask_human tool: hints kind "ask_human") is shown
// without a draft. Other calls go to the wrapped provider unchanged.
// Terminal reads happen on a helper thread, so other roles keep working meanwhile; calls
// that arrive together are asked one after the other, never interleaved.
#pragma once
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "llm/provider.hpp"

namespace agentco {

class HumanProvider : public Provider {
 public:
  // `input`/`output`: the terminal (stdin/stderr) unless a test passes others.
  HumanProvider(std::shared_ptr<Provider> model, std::set<std::string> roles, bool review_by_human,
                std::FILE* input = stdin, std::FILE* output = stderr);

  std::string name() const override { return model_->name() + "+human"; }
  boost::asio::awaitable<Result<ChatResult>> chat(const ChatRequest& request) override;
  void cancel_calls() override { model_->cancel_calls(); }

  // True when this request is answered by the person.
  bool is_human_call(const ChatRequest& request) const;

 private:
  std::shared_ptr<Provider> model_;
  std::set<std::string> roles_;  // role names or profiles
  bool review_by_human_;
  std::FILE* input_;
  std::FILE* output_;
  // One question at a time on the terminal; shared with reading threads that may outlive us.
  std::shared_ptr<std::mutex> terminal_ = std::make_shared<std::mutex>();
};

}  // namespace agentco
