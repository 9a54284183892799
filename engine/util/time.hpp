// util/time.hpp — timestamps as ISO-8601 UTC strings (the only format the API uses).
#pragma once
#include <chrono>
#include <string>

namespace mr::util {
// "2026-11-23T21:00:00.123Z"
std::string iso8601(std::chrono::system_clock::time_point tp);
}
