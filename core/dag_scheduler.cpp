#include "core/dag_scheduler.hpp"

#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentco {
namespace asio = boost::asio;

namespace {
using Completions = asio::experimental::channel<void(boost::system::error_code, std::size_t)>;

asio::awaitable<void> run_one(std::function<asio::awaitable<void>(std::size_t)> task, std::size_t index) {
  co_await task(index);
}
}  // namespace

asio::awaitable<std::vector<std::size_t>> run_dag(asio::any_io_executor executor,
                                                  const std::vector<std::vector<std::size_t>>& deps,
                                                  std::size_t limit,
                                                  std::function<asio::awaitable<void>(std::size_t)> task) {
  const std::size_t n = deps.size();
  std::vector<std::size_t> waiting(n, 0);
  std::vector<std::vector<std::size_t>> dependents(n);
  std::vector<bool> started(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t d : deps[i]) {
      if (d >= n || d == i) {
        waiting[i] = n + 1;  // never becomes ready
        continue;
      }
      ++waiting[i];
      dependents[d].push_back(i);
    }
  }

  Completions done(executor, n + 1);
  std::exception_ptr first_error;
  std::size_t running = 0;
  auto start_ready = [&] {
    for (std::size_t i = 0; i < n; ++i) {
      if (limit != 0 && running >= limit) return;
      if (started[i] || waiting[i] != 0) continue;
      started[i] = true;
      ++running;
      asio::co_spawn(executor, run_one(task, i), [&done, &first_error, i](std::exception_ptr e) {
        if (e && !first_error) first_error = e;
        done.try_send(boost::system::error_code{}, i);
      });
    }
  };

  start_ready();
  while (running > 0) {
    auto [ec, finished] = co_await done.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    --running;
    if (!first_error) {
      for (std::size_t j : dependents[finished]) --waiting[j];
      start_ready();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  std::vector<std::size_t> not_run;
  for (std::size_t i = 0; i < n; ++i) {
    if (!started[i]) not_run.push_back(i);
  }
  co_return not_run;
}

}  // namespace agentco
