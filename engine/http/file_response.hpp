// http/file_response.hpp — serving stored artifacts: content type, ETag, caching, byte ranges.
//
// Contract: serve_artifact() answers GET /files/<relpath> from the artifact
// store. The path is resolved by store::resolve (no `..`, no absolute paths,
// no symlinks out of the root); anything else is a 404 envelope. Artifacts are
// immutable, so responses are cacheable forever and validated by the sha256
// ETag; Range requests get 206 (httplib applies the range to the provider).
#pragma once
#include <string>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace mr::http {
void serve_artifact(const httplib::Request& req, httplib::Response& res, const std::string& relpath);
std::string content_type_for_extension(const std::string& ext);
}  // namespace mr::http
