// util/ulid.hpp — ULIDs: 48-bit millisecond time + 80 random bits in Crockford base32.
// 26 characters; sorts by creation time; unique without coordination. Thread-safe.
#pragma once
#include <string>

namespace mr::util {
std::string new_ulid();
}
