// The one door to NATS and JetStream (the C client, libnats): connecting with the config's
// credentials and TLS, publishing with acknowledgement, the jobs' pull consumer, following a
// stream in order, and reading what a stream holds. Only nats_client.cpp includes nats.h.
//
// Threads: the C client calls back on threads of its own. Every callback here (a message
// arriving, the connection lost or back, a slow consumer) is handed to `post`, which the
// owner points at its io_context; handlers therefore run on the owner's thread and nothing
// else touches its state. The blocking calls (publish, fetch, read_all) run on the caller's
// thread.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/nats_settings.hpp"
#include "core/result.hpp"

struct __natsMsg;

namespace agentco {

// One received message (owns it). JetStream messages can be acknowledged.
class NatsMessage {
 public:
  explicit NatsMessage(__natsMsg* msg);
  NatsMessage(NatsMessage&&) noexcept;
  NatsMessage& operator=(NatsMessage&&) noexcept;
  ~NatsMessage();

  std::string_view subject() const;
  std::string_view data() const;
  std::string header(const char* key) const;  // "" when absent
  // How many times JetStream delivered it (1 the first time); 0 for a core message.
  std::uint64_t delivered() const;
  // Messages still waiting after this one on its consumer (JetStream).
  std::uint64_t pending() const;

  Status ack();
  Status nak();          // give it back now: redelivered at once
  Status in_progress();  // still working: restarts the ack deadline
  Status term();         // never deliver it again

 private:
  __natsMsg* msg_;
};

using Headers = std::vector<std::pair<std::string, std::string>>;
using Post = std::function<void(std::function<void()>)>;
using MessageHandler = std::function<void(NatsMessage)>;

// The jobs stream (agentco.jobs.>, a work queue shared by every experiment) and its workers'
// consumer. Each experiment's traces and results have a stream of their own (job.hpp's
// runs_stream), deleted when the experiment ends. Nothing is ever purged by subject:
// nats-server 2.9 (Debian 12) moves every consumer of a stream past a subject purge, which
// would skip the messages other experiments had not received yet (fixed upstream in 2.10).
inline constexpr const char* kJobsStream = "AGENTCO_JOBS";
inline constexpr const char* kWorkersConsumer = "agentco-workers";
// The code of an Error when a publish found no stream for its subject (an experiment that
// ended and deleted its stream).
inline constexpr const char* kNoStream = "nats_no_stream";

class NatsClient {
 public:
  // Connects (failing at once, with the url and the reason, when no server answers) and
  // reconnects for ever afterwards. `said` gets each connection event as one line, e.g.
  // "lost the connection to NATS at nats://127.0.0.1:4222; reconnecting".
  static Result<std::unique_ptr<NatsClient>> connect(const NatsSettings& settings,
                                                     const std::string& client_name, Post post,
                                                     std::function<void(std::string)> said);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  // Creates the jobs stream unless it exists (file storage: it survives a server restart).
  Status ensure_jobs_stream();
  // Creates `stream` for `subjects` (limits retention, file storage, a week's age) unless it
  // exists; delete_stream removes it with its messages.
  Status ensure_stream(const std::string& stream, const std::string& subjects);
  Status delete_stream(const std::string& stream);

  // JetStream publish, waiting for the stream's acknowledgement; the message's sequence in its
  // stream. `msg_id` makes a retry of a publish whose acknowledgement was lost a no-op (the
  // stream's duplicate window). No stream for the subject: an Error with code kNoStream.
  Result<std::uint64_t> publish(const std::string& subject, std::string_view data,
                                const Headers& headers = {}, const std::string& msg_id = "");
  // Core NATS publish (not stored): presence and control.
  Status publish_core(const std::string& subject, std::string_view data);

  // Binds to the workers' durable pull consumer on the jobs stream (made if absent).
  Status bind_jobs(double ack_wait_s);
  // Up to `max` jobs, without waiting when there are none.
  Result<std::vector<NatsMessage>> fetch_jobs(int max);

  // Core subscription; `handler` runs through post. Messages of one subscription reach it in
  // the order the server sent them (not so across two subscriptions: each has its thread).
  Status subscribe(const std::string& subject, MessageHandler handler);
  // Core subscription whose handler runs at once on the client's own thread (not posted):
  // for what must not wait behind the owner's work, such as heartbeats. It must be quick and
  // thread-safe.
  Status subscribe_direct(const std::string& subject, std::function<void(std::string_view)> handler);
  // Every message stored on `filter` in `stream` from the first, then each new one, in order
  // (an ordered consumer: it survives reconnects); `handler` runs through post.
  Status follow(const std::string& stream, const std::string& filter, MessageHandler handler);
  // What `stream` holds on `filter` now, in order (blocking).
  Result<std::vector<NatsMessage>> read_all(const std::string& stream, const std::string& filter);
  // The last message on `subject` in `stream`, or nothing (also when the stream is gone).
  Result<std::optional<NatsMessage>> last(const std::string& stream, const std::string& subject);
  // Removes one message (gone already is fine).
  Status delete_message(const std::string& stream, std::uint64_t sequence);

  bool connected() const;
  const std::string& url() const { return shown_url_; }

  struct State;  // the C client's handles and callbacks (nats_client.cpp)

 private:
  explicit NatsClient(std::unique_ptr<State> state, std::string shown_url);
  Status make_stream(const std::string& name, const std::string& subject, bool work_queue);
  Status core_subscribe(const std::string& subject, std::function<void(NatsMessage)>* handler);
  std::unique_ptr<State> state_;
  std::string shown_url_;
};

}  // namespace agentco
