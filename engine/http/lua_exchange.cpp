// http/lua_exchange.cpp — request tables and response writing.
#include "http/lua_exchange.hpp"

#include <httplib.h>

#include <atomic>
#include <cctype>
#include <cstring>

#include "http/envelope.hpp"
#include "json/json_lua.hpp"
#include "log/log.hpp"

namespace mr::http {

namespace {
std::atomic<bool> g_draining{false};
}  // namespace

void begin_draining() { g_draining = true; }
bool draining() { return g_draining; }

namespace {

void set_string(lua_State* L, const char* key, const std::string& v) {
  lua_pushlstring(L, v.data(), v.size());
  lua_setfield(L, -2, key);
}

bool is_json_content_type(const std::string& ct) {
  auto semi = ct.find(';');
  std::string base = ct.substr(0, semi);
  while (!base.empty() && std::isspace(static_cast<unsigned char>(base.back()))) base.pop_back();
  for (char& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return base == "application/json" || (base.starts_with("application/") && base.ends_with("+json"));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void push_request(lua_State* L, const httplib::Request& req, const RouteMatch& match, const std::string& request_id) {
  lua_createtable(L, 0, 12);
  set_string(L, "id", request_id);
  set_string(L, "method", req.method);
  set_string(L, "path", req.path);
  set_string(L, "target", req.target);
  set_string(L, "remote_addr", req.remote_addr);

  lua_createtable(L, 0, static_cast<int>(match.params.size()));
  for (const auto& [k, v] : match.params) set_string(L, k.c_str(), v);
  lua_setfield(L, -2, "params");

  // query: first value of each key; query_all: every value, as lists.
  lua_newtable(L);
  for (const auto& [k, v] : req.params) {
    lua_getfield(L, -1, k.c_str());
    bool seen = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (!seen) set_string(L, k.c_str(), v);
  }
  lua_setfield(L, -2, "query");
  lua_newtable(L);
  for (const auto& [k, v] : req.params) {
    lua_getfield(L, -1, k.c_str());
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushvalue(L, -1);
      lua_setfield(L, -3, k.c_str());
    }
    lua_pushlstring(L, v.data(), v.size());
    lua_rawseti(L, -2, static_cast<int>(lua_objlen(L, -2)) + 1);
    lua_pop(L, 1);
  }
  lua_setfield(L, -2, "query_all");

  // headers: lower-case names; repeated headers joined with ", ".
  lua_newtable(L);
  for (const auto& [k, v] : req.headers) {
    std::string name = lower(k);
    lua_getfield(L, -1, name.c_str());
    if (lua_isstring(L, -1)) {
      std::string joined = std::string(lua_tostring(L, -1)) + ", " + v;
      lua_pop(L, 1);
      set_string(L, name.c_str(), joined);
    } else {
      lua_pop(L, 1);
      set_string(L, name.c_str(), v);
    }
  }
  lua_setfield(L, -2, "headers");

  set_string(L, "body", req.body);

  std::string ct = req.get_header_value("Content-Type");
  if (!req.body.empty() && is_json_content_type(ct)) {
    try {
      json::decode(L, req.body);
    } catch (const json::JsonError& e) {
      lua_pop(L, 1);
      throw BadRequest(e.what());
    }
    lua_setfield(L, -2, "json");
  }

  if (req.is_multipart_form_data()) {
    // files: the first upload of each field; uploads: every upload in order;
    // form: the fields that carry no file.
    lua_newtable(L);  // files
    lua_newtable(L);  // form
    lua_newtable(L);  // uploads
    int n_uploads = 0;
    for (const auto& [name, part] : req.files) {
      if (part.filename.empty()) {
        lua_pushlstring(L, part.content.data(), part.content.size());
        lua_setfield(L, -3, name.c_str());
        continue;
      }
      lua_createtable(L, 0, 5);
      set_string(L, "field", name);
      set_string(L, "filename", part.filename);
      set_string(L, "content_type", part.content_type);
      set_string(L, "data", part.content);
      lua_pushnumber(L, static_cast<lua_Number>(part.content.size()));
      lua_setfield(L, -2, "size");
      lua_pushvalue(L, -1);
      lua_rawseti(L, -3, ++n_uploads);
      lua_getfield(L, -4, name.c_str());
      bool seen = !lua_isnil(L, -1);
      lua_pop(L, 1);
      if (seen)
        lua_pop(L, 1);
      else
        lua_setfield(L, -4, name.c_str());
    }
    lua_setfield(L, -4, "uploads");
    lua_setfield(L, -3, "form");
    lua_setfield(L, -2, "files");
  }
}

namespace {

std::string get_string_field(lua_State* L, int idx, const char* key) {
  lua_getfield(L, idx, key);
  std::string v;
  if (lua_isstring(L, -1)) {
    size_t n;
    const char* s = lua_tolstring(L, -1, &n);
    v.assign(s, n);
  }
  lua_pop(L, 1);
  return v;
}

void internal_error(httplib::Response& res, const std::string& why) {
  log::error("request failed", {{"error", why}});
  res.status = 500;
  res.set_content(error_envelope("INTERNAL_ERROR", "internal error"), "application/json");
}

}  // namespace

void write_response(std::shared_ptr<runtime::Generation::Lease> lease, const httplib::Request& req,
                    httplib::Response& res) {
  lua_State* L = lease->L();
  int t = lua_gettop(L);
  lua_getfield(L, t, "status");
  res.status = lua_isnumber(L, -1) ? static_cast<int>(lua_tointeger(L, -1)) : 200;
  lua_pop(L, 1);

  lua_getfield(L, t, "headers");
  if (lua_istable(L, -1)) {
    size_t n = lua_objlen(L, -1);
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, -1, static_cast<int>(i));
      lua_rawgeti(L, -1, 1);
      lua_rawgeti(L, -2, 2);
      const char* k = lua_tostring(L, -2);
      const char* v = lua_tostring(L, -1);
      // CR/LF in a header would split the response: drop such headers.
      if (k && v && !std::strpbrk(k, "\r\n") && !std::strpbrk(v, "\r\n")) res.set_header(k, v);
      lua_pop(L, 3);
    }
  }
  lua_pop(L, 1);

