// http/envelope.hpp — the one error shape every client sees (design decision 4).
#pragma once
#include <string>

namespace mr::http {

// {"error":{"code":...,"details":<details_json>,"message":...}}
std::string error_envelope(const std::string& code, const std::string& message,
                           const std::string& details_json = "{}");

// The code for a bare status the engine produces itself (404, 405, 413, ...).
const char* code_for_status(int status);

// A short human message for a bare status ("malformed request", ...).
std::string default_message(int status);

}  // namespace mr::http
