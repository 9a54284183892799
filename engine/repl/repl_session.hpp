// repl/repl_session.hpp — one REPL session over a Lua state: input accumulation, evaluation, interrupts.
//
// Contract: feed() takes one line and answers Incomplete (the chunk so far is
// a valid prefix: prompt for more) or a finished Result with the text to show.
// The state's JIT is switched off so the instruction-count hook runs inside
// loops: a runaway command stops at the next hook when `interrupt` says so,
// and the session stays usable. Used by the local REPL and the socket server.
#pragma once
#include <lua.hpp>

#include <functional>
#include <string>
#include <vector>

namespace mr::repl {

class Session {
 public:
  enum class Status { Ok, Error, Incomplete };
  struct Result {
    Status status;
    std::string text;
  };

  // `interrupt` is polled every few thousand instructions while code runs;
  // returning true aborts the running chunk with an "interrupted" error.
  Session(lua_State* L, std::function<bool()> interrupt);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result feed(const std::string& line);
  // Evaluates whatever is pending even if incomplete (end of input).
  Result flush();
  bool pending() const { return !buffer_.empty(); }
  void reset() { buffer_.clear(); }
  std::vector<std::string> complete(const std::string& text);

 private:
  Result eval(const std::string& chunk);

  lua_State* L_;
  std::function<bool()> interrupt_;
  int session_ref_;
  std::string buffer_;
};

}  // namespace mr::repl