  lua_getfield(L, t, "error");
  if (lua_istable(L, -1)) {
    int e = lua_gettop(L);
    std::string code = get_string_field(L, e, "code"), message = get_string_field(L, e, "message");
    lua_getfield(L, e, "details");
    std::string details = "{}";
    if (!lua_isnil(L, -1)) {
      try {
        details = json::encode(L, -1);
      } catch (const json::JsonError& ex) {
        log::warn("error details are not JSON-encodable", {{"error", ex.what()}});
      }
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "log");
    if (lua_istable(L, -1)) {
      log::error("uncaught Lua error", {{"method", req.method},
                                        {"path", req.path},
                                        {"traceback", get_string_field(L, lua_gettop(L), "traceback")}});
    }
    lua_settop(L, t - 1);
    res.set_content(error_envelope(code, message, details), "application/json");
    return;
  }
  lua_pop(L, 1);

  std::string content_type = get_string_field(L, t, "content_type");

  lua_getfield(L, t, "stream");
  if (lua_isfunction(L, -1)) {
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, t - 1);
    res.set_chunked_content_provider(
        content_type.empty() ? "application/octet-stream" : content_type,
        [lease, ref](size_t, httplib::DataSink& sink) {
          if (draining()) {  // the client reconnects (SSE resumes with Last-Event-ID)
            sink.done();
            return true;
          }
          lua_State* S = lease->L();
          lua_rawgeti(S, LUA_REGISTRYINDEX, ref);
          if (runtime::pcall_traceback(S, 0, 1) != 0) {
            log::error("stream producer failed", {{"error", lua_tostring(S, -1) ? lua_tostring(S, -1) : "?"}});
            lua_pop(S, 1);
            return false;
          }
          bool ok = true;
          if (lua_isstring(S, -1)) {
            size_t n;
            const char* s = lua_tolstring(S, -1, &n);
            ok = sink.write(s, n);
          } else {
            sink.done();
          }
          lua_pop(S, 1);
          return ok;
        },
        [lease, ref](bool) { luaL_unref(lease->L(), LUA_REGISTRYINDEX, ref); });
    return;
  }
  lua_pop(L, 1);

  lua_getfield(L, t, "body");
  if (lua_isstring(L, -1)) {
    size_t n;
    const char* s = lua_tolstring(L, -1, &n);
    res.set_content(s, n, content_type.empty() ? "application/octet-stream" : content_type);
    lua_settop(L, t - 1);
    return;
  }
  lua_pop(L, 1);

  lua_getfield(L, t, "has_json");
  bool has_json = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (has_json) {
    lua_getfield(L, t, "json");
    try {
      std::string body = json::encode(L, -1);
      res.set_content(body, content_type.empty() ? "application/json" : content_type);
    } catch (const json::JsonError& ex) {
      internal_error(res, std::string("response is not JSON-encodable: ") + ex.what());
    }
  }
  lua_settop(L, t - 1);
}

}  // namespace mr::http
