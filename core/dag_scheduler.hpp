// Runs tasks whose dependencies form a DAG: each task starts as soon as all of its
// dependencies have finished, at most `limit` at a time (0: no limit). A run therefore
// takes its critical path, not the sum of its tasks. Tasks are started in index order
// among those ready, so a deterministic task body gives a deterministic schedule.
// Single-threaded: tasks run as coroutines on `executor`. An exception in a task is
// rethrown after every started task has finished.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace agentco {

// deps[i] lists the indices task i waits for; each must be < deps.size(). A dependency
// cycle or an out-of-range index makes the affected tasks never start: they are reported
// by the return value (indices not run).
boost::asio::awaitable<std::vector<std::size_t>> run_dag(
    boost::asio::any_io_executor executor, const std::vector<std::vector<std::size_t>>& deps,
    std::size_t limit, std::function<boost::asio::awaitable<void>(std::size_t)> task);

}  // namespace agentco
