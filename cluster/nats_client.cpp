#include "cluster/nats_client.hpp"

#include <fmt/format.h>
#include <nats/nats.h>

#include <map>
#include <mutex>

namespace agentco {
namespace {

constexpr int64_t kPublishWaitMs = 2000;

// "NATS_TIMEOUT: timeout (js error 10059)" with the client's last error text when it says more.
std::string describe(natsStatus status, jsErrCode js_error = static_cast<jsErrCode>(0)) {
  std::string text = natsStatus_GetText(status);
  natsStatus last = NATS_OK;
  if (const char* detail = nats_GetLastError(&last); detail && *detail && text != detail)
    text += ": " + std::string(detail);
  if (js_error != 0) text += fmt::format(" (JetStream error {})", static_cast<int>(js_error));
  return text;
}

Error nats_error(const std::string& what, natsStatus status, jsErrCode js_error = static_cast<jsErrCode>(0)) {
  return make_error("nats", what + ": " + describe(status, js_error));
}

}  // namespace

// ---- NatsMessage -----------------------------------------------------------------------

NatsMessage::NatsMessage(__natsMsg* msg) : msg_(msg) {}
NatsMessage::NatsMessage(NatsMessage&& other) noexcept : msg_(std::exchange(other.msg_, nullptr)) {}
NatsMessage& NatsMessage::operator=(NatsMessage&& other) noexcept {
  if (this != &other) {
    if (msg_) natsMsg_Destroy(msg_);
    msg_ = std::exchange(other.msg_, nullptr);
  }
  return *this;
}
NatsMessage::~NatsMessage() {
  if (msg_) natsMsg_Destroy(msg_);
}

std::string_view NatsMessage::subject() const { return natsMsg_GetSubject(msg_); }
std::string_view NatsMessage::data() const {
  return {natsMsg_GetData(msg_), static_cast<std::size_t>(natsMsg_GetDataLength(msg_))};
}
std::string NatsMessage::header(const char* key) const {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg_, key, &value) != NATS_OK || !value) return "";
  return value;
}
namespace {
// A field of a JetStream message's metadata (from its reply subject); 0 for a core message.
std::uint64_t metadata(natsMsg* msg, std::uint64_t jsMsgMetaData::*field) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) != NATS_OK || !meta) return 0;
  const std::uint64_t n = meta->*field;
  jsMsgMetaData_Destroy(meta);
  return n;
}
}  // namespace

std::uint64_t NatsMessage::delivered() const { return metadata(msg_, &jsMsgMetaData::NumDelivered); }
std::uint64_t NatsMessage::pending() const { return metadata(msg_, &jsMsgMetaData::NumPending); }
namespace {
Status acknowledge(natsMsg* msg, natsStatus (*how)(natsMsg*, jsOptions*), const char* what) {
  if (natsStatus s = how(msg, nullptr); s != NATS_OK) return nats_error(what, s);
  return ok_status();
}
}  // namespace

Status NatsMessage::ack() { return acknowledge(msg_, natsMsg_Ack, "acknowledge"); }
Status NatsMessage::nak() { return acknowledge(msg_, natsMsg_Nak, "give back"); }
Status NatsMessage::in_progress() { return acknowledge(msg_, natsMsg_InProgress, "report progress"); }
Status NatsMessage::term() { return acknowledge(msg_, natsMsg_Term, "terminate"); }

// ---- NatsClient ------------------------------------------------------------------------

struct NatsClient::State {
  Post post;
  std::function<void(std::string)> said;
  std::string url;
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  natsSubscription* jobs = nullptr;
  // Handlers of the subscriptions; the C client holds pointers to them (stable: unique_ptr).
  std::vector<std::unique_ptr<MessageHandler>> handlers;
  std::vector<natsSubscription*> subscriptions;
  // Their subjects, for the error callback, which must not ask a subscription that may
  // already be freed (libnats hands it the pointer later, on a thread of its own). Guarded
  // by `gate`.
  std::map<const natsSubscription*, std::string> subjects;
  // Once closed, the client's threads hand nothing more to the owner (whose io_context may
  // be gone): every hand-over passes this gate.
  std::mutex gate;
  bool closed = false;

