// http/router.cpp — a segment trie with literal / parameter / rest children.
#include "http/router.hpp"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace mr::http {

struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> param;
  std::unique_ptr<Node> rest;
  std::map<std::string, int> methods;  // method → index into routes_
};

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segs;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) segs.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return segs;
}

bool valid_name(std::string_view n) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(n.begin(), n.end(), re);
}

struct Search {
  std::string_view method;
  const std::vector<std::string_view>& segs;
  std::vector<std::string> captured;
  std::vector<std::string> allow;
  int found = -1;
  std::vector<std::string> found_params;
};

void collect_allow(const std::map<std::string, int>& methods, std::vector<std::string>& allow) {
  for (const auto& [m, _] : methods) {
    if (std::find(allow.begin(), allow.end(), m) == allow.end()) allow.push_back(m);
  }
}

int method_index(const std::map<std::string, int>& methods, std::string_view method) {
  auto it = methods.find(std::string(method));
  if (it != methods.end()) return it->second;
  if (method == "HEAD") {
    it = methods.find("GET");
    if (it != methods.end()) return it->second;
  }
  return -1;
}

template <class NodeT>
bool dfs(const NodeT* node, size_t i, Search& s) {
  if (i == s.segs.size()) {
    if (node->methods.empty()) return false;
    int idx = method_index(node->methods, s.method);
    if (idx >= 0) {
      s.found = idx;
      s.found_params = s.captured;
      return true;
    }
    collect_allow(node->methods, s.allow);
    return false;
  }
  auto lit = node->literals.find(s.segs[i]);
  if (lit != node->literals.end() && dfs(lit->second.get(), i + 1, s)) return true;
  if (node->param) {
    s.captured.emplace_back(s.segs[i]);
    if (dfs(node->param.get(), i + 1, s)) return true;
    s.captured.pop_back();
  }
  if (node->rest && !node->rest->methods.empty()) {
    std::string joined;
    for (size_t k = i; k < s.segs.size(); ++k) {
      if (k > i) joined += '/';
      joined += s.segs[k];
    }
    int idx = method_index(node->rest->methods, s.method);
    if (idx >= 0) {
      s.captured.push_back(joined);
      s.found = idx;
      s.found_params = s.captured;
      s.captured.pop_back();
      return true;
    }
    collect_allow(node->rest->methods, s.allow);
  }
  return false;
}

}  // namespace

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::add(RouteSpec spec) {
  static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
  if (std::find(std::begin(kMethods), std::end(kMethods), spec.method) == std::end(kMethods))
    throw std::invalid_argument("unsupported HTTP method '" + spec.method + "'");
  if (spec.pattern.empty() || spec.pattern[0] != '/')
    throw std::invalid_argument("route path must start with '/': '" + spec.pattern + "'");
  auto segs = split_path(spec.pattern);
  Node* node = root_.get();
  spec.param_names.clear();
  for (size_t i = 0; i < segs.size(); ++i) {
    std::string_view seg = segs[i];
    if (seg.front() == '{') {
      if (seg.back() != '}') throw std::invalid_argument("unclosed parameter in '" + spec.pattern + "'");
      std::string_view name = seg.substr(1, seg.size() - 2);
      bool rest = name.ends_with("...");
      if (rest) name.remove_suffix(3);
      if (!valid_name(name)) throw std::invalid_argument("bad parameter name in '" + spec.pattern + "'");
      if (std::find(spec.param_names.begin(), spec.param_names.end(), name) != spec.param_names.end())
        throw std::invalid_argument("parameter '" + std::string(name) + "' repeated in '" + spec.pattern + "'");
      spec.param_names.emplace_back(name);
      if (rest) {
        if (i + 1 != segs.size())
          throw std::invalid_argument("'{" + std::string(name) + "...}' must be the last segment of '" +
                                      spec.pattern + "'");
        if (!node->rest) node->rest = std::make_unique<Node>();
        node = node->rest.get();
      } else {
        if (!node->param) node->param = std::make_unique<Node>();
        node = node->param.get();
      }
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("braces must enclose a whole segment in '" + spec.pattern + "'");
      auto& child = node->literals[std::string(seg)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
  }
  if (node->methods.count(spec.method)) {
    const RouteSpec& other = routes_[node->methods[spec.method]];
    throw std::invalid_argument("duplicate route " + spec.method + " " + spec.pattern + " (also declared at " +
                                other.file + ":" + std::to_string(other.line) + " as " + other.pattern + ")");
  }
  node->methods[spec.method] = static_cast<int>(routes_.size());
  routes_.push_back(std::move(spec));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  auto segs = split_path(path);
  Search s{method, segs, {}, {}, -1, {}};
  RouteMatch m;
  if (dfs(root_.get(), 0, s)) {
    m.kind = RouteMatch::Kind::Found;
    m.route = &routes_[s.found];
    for (size_t i = 0; i < m.route->param_names.size() && i < s.found_params.size(); ++i)
      m.params.emplace_back(m.route->param_names[i], s.found_params[i]);
    return m;
  }
  if (!s.allow.empty()) {
    m.kind = RouteMatch::Kind::MethodNotAllowed;
    if (std::find(s.allow.begin(), s.allow.end(), "GET") != s.allow.end() &&
        std::find(s.allow.begin(), s.allow.end(), "HEAD") == s.allow.end())
      s.allow.push_back("HEAD");
    std::sort(s.allow.begin(), s.allow.end());
    m.allow = s.allow;
  }
  return m;
}

}  // namespace mr::http
