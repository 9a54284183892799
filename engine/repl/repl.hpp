// repl/repl.hpp — the REPL front ends: local (libedit or stdin), socket server, socket client.
//
// Contract:
//   * run_local(): a session over a fresh state of `gen`; line editing,
//     history and tab completion on a terminal, plain line-by-line
//     evaluation when stdin is not a terminal. Ctrl-C interrupts a running
//     command (or clears the pending input).
//   * SocketServer: listens on a unix socket (mode 0600); each connection is
//     a session with its own state and environment, on its own thread.
//     Wire protocol: the client sends lines; after each, the server sends the
//     output followed by one marker line "\x1e" + ("ok" | "error" | "more").
//     A 0x03 byte from the client interrupts the running command.
//   * run_client(): the `repl --connect` side of that protocol.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/script_host.hpp"

namespace mr::repl {

int run_local(runtime::ScriptHost& host);
int run_client(const std::string& socket_path);

class SocketServer {
 public:
  SocketServer(std::string path, runtime::ScriptHost& host);
  ~SocketServer();
  void start();  // throws when the socket cannot be opened
  void stop();
  const std::string& path() const { return path_; }

 private:
  void accept_loop();
  void serve_client(int fd);

  std::string path_;
  runtime::ScriptHost& host_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> client_fds_;
  std::vector<std::thread> clients_;
};

}  // namespace mr::repl