  void deliver(std::function<void()> f) {
    std::lock_guard lock(gate);
    if (!closed) post(std::move(f));
  }
  void tell(std::string line) {
    deliver([said = said, line = std::move(line)] {
      if (said) said(line);
    });
  }
  void remember_subscription(natsSubscription* sub, const std::string& subject) {
    subscriptions.push_back(sub);
    std::lock_guard lock(gate);
    subjects[sub] = subject;
  }
  // A handler whose messages are handed to the owner through the gate.
  MessageHandler* posting(MessageHandler handler) {
    handlers.push_back(
        std::make_unique<MessageHandler>([this, handler = std::move(handler)](NatsMessage msg) {
          auto shared = std::make_shared<NatsMessage>(std::move(msg));
          deliver([handler, shared] { handler(std::move(*shared)); });
        }));
    return handlers.back().get();
  }
};

namespace {

void on_disconnected(natsConnection*, void* closure) {
  auto* state = static_cast<NatsClient::State*>(closure);
  state->tell("lost the connection to NATS at " + state->url + "; reconnecting");
}
void on_reconnected(natsConnection*, void* closure) {
  auto* state = static_cast<NatsClient::State*>(closure);
  state->tell("reconnected to NATS at " + state->url);
}
void on_error(natsConnection*, natsSubscription* sub, natsStatus status, void* closure) {
  auto* state = static_cast<NatsClient::State*>(closure);
  std::string subject;
  {
    std::lock_guard lock(state->gate);
    if (state->closed) return;
    if (auto it = state->subjects.find(sub); it != state->subjects.end()) subject = it->second;
  }
  if (status == NATS_SLOW_CONSUMER)
    state->tell("slow consumer on " + (subject.empty() ? std::string("a subscription") : subject) +
                ": messages arrived faster than they were handled and NATS dropped some; the ordered "
                "consumer asks for them again");
  else
    state->tell("NATS error" + (subject.empty() ? std::string() : " on " + subject) + ": " +
                natsStatus_GetText(status));
}
void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  // The handler (made in subscribe/follow) posts the message on; it outlives the subscription.
  (*static_cast<MessageHandler*>(closure))(NatsMessage(msg));
}

}  // namespace

NatsClient::NatsClient(std::unique_ptr<State> state, std::string shown_url)
    : state_(std::move(state)), shown_url_(std::move(shown_url)) {}
NatsClient::~NatsClient() {
  {
    std::lock_guard lock(state_->gate);
    state_->closed = true;
  }
  // The connection closes first: its reading thread ends before any subscription is freed
  // (freeing an active subscription while messages flood in let that thread lock the freed
  // subscription's mutex: an abort in libnats 3.4).
  if (state_->connection) natsConnection_Close(state_->connection);
  for (natsSubscription* sub : state_->subscriptions) natsSubscription_Destroy(sub);
  if (state_->jobs) natsSubscription_Destroy(state_->jobs);
  if (state_->js) jsCtx_Destroy(state_->js);
  if (state_->connection) natsConnection_Destroy(state_->connection);
  if (state_->options) natsOptions_Destroy(state_->options);
  // The client's threads may still be inside a callback that holds the state (closing fires
  // the disconnected callback on a thread of its own); the gate keeps them from the owner, and
  // the state itself (a few hundred bytes, once per client) is left to them.
  (void)state_.release();
}

