// Inventory benchmarks.
//
//   inventory_bench overhead LAYER_BLOB
//     reads a gzip layer blob twice, without and with inventory extraction
//     (contents kept, package databases parsed), and prints both times.
//   inventory_bench fleet DB N
//     builds a database of N image versions that share a base layer and
//     each add a top layer with their own dpkg status (one package's
//     version differs per image), and prints the database size per version.
//   inventory_bench query ADDRESS ROUNDS
//     times who-has and find-file over gRPC against a dcid serving such a
//     database, and prints p50/p99.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dci/v1/service.grpc.pb.h"
#include "indexer/byte_stream.h"
#include "indexer/inventory.h"
#include "indexer/layer_reader.h"
#include "indexer/packages/dpkg.h"
#include "store/store.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Overhead(const std::string& blob) {
  double plain = 0, with = 0;
  for (int round = 0; round < 2; ++round) {
    for (bool inventory : {false, true}) {
      int fd = open(blob.c_str(), O_RDONLY);
      if (fd < 0) return 1;
      auto in = dci::MakeFdStream(fd);
      dci::LayerReadOptions ro;
      ro.compression = dci::Compression::kGzip;
      dci::InventoryOptions inv;
      if (inventory) {
        ro.capture = [&inv](absl::string_view p, int64_t n) {
          return dci::WantsContent(p, n, inv);
        };
      }
      auto t0 = std::chrono::steady_clock::now();
      auto r = dci::ReadLayer(*in, ro);
      if (!r.ok()) return 1;
      if (inventory) {
        dci::LayerInventory li = dci::ExtractInventory(r->captured, inv);
        if (round == 1) {
          std::printf("inventory: %zu package databases, %zu text files kept\n",
                      li.package_dbs.size(), li.contents.size());
        }
      }
      double s = Seconds(t0);
      if (round == 1) (inventory ? with : plain) = s;
    }
  }
  std::printf("layer read %.3f s, with inventory %.3f s: +%.1f%% (goal <= 10%%)\n",
              plain, with, 100.0 * (with - plain) / plain);
  return 0;
}

std::string Digest(const char* kind, int n) {
  std::string hex = absl::StrCat(n);
  return absl::StrCat("sha256:", std::string(64 - hex.size() - 1, '0'), kind, hex);
}

// A status file of `packages` packages; package "openssl" has version
// 1.0.<variant>.
std::string StatusText(int packages, int variant) {
  std::string s;
  for (int i = 0; i < packages; ++i) {
    std::string name = i == 0 ? "openssl" : absl::StrCat("pkg", i);
    std::string version = i == 0 ? absl::StrCat("1.0.", variant) : absl::StrCat("2.", i);
    absl::StrAppend(&s, "Package: ", name, "\nStatus: install ok installed\n",
                    "Architecture: amd64\nVersion: ", version, "\n",
                    "Maintainer: Someone <s@example.invalid>\nDescription: x\n\n");
  }
  return s;
}

long long FileSize(const std::string& path) {
  struct stat st;
  long long n = stat(path.c_str(), &st) == 0 ? st.st_size : 0;
  if (stat((path + "-wal").c_str(), &st) == 0) n += st.st_size;
  return n;
}

