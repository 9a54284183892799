// tests/unit/store_test.cpp — the artifact store: atomic files with sidecars, ids, safe resolution.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "store/store.hpp"

namespace fs = std::filesystem;

namespace {
struct TempData {
  fs::path dir;
  TempData() {
    dir = fs::temp_directory_path() / ("mr-store-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
    fs::create_directories(dir);
    mr::store::configure(dir);
  }
  ~TempData() { fs::remove_all(dir); }
};
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST_CASE("put writes the file and its sidecar under date folders") {
  TempData t;
  mr::store::PutOptions o;
  o.kind = "image";
  o.ext = "png";
  o.content_type = "image/png";
  o.meta = {{"source", "upload"}};
  auto a = mr::store::put("hello bytes", o);
  CHECK(a.id.size() == 8);
  CHECK(a.url == "/files/" + a.path);
  fs::path file = t.dir / "artifacts" / a.path;
  CHECK(slurp(file) == "hello bytes");
  auto side = mr::store::sidecar(a.path);
  REQUIRE(side);
  CHECK((*side)["bytes"] == 11);
  CHECK((*side)["source"] == "upload");
  CHECK((*side)["sha256"] == mr::store::sha256_hex("hello bytes"));
  for (const auto& e : fs::recursive_directory_iterator(t.dir))
    CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE("ids are unique and kinds and extensions are checked") {
  TempData t;
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.insert(mr::store::put("x", {}).id);
  CHECK(ids.size() == 200);
  mr::store::PutOptions bad;
  bad.kind = "../etc";
  CHECK_THROWS_AS(mr::store::put("x", bad), mr::store::StoreError);
  bad.kind = "image";
  bad.ext = "png/../x";
  CHECK_THROWS_AS(mr::store::put("x", bad), mr::store::StoreError);
}

TEST_CASE("resolve refuses paths that leave the artifacts root") {
  TempData t;
  auto a = mr::store::put("inside", {});
  CHECK(mr::store::resolve(a.path));
  fs::path outside = t.dir / "secret.txt";
  std::ofstream(outside) << "secret";
  fs::path day = (t.dir / "artifacts" / a.path).parent_path();
  fs::create_symlink(outside, day / "link.bin");
  std::string rel_day = a.path.substr(0, a.path.rfind('/'));
  for (std::string p : {std::string("../secret.txt"), std::string("/etc/passwd"), rel_day + "/../../../../../secret.txt",
                        rel_day + "/link.bin", rel_day + "/.hidden", std::string(""), std::string("a\\b")})
    CHECK_FALSE(mr::store::resolve(p));
}

TEST_CASE("thumbnails are recorded in the sidecar and removed with the artifact") {
  TempData t;
  auto a = mr::store::put("full", {});
  std::string thumb = mr::store::put_thumbnail(a.path, "small", "jpg");
  CHECK(thumb == a.path.substr(0, a.path.size() - 4) + "_thumb.jpg");
  CHECK((*mr::store::sidecar(a.path))["thumb_url"] == "/files/" + thumb);
  CHECK(mr::store::list().size() == 1);
  CHECK(mr::store::remove(a.path));
  CHECK_FALSE(mr::store::resolve(a.path));
  CHECK_FALSE(mr::store::resolve(thumb));
  CHECK(mr::store::list().empty());
}
