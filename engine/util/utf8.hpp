// util/utf8.hpp — UTF-8 validation, shared by the JSON bridge and the db primitive.
#pragma once
#include <string_view>

namespace mr::util {
// The byte offset of the first invalid UTF-8 sequence (overlong forms,
// surrogates and code points past U+10FFFF are invalid), or npos.
size_t invalid_utf8_at(std::string_view s);
}  // namespace mr::util
