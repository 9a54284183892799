// util/ulid.cpp — see ulid.hpp.
#include "util/ulid.hpp"

#include <chrono>
#include <cstdint>
#include <random>

namespace mr::util {

std::string new_ulid() {
  static const char* const kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32)};
  uint64_t ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  std::string out(26, '0');
  for (int i = 9; i >= 0; --i, ms >>= 5) out[i] = kAlphabet[ms & 31];
  uint64_t hi = rng(), lo = rng();
  for (int i = 10; i < 26; ++i) {
    out[i] = kAlphabet[hi & 31];
    hi = (hi >> 5) | (lo << 59);
    lo >>= 5;
  }
  return out;
}

}  // namespace mr::util