int Fleet(const std::string& path, int n) {
  auto store = dci::Store::Open(path);
  if (!store.ok()) return 1;
  // The shared base: 5,000 files.
  dci::NewLayer base;
  base.diff_id = Digest("b", 0);
  for (int i = 0; i < 5000; ++i) {
    dci::LayerEntry e;
    e.path = absl::StrCat("usr/lib/f", 100000 + i);
    e.size = i;
    e.content_hash = dci::ContentHasher::Of(e.path.data(), e.path.size());
    base.entries.push_back(e);
  }
  std::sort(base.entries.begin(), base.entries.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  long long size_after_first = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int v = 0; v < n; ++v) {
    dci::NewLayer top;
    top.diff_id = Digest("t", v);
    std::string status = StatusText(150, v);
    dci::LayerEntry e;
    e.path = "var/lib/dpkg/status";
    e.size = static_cast<int64_t>(status.size());
    e.content_hash = dci::ContentHasher::Of(status.data(), status.size());
    top.entries.push_back(e);
    dci::LayerEntry app;
    app.path = absl::StrCat("opt/app/build-", v);
    app.content_hash = dci::ContentHasher::Of(app.path.data(), app.path.size());
    top.entries.push_back(app);
    std::sort(top.entries.begin(), top.entries.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    dci::LayerPackageDb db;
    db.db_path = "var/lib/dpkg/status";
    db.db_hash = e.content_hash;
    db.scan = dci::ParseDpkgStatus(status, db.db_path);
    top.package_dbs.push_back(std::move(db));
    dci::ImageRecord r;
    r.manifest_digest = Digest("m", v);
    r.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
    r.manifest_json = "{}";
    r.config_digest = Digest("c", v);
    r.config_media_type = "application/vnd.oci.image.config.v1+json";
    r.config_json = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    for (const auto* l : {&base, &top}) {
      dci::ImageLayer il;
      il.diff_id = il.blob_digest = l->diff_id;
      il.position = static_cast<int>(r.layers.size());
      r.layers.push_back(il);
    }
    std::vector<dci::NewLayer> fresh;
    if (v == 0) fresh.push_back(base);
    fresh.push_back(std::move(top));
    auto c = (*store)->CommitImage(r, fresh, {{"fleet/app", absl::StrCat("v", v)}});
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", std::string(c.status().message()).c_str());
      return 1;
    }
    if (v == 0) size_after_first = FileSize(path);
  }
  double s = Seconds(t0);
  store->reset();
  long long total = FileSize(path);
  std::printf("%d image versions in %.1f s; database %.1f MB; %.1f KB per "
              "additional version (goal <= 100 KB)\n",
              n, s, total / 1e6, (total - size_after_first) / 1e3 / (n - 1));
  return 0;
}

int Query(const std::string& address, int rounds) {
  auto stub = dci::v1::Dci::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  std::vector<double> who, who_range, find;
  for (int i = 0; i < rounds; ++i) {
    {
      grpc::ClientContext ctx;
      dci::v1::WhoHasRequest req;
      req.set_name(absl::StrCat("pkg", 1 + i % 149));
      req.set_version_range(">=2.0,<2.0.5");  // matches none of the 10k versions
      dci::v1::WhoHasResponse resp;
      auto t0 = std::chrono::steady_clock::now();
      if (!stub->WhoHas(&ctx, req, &resp).ok()) return 1;
      who_range.push_back(Seconds(t0) * 1000);
    }
    {
      grpc::ClientContext ctx;
      dci::v1::WhoHasRequest req;
      req.set_name("openssl");
      req.set_version_range(absl::StrCat("=1.0.", i * 37 % 10000));
      dci::v1::WhoHasResponse resp;
      auto t0 = std::chrono::steady_clock::now();
      if (!stub->WhoHas(&ctx, req, &resp).ok()) return 1;
      who.push_back(Seconds(t0) * 1000);
      if (resp.hits_size() != 1) {
        std::fprintf(stderr, "who-has openssl =1.0.%d: %d hits\n", i * 37 % 10000,
                     resp.hits_size());
        return 1;
      }
    }
    {
      grpc::ClientContext ctx;
      dci::v1::FindFileRequest req;
      req.set_path(absl::StrCat("opt/app/build-", i * 53 % 10000));
      dci::v1::FindFileResponse resp;
      auto t0 = std::chrono::steady_clock::now();
      if (!stub->FindFile(&ctx, req, &resp).ok()) return 1;
      find.push_back(Seconds(t0) * 1000);
    }
  }
  auto report = [](const char* what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("%-44s p50 %.2f ms  p99 %.2f ms (goal p99 <= 5 ms)\n", what,
                v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]);
  };
  report("who-has openssl =VERSION (1 of 10k images)", who);
  report("who-has pkgN >=2.0,<2.0.5 (none of 10k)", who_range);
  report("find-file opt/app/build-N", find);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "overhead" && argc == 3) return Overhead(argv[2]);
  if (mode == "fleet" && argc == 4) return Fleet(argv[2], std::atoi(argv[3]));
  if (mode == "query" && argc == 4) return Query(argv[2], std::atoi(argv[3]));
  std::fprintf(stderr,
               "usage: inventory_bench overhead LAYER_BLOB\n"
               "       inventory_bench fleet DB N\n"
               "       inventory_bench query ADDRESS ROUNDS\n");
  return 1;
}
