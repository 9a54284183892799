// http/lua_exchange.hpp — turning an HTTP request into a Lua table and a handler's answer into a response.
//
// Contract: push_request() builds the `req` table handlers receive (see
// docs/lua-api.md); it throws BadRequest when the body claims JSON and is not.
// write_response() reads the plain table moonreel.app.dispatch returns and
// fills the httplib response; a stream keeps the Lua lease until it ends.
#pragma once
#include <lua.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "http/router.hpp"
#include "runtime/generation.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace mr::http {

// Set once the server stops accepting: open streams end at their next chunk
// instead of holding the drain until the grace period runs out.
void begin_draining();
bool draining();

struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void push_request(lua_State* L, const httplib::Request& req, const RouteMatch& match, const std::string& request_id);

// Reads the dispatch result at the top of the stack (and pops it).
void write_response(std::shared_ptr<runtime::Generation::Lease> lease, const httplib::Request& req,
                    httplib::Response& res);

}  // namespace mr::http
