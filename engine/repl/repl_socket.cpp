// repl/repl_socket.cpp — the REPL over a unix socket: server sessions and the client.
#include <editline/readline.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "log/log.hpp"
#include "repl/repl.hpp"
#include "repl/repl_session.hpp"

namespace mr::repl {

namespace {

constexpr char kMarker = '\x1e';
constexpr char kInterrupt = '\x03';
constexpr size_t kMaxLine = 1 << 20;

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

sockaddr_un make_addr(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) throw std::runtime_error("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Bytes read from a client; interrupts are picked out as they arrive, even
// while a command runs (the hook drains the socket without blocking).
struct ClientInput {
  int fd;
  std::string buf;
  bool closed = false;
  bool interrupted = false;

  void absorb(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (data[i] == kInterrupt)
        interrupted = true;
      else
        buf += data[i];
    }
  }
  void drain_nonblocking() {
    char tmp[4096];
    while (true) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n > 0) {
        absorb(tmp, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) closed = true;
      break;
    }
  }
  // Blocks for the next line; false at end of stream.
  bool next_line(std::string& line) {
    while (true) {
      auto nl = buf.find('\n');
      if (nl != std::string::npos) {
        line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        return true;
      }
      if (closed || buf.size() > kMaxLine) return false;
      char tmp[4096];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      absorb(tmp, static_cast<size_t>(n));
    }
  }
};

const char* status_word(Session::Status s) {
  switch (s) {
    case Session::Status::Ok: return "ok";
    case Session::Status::Error: return "error";
    default: return "more";
  }
}

}  // namespace

/* -- Server -------------------------------------------------------------- */

SocketServer::SocketServer(std::string path, runtime::ScriptHost& host) : path_(std::move(path)), host_(host) {}

SocketServer::~SocketServer() { stop(); }

void SocketServer::start() {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("cannot create the REPL socket");
  // A socket file left by a crashed server would block bind: remove it only
  // when nothing answers on it.
  sockaddr_un addr = make_addr(path_);
  if (std::filesystem::exists(path_)) {
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(probe);
    if (live) throw std::runtime_error("another server is using " + path_);
    ::unlink(path_.c_str());
  }
  mode_t old = ::umask(0177);  // the socket is born 0600: a REPL is full control
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::listen(listen_fd_, 8) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("cannot listen on " + path_ + ": " + std::strerror(errno));
  }
  ::chmod(path_.c_str(), 0600);
  acceptor_ = std::thread([this] { accept_loop(); });
}

void SocketServer::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    listen_fd_ = -1;
  }
  {
    std::lock_guard lk(mu_);
    for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : clients_)
    if (t.joinable()) t.join();
}

void SocketServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lk(mu_);
    client_fds_.push_back(fd);
    clients_.emplace_back([this, fd] { serve_client(fd); });
  }
}

void SocketServer::serve_client(int fd) {
  log::info("repl session opened");
  try {
    auto state = host_.current()->make_state();
    ClientInput in{fd, {}};
    Session session(state->lua->get(), [&in] {
      in.drain_nonblocking();
      return in.closed || std::exchange(in.interrupted, false);
    });
    std::string line;
    while (!stopping_ && in.next_line(line)) {
      if (std::exchange(in.interrupted, false)) session.reset();
      auto r = session.feed(line);
      std::string reply = r.text;
      if (!reply.empty() && reply.back() != '\n') reply += '\n';
      reply += kMarker;
      reply += status_word(r.status);
      reply += '\n';
      if (!send_all(fd, reply)) break;
    }
  } catch (const std::exception& e) {
    send_all(fd, std::string("cannot open a session: ") + e.what() + "\n" + kMarker + "error\n");
  }
  log::info("repl session closed");
  std::lock_guard lk(mu_);
  std::erase(client_fds_, fd);
  ::close(fd);
}

/* -- Client -------------------------------------------------------------- */

namespace {
std::atomic<int> g_client_fd{-1};
void forward_interrupt(int) {
  int fd = g_client_fd.load();
  char c = kInterrupt;
  if (fd >= 0) (void)!::send(fd, &c, 1, MSG_NOSIGNAL);
}

// Reads the server's reply up to the marker line; prints it; returns the status word.
std::string read_reply(int fd, std::string& pending) {
  while (true) {
    auto pos = pending.find(kMarker);
    if (pos != std::string::npos) {
      auto nl = pending.find('\n', pos);
      if (nl != std::string::npos) {
        std::string text = pending.substr(0, pos);
        std::string status = pending.substr(pos + 1, nl - pos - 1);
        pending.erase(0, nl + 1);
        if (!text.empty()) (status == "error" ? std::cerr : std::cout) << text << std::flush;
        return status;
      }
    }
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    pending.append(buf, static_cast<size_t>(n));
  }
}
}  // namespace

int run_client(const std::string& socket_path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = make_addr(socket_path);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::cerr << "moonreel: cannot connect to " << socket_path << ": " << std::strerror(errno)
              << " (is `moonreel serve` running with this data directory?)" << std::endl;
    return 1;
  }
  g_client_fd = fd;
  struct sigaction sa {};
  sa.sa_handler = forward_interrupt;  // Ctrl-C interrupts the remote command, not this client
  sigaction(SIGINT, &sa, nullptr);

  bool tty = isatty(STDIN_FILENO);
  std::string pending, status = "ok";
  int failures = 0;
  if (tty) std::cout << "connected to " << socket_path << ". Ctrl-D detaches." << std::endl;
  while (true) {
    std::string line;
    if (tty) {
      char* raw = readline(status == "more" ? ">> " : "moonreel> ");
      if (!raw) break;
      line = raw;
      free(raw);
      if (!line.empty()) add_history(line.c_str());
    } else if (!std::getline(std::cin, line)) {
      break;
    }
    if (!send_all(fd, line + "\n")) break;
    status = read_reply(fd, pending);
    if (status.empty()) {
      std::cerr << "moonreel: the server closed the session" << std::endl;
      return 1;
    }
    if (status == "error") ++failures;
  }
  ::close(fd);
  if (tty) std::cout << std::endl;
  return failures && !tty ? 1 : 0;
}

}  // namespace mr::repl
