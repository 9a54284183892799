// repl/repl_local.cpp — `moonreel repl` on this process: libedit on a terminal, lines from a pipe.
#include <editline/readline.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "repl/repl.hpp"
#include "repl/repl_session.hpp"

namespace mr::repl {

namespace {

std::atomic<bool> g_interrupt{false};
Session* g_completion_session = nullptr;

void on_sigint(int) { g_interrupt = true; }

char* completion_generator(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t idx;
  if (state == 0) {
    matches = g_completion_session ? g_completion_session->complete(text) : std::vector<std::string>{};
    idx = 0;
  }
  if (idx < matches.size()) return strdup(matches[idx++].c_str());
  return nullptr;
}

char** completion(const char* text, int, int) {
  rl_attempted_completion_over = 1;  // no filename completion
  return rl_completion_matches(text, completion_generator);
}

void print_result(const Session::Result& r) {
  if (r.text.empty()) return;
  (r.status == Session::Status::Error ? std::cerr : std::cout) << r.text << std::endl;
}

}  // namespace

int run_local(runtime::ScriptHost& host) {
  auto state = host.current()->make_state();
  Session session(state->lua->get(), [] { return g_interrupt.exchange(false); });
  bool tty = isatty(STDIN_FILENO);
  int failures = 0;

  if (!tty) {
    std::string line;
    while (std::getline(std::cin, line)) {
      auto r = session.feed(line);
      if (r.status == Session::Status::Incomplete) continue;
      if (r.status == Session::Status::Error) ++failures;
      print_result(r);
    }
    auto r = session.flush();
    if (r.status == Session::Status::Error) ++failures;
    print_result(r);
    return failures ? 1 : 0;
  }

  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, nullptr);
  g_completion_session = &session;
  rl_attempted_completion_function = completion;
  rl_basic_word_break_characters = const_cast<char*>(" \t\n\"'(){}[],;=+-*/%^<>~#");
  std::string history = (std::filesystem::path(getenv("HOME") ? getenv("HOME") : ".") / ".moonreel_history").string();
  read_history(history.c_str());
  std::cout << "moonreel " << MOONREEL_VERSION << " REPL — engine modules: json, log, engine, errors, router. Ctrl-D exits."
            << std::endl;
  while (true) {
    g_interrupt = false;
    char* raw = readline(session.pending() ? ">> " : "> ");
    if (raw == nullptr) break;
    std::string line = raw;
    free(raw);
    if (g_interrupt.exchange(false)) {  // Ctrl-C at the prompt clears pending input
      session.reset();
      continue;
    }
    if (!line.empty()) add_history(line.c_str());
    print_result(session.feed(line));
  }
  write_history(history.c_str());
  g_completion_session = nullptr;
  std::cout << std::endl;
  return 0;
}

}  // namespace mr::repl
