// unit/router_test.cpp — the route trie (http/router.hpp): matching, precedence, 405, HEAD, bad patterns.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "http/router.hpp"

using mr::http::RouteMatch;
using mr::http::Router;
using mr::http::RouteSpec;
using Kind = RouteMatch::Kind;
using Params = std::vector<std::pair<std::string, std::string>>;

namespace {

RouteSpec spec(std::string method, std::string pattern, int line = 0) {
  RouteSpec s;
  s.method = std::move(method);
  s.pattern = std::move(pattern);
  s.file = "api/test.lua";
  s.line = line;
  return s;
}

Router make(std::initializer_list<std::pair<const char*, const char*>> routes) {
  Router r;
  int i = 0;
  for (const auto& [m, p] : routes) {
    RouteSpec s = spec(m, p, ++i);
    s.index = i;
    r.add(s);
  }
  return r;
}

// "GET /x" of the matched route, or "" when nothing matched.
std::string hit(const Router& r, std::string_view method, std::string_view path) {
  RouteMatch m = r.match(method, path);
  if (m.kind != Kind::Found) return "";
  return m.route->method + " " + m.route->pattern;
}

Params params(const Router& r, std::string_view method, std::string_view path) {
  RouteMatch m = r.match(method, path);
  REQUIRE(m.kind == Kind::Found);
  return m.params;
}

std::vector<std::string> allow(const Router& r, std::string_view method, std::string_view path) {
  RouteMatch m = r.match(method, path);
  REQUIRE(m.kind == Kind::MethodNotAllowed);
  return m.allow;
}

std::string add_error(Router& r, const std::string& method, const std::string& pattern) {
  try {
    r.add(spec(method, pattern));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  FAIL("adding " << method << " " << pattern << " should have failed");
  return "";
}

}  // namespace

/* -- Literals ------------------------------------------------------------ */

TEST_CASE("literal routes match exactly, segment by segment", "[router]") {
  Router r = make({{"GET", "/"}, {"GET", "/health"}, {"GET", "/api/v1/projects"}});
  CHECK(hit(r, "GET", "/") == "GET /");
  CHECK(hit(r, "GET", "/health") == "GET /health");
  CHECK(hit(r, "GET", "/api/v1/projects") == "GET /api/v1/projects");
  CHECK(r.match("GET", "/api/v1").kind == Kind::NotFound);
  CHECK(r.match("GET", "/api/v1/projects/x").kind == Kind::NotFound);
  CHECK(r.match("GET", "/healthz").kind == Kind::NotFound);
  CHECK(r.match("GET", "/Health").kind == Kind::NotFound);
}

TEST_CASE("a match points at the declared route, with its index, file and line", "[router]") {
  Router r = make({{"GET", "/a"}, {"POST", "/b"}});
  RouteMatch m = r.match("POST", "/b");
  REQUIRE(m.kind == Kind::Found);
  CHECK(m.route == &r.routes()[1]);
  CHECK(m.route->index == 2);
  CHECK(m.route->file == "api/test.lua");
  CHECK(m.route->line == 2);
  CHECK(m.params.empty());
  CHECK(m.allow.empty());
}

TEST_CASE("an empty router finds nothing", "[router]") {
  Router r;
  CHECK(r.match("GET", "/").kind == Kind::NotFound);
  CHECK(r.match("GET", "/x").kind == Kind::NotFound);
  CHECK(r.routes().empty());
}

/* -- Parameters ---------------------------------------------------------- */

TEST_CASE("parameters capture one segment each, named as declared", "[router]") {
  Router r = make({{"GET", "/projects/{id}"}, {"GET", "/projects/{pid}/scenes/{sid}"}});
  CHECK(params(r, "GET", "/projects/42") == Params{{"id", "42"}});
  CHECK(params(r, "GET", "/projects/p1/scenes/s9") == Params{{"pid", "p1"}, {"sid", "s9"}});
  CHECK(r.match("GET", "/projects").kind == Kind::NotFound);
  CHECK(r.match("GET", "/projects/1/scenes").kind == Kind::NotFound);
}

TEST_CASE("add() records the parameter names on the stored route", "[router]") {
  Router r = make({{"GET", "/a/{x}/b/{y}/{rest...}"}});
  CHECK(r.routes()[0].param_names == std::vector<std::string>{"x", "y", "rest"});
}

TEST_CASE("routes sharing a parameter position each name it their own way", "[router]") {
  Router r = make({{"GET", "/items/{id}"}, {"DELETE", "/items/{item_id}"}});
  CHECK(params(r, "GET", "/items/7") == Params{{"id", "7"}});
  CHECK(params(r, "DELETE", "/items/7") == Params{{"item_id", "7"}});
}

TEST_CASE("parameter values are raw segment text", "[router]") {
  Router r = make({{"GET", "/files/{name}"}});
  CHECK(params(r, "GET", "/files/a%20b.txt") == Params{{"name", "a%20b.txt"}});
  CHECK(params(r, "GET", "/files/..") == Params{{"name", ".."}});
}

/* -- Rest captures ------------------------------------------------------- */

TEST_CASE("a rest capture takes the remaining segments joined by '/'", "[router]") {
  Router r = make({{"GET", "/files/{path...}"}, {"GET", "/p/{id}/files/{rest...}"}});
  CHECK(params(r, "GET", "/files/a") == Params{{"path", "a"}});
  CHECK(params(r, "GET", "/files/a/b/c.png") == Params{{"path", "a/b/c.png"}});
  CHECK(params(r, "GET", "/p/9/files/x/y") == Params{{"id", "9"}, {"rest", "x/y"}});
}

TEST_CASE("a rest capture needs at least one segment", "[router]") {
  Router r = make({{"GET", "/files/{path...}"}});
  CHECK(r.match("GET", "/files").kind == Kind::NotFound);
  CHECK(r.match("GET", "/files/").kind == Kind::NotFound);
}

TEST_CASE("a rest capture at the root takes the whole path", "[router]") {
  Router r = make({{"GET", "/{all...}"}, {"GET", "/health"}});
  CHECK(hit(r, "GET", "/health") == "GET /health");
  CHECK(params(r, "GET", "/a/b") == Params{{"all", "a/b"}});
  CHECK(params(r, "GET", "/health/x") == Params{{"all", "health/x"}});
}

/* -- Precedence and backtracking ----------------------------------------- */

TEST_CASE("a literal beats a parameter, which beats a rest capture", "[router]") {
  Router r = make({{"GET", "/x/new"}, {"GET", "/x/{id}"}, {"GET", "/x/{all...}"}});
  CHECK(hit(r, "GET", "/x/new") == "GET /x/new");
  CHECK(hit(r, "GET", "/x/7") == "GET /x/{id}");
  CHECK(hit(r, "GET", "/x/7/8") == "GET /x/{all...}");
  CHECK(params(r, "GET", "/x/new/8") == Params{{"all", "new/8"}});
}

TEST_CASE("declaration order does not change precedence", "[router]") {
  Router r = make({{"GET", "/x/{all...}"}, {"GET", "/x/{id}"}, {"GET", "/x/new"}});
  CHECK(hit(r, "GET", "/x/new") == "GET /x/new");
  CHECK(hit(r, "GET", "/x/7") == "GET /x/{id}");
  CHECK(hit(r, "GET", "/x/7/8") == "GET /x/{all...}");
}

TEST_CASE("a literal branch that leads nowhere backtracks to the parameter", "[router]") {
  Router r = make({{"GET", "/scenes/project/{id}"}, {"DELETE", "/scenes/{id}"}});
  CHECK(hit(r, "GET", "/scenes/project/5") == "GET /scenes/project/{id}");
  CHECK(params(r, "DELETE", "/scenes/project") == Params{{"id", "project"}});
  CHECK(params(r, "DELETE", "/scenes/42") == Params{{"id", "42"}});
  CHECK(r.match("GET", "/scenes/42").kind == Kind::MethodNotAllowed);
}

TEST_CASE("a method missing on the literal branch is found on the parameter branch", "[router]") {
  Router r = make({{"GET", "/scenes/project"}, {"DELETE", "/scenes/{id}"}});
  CHECK(hit(r, "GET", "/scenes/project") == "GET /scenes/project");
  CHECK(params(r, "DELETE", "/scenes/project") == Params{{"id", "project"}});
}

TEST_CASE("backtracking goes deeper than one segment and falls back to a rest capture", "[router]") {
  Router r = make({{"GET", "/a/b/c"}, {"GET", "/a/{x}/d"}, {"GET", "/a/{rest...}"}});
  CHECK(hit(r, "GET", "/a/b/c") == "GET /a/b/c");
  CHECK(params(r, "GET", "/a/b/d") == Params{{"x", "b"}});
  CHECK(params(r, "GET", "/a/b/e") == Params{{"rest", "b/e"}});
}

TEST_CASE("captures from an abandoned branch do not leak into the match", "[router]") {
  Router r = make({{"GET", "/{a}/x/z"}, {"GET", "/{c}/{d}/y"}});
  CHECK(params(r, "GET", "/1/x/y") == Params{{"c", "1"}, {"d", "x"}});
  CHECK(params(r, "GET", "/1/x/z") == Params{{"a", "1"}});
}

/* -- Methods: 405, Allow, HEAD ------------------------------------------- */

TEST_CASE("a known path with another method is 405 with a sorted Allow list", "[router]") {
  Router r = make({{"PUT", "/p/{id}"}, {"GET", "/p/{id}"}, {"DELETE", "/p/{id}"}});
  CHECK(allow(r, "POST", "/p/1") == std::vector<std::string>{"DELETE", "GET", "HEAD", "PUT"});
  RouteMatch m = r.match("POST", "/p/1");
  CHECK(m.route == nullptr);
  CHECK(m.params.empty());
}

TEST_CASE("Allow includes HEAD only when GET is there", "[router]") {
  Router r = make({{"POST", "/only-post"}, {"GET", "/only-get"}});
  CHECK(allow(r, "GET", "/only-post") == std::vector<std::string>{"POST"});
  CHECK(allow(r, "DELETE", "/only-get") == std::vector<std::string>{"GET", "HEAD"});
}

TEST_CASE("an explicit HEAD route appears once in Allow", "[router]") {
  Router r = make({{"GET", "/x"}, {"HEAD", "/x"}});
  CHECK(allow(r, "POST", "/x") == std::vector<std::string>{"GET", "HEAD"});
}

TEST_CASE("Allow gathers the methods of every branch that matches the path", "[router]") {
  Router r = make({{"GET", "/a/{x}"}, {"POST", "/{y}/b"}});
  CHECK(allow(r, "PUT", "/a/b") == std::vector<std::string>{"GET", "HEAD", "POST"});
}

TEST_CASE("a rest capture reports 405 too", "[router]") {
  Router r = make({{"GET", "/files/{path...}"}});
  CHECK(allow(r, "POST", "/files/a/b") == std::vector<std::string>{"GET", "HEAD"});
}

TEST_CASE("HEAD falls back to GET, with the same parameters", "[router]") {
  Router r = make({{"GET", "/p/{id}"}, {"GET", "/f/{rest...}"}});
  CHECK(hit(r, "HEAD", "/p/1") == "GET /p/{id}");
  CHECK(params(r, "HEAD", "/p/1") == Params{{"id", "1"}});
  CHECK(params(r, "HEAD", "/f/a/b") == Params{{"rest", "a/b"}});
}

TEST_CASE("an explicit HEAD route wins over the GET fallback", "[router]") {
  Router r = make({{"GET", "/x"}, {"HEAD", "/x"}});
  CHECK(hit(r, "HEAD", "/x") == "HEAD /x");
  CHECK(hit(r, "GET", "/x") == "GET /x");
}

TEST_CASE("methods are matched case-sensitively", "[router]") {
  Router r = make({{"GET", "/x"}});
  CHECK(r.match("get", "/x").kind == Kind::MethodNotAllowed);
}

/* -- Slashes ------------------------------------------------------------- */

TEST_CASE("trailing and doubled slashes do not change the match", "[router]") {
  Router r = make({{"GET", "/projects"}, {"GET", "/projects/{id}"}, {"GET", "/files/{p...}"}});
  CHECK(hit(r, "GET", "/projects/") == "GET /projects");
  CHECK(hit(r, "GET", "//projects//") == "GET /projects");
  CHECK(params(r, "GET", "/projects/7/") == Params{{"id", "7"}});
  CHECK(params(r, "GET", "/files/a//b/") == Params{{"p", "a/b"}});
  CHECK(hit(r, "GET", "") == "");
}

TEST_CASE("a pattern with a trailing slash is the same route as without", "[router]") {
  Router r = make({{"GET", "/a/"}});
  CHECK(hit(r, "GET", "/a") == "GET /a/");
  CHECK_THAT(add_error(r, "GET", "/a"), Catch::Contains("duplicate route"));
}

/* -- Bad patterns -------------------------------------------------------- */

TEST_CASE("malformed patterns are refused with a reason", "[router]") {
  Router r;
  CHECK_THAT(add_error(r, "GET", ""), Catch::Contains("must start with '/'"));
  CHECK_THAT(add_error(r, "GET", "projects"), Catch::Contains("must start with '/'"));
  CHECK_THAT(add_error(r, "GET", "/a/{id"), Catch::Contains("unclosed parameter"));
  CHECK_THAT(add_error(r, "GET", "/a/{id}x"), Catch::Contains("unclosed parameter"));
  CHECK_THAT(add_error(r, "GET", "/a/x{id}"), Catch::Contains("braces must enclose a whole segment"));
  CHECK_THAT(add_error(r, "GET", "/a/id}"), Catch::Contains("braces must enclose a whole segment"));
  CHECK_THAT(add_error(r, "GET", "/a/{}"), Catch::Contains("bad parameter name"));
  CHECK_THAT(add_error(r, "GET", "/a/{...}"), Catch::Contains("bad parameter name"));
  CHECK_THAT(add_error(r, "GET", "/a/{1x}"), Catch::Contains("bad parameter name"));
  CHECK_THAT(add_error(r, "GET", "/a/{a-b}"), Catch::Contains("bad parameter name"));
  CHECK_THAT(add_error(r, "GET", "/a/{x}/{x}"), Catch::Contains("parameter 'x' repeated"));
  CHECK_THAT(add_error(r, "GET", "/a/{rest...}/b"), Catch::Contains("must be the last segment"));
  CHECK(r.routes().empty());
}

TEST_CASE("only upper-case standard methods are accepted", "[router]") {
  Router r;
  CHECK_THAT(add_error(r, "get", "/a"), Catch::Contains("unsupported HTTP method 'get'"));
  CHECK_THAT(add_error(r, "FETCH", "/a"), Catch::Contains("unsupported HTTP method"));
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) r.add(spec(m, "/a"));
  CHECK(r.routes().size() == 7);
}

