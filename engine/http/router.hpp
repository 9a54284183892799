// http/router.hpp — the route table: path patterns with parameters, matched segment by segment.
//
// Contract: patterns are "/literal/{param}/..." with an optional last segment
// "{name...}" that captures the rest of the path. At each segment a literal
// beats a parameter, which beats a rest capture. match() tells found (with the
// route and its parameters), method-not-allowed (with the Allow list) or not
// found. HEAD falls back to GET. Pure data: no Lua, no HTTP, shared read-only
// by all threads of a generation.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mr::http {

struct RouteSpec {
  std::string method;   // upper case: GET, POST, ...
  std::string pattern;  // "/api/v1/projects/{id}"
  int index = 0;        // handler slot in every Lua state of the generation
  std::string file;     // where it was declared, for `moonreel routes`
  int line = 0;
  std::vector<std::string> param_names;
};

struct RouteMatch {
  enum class Kind { Found, MethodNotAllowed, NotFound };
  Kind kind = Kind::NotFound;
  const RouteSpec* route = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> allow;  // for MethodNotAllowed
};

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Throws std::invalid_argument on a malformed pattern or a duplicate route.
  void add(RouteSpec spec);
  RouteMatch match(std::string_view method, std::string_view path) const;
  const std::vector<RouteSpec>& routes() const { return routes_; }

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  std::vector<RouteSpec> routes_;
};

}  // namespace mr::http