Result<std::unique_ptr<NatsClient>> NatsClient::connect(const NatsSettings& settings,
                                                        const std::string& client_name, Post post,
                                                        std::function<void(std::string)> said) {
  auto state = std::make_unique<State>();
  state->post = std::move(post);
  state->said = std::move(said);
  state->url = settings.shown_url();
  natsOptions* o = nullptr;
  if (natsStatus s = natsOptions_Create(&o); s != NATS_OK) return nats_error("NATS options", s);
  state->options = o;
  auto check = [&](natsStatus s, const std::string& what) -> Status {
    if (s != NATS_OK) return nats_error(what, s);
    return ok_status();
  };
  Status status = check(natsOptions_SetURL(o, settings.url.c_str()), "NATS url " + state->url);
  if (status) status = check(natsOptions_SetName(o, client_name.c_str()), "NATS client name");
  if (status) status = check(natsOptions_SetMaxReconnect(o, -1), "NATS reconnects");
  if (status) status = check(natsOptions_SetReconnectWait(o, 250), "NATS reconnect wait");
  // Publishes made while reconnecting wait in a buffer of this size, then fail.
  if (status) status = check(natsOptions_SetReconnectBufSize(o, 64 * 1024 * 1024), "NATS reconnect buffer");
  if (status && settings.send_asap) status = check(natsOptions_SetSendAsap(o, true), "NATS send mode");
  // While disconnected, a JetStream request (publish, fetch) fails at once: the caller retries.
  if (status) status = check(natsOptions_SetFailRequestsOnDisconnect(o, true), "NATS requests");
  if (status && !settings.credentials.empty())
    status = check(natsOptions_SetUserCredentialsFromFiles(o, settings.credentials.c_str(), nullptr),
                   "nats.credentials " + settings.credentials);
  if (status && !settings.token.empty())
    status = check(natsOptions_SetToken(o, settings.token.c_str()), "nats.token");
  if (status && !settings.user.empty())
    status = check(natsOptions_SetUserInfo(o, settings.user.c_str(), settings.password.c_str()), "nats.user");
  if (status && settings.tls) status = check(natsOptions_SetSecure(o, true), "nats.tls");
  if (status && !settings.ca_file.empty())
    status = check(natsOptions_LoadCATrustedCertificates(o, settings.ca_file.c_str()),
                   "nats.ca_file " + settings.ca_file);
  if (status && !settings.cert_file.empty())
    status =
        check(natsOptions_LoadCertificatesChain(o, settings.cert_file.c_str(), settings.key_file.c_str()),
              "nats.cert_file " + settings.cert_file);
  if (status)
    status = check(natsOptions_SetDisconnectedCB(o, on_disconnected, state.get()), "NATS callbacks");
  if (status) status = check(natsOptions_SetReconnectedCB(o, on_reconnected, state.get()), "NATS callbacks");
  if (status) status = check(natsOptions_SetErrorHandler(o, on_error, state.get()), "NATS callbacks");

  // Until the client exists, a failure frees what was made here (no connection: no callback).
  struct Undo {
    State* state;
    ~Undo() {
      if (!state) return;
      if (state->js) jsCtx_Destroy(state->js);
      if (state->connection) natsConnection_Destroy(state->connection);
      natsOptions_Destroy(state->options);
    }
  } undo{state.get()};
  if (!status) return status.error();
  if (natsStatus s = natsConnection_Connect(&state->connection, o); s != NATS_OK) {
    state->connection = nullptr;
    return make_error("nats", "cannot connect to NATS at " + state->url + " (" + settings.origin +
                                  "): " + describe(s) +
                                  (s == NATS_NO_SERVER ? "; is nats-server running there (with -js)?" : ""));
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = kPublishWaitMs;
  if (natsStatus s = natsConnection_JetStream(&state->js, state->connection, &js_options); s != NATS_OK)
    return nats_error("JetStream at " + state->url, s);
  std::string shown = state->url;
  undo.state = nullptr;
  return std::unique_ptr<NatsClient>(new NatsClient(std::move(state), std::move(shown)));
}

namespace {
// The JetStream API's own calls (streams, consumers) may wait longer than a publish: a server
// under load (or just started, making its store) can take seconds to make a file stream.
constexpr int64_t kAdminWaitMs = 10000;
constexpr int kAdminAttempts = 3;  // a timed-out call is asked again, twice

jsOptions admin_options() {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = kAdminWaitMs;
  return options;
}
}  // namespace

Status NatsClient::make_stream(const std::string& name, const std::string& subject, bool work_queue) {
  jsOptions options = admin_options();
  natsStatus s = NATS_OK;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  for (int attempt = 1; attempt <= kAdminAttempts; ++attempt) {
    jsStreamInfo* info = nullptr;
    js_error = static_cast<jsErrCode>(0);
    s = js_GetStreamInfo(&info, state_->js, name.c_str(), &options, &js_error);
    if (s == NATS_OK) {
      jsStreamInfo_Destroy(info);
      return ok_status();
    }
    if (s == NATS_NOT_FOUND) {
      jsStreamConfig config;
      jsStreamConfig_Init(&config);
      const char* subjects[] = {subject.c_str()};
      config.Name = name.c_str();
      config.Subjects = subjects;
      config.SubjectsLen = 1;
      config.Retention = work_queue ? js_WorkQueuePolicy : js_LimitsPolicy;
      config.Storage = js_FileStorage;
      // What a coordinator that crashed left behind goes after a week.
      config.MaxAge = 7LL * 24 * 3600 * 1000 * 1000 * 1000;
      js_error = static_cast<jsErrCode>(0);
      s = js_AddStream(&info, state_->js, &config, &options, &js_error);
      if (s == NATS_OK || js_error == JSStreamNameExistErr) {  // or another process made it meanwhile
        if (info) jsStreamInfo_Destroy(info);
        return ok_status();
      }
    }
    if (s != NATS_TIMEOUT) break;
    state_->tell(fmt::format("JetStream at {} did not answer about stream {} within {} s; asking again",
                             shown_url_, name, kAdminWaitMs / 1000));
  }
  return nats_error(
      "JetStream stream " + name + " at " + shown_url_ + " (is JetStream on? start nats-server with -js)", s,
      js_error);
}

Status NatsClient::ensure_jobs_stream() { return make_stream(kJobsStream, "agentco.jobs.>", true); }
Status NatsClient::ensure_stream(const std::string& stream, const std::string& subjects) {
  return make_stream(stream, subjects, false);
}

Status NatsClient::delete_stream(const std::string& stream) {
  jsOptions options = admin_options();
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteStream(state_->js, stream.c_str(), &options, &js_error);
  if (s != NATS_OK && s != NATS_NOT_FOUND)
    return nats_error("delete JetStream stream " + stream, s, js_error);
  return ok_status();
}

Result<std::uint64_t> NatsClient::publish(const std::string& subject, std::string_view data,
                                          const Headers& headers, const std::string& msg_id) {
  natsMsg* msg = nullptr;
  if (natsStatus s =
          natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
      s != NATS_OK)
    return nats_error("message for " + subject, s);
  NatsMessage owned(msg);
  for (const auto& [key, value] : headers) natsMsgHeader_Set(msg, key.c_str(), value.c_str());
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = kPublishWaitMs;
  if (!msg_id.empty()) options.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_PublishMsg(&ack, state_->js, msg, &options, &js_error);
  const std::uint64_t sequence = ack ? ack->Sequence : 0;
  if (ack) jsPubAck_Destroy(ack);
  if (s == NATS_NO_RESPONDERS)
    return make_error(kNoStream, "publish to " + subject + ": no JetStream stream holds it (any more)");
  if (s != NATS_OK) return nats_error("publish to " + subject, s, js_error);
  return sequence;
}

Status NatsClient::publish_core(const std::string& subject, std::string_view data) {
  if (natsStatus s = natsConnection_Publish(state_->connection, subject.c_str(), data.data(),
                                            static_cast<int>(data.size()));
      s != NATS_OK)
    return nats_error("publish to " + subject, s);
  return ok_status();
}

Status NatsClient::bind_jobs(double ack_wait_s) {
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = kJobsStream;
  options.Config.AckPolicy = js_AckExplicit;
  options.Config.AckWait = static_cast<int64_t>(ack_wait_s * 1e9);
  options.Config.MaxAckPending = 100000;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  jsOptions admin = admin_options();
  natsStatus s = NATS_OK;
  for (int attempt = 1; attempt <= kAdminAttempts; ++attempt) {
    js_error = static_cast<jsErrCode>(0);
    s = js_PullSubscribe(&state_->jobs, state_->js, "agentco.jobs.>", kWorkersConsumer, &admin, &options,
                         &js_error);
    if (s != NATS_TIMEOUT) break;
    state_->tell(fmt::format("JetStream at {} did not answer about consumer {} within {} s; asking again",
                             shown_url_, kWorkersConsumer, kAdminWaitMs / 1000));
  }
  if (s != NATS_OK) {
    state_->jobs = nullptr;
    return nats_error(std::string("bind to the jobs consumer ") + kWorkersConsumer + " at " + shown_url_, s,
                      js_error);
  }
  return ok_status();
}

Result<std::vector<NatsMessage>> NatsClient::fetch_jobs(int max) {
  std::vector<NatsMessage> out;
  if (!state_->jobs || max <= 0) return out;
  jsFetchRequest request;
  jsFetchRequest_Init(&request);
  request.Batch = max;
  request.NoWait = true;
  request.Expires = 500LL * 1000 * 1000;
  natsMsgList list{};
  natsStatus s = natsSubscription_FetchRequest(&list, state_->jobs, &request);
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;
  }
  natsMsgList_Destroy(&list);
  if (s != NATS_OK && s != NATS_TIMEOUT && s != NATS_NOT_FOUND && out.empty())
    return nats_error("fetch jobs", s);
  return out;
}

