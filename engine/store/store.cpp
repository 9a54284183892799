// store/store.cpp — atomic writes, ids, sidecars and safe path resolution.
#include "store/store.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <random>

#include "util/time.hpp"

namespace fs = std::filesystem;

namespace mr::store {

namespace {

fs::path g_root = "var/artifacts";

std::string random_id() {
  static const char* const kAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";  // no 0/o/1/l look-alikes
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(8, 'a');
  for (char& c : id) c = kAlphabet[rng() % 32];
  return id;
}

bool safe_token(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void configure(const fs::path& data_dir) { g_root = data_dir / "artifacts"; }
fs::path root() { return g_root; }

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

void write_atomic(const fs::path& path, std::string_view bytes) {
  fs::path tmp = path;
  tmp += ".tmp-" + random_id();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw StoreError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw StoreError("cannot write " + path.string() + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw StoreError("cannot flush " + path.string());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw StoreError("cannot rename into " + path.string() + ": " + std::strerror(e));
  }
  fsync_dir(path.parent_path());
}

Artifact put(std::string_view bytes, const PutOptions& opts) {
  if (!safe_token(opts.kind)) throw StoreError("artifact kind must be letters, digits, '-' or '_': '" + opts.kind + "'");
  if (!safe_token(opts.ext)) throw StoreError("artifact extension must be letters or digits: '" + opts.ext + "'");
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y/%m/%d", &tm);
  std::string rel_dir = std::string(date) + "/" + opts.kind;
  fs::path dir = g_root / rel_dir;
  fs::create_directories(dir);

  // Claim an id by creating its sidecar exclusively: two writers can never
  // get the same id, even across processes.
  std::string id;
  fs::path side;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 16) throw StoreError("cannot find a free artifact id in " + dir.string());
    id = random_id();
    side = dir / (id + ".json");
    int fd = ::open(side.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
      break;
    }
    if (errno != EEXIST) throw StoreError("cannot create " + side.string() + ": " + std::strerror(errno));
  }

  Artifact a;
  a.id = id;
  a.path = rel_dir + "/" + id + "." + opts.ext;
  a.url = "/files/" + a.path;
  a.sidecar = opts.meta.is_object() ? opts.meta : nlohmann::json::object();
  a.sidecar["id"] = id;
  a.sidecar["kind"] = opts.kind;
  a.sidecar["content_type"] = opts.content_type;
  a.sidecar["bytes"] = bytes.size();
  a.sidecar["sha256"] = sha256_hex(bytes);
  a.sidecar["path"] = a.path;
  a.sidecar["url"] = a.url;
  a.sidecar["created_at"] = util::iso8601(now);
  try {
    write_atomic(side, a.sidecar.dump(2));
    write_atomic(dir / (id + "." + opts.ext), bytes);
  } catch (...) {
    ::unlink(side.c_str());
    throw;
  }
  return a;
}

std::optional<fs::path> resolve(std::string_view relpath) {
  if (relpath.empty() || relpath.front() == '/' || relpath.find('\0') != std::string_view::npos ||
      relpath.find('\\') != std::string_view::npos)
    return std::nullopt;
  size_t i = 0;
  while (i <= relpath.size()) {
    size_t j = relpath.find('/', i);
    if (j == std::string_view::npos) j = relpath.size();
    std::string_view seg = relpath.substr(i, j - i);
    if (seg.empty() || seg == "." || seg == ".." || seg.front() == '.') return std::nullopt;
    i = j + 1;
  }
  std::error_code ec;
  fs::path root_canon = fs::canonical(g_root, ec);
  if (ec) return std::nullopt;
  fs::path full = fs::canonical(g_root / std::string(relpath), ec);  // follows symlinks
  if (ec || !fs::is_regular_file(full, ec)) return std::nullopt;
  auto [r, f] = std::mismatch(root_canon.begin(), root_canon.end(), full.begin(), full.end());
  if (r != root_canon.end()) return std::nullopt;  // resolved outside the root
  return full;
}

std::optional<nlohmann::json> sidecar(std::string_view relpath) {
  auto file = resolve(relpath);
  if (!file) return std::nullopt;
  fs::path side = *file;
  side.replace_extension(".json");
  if (side == *file) return std::nullopt;
  std::ifstream in(side);
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool remove(std::string_view relpath) {
  auto file = resolve(relpath);
  if (!file) return false;
  // The thumbnail may have another extension than the file (a .mp4's is a .jpg):
  // the sidecar names it.
  std::optional<fs::path> thumb;
  if (auto side = sidecar(relpath); side && side->contains("thumb_path") && (*side)["thumb_path"].is_string())
    thumb = resolve((*side)["thumb_path"].get<std::string>());
  fs::path side_path = *file;
  side_path.replace_extension(".json");
  std::error_code ec;
  fs::remove(*file, ec);
  fs::remove(side_path, ec);
  if (thumb) fs::remove(*thumb, ec);
  return true;
}

std::string put_thumbnail(std::string_view relpath, std::string_view bytes, const std::string& ext) {
  if (!safe_token(ext)) throw StoreError("thumbnail extension must be letters or digits: '" + ext + "'");
  auto file = resolve(relpath);
  if (!file) throw StoreError("no stored file at " + std::string(relpath));
  auto side = sidecar(relpath);
  if (!side) throw StoreError("stored file has no sidecar: " + std::string(relpath));
  std::string stem = file->stem().string();
  fs::path thumb = file->parent_path() / (stem + "_thumb." + ext);
  write_atomic(thumb, bytes);
  std::string rel = std::string(relpath);
  std::string thumb_rel = rel.substr(0, rel.rfind('/') + 1) + stem + "_thumb." + ext;
  (*side)["thumb_path"] = thumb_rel;
  (*side)["thumb_url"] = "/files/" + thumb_rel;
  fs::path side_path = *file;
  side_path.replace_extension(".json");
  write_atomic(side_path, side->dump(2));
  return thumb_rel;
}

std::vector<nlohmann::json> list() {
  std::vector<nlohmann::json> out;
  std::error_code ec;
  if (!fs::is_directory(g_root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(g_root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec) || it->path().extension() != ".json") continue;
    if (it->path().filename().string().find(".tmp-") != std::string::npos) continue;
    std::ifstream in(it->path());
    try {
      auto j = nlohmann::json::parse(in);
      if (j.is_object() && j.contains("path")) out.push_back(std::move(j));
    } catch (const std::exception&) {
      // A sidecar being written right now, or damaged: not listed.
    }
  }
  return out;
}

}  // namespace mr::store
