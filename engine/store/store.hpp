// store/store.hpp — the artifact store: immutable files written atomically, each with a JSON sidecar.
//
// Contract: put() writes `artifacts/YYYY/MM/DD/<kind>/<id>.<ext>` under the
// data directory with a fresh 8-character id (collision-checked), through a
// temp file + fsync + rename, so a crash never leaves a half file visible; the
// sidecar `<id>.json` (kind, content type, bytes, sha256, created_at, source
// and caller metadata) is written the same way, before the file itself, so a
// visible artifact always has its sidecar. resolve() maps a client-supplied
// relative path to a file inside the root, refusing `..`, absolute paths,
// NULs and symlinks that lead outside. Thread-safe: no shared mutable state
// beyond the filesystem.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mr::store {

struct PutOptions {
  std::string kind = "file";          // folder name: image, video, audio, ...
  std::string ext = "bin";            // file extension, no dot
  std::string content_type = "application/octet-stream";
  nlohmann::json meta = nlohmann::json::object();  // source, provider, prompt, parameters, width ...
};

struct Artifact {
  std::string id;
  std::string path;  // relative to the artifacts root, '/'-separated
  std::string url;   // "/files/" + path
  nlohmann::json sidecar;
};

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The artifacts root: <data>/artifacts. Set once at start.
void configure(const std::filesystem::path& data_dir);
std::filesystem::path root();

Artifact put(std::string_view bytes, const PutOptions& opts);
// The file for a relative path, or nullopt when it is unsafe or absent.
std::optional<std::filesystem::path> resolve(std::string_view relpath);
// The sidecar of an artifact, or nullopt.
std::optional<nlohmann::json> sidecar(std::string_view relpath);
// Removes an artifact, its sidecar and thumbnail; false when absent.
bool remove(std::string_view relpath);
// Writes `<id>_thumb.<ext>` beside an artifact (atomically) and records it in
// the sidecar as thumb_path / thumb_url; returns the thumbnail's relative path.
std::string put_thumbnail(std::string_view relpath, std::string_view bytes, const std::string& ext);
// Every artifact's sidecar (walks the tree; for collectors and tools, not hot paths).
std::vector<nlohmann::json> list();

std::string sha256_hex(std::string_view bytes);
// Writes `bytes` to `path` atomically (temp + fsync + rename + fsync of the folder).
void write_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace mr::store