Status NatsClient::subscribe_direct(const std::string& subject,
                                    std::function<void(std::string_view)> handler) {
  // Through the gate too: once the client is closed, the handler (whose captures may be
  // gone) is not called.
  auto direct =
      std::make_unique<MessageHandler>([state = state_.get(), handler = std::move(handler)](NatsMessage msg) {
        std::lock_guard lock(state->gate);
        if (!state->closed) handler(msg.data());
      });
  MessageHandler* raw = direct.get();
  state_->handlers.push_back(std::move(direct));
  return core_subscribe(subject, raw);
}

Status NatsClient::subscribe(const std::string& subject, MessageHandler handler) {
  return core_subscribe(subject, state_->posting(std::move(handler)));
}

Status NatsClient::core_subscribe(const std::string& subject, MessageHandler* handler) {
  natsSubscription* sub = nullptr;
  if (natsStatus s = natsConnection_Subscribe(&sub, state_->connection, subject.c_str(), on_message, handler);
      s != NATS_OK)
    return nats_error("subscribe to " + subject, s);
  state_->remember_subscription(sub, subject);
  return ok_status();
}

namespace {
// An ordered consumer of a stream from its first message: in order, no acks, and it
// starts again where it was after a reconnect.
jsSubOptions from_the_start_of(const std::string& stream) {
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream.c_str();
  options.Ordered = true;
  options.Config.DeliverPolicy = js_DeliverAll;
  return options;
}
}  // namespace

