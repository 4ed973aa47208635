// Why a run ends. The first reason given wins; later ones are ignored.
#pragma once
#include <string>

namespace agentco {

struct StopState {
  // "" while running; then idle | max_rounds | budget | interrupted | failed
  std::string reason;
  std::string detail;  // one line for the user

  bool requested() const { return !reason.empty(); }
  void request(std::string why, std::string what) {
    if (!reason.empty()) return;
    reason = std::move(why);
    detail = std::move(what);
  }
};

}  // namespace agentco
