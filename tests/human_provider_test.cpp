// The human provider in process: what happens to a question nobody has answered yet when the
// run is torn down (Ctrl-C): nothing may terminate the program; answers typed; a role's own
// question (the ask_human tool).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string_view>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "llm/human_provider.hpp"

namespace agentco {
namespace {

namespace asio = boost::asio;

class DraftModel : public Provider {
 public:
  std::string name() const override { return "draft"; }
  asio::awaitable<Result<ChatResult>> chat(const ChatRequest&) override {
    ++calls;
    ChatResult result;
    result.text = "the model's draft";
    co_return result;
  }
  int calls = 0;
};

ChatRequest engineer_request() {
  ChatRequest request;
  request.messages.push_back({"user", "write main.py"});
  request.hints = {{"role", "Engineer"}, {"profile", "Engineer"}, {"action", "WriteCode"}};
  return request;
}

// A provider reading its person's answers from a pipe the test writes to.
class HumanProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe(fds_), 0);
    in_ = ::fdopen(fds_[0], "r");
    out_ = std::fopen("/dev/null", "w");
    ASSERT_TRUE(in_ && out_);
    provider_ = std::make_shared<HumanProvider>(model_, std::set<std::string>{"Engineer"}, false, in_, out_);
  }
  void TearDown() override {
    ::close(fds_[1]);
    // Both stay open when a detached reading thread may still hold them (the torn-down
    // case): it wrote the question to `out_`, and nothing orders its end before this (the
    // run never closes its terminal; ThreadSanitizer saw fclose free what it had used).
    if (!close_files_) return;
    std::fclose(in_);
    std::fclose(out_);
  }
  void type(std::string_view text) {
    ASSERT_EQ(::write(fds_[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  // Asks `request` (the Engineer's) and runs until it is answered; the answer's text.
  std::string answer(const ChatRequest& request = engineer_request()) {
    std::string text;
    asio::io_context io;
    auto ask = [&]() -> asio::awaitable<void> {  // named: the closure outlives the coroutine
      auto result = co_await provider_->chat(request);
      if (result) text = result->text;
    };
    asio::co_spawn(io, ask(), asio::detached);
    io.run();
    return text;
  }

  int fds_[2] = {-1, -1};
  std::FILE* in_ = nullptr;
  std::FILE* out_ = nullptr;
  bool close_files_ = true;
  std::shared_ptr<DraftModel> model_ = std::make_shared<DraftModel>();
  std::shared_ptr<HumanProvider> provider_;
};

TEST_F(HumanProviderTest, AQuestionLeftUnansweredWhenTheRunIsTornDownEndsNothing) {
  close_files_ = false;
  bool answered = false;
  {
    asio::io_context io;
    auto ask = [&]() -> asio::awaitable<void> {
      auto result = co_await provider_->chat(engineer_request());
      answered = true;
    };
    asio::co_spawn(io, ask(), asio::detached);
    io.run_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(answered) << "nobody has typed anything yet";
  }  // the io_context and the waiting coroutine go; the reading thread stays blocked
  provider_.reset();  // and so does the provider
  EXPECT_FALSE(answered);
  // The person answers late: the reading thread takes the line and ends on its own.
  type("too late\n.\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

TEST_F(HumanProviderTest, AnAnswerTypedWhileTheRunWaitsIsTaken) {
  std::thread typist([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    type("print('hi')\n.\n");
  });
  const std::string text = answer();
  typist.join();
  EXPECT_EQ(text, "print('hi')\n");
}

TEST_F(HumanProviderTest, AnAnswerWithBytesThatAreNotUtf8IsTakenWithThemReplaced) {
  type("caf\xE9 au lait\n.\n");  // Latin-1
  EXPECT_EQ(answer(), "caf\xEF\xBF\xBD au lait\n");
}

// The ask_human tool's question: any role may ask it, and the model is not asked for a draft
// (Enter alone is "no answer", never a model's guess).
TEST_F(HumanProviderTest, ARolesQuestionIsAskedWithoutADraft) {
  ChatRequest question;
  question.messages.push_back({"user", "Which GUI toolkit do you want?"});
  question.hints = {{"role", "Sam"}, {"profile", "Developer"}, {"action", "Develop"}, {"kind", "ask_human"}};
  EXPECT_TRUE(provider_->is_human_call(question));
  type("Tk\n.\n");
  EXPECT_EQ(answer(question), "Tk\n");
  type("\n");
  EXPECT_EQ(answer(question), "");
  EXPECT_EQ(model_->calls, 0);
}

}  // namespace
}  // namespace agentco