Status NatsClient::follow(const std::string& stream, const std::string& filter, MessageHandler handler) {
  MessageHandler* posted = state_->posting(std::move(handler));
  jsSubOptions options = from_the_start_of(stream);
  natsSubscription* sub = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  if (natsStatus s =
          js_Subscribe(&sub, state_->js, filter.c_str(), on_message, posted, nullptr, &options, &js_error);
      s != NATS_OK)
    return nats_error("follow " + filter, s, js_error);
  // A coordinator of a large experiment takes thousands of trace chunks at once.
  natsSubscription_SetPendingLimits(sub, 1000000, 1024 * 1024 * 1024);
  state_->remember_subscription(sub, filter);
  return ok_status();
}

Result<std::vector<NatsMessage>> NatsClient::read_all(const std::string& stream, const std::string& filter) {
  std::vector<NatsMessage> out;
  jsSubOptions options = from_the_start_of(stream);
  natsSubscription* sub = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  if (natsStatus s = js_SubscribeSync(&sub, state_->js, filter.c_str(), nullptr, &options, &js_error);
      s != NATS_OK)
    return nats_error("read " + filter, s, js_error);
  // The first message within a second, or the subject holds none; then until none is pending.
  while (true) {
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, sub, out.empty() ? 1000 : 5000);
    if (s == NATS_TIMEOUT) break;
    if (s != NATS_OK) {
      natsSubscription_Destroy(sub);
      return nats_error("read " + filter, s);
    }
    out.emplace_back(msg);
    if (out.back().pending() == 0) break;
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  return out;
}

Result<std::optional<NatsMessage>> NatsClient::last(const std::string& stream, const std::string& subject) {
  natsMsg* msg = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&msg, state_->js, stream.c_str(), subject.c_str(), nullptr, &js_error);
  if (s == NATS_NOT_FOUND || js_error == JSStreamNotFoundErr) return std::optional<NatsMessage>();
  if (s != NATS_OK) return nats_error("read the last message on " + subject, s, js_error);
  return std::optional<NatsMessage>(NatsMessage(msg));
}

Status NatsClient::delete_message(const std::string& stream, std::uint64_t sequence) {
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteMsg(state_->js, stream.c_str(), sequence, nullptr, &js_error);
  if (s != NATS_OK && s != NATS_NOT_FOUND && js_error != JSNoMessageFoundErr &&
      js_error != JSSequenceNotFoundErr && js_error != JSStreamMsgDeleteFailed)
    return nats_error(fmt::format("delete message {} of {}", sequence, stream), s, js_error);
  return ok_status();
}

bool NatsClient::connected() const {
  return state_->connection && natsConnection_Status(state_->connection) == NATS_CONN_STATUS_CONNECTED;
}

}  // namespace agentco
