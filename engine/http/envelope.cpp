// http/envelope.cpp — building error envelopes.
#include "http/envelope.hpp"

#include <nlohmann/json.hpp>

namespace mr::http {

std::string error_envelope(const std::string& code, const std::string& message, const std::string& details_json) {
  using nlohmann::json;
  auto q = [](const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); };
  return "{\"error\":{\"code\":" + q(code) + ",\"details\":" + details_json + ",\"message\":" + q(message) + "}}";
}

const char* code_for_status(int status) {
  switch (status) {
    case 400: return "BAD_REQUEST";
    case 401: return "UNAUTHORIZED";
    case 403: return "FORBIDDEN";
    case 404: return "RESOURCE_NOT_FOUND";
    case 405: return "METHOD_NOT_ALLOWED";
    case 408: return "REQUEST_TIMEOUT";
    case 409: return "CONFLICT";
    case 413: return "PAYLOAD_TOO_LARGE";
    case 414: return "URI_TOO_LONG";
    case 415: return "UNSUPPORTED_MEDIA_TYPE";
    case 416: return "RANGE_NOT_SATISFIABLE";
    case 429: return "TOO_MANY_REQUESTS";
    case 503: return "SERVICE_UNAVAILABLE";
    default: return status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
  }
}

std::string default_message(int status) {
  switch (status) {
    case 400: return "malformed request";
    case 404: return "not found";
    case 408: return "request timed out";
    case 413: return "request body too large";
    case 414: return "request URI too long";
    case 416: return "requested range not satisfiable";
    default: return status >= 500 ? "internal error" : "request failed";
  }
}

}  // namespace mr::http