/* -- Duplicates ---------------------------------------------------------- */

TEST_CASE("a duplicate route is refused, naming where the first was declared", "[router]") {
  Router r;
  RouteSpec first = spec("GET", "/p/{id}", 12);
  first.file = "api/projects.lua";
  r.add(first);
  std::string err = add_error(r, "GET", "/p/{id}");
  CHECK_THAT(err, Catch::Contains("duplicate route GET /p/{id}"));
  CHECK_THAT(err, Catch::Contains("api/projects.lua:12"));
  CHECK(r.routes().size() == 1);
}

TEST_CASE("routes that differ only in parameter names are duplicates", "[router]") {
  Router r = make({{"GET", "/p/{id}"}});
  CHECK_THAT(add_error(r, "GET", "/p/{project_id}"), Catch::Contains("as /p/{id}"));
}

TEST_CASE("same path with another method, or a rest where a parameter is, is not a duplicate", "[router]") {
  Router r = make({{"GET", "/p/{id}"}});
  CHECK_NOTHROW(r.add(spec("POST", "/p/{id}")));
  CHECK_NOTHROW(r.add(spec("GET", "/p/{all...}")));
  CHECK_NOTHROW(r.add(spec("GET", "/p/literal")));
  CHECK(r.routes().size() == 4);
}

/* -- Ownership ----------------------------------------------------------- */

TEST_CASE("a moved router keeps its routes and matches", "[router]") {
  Router a = make({{"GET", "/p/{id}"}});
  Router b = std::move(a);
  CHECK(params(b, "GET", "/p/3") == Params{{"id", "3"}});
  Router c;
  c = std::move(b);
  CHECK(hit(c, "HEAD", "/p/3") == "GET /p/{id}");
}
