#include "core/dag_scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentco {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using Deps = std::vector<std::vector<std::size_t>>;
using Task = std::function<asio::awaitable<void>(std::size_t)>;

// What the tasks of one run did, in the order they did it.
struct Journal {
  std::vector<std::string> events;  // "start 3", "finish 3"
  int running = 0;
  int max_running = 0;
  std::vector<std::size_t> started;

  std::size_t position(const std::string& event) const {
    auto it = std::find(events.begin(), events.end(), event);
    return it == events.end() ? events.size() : static_cast<std::size_t>(it - events.begin());
  }
};

asio::awaitable<void> sleep_for(milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<void> journaled_task(Journal& journal, std::size_t index, milliseconds delay) {
  journal.events.push_back("start " + std::to_string(index));
  journal.started.push_back(index);
  journal.max_running = std::max(journal.max_running, ++journal.running);
  if (delay.count() > 0) {
    co_await sleep_for(delay);
  } else {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  }
  --journal.running;
  journal.events.push_back("finish " + std::to_string(index));
}

asio::awaitable<void> failing_task(Journal& journal, std::size_t index) {
  journal.events.push_back("start " + std::to_string(index));
  journal.started.push_back(index);
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  journal.events.push_back("throw " + std::to_string(index));
  throw std::runtime_error("task " + std::to_string(index) + " broke");
}

struct DagResult {
  std::vector<std::size_t> not_run;
  std::exception_ptr error;
  bool completed = false;
};

DagResult run(const Deps& deps, std::size_t limit, Task task) {
  asio::io_context io;
  DagResult result;
  asio::co_spawn(io, run_dag(io.get_executor(), deps, limit, std::move(task)),
                 [&](std::exception_ptr e, std::vector<std::size_t> not_run) {
                   result.completed = true;
                   result.error = e;
                   result.not_run = std::move(not_run);
                 });
  io.run();
  return result;
}

Task journaled(Journal& journal, milliseconds delay = milliseconds(0)) {
  return [&journal, delay](std::size_t i) { return journaled_task(journal, i, delay); };
}

TEST(DagSchedulerTest, AnEmptyGraphCompletesWithNothingToRun) {
  Journal journal;
  DagResult result = run({}, 0, journaled(journal));
  EXPECT_TRUE(result.completed);
  EXPECT_FALSE(result.error);
  EXPECT_TRUE(result.not_run.empty());
  EXPECT_TRUE(journal.events.empty());
}

TEST(DagSchedulerTest, IndependentTasksOverlapSoTheRunTakesAboutOneDelayNotTheSum) {
  constexpr milliseconds kDelay(50);
  Journal journal;
  auto begin = std::chrono::steady_clock::now();
  DagResult result = run(Deps(4), 0, journaled(journal, kDelay));
  auto elapsed = std::chrono::steady_clock::now() - begin;

  EXPECT_FALSE(result.error);
  EXPECT_TRUE(result.not_run.empty());
  EXPECT_EQ(journal.max_running, 4);
  EXPECT_GE(elapsed, kDelay);
  // The sum would be 4 delays; generous bound: this checks overlap, not speed.
  EXPECT_LT(elapsed, 3 * kDelay) << std::chrono::duration_cast<milliseconds>(elapsed).count() << " ms";
}

TEST(DagSchedulerTest, ATaskStartsOnlyAfterEveryDependencyHasFinished) {
  // A diamond with a tail: 0 -> {1, 2} -> 3 -> 4, and 5 waits for 0 and 4.
  Deps deps{{}, {0}, {0}, {1, 2}, {3}, {4, 0}};
  Journal journal;
  std::vector<milliseconds> delays{milliseconds(5), milliseconds(20), milliseconds(1),
                                   milliseconds(1), milliseconds(0), milliseconds(0)};
  Task task = [&journal, &delays](std::size_t i) { return journaled_task(journal, i, delays[i]); };
  DagResult result = run(deps, 0, task);

  ASSERT_FALSE(result.error);
  EXPECT_TRUE(result.not_run.empty());
  ASSERT_EQ(journal.events.size(), 12u);
  for (std::size_t i = 0; i < deps.size(); ++i) {
    for (std::size_t d : deps[i]) {
      EXPECT_LT(journal.position("finish " + std::to_string(d)), journal.position("start " + std::to_string(i)))
          << "task " << i << " started before its dependency " << d << " finished";
    }
  }
  // 1 and 2 both only wait for 0, so they run at the same time.
  EXPECT_LT(journal.position("start 2"), journal.position("finish 1"));
}

TEST(DagSchedulerTest, TheLimitBoundsHowManyTasksRunAtOnce) {
  Journal journal;
  DagResult result = run(Deps(6), 2, journaled(journal, milliseconds(2)));

  EXPECT_FALSE(result.error);
  EXPECT_TRUE(result.not_run.empty());
  EXPECT_EQ(journal.started.size(), 6u);
  EXPECT_EQ(journal.max_running, 2);
}

TEST(DagSchedulerTest, ALimitOfOneRunsReadyTasksOneAtATimeInIndexOrder) {
  Journal journal;
  DagResult result = run(Deps{{}, {}, {}, {}, {}}, 1, journaled(journal));

  EXPECT_FALSE(result.error);
  EXPECT_EQ(journal.max_running, 1);
  EXPECT_EQ(journal.started, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
}

TEST(DagSchedulerTest, NoLimitStartsEveryReadyTaskAtOnce) {
  Journal journal;
  DagResult result = run(Deps(8), 0, journaled(journal));

  EXPECT_FALSE(result.error);
  EXPECT_EQ(journal.max_running, 8);
  EXPECT_EQ(journal.started, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(DagSchedulerTest, TasksInACycleAndTheirDependentsAreReportedAsNotRun) {
  // 0 <-> 1 form a cycle; 2 waits for the cycle; 3 is free.
  Journal journal;
  DagResult result = run(Deps{{1}, {0}, {1}, {}}, 0, journaled(journal));

  ASSERT_TRUE(result.completed);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.not_run, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(journal.started, std::vector<std::size_t>{3});
}

TEST(DagSchedulerTest, ATaskThatDependsOnItselfIsReportedAsNotRun) {
  Journal journal;
  DagResult result = run(Deps{{0}, {}}, 0, journaled(journal));

  EXPECT_EQ(result.not_run, std::vector<std::size_t>{0});
  EXPECT_EQ(journal.started, std::vector<std::size_t>{1});
}

TEST(DagSchedulerTest, AnOutOfRangeDependencyIsReportedAsNotRunAndOthersStillRun) {
  Journal journal;
  DagResult result = run(Deps{{}, {7}, {0}, {1}}, 0, journaled(journal));

  ASSERT_TRUE(result.completed);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.not_run, (std::vector<std::size_t>{1, 3}));
  std::vector<std::size_t> started = journal.started;
  std::sort(started.begin(), started.end());
  EXPECT_EQ(started, (std::vector<std::size_t>{0, 2}));
}

TEST(DagSchedulerTest, AnExceptionInATaskIsRethrownAfterTheOtherStartedTasksFinish) {
  // 0 throws at once; 1 is slow and already running; 2 depends on 0 and must not start.
  Journal journal;
  Task task = [&journal](std::size_t i) -> asio::awaitable<void> {
    if (i == 0) return failing_task(journal, i);
    return journaled_task(journal, i, i == 1 ? milliseconds(30) : milliseconds(0));
  };
  DagResult result = run(Deps{{}, {}, {0}}, 0, task);

  ASSERT_TRUE(result.completed);
  ASSERT_TRUE(result.error);
  try {
    std::rethrow_exception(result.error);
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "task 0 broke");
  }
  EXPECT_LT(journal.position("throw 0"), journal.position("finish 1"));
  EXPECT_LT(journal.position("finish 1"), journal.events.size()) << "the slow task was abandoned";
  EXPECT_EQ(journal.position("start 2"), journal.events.size()) << "a dependent of the failed task started";
}

TEST(DagSchedulerTest, OnlyTheFirstOfSeveralExceptionsIsRethrown) {
  Journal journal;
  Task task = [&journal](std::size_t i) { return failing_task(journal, i); };
  DagResult result = run(Deps(3), 0, task);

  ASSERT_TRUE(result.error);
  try {
    std::rethrow_exception(result.error);
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "task 0 broke");
  }
  EXPECT_EQ(journal.started.size(), 3u);
}

}  // namespace
}  // namespace agentco
