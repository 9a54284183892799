// http/file_response.cpp — streaming artifact files with ETag and Range support.
#include "http/file_response.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <unistd.h>

#include <map>
#include <memory>

#include "http/envelope.hpp"
#include "store/store.hpp"

namespace mr::http {

std::string content_type_for_extension(const std::string& ext) {
  static const std::map<std::string, std::string> types = {
      {"png", "image/png"},        {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},
      {"webp", "image/webp"},      {"gif", "image/gif"},         {"bmp", "image/bmp"},
      {"tif", "image/tiff"},       {"tiff", "image/tiff"},       {"mp4", "video/mp4"},
      {"webm", "video/webm"},      {"mov", "video/quicktime"},   {"mp3", "audio/mpeg"},
      {"wav", "audio/wav"},        {"ogg", "audio/ogg"},         {"flac", "audio/flac"},
      {"m4a", "audio/mp4"},        {"json", "application/json"}, {"xml", "application/xml"},
      {"fcpxml", "application/xml"}, {"edl", "text/plain"},      {"zip", "application/zip"},
      {"otio", "application/json"}, {"txt", "text/plain"}};
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

namespace {
struct Fd {  // owns a descriptor shared by the provider's copies
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

void serve_artifact(const httplib::Request& req, httplib::Response& res, const std::string& relpath) {
  auto file = store::resolve(relpath);
  if (!file) {
    res.status = 404;
    res.set_content(error_envelope("RESOURCE_NOT_FOUND", "no stored file at /files/" + relpath), "application/json");
    return;
  }
  auto side = store::sidecar(relpath);
  std::string ext = file->extension().string();
  if (!ext.empty()) ext = ext.substr(1);
  std::string ctype = content_type_for_extension(ext);
  std::error_code ec;
  auto size = std::filesystem::file_size(*file, ec);
  std::string etag;
  if (side && side->contains("sha256") && (*side)["sha256"].is_string() && ext != "json") {
    etag = "\"" + (*side)["sha256"].get<std::string>() + "\"";
    if (side->contains("content_type") && (*side)["content_type"].is_string())
      ctype = (*side)["content_type"].get<std::string>();
  } else {
    auto mtime = std::filesystem::last_write_time(*file, ec).time_since_epoch().count();
    etag = "\"" + std::to_string(size) + "-" + std::to_string(mtime) + "\"";
  }
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", "public, max-age=31536000, immutable");
  res.set_header("Accept-Ranges", "bytes");
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  auto fd = std::make_shared<Fd>();
  fd->fd = ::open(file->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd->fd < 0) {
    res.status = 404;
    res.set_content(error_envelope("RESOURCE_NOT_FOUND", "no stored file at /files/" + relpath), "application/json");
    return;
  }
  // Status left unset: httplib answers 200, or 206 when the request has a Range.
  res.set_content_provider(static_cast<size_t>(size), ctype,
                           [fd](size_t offset, size_t length, httplib::DataSink& sink) {
                             char buf[64 * 1024];
                             size_t want = std::min(length, sizeof buf);
                             ssize_t n = ::pread(fd->fd, buf, want, static_cast<off_t>(offset));
                             if (n <= 0) return false;
                             return sink.write(buf, static_cast<size_t>(n));
                           });
}

}  // namespace mr::http
