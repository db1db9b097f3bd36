// Tests of indexer/manifest.h and the pieces under it: image sources
// (directory and tar), image configs and platforms. Real layouts come from
// ../shared/testdata (go-containerregistry's test images) and from skopeo;
// synthetic ones are written by the tests into a mkdtemp directory.
#include "indexer/manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/digest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "indexer/image_config.h"
#include "indexer/image_ref.h"
#include "indexer/image_source.h"

namespace dci {
namespace {

namespace fs = std::filesystem;
using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kOciConfig[] = "application/vnd.oci.image.config.v1+json";
constexpr char kOciLayerGzip[] = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr char kDockerManifest[] =
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr char kDockerConfig[] =
    "application/vnd.docker.container.image.v1+json";
constexpr char kDockerLayerTar[] =
    "application/vnd.docker.image.rootfs.diff.tar";
constexpr char kDockerLayerGzip[] =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

// ------------------------------------------------------------------ helpers

std::string TestdataDir() { return DCI_TESTDATA_DIR; }

// Shared test data is required in CI and optional on a developer machine.
#define REQUIRE_TESTDATA()                                      \
  do {                                                          \
    if (!fs::is_directory(TestdataDir() + "/oci")) {            \
      if (std::getenv("CI") != nullptr) {                       \
        FAIL() << "DCI_TESTDATA_DIR " << TestdataDir()          \
               << "/oci is missing (CI is set)";                \
      }                                                         \
      GTEST_SKIP() << "SKIPPED: shared test data not found at " \
                   << TestdataDir() << "/oci";                  \
    }                                                           \
  } while (0)

// skopeo is needed in CI and optional on a developer machine.
#define REQUIRE_SKOPEO()                                         \
  do {                                                           \
    if (std::system("command -v skopeo >/dev/null 2>&1") != 0) { \
      if (std::getenv("CI") != nullptr) {                        \
        FAIL() << "skopeo is not on PATH (CI is set)";           \
      }                                                          \
      GTEST_SKIP() << "SKIPPED: skopeo is not on PATH";          \
    }                                                            \
  } while (0)

std::string GcrLayout() {
  return TestdataDir() + "/oci/gcr-layout-test_index/layout";
}
std::string WhiteoutTar() {
  return TestdataDir() +
         "/oci/gcr-dockersave-whiteout_image/whiteout_image.tar";
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dci-manifest-XXXXXX");
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
  ASSERT_TRUE(f.good()) << path;
}

std::string Hex(const std::string& digest) { return digest.substr(7); }

la_ssize_t AppendToString(archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

struct TarMember {
  std::string name;
  std::string data;
  std::string symlink;   // set: a symlink to this target
  std::string hardlink;  // set: a hardlink to this member
};

// A tar (pax) with these members, in order, built with libarchive's writer.
std::string MakeTar(const std::vector<TarMember>& members) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, AppendToString, nullptr);
  for (const TarMember& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_entry_set_perm(e, 0644);
    if (!m.symlink.empty()) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, m.symlink.c_str());
      archive_entry_set_size(e, 0);
    } else if (!m.hardlink.empty()) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, m.hardlink.c_str());
      archive_entry_set_size(e, 0);
    } else if (!m.name.empty() && m.name.back() == '/') {
      archive_entry_set_filetype(e, AE_IFDIR);
      archive_entry_set_perm(e, 0755);
      archive_entry_set_size(e, 0);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    }
    archive_write_header(a, e);
    if (!m.data.empty()) archive_write_data(a, m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// gzip of exactly these bytes (libarchive's raw format plus gzip filter).
std::string Gzip(const std::string& data) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, AppendToString, nullptr);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  archive_write_header(a, e);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string ConfigJson(const Platform& p,
                       const std::vector<std::string>& diff_ids) {
  json c = {{"architecture", p.architecture},
            {"os", p.os},
            {"config", {{"Env", {"PATH=/usr/bin"}}}},
            {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  if (!p.variant.empty()) c["variant"] = p.variant;
  return c.dump();
}

// Writes an OCI image layout blob by blob.
class LayoutWriter {
 public:
  explicit LayoutWriter(std::string root) : root_(std::move(root)) {
    WriteFile(root_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
  const std::string& root() const { return root_; }

  // Stores `data` as a blob; returns its digest.
  std::string Blob(const std::string& data) {
    std::string d = Sha256::Of(data);
    WriteFile(BlobFile(d), data);
    return d;
  }
  std::string BlobFile(const std::string& digest) const {
    return root_ + "/blobs/sha256/" + Hex(digest);
  }
  json Desc(const std::string& media_type, const std::string& data) {
    return {{"mediaType", media_type},
            {"digest", Blob(data)},
            {"size", data.size()}};
  }
  void Index(const json& manifests) {
    WriteFile(root_ + "/index.json",
              json{{"schemaVersion", 2}, {"manifests", manifests}}.dump());
  }

 private:
  std::string root_;
};

struct BuiltImage {
  json desc;  // the manifest's descriptor, with platform
  std::string manifest;
  std::string config;
  std::string config_digest;
  std::vector<std::string> layer_digests;
  std::vector<std::string> diff_ids;
};

// One image: `layers` gzip layers, each a one-file tar naming the platform.
BuiltImage WriteImage(LayoutWriter& w, const Platform& p, int layers = 1) {
  BuiltImage b;
  json layer_descs = json::array();
  for (int i = 0; i < layers; ++i) {
    std::string tar = MakeTar(
        {{absl::StrCat("layer", i, ".txt"), p.ToString() + "\n", "", ""}});
    b.diff_ids.push_back(Sha256::Of(tar));
    json d = w.Desc(kOciLayerGzip, Gzip(tar));
    b.layer_digests.push_back(d["digest"]);
    layer_descs.push_back(d);
  }
  b.config = ConfigJson(p, b.diff_ids);
  json config_desc = w.Desc(kOciConfig, b.config);
  b.config_digest = config_desc["digest"];
  b.manifest = json{{"schemaVersion", 2},
                    {"mediaType", kOciManifest},
                    {"config", config_desc},
                    {"layers", layer_descs}}
                   .dump();
  b.desc = w.Desc(kOciManifest, b.manifest);
  json platform = {{"os", p.os}, {"architecture", p.architecture}};
  if (!p.variant.empty()) platform["variant"] = p.variant;
  b.desc["platform"] = platform;
  return b;
}

json Tagged(json desc, const std::string& tag) {
  desc["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  return desc;
}

ImageRef OciRef(const std::string& dir, const std::string& tag = "") {
  ImageRef r;
  r.transport = Transport::kOciDir;
  r.path = dir;
  r.tag = tag;
  return r;
}

ImageRef DockerArchiveRef(const std::string& file,
                          const std::string& tag = "") {
  ImageRef r;
  r.transport = Transport::kDockerArchive;
  r.path = file;
  r.tag = tag;
  return r;
}

absl::StatusOr<ResolvedImage> ResolveDir(const std::string& dir,
                                         const std::string& tag,
                                         const Platform& want = {}) {
  absl::StatusOr<std::unique_ptr<ImageSource>> src = OpenDirectorySource(dir);
  if (!src.ok()) return src.status();
  return ResolveImage(**src, OciRef(dir, tag), want);
}

absl::StatusOr<ResolvedImage> ResolveTar(const ImageRef& ref,
                                         const Platform& want = {}) {
  absl::StatusOr<std::unique_ptr<ImageSource>> src = OpenTarSource(ref.path);
  if (!src.ok()) return src.status();
  return ResolveImage(**src, ref, want);
}

std::vector<std::string> DiffIds(const ResolvedImage& img) {
  std::vector<std::string> out;
  for (const LayerDescriptor& l : img.layers) out.push_back(l.diff_id);
  return out;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

std::string SlurpStream(ByteStream& in) {
  std::string out;
  char buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = in.Read(buf, sizeof(buf));
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

// A layout with one image tagged "latest": the base the broken-layout tests
// break one thing of.
struct SimpleLayout {
  TempDir tmp;
  std::unique_ptr<LayoutWriter> w;
  BuiltImage img;
  SimpleLayout() {
    w = std::make_unique<LayoutWriter>(tmp.Sub("layout"));
    img = WriteImage(*w, Platform{"linux", "amd64", ""});
    w->Index(json::array({Tagged(img.desc, "latest")}));
  }
  std::string dir() const { return w->root(); }
  // Replaces the manifest with `manifest` (written as a new blob) in
  // index.json.
  void SetManifest(const std::string& manifest) {
    w->Index(json::array({Tagged(w->Desc(kOciManifest, manifest), "latest")}));
  }
  json Manifest() const { return json::parse(img.manifest); }
};

// ---------------------------------------------- real data:
// go-containerregistry

struct GcrCase {
  std::string tag;
  std::string manifest_digest;
  std::string manifest_media_type;  // the blob's own
  std::string index_digest;
  std::string config_digest;
  std::string layer_digest;
  long long layer_size;
  std::string diff_id;
  size_t warnings;
};

class GcrLayoutTestIndex : public ::testing::TestWithParam<GcrCase> {};

TEST_P(GcrLayoutTestIndex, ResolvesTagToManifestConfigAndLayers) {
  REQUIRE_TESTDATA();
  const GcrCase& c = GetParam();
  absl::StatusOr<ResolvedImage> img =
      ResolveDir(GcrLayout(), c.tag, Platform{"linux", "amd64", ""});
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_digest, c.manifest_digest);
  EXPECT_EQ(img->manifest_media_type, c.manifest_media_type);
  EXPECT_EQ(Sha256::Of(img->manifest_json), c.manifest_digest);
  EXPECT_EQ(img->manifest_json.size(), 423u);
  EXPECT_FALSE(img->manifest_synthesized);
  EXPECT_EQ(img->index_digest, c.index_digest);
  EXPECT_EQ(img->config_digest, c.config_digest);
  EXPECT_EQ(img->config_media_type, kDockerConfig);
  EXPECT_EQ(Sha256::Of(img->config_json), c.config_digest);
  EXPECT_EQ(img->config.platform.ToString(), "linux/amd64");
  EXPECT_EQ(img->config.author, "Bazel");
  EXPECT_EQ(img->config.created, "1970-01-01T00:00:00Z");
  ASSERT_EQ(img->config.history.size(), 1u);
  EXPECT_EQ(img->config.history[0].created_by, "bazel build ...");
  ASSERT_EQ(img->layers.size(), 1u);
  const LayerDescriptor& l = img->layers[0];
  EXPECT_EQ(l.media_type, kDockerLayerGzip);
  EXPECT_EQ(l.digest, c.layer_digest);
  EXPECT_EQ(l.size, c.layer_size);
  EXPECT_EQ(l.source_path, "blobs/sha256/" + Hex(c.layer_digest));
  EXPECT_EQ(l.compression, Compression::kGzip);
  EXPECT_EQ(l.diff_id, c.diff_id);
  EXPECT_THAT(img->config.diff_ids, ElementsAre(c.diff_id));
  EXPECT_THAT(img->source_tags, ElementsAre(c.tag));
  EXPECT_EQ(img->warnings.size(), c.warnings)
      << (img->warnings.empty() ? "" : img->warnings[0]);
}

// expected.descriptors.tsv of gcr-layout-test_index.
const char kGcrManifest1[] =
    "sha256:eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650";
const char kGcrConfig1[] =
    "sha256:6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e";
const char kGcrLayer1[] =
    "sha256:dc52c6e48a1d51a96047b059f16889bc889c4b4c28f3b36b3f93187f62fc0b2b";
const char kGcrDiffId1[] =
    "sha256:8897395fd26dc44ad0e2a834335b33198cb41ac4d98dfddf58eced3853fa7b17";

INSTANTIATE_TEST_SUITE_P(
    Refs, GcrLayoutTestIndex,
    ::testing::Values(
        // "1": the descriptor says OCI manifest, the blob is Docker's: the
        // blob's own type is reported, with a warning.
        GcrCase{"1", kGcrManifest1, kDockerManifest, "", kGcrConfig1,
                kGcrLayer1, 167, kGcrDiffId1, 1},
        // "2": descriptor media type application/vnd.oci.descriptor.v1+json,
        // classified by the blob's own mediaType.
        GcrCase{"2",
                "sha256:32589985702551b6c56033bb3334432a0a513bf9d6aceda0f67c42b"
                "003850720",
                kDockerManifest, "",
                "sha256:930705ce23e3b6ed4c08746b6fe880089c864fbaf62482702ae3fd"
                "d66b8c7fe9",
                "sha256:321460fa87fd42433950b42d04b7aff249f4ed960d43404a9f6998"
                "86906cc9d3",
                165,
                "sha256:3610aa5267a210147ba6ca02cdd87610dfc08522de9c5f5015edd8"
                "ee14853fd8",
                0},
        // "3": a nested OCI index whose one entry has no platform.
        GcrCase{"3", kGcrManifest1, kDockerManifest,
                "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce581"
                "2addad86b5",
                kGcrConfig1, kGcrLayer1, 167, kGcrDiffId1, 1},
        // "4": a Docker manifest list.
        GcrCase{"4", kGcrManifest1, kDockerManifest,
                "sha256:2b29a2b8dea3af91ea7d0154be1da0c92d55ddd098540930fc8d3d"
                "b7de377fdb",
                kGcrConfig1, kGcrLayer1, 167, kGcrDiffId1, 1}),
    [](const ::testing::TestParamInfo<GcrCase>& info) {
      return "Ref" + info.param.tag;
    });

TEST(GcrLayoutTestIndex, NoTagWithSeveralImagesIsNotFoundListingTags) {
  REQUIRE_TESTDATA();
  absl::StatusOr<ResolvedImage> img = ResolveDir(GcrLayout(), "");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound) << img.status();
  EXPECT_EQ(Message(img.status()),
            "index.json lists 4 images; name one: 1, 2, 3, 4");
}

TEST(GcrLayoutTestIndex, UnknownTagIsNotFoundListingTags) {
  REQUIRE_TESTDATA();
  absl::StatusOr<ResolvedImage> img = ResolveDir(GcrLayout(), "5");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound) << img.status();
  EXPECT_EQ(Message(img.status()),
            "index.json: no image tagged \"5\"; tags: 1, 2, 3, 4");
}

TEST(GcrLayoutTestIndex, WarnsWhenDescriptorAndBlobMediaTypesDiffer) {
  REQUIRE_TESTDATA();
  absl::StatusOr<ResolvedImage> img = ResolveDir(GcrLayout(), "1");
  ASSERT_TRUE(img.ok()) << img.status();
  ASSERT_EQ(img->warnings.size(), 1u);
  EXPECT_EQ(img->warnings[0],
            "sha256:eebff607b162…: descriptor says "
            "\"application/vnd.oci.image.manifest.v1+json\", the blob says "
            "\"application/vnd.docker.distribution.manifest.v2+json\"; using "
            "the blob's");
}

TEST(GcrLayoutTestIndex, WarnsWhenTheImageIsNotTheRequestedPlatform) {
  REQUIRE_TESTDATA();
  absl::StatusOr<ResolvedImage> img =
      ResolveDir(GcrLayout(), "2", Platform{"linux", "arm64", ""});
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_THAT(img->warnings,
              ElementsAre("image is linux/amd64, not the requested "
                          "linux/arm64"));
}

TEST(GcrLayoutTestIndex, OciArchiveTransportOnDockerSaveTarIsInvalidArgument) {
  REQUIRE_TESTDATA();
  ImageRef ref = DockerArchiveRef(WhiteoutTar());
  ref.transport = Transport::kOciArchive;
  absl::StatusOr<ResolvedImage> img = ResolveTar(ref);
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(img.status()), "no index.json: not an OCI image layout");
}

// ------------------------------------------ real data: docker save archive

const char kWhiteoutConfig[] =
    "sha256:decb630649c3e1256345d416b228d6c3ceb387a55120ad44dc3ec992976d28b9";
const std::vector<std::string>& WhiteoutDiffIds() {
  static const auto* ids = new std::vector<std::string>{
      "sha256:891f36a008624b6450292efb6ff06b633a179c7cc08456fefcc08c2b34f3b31c",
      "sha256:88d2a7b2ae6dddeb3490c9370cfc070aaa1aab9c22a6fb03523787d8b21c17db",
      "sha256:84ff92691f909a05b224e1c56abb4864f01b4f8e3c854e4bb4c7baf1d3f6d652",
  };
  return *ids;
}

TEST(DockerArchive, WhiteoutImageResolvesWithSynthesizedSchema2Manifest) {
  REQUIRE_TESTDATA();
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(WhiteoutTar()));
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_TRUE(img->manifest_synthesized);
  EXPECT_EQ(img->config_digest, kWhiteoutConfig);
  EXPECT_EQ(img->config_media_type, kDockerConfig);
  EXPECT_EQ(img->config_json.size(), 658u);
  EXPECT_EQ(img->config.platform.ToString(), "linux/amd64");
  EXPECT_EQ(img->config.history.size(), 3u);
  EXPECT_THAT(img->source_tags,
              ElementsAre("bazel/pkg/v1/mutate:whiteout_image"));
  EXPECT_EQ(img->index_digest, "");
  EXPECT_TRUE(img->warnings.empty());
  const std::vector<std::string> paths = {
      "5f986a6829b24e82d482cf90b5a9bcff697b9aa9d6b57d2d229854f0e32de2b5/"
      "layer.tar",
      "b06a6174b68ccb97455ee08975579ac57f8a11420fc3d029a37edcad5ecae418/"
      "layer.tar",
      "9c974b5759fc644ca0e9f30966a6a1007bd4f77388523e2b625a4bc7dfa9281e/"
      "layer.tar",
  };
  ASSERT_EQ(img->layers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const LayerDescriptor& l = img->layers[i];
    EXPECT_EQ(l.source_path, paths[i]);
    EXPECT_EQ(l.media_type, kDockerLayerTar);
    EXPECT_EQ(l.size, 10240);
    EXPECT_EQ(l.compression, Compression::kNone);
    // Uncompressed: the blob digest is the diff_id.
    EXPECT_EQ(l.digest, WhiteoutDiffIds()[i]);
    EXPECT_EQ(l.diff_id, WhiteoutDiffIds()[i]);
  }
  EXPECT_EQ(img->config.diff_ids, WhiteoutDiffIds());
  const std::string expected_manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":658,)"
      R"("digest":"sha256:decb630649c3e1256345d416b228d6c3ceb387a55120ad44dc3ec992976d28b9"},)"
      R"("layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":10240,)"
      R"("digest":"sha256:891f36a008624b6450292efb6ff06b633a179c7cc08456fefcc08c2b34f3b31c"},)"
      R"({"mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":10240,)"
      R"("digest":"sha256:88d2a7b2ae6dddeb3490c9370cfc070aaa1aab9c22a6fb03523787d8b21c17db"},)"
      R"({"mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":10240,)"
      R"("digest":"sha256:84ff92691f909a05b224e1c56abb4864f01b4f8e3c854e4bb4c7baf1d3f6d652"}]})";
  EXPECT_EQ(img->manifest_json, expected_manifest);
  EXPECT_EQ(img->manifest_media_type, kDockerManifest);
  // sha256sum of the text above, computed outside dci.
  EXPECT_EQ(
      img->manifest_digest,
      "sha256:23fff0bf819b659d18d41a62a5a4c3552ba66abcffbfd092f65016bbb9c0fb"
      "fa");
}

TEST(DockerArchive, NameTagSelectsByRepoTagsInEitherSpelling) {
  REQUIRE_TESTDATA();
  for (const char* name : {"bazel/pkg/v1/mutate:whiteout_image",
                           "docker.io/bazel/pkg/v1/mutate:whiteout_image"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<ResolvedImage> img =
        ResolveTar(DockerArchiveRef(WhiteoutTar(), name));
    ASSERT_TRUE(img.ok()) << img.status();
    EXPECT_EQ(img->config_digest, kWhiteoutConfig);
  }
}

TEST(DockerArchive, UnknownNameIsNotFoundListingRepoTags) {
  REQUIRE_TESTDATA();
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(WhiteoutTar(), "foo/bar:1"));
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(img.status()),
            "manifest.json: no image named \"foo/bar:1\"; names: "
            "bazel/pkg/v1/mutate:whiteout_image");
}

TEST(DockerArchive, ParsedReferenceWithoutTagMeansLatest) {
  REQUIRE_TESTDATA();
  absl::StatusOr<ImageRef> ref =
      ParseImageRef("docker-archive:" + WhiteoutTar() + ":bazel/pkg/v1/mutate");
  ASSERT_TRUE(ref.ok()) << ref.status();
  absl::StatusOr<ResolvedImage> img = ResolveTar(*ref);
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(img.status()),
              HasSubstr("no image named \"bazel/pkg/v1/mutate:latest\""));
}

// ----------------------------------------------------- synthetic: platforms

struct MultiPlatform {
  TempDir tmp;
  std::unique_ptr<LayoutWriter> w;
  BuiltImage amd64, arm64, armv7;
  std::string index_digest;
  MultiPlatform() {
    w = std::make_unique<LayoutWriter>(tmp.Sub("layout"));
    amd64 = WriteImage(*w, Platform{"linux", "amd64", ""}, 2);
    arm64 = WriteImage(*w, Platform{"linux", "arm64", "v8"}, 2);
    armv7 = WriteImage(*w, Platform{"linux", "arm", "v7"}, 2);
    std::string index =
        json{{"schemaVersion", 2},
             {"mediaType", kOciIndex},
             {"manifests", {amd64.desc, arm64.desc, armv7.desc}}}
            .dump();
    json d = w->Desc(kOciIndex, index);
    index_digest = d["digest"];
    w->Index(json::array({Tagged(d, "multi")}));
  }
};

struct PlatformCase {
  std::string want;
  std::string chosen;  // "amd64", "arm64", "armv7"
};

class MultiPlatformIndex : public ::testing::TestWithParam<PlatformCase> {};

TEST_P(MultiPlatformIndex, ChoosesTheRequestedPlatform) {
  MultiPlatform mp;
  const PlatformCase& c = GetParam();
  absl::StatusOr<Platform> want = ParsePlatform(c.want);
  ASSERT_TRUE(want.ok()) << want.status();
  absl::StatusOr<ResolvedImage> img = ResolveDir(mp.w->root(), "multi", *want);
  ASSERT_TRUE(img.ok()) << img.status();
  const BuiltImage& expect = c.chosen == "amd64"   ? mp.amd64
                             : c.chosen == "arm64" ? mp.arm64
                                                   : mp.armv7;
  EXPECT_EQ(img->manifest_digest, expect.desc["digest"]);
  EXPECT_EQ(img->manifest_media_type, kOciManifest);
  EXPECT_EQ(img->manifest_json, expect.manifest);
  EXPECT_EQ(img->config_digest, expect.config_digest);
  EXPECT_EQ(img->config_media_type, kOciConfig);
  EXPECT_EQ(img->index_digest, mp.index_digest);
  ASSERT_EQ(img->available_platforms.size(), 3u);
  EXPECT_EQ(img->available_platforms[0].ToString(), "linux/amd64");
  EXPECT_EQ(img->available_platforms[1].ToString(), "linux/arm64/v8");
  EXPECT_EQ(img->available_platforms[2].ToString(), "linux/arm/v7");
  ASSERT_EQ(img->layers.size(), 2u);
  EXPECT_EQ(img->layers[0].digest, expect.layer_digests[0]);
  EXPECT_EQ(img->layers[1].digest, expect.layer_digests[1]);
  EXPECT_EQ(img->layers[0].media_type, kOciLayerGzip);
  EXPECT_EQ(img->layers[0].compression, Compression::kGzip);
  EXPECT_EQ(DiffIds(*img), expect.diff_ids);
  EXPECT_THAT(img->source_tags, ElementsAre("multi"));
  EXPECT_TRUE(img->warnings.empty()) << img->warnings[0];
}

INSTANTIATE_TEST_SUITE_P(
    Platforms, MultiPlatformIndex,
    ::testing::Values(PlatformCase{"linux/amd64", "amd64"},
                      PlatformCase{"linux/arm64/v8", "arm64"},
                      // arm64 without a variant is v8.
                      PlatformCase{"linux/arm64", "arm64"},
                      PlatformCase{"linux/arm/v7", "armv7"},
                      PlatformCase{"linux/arm", "armv7"}));

TEST(MultiPlatformIndex, MissingPlatformIsNotFoundListingPlatforms) {
  MultiPlatform mp;
  for (const char* want : {"linux/s390x", "linux/arm/v6", "windows/amd64"}) {
    SCOPED_TRACE(want);
    absl::StatusOr<Platform> p = ParsePlatform(want);
    ASSERT_TRUE(p.ok());
    absl::StatusOr<ResolvedImage> img = ResolveDir(mp.w->root(), "multi", *p);
    ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound) << img.status();
    EXPECT_EQ(Message(img.status()),
              absl::StrCat("index ", mp.index_digest.substr(0, 19),
                           "…: no image for platform ", want,
                           "; available: linux/amd64, linux/arm64/v8, "
                           "linux/arm/v7"));
  }
}

TEST(MultiPlatformIndex, EmptyWantTakesTheFirstEntry) {
  MultiPlatform mp;
  absl::StatusOr<ResolvedImage> img = ResolveDir(mp.w->root(), "multi");
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_digest, mp.amd64.desc["digest"]);
}

TEST(MultiPlatformIndex, Arm64WithoutVariantIsV8) {
  TempDir tmp;
  LayoutWriter w(tmp.Sub("layout"));
  BuiltImage armv7 = WriteImage(w, Platform{"linux", "arm", "v7"});
  BuiltImage arm64 = WriteImage(w, Platform{"linux", "arm64", ""});
  std::string index =
      json{{"schemaVersion", 2}, {"manifests", {armv7.desc, arm64.desc}}}
          .dump();
  w.Index(json::array({Tagged(w.Desc(kOciIndex, index), "t")}));
  absl::StatusOr<ResolvedImage> img =
      ResolveDir(w.root(), "t", Platform{"linux", "arm64", "v8"});
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_digest, arm64.desc["digest"]);
  img = ResolveDir(w.root(), "t", Platform{"linux", "arm64", "v9"});
  EXPECT_EQ(img.status().code(), absl::StatusCode::kNotFound);
}

TEST(MultiPlatformIndex, SkipsBuildKitAttestationManifests) {
  TempDir tmp;
  LayoutWriter w(tmp.Sub("layout"));
  BuiltImage amd64 = WriteImage(w, Platform{"linux", "amd64", ""});
  BuiltImage att = WriteImage(w, Platform{"unknown", "unknown", ""});
  att.desc["annotations"] = {
      {"vnd.docker.reference.type", "attestation-manifest"}};
  // Attestation first: an empty `want` must still not pick it.
  std::string index =
      json{{"schemaVersion", 2}, {"manifests", {att.desc, amd64.desc}}}.dump();
  w.Index(json::array({Tagged(w.Desc(kOciIndex, index), "t")}));
  absl::StatusOr<ResolvedImage> img = ResolveDir(w.root(), "t");
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_digest, amd64.desc["digest"]);
  ASSERT_EQ(img->available_platforms.size(), 1u);
}

TEST(IndexJson, UntaggedPerPlatformManifestsAreChosenByPlatform) {
  TempDir tmp;
  LayoutWriter w(tmp.Sub("layout"));
  BuiltImage amd64 = WriteImage(w, Platform{"linux", "amd64", ""});
  BuiltImage arm64 = WriteImage(w, Platform{"linux", "arm64", "v8"});
  w.Index(json::array({amd64.desc, arm64.desc}));
  absl::StatusOr<ResolvedImage> img =
      ResolveDir(w.root(), "", Platform{"linux", "arm64", "v8"});
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_digest, arm64.desc["digest"]);
  EXPECT_EQ(img->index_digest, "");
  EXPECT_EQ(img->available_platforms.size(), 2u);
  EXPECT_TRUE(img->source_tags.empty());
}

TEST(IndexJson, NoTagAndOneImageTakesIt) {
  SimpleLayout s;
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "");
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_digest, s.img.desc["digest"]);
  EXPECT_THAT(img->source_tags, ElementsAre("latest"));
}

TEST(IndexJson, AllNamesOfTheChosenManifestAreSourceTags) {
  SimpleLayout s;
  s.w->Index(
      json::array({Tagged(s.img.desc, "1.0"), Tagged(s.img.desc, "latest")}));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "");
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_THAT(img->source_tags, ElementsAre("1.0", "latest"));
}

TEST(IndexJson, TagNotFoundListsTags) {
  TempDir tmp;
  LayoutWriter w(tmp.Sub("layout"));
  BuiltImage a = WriteImage(w, Platform{"linux", "amd64", ""});
  BuiltImage b = WriteImage(w, Platform{"linux", "arm64", ""});
  w.Index(json::array({Tagged(a.desc, "v1"), Tagged(b.desc, "v2")}));
  absl::StatusOr<ResolvedImage> img = ResolveDir(w.root(), "v3");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(img.status()),
            "index.json: no image tagged \"v3\"; tags: v1, v2");
}

// ------------------------------------------------- synthetic: broken layouts

TEST(BrokenLayout, WrongConfigDigestIsDataLoss) {
  SimpleLayout s;
  // The config descriptor names a blob whose content is something else.
  std::string other = s.img.config + "\n";
  std::string named = Sha256::Of(other);
  WriteFile(s.w->BlobFile(named), s.img.config + " ");  // same size, wrong
  json m = s.Manifest();
  m["config"]["digest"] = named;
  m["config"]["size"] = other.size();
  s.SetManifest(m.dump());
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kDataLoss) << img.status();
  EXPECT_THAT(
      Message(img.status()),
      HasSubstr(absl::StrCat(
          "config ", named.substr(0, 19), "…: blob content is ",
          Sha256::Of(s.img.config + " "), ", descriptor says ", named)));
}

TEST(BrokenLayout, WrongManifestSizeIsDataLoss) {
  SimpleLayout s;
  json d = Tagged(s.img.desc, "latest");
  d["size"] = s.img.manifest.size() - 1;
  s.w->Index(json::array({d}));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kDataLoss) << img.status();
  EXPECT_THAT(Message(img.status()),
              HasSubstr("blob is larger than its descriptor's size"));
}

TEST(BrokenLayout, TamperedManifestIsDataLoss) {
  SimpleLayout s;
  std::string tampered = s.img.manifest;
  tampered[tampered.size() - 2] = ' ';
  WriteFile(s.w->BlobFile(s.img.desc["digest"]), tampered);
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kDataLoss) << img.status();
  EXPECT_THAT(Message(img.status()),
              HasSubstr(absl::StrCat("descriptor says ",
                                     s.img.desc["digest"].get<std::string>())));
}

TEST(BrokenLayout, ManifestDescriptorOverTheSizeCapIsRefusedBeforeReading) {
  SimpleLayout s;
  json d = Tagged(s.img.desc, "latest");
  d["size"] = 5 << 20;
  s.w->Index(json::array({d}));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kResourceExhausted)
      << img.status();
  EXPECT_THAT(Message(img.status()),
              HasSubstr("descriptor size 5242880 bytes is over the limit of "
                        "4194304"));
}

TEST(BrokenLayout, WrongLayerSizeIsDataLoss) {
  SimpleLayout s;
  json m = s.Manifest();
  m["layers"][0]["size"] = 3;
  s.SetManifest(m.dump());
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kDataLoss) << img.status();
  EXPECT_THAT(Message(img.status()), HasSubstr("descriptor says 3"));
}

struct BrokenJsonCase {
  std::string name;
  std::string what;  // "index.json", "index", "manifest", "config"
  std::string message_part;
};

class BrokenJson : public ::testing::TestWithParam<BrokenJsonCase> {};

TEST_P(BrokenJson, IsInvalidArgumentNamingTheDocument) {
  const BrokenJsonCase& c = GetParam();
  TempDir tmp;
  LayoutWriter w(tmp.Sub("layout"));
  const std::string broken = "{\"schemaVersion\": 2, ";
  std::string expect_prefix;
  if (c.what == "index.json") {
    WriteFile(w.root() + "/index.json", broken);
    expect_prefix = "index.json: ";
  } else if (c.what == "index") {
    json d = w.Desc(kOciIndex, broken);
    w.Index(json::array({d}));
    expect_prefix = absl::StrCat(
        "index ", d["digest"].get<std::string>().substr(0, 19), "…: ");
  } else if (c.what == "manifest") {
    json d = w.Desc(kOciManifest, broken);
    w.Index(json::array({d}));
    expect_prefix = absl::StrCat(
        "manifest ", d["digest"].get<std::string>().substr(0, 19), "…: ");
  } else {
    json config = w.Desc(kOciConfig, broken);
    std::string manifest = json{
        {"schemaVersion", 2},
        {"mediaType", kOciManifest},
        {"config", config},
        {"layers",
         json::array()}}.dump();
    json d = w.Desc(kOciManifest, manifest);
    w.Index(json::array({d}));
    expect_prefix = absl::StrCat(
        "manifest ", d["digest"].get<std::string>().substr(0, 19), "…: config ",
        config["digest"].get<std::string>().substr(0, 19), "…: ");
  }
  absl::StatusOr<ResolvedImage> img = ResolveDir(w.root(), "");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument)
      << img.status();
  EXPECT_EQ(Message(img.status()), expect_prefix + c.message_part);
}

INSTANTIATE_TEST_SUITE_P(
    Documents, BrokenJson,
    ::testing::Values(
        BrokenJsonCase{"IndexJson", "index.json", "not valid JSON"},
        BrokenJsonCase{"Index", "index", "not valid JSON"},
        BrokenJsonCase{"Manifest", "manifest", "not valid JSON"},
        BrokenJsonCase{"Config", "config", "config is not valid JSON"}),
    [](const ::testing::TestParamInfo<BrokenJsonCase>& info) {
      return info.param.name;
    });

struct BadFieldCase {
  std::string name;
  std::function<void(json&)> mutate;  // applied to the manifest
  std::string message_part;
};

class ManifestField : public ::testing::TestWithParam<BadFieldCase> {};

TEST_P(ManifestField, WrongTypeIsInvalidArgument) {
  SimpleLayout s;
  json m = s.Manifest();
  GetParam().mutate(m);
  s.SetManifest(m.dump());
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument)
      << img.status();
  EXPECT_THAT(Message(img.status()), HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ManifestField,
    ::testing::Values(
        BadFieldCase{"NoConfig", [](json& m) { m.erase("config"); },
                     "field \"config\": want a descriptor object"},
        BadFieldCase{"LayersNotArray", [](json& m) { m["layers"] = "x"; },
                     "field \"layers\": want an array"},
        BadFieldCase{"SizeNotInteger",
                     [](json& m) { m["layers"][0]["size"] = "12"; },
                     "layers[0]: field \"size\": want a non-negative integer"},
        BadFieldCase{"NegativeSize",
                     [](json& m) { m["layers"][0]["size"] = -1; },
                     "layers[0]: field \"size\": want a non-negative integer"},
        BadFieldCase{"DigestNotString",
                     [](json& m) { m["config"]["digest"] = 5; },
                     "config: field \"digest\": want a string"},
        BadFieldCase{"Sha512Digest",
                     [](json& m) {
                       m["config"]["digest"] =
                           "sha512:" + std::string(128, 'a');
                     },
                     "config: unsupported digest"},
        BadFieldCase{"SchemaVersion3", [](json& m) { m["schemaVersion"] = 3; },
                     "field \"schemaVersion\": want 2"},
        BadFieldCase{"ArtifactConfig",
                     [](json& m) {
                       m["config"]["mediaType"] =
                           "application/vnd.cncf.helm.config.v1+json";
                     },
                     "config media type "
                     "\"application/vnd.cncf.helm.config.v1+json\" is not a "
                     "container image config"},
        BadFieldCase{"AnnotationNotString",
                     [](json& m) {
                       m["layers"][0]["annotations"] = {{"a", 1}};
                     },
                     "layers[0]: field \"annotations.a\": want a string"}),
    [](const ::testing::TestParamInfo<BadFieldCase>& info) {
      return info.param.name;
    });

TEST(BrokenLayout, MissingConfigBlobIsNotFound) {
  SimpleLayout s;
  fs::remove(s.w->BlobFile(s.img.config_digest));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound) << img.status();
  EXPECT_THAT(
      Message(img.status()),
      HasSubstr(absl::StrCat("config ", s.img.config_digest.substr(0, 19),
                             "…: \"blobs/sha256/", Hex(s.img.config_digest),
                             "\": not found")));
}

TEST(BrokenLayout, MissingManifestBlobIsNotFound) {
  SimpleLayout s;
  fs::remove(s.w->BlobFile(s.img.desc["digest"]));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound) << img.status();
}

TEST(BrokenLayout, MissingLayerBlobIsNotFound) {
  SimpleLayout s;
  fs::remove(s.w->BlobFile(s.img.layer_digests[0]));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound) << img.status();
  EXPECT_THAT(
      Message(img.status()),
      HasSubstr(absl::StrCat("layer 0 (", s.img.layer_digests[0].substr(0, 19),
                             "…): \"blobs/sha256/")));
}

TEST(BrokenLayout, MissingIndexJsonIsInvalidArgument) {
  SimpleLayout s;
  fs::remove(s.dir() + "/index.json");
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(img.status()), "no index.json: not an OCI image layout");
}

TEST(BrokenLayout, UnknownLayerMediaTypeIsInvalidArgumentNamingIt) {
  SimpleLayout s;
  json m = s.Manifest();
  m["layers"][0]["mediaType"] = "application/vnd.example.layer+lz4";
  s.SetManifest(m.dump());
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      Message(img.status()),
      HasSubstr(absl::StrCat("layer 0 (", s.img.layer_digests[0].substr(0, 19),
                             "…): unknown layer media type "
                             "\"application/vnd.example.layer+lz4\"")));
}

TEST(BrokenLayout, LayerCountDifferentFromDiffIdsIsInvalidArgument) {
  SimpleLayout s;
  json m = s.Manifest();
  m["layers"].push_back(m["layers"][0]);
  s.SetManifest(m.dump());
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()),
              HasSubstr(absl::StrCat("manifest lists 2 layers but config ",
                                     s.img.config_digest.substr(0, 19),
                                     "… has 1 diff_ids")));
}

TEST(BrokenLayout, DockerSchema1IsInvalidArgument) {
  SimpleLayout s;
  s.SetManifest(R"({"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]})");
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()),
              HasSubstr("Docker schema 1 manifests are not supported"));
}

TEST(BrokenLayout, IndexDescriptorOverManifestBlobIsInvalidArgument) {
  SimpleLayout s;
  json d = s.w->Desc(kOciIndex, s.img.manifest);
  s.w->Index(json::array({d}));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()),
              HasSubstr("descriptor says "
                        "\"application/vnd.oci.image.index.v1+json\" but the "
                        "blob says "
                        "\"application/vnd.oci.image.manifest.v1+json\""));
}

TEST(BrokenLayout, UnsupportedManifestMediaTypeIsInvalidArgument) {
  SimpleLayout s;
  json m = s.Manifest();
  m["mediaType"] = "application/vnd.oci.artifact.manifest.v1+json";
  s.SetManifest(m.dump());
  // The descriptor says manifest; the blob's kind is unknown: accepted as a
  // manifest by the descriptor, reported with the descriptor's type.
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_media_type, kOciManifest);
  // With an uninformative descriptor type, the blob's unknown type decides.
  json d = s.w->Desc("application/vnd.oci.descriptor.v1+json", m.dump());
  s.w->Index(json::array({d}));
  img = ResolveDir(s.dir(), "");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()),
              HasSubstr("unsupported media type "
                        "\"application/vnd.oci.artifact.manifest.v1+json\""));
}

TEST(BrokenLayout, IndexesNestedTooDeepAreInvalidArgument) {
  SimpleLayout s;
  json d = s.img.desc;
  for (int i = 0; i < 9; ++i) {
    d = s.w->Desc(kOciIndex,
                  json{{"schemaVersion", 2}, {"manifests", {d}}}.dump());
  }
  s.w->Index(json::array({d}));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()), HasSubstr("nested more than 8 deep"));
}

// ----------------------------------------- synthetic: hostile layout paths

TEST(HostileLayout, DotDotDigestIsRejectedByDigestValidation) {
  SimpleLayout s;
  json d = Tagged(s.img.desc, "latest");
  d["digest"] = "sha256:../../etc";
  s.w->Index(json::array({d}));
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(img.status()),
            "index.json: manifests[0]: malformed digest \"sha256:../../etc\": "
            "want sha256: and 64 lowercase hex digits");
}

TEST(HostileLayout, DotDotLayerDigestIsRejected) {
  SimpleLayout s;
  json m = s.Manifest();
  m["layers"][0]["digest"] = "sha256:../../../../etc/passwd";
  s.SetManifest(m.dump());
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()), HasSubstr("layers[0]: malformed digest"));
}

TEST(HostileLayout, SymlinkedBlobEscapingTheRootIsRefused) {
  SimpleLayout s;
  // The config blob moves outside the layout, with the right content, and
  // a relative symlink points at it.
  std::string blob = s.w->BlobFile(s.img.config_digest);
  WriteFile(s.tmp.Sub("outside/config.json"), s.img.config);
  fs::remove(blob);
  fs::create_symlink("../../../outside/config.json", blob);
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument)
      << img.status();
  EXPECT_THAT(Message(img.status()),
              HasSubstr(absl::StrCat(
                  "\"blobs/sha256/", Hex(s.img.config_digest),
                  "\": symlink \"blobs/sha256/", Hex(s.img.config_digest),
                  "\" -> \"../../../outside/config.json\" "
                  "points outside the root")));
}

TEST(HostileLayout, AbsoluteSymlinkIsRefused) {
  SimpleLayout s;
  std::string blob = s.w->BlobFile(s.img.config_digest);
  WriteFile(s.tmp.Sub("outside/config.json"), s.img.config);
  fs::remove(blob);
  fs::create_symlink(s.tmp.Sub("outside/config.json"), blob);
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()), HasSubstr("points outside the root"));
}

TEST(HostileLayout, SymlinkedBlobsDirectoryEscapingTheRootIsRefused) {
  SimpleLayout s;
  fs::rename(s.dir() + "/blobs", s.tmp.Sub("elsewhere"));
  fs::create_symlink("../elsewhere", s.dir() + "/blobs");
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()),
              HasSubstr("symlink \"blobs\" -> \"../elsewhere\" points outside "
                        "the root"));
}

TEST(HostileLayout, SymlinkStayingInsideTheRootIsFollowed) {
  SimpleLayout s;
  std::string blob = s.w->BlobFile(s.img.config_digest);
  WriteFile(s.dir() + "/store/config.json", s.img.config);
  fs::remove(blob);
  fs::create_symlink("../../store/config.json", blob);
  absl::StatusOr<ResolvedImage> img = ResolveDir(s.dir(), "latest");
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->config_digest, s.img.config_digest);
}

// ------------------------------------------------------------ image sources

TEST(DirectorySource, RefusesDotDotAbsoluteAndEmptyPaths) {
  TempDir tmp;
  WriteFile(tmp.Sub("root/a"), "x");
  WriteFile(tmp.Sub("secret"), "s");
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenDirectorySource(tmp.Sub("root"));
  ASSERT_TRUE(src.ok()) << src.status();
  for (const char* bad :
       {"../secret", "a/../../secret", "/etc/passwd", "", "."}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<std::unique_ptr<ByteStream>> in = (*src)->Open(bad);
    EXPECT_EQ(in.status().code(), absl::StatusCode::kInvalidArgument)
        << in.status();
  }
  absl::StatusOr<std::unique_ptr<ByteStream>> in = (*src)->Open("./a");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(SlurpStream(**in), "x");
}

TEST(DirectorySource, SizeReadAllAndErrors) {
  TempDir tmp;
  WriteFile(tmp.Sub("root/d/f"), std::string(1000, 'z'));
  fs::create_directories(tmp.Sub("root/dir"));
  ASSERT_EQ(::mkfifo(tmp.Sub("root/fifo").c_str(), 0600), 0);
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenDirectorySource(tmp.Sub("root"));
  ASSERT_TRUE(src.ok());
  absl::StatusOr<long long> size = (*src)->Size("d/f");
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, 1000);
  absl::StatusOr<std::string> all = (*src)->ReadAll("d/f", 1000);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, std::string(1000, 'z'));
  EXPECT_EQ((*src)->ReadAll("d/f", 999).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ((*src)->Size("d/missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((*src)->Size("d/f/under-a-file").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((*src)->Open("dir").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A FIFO is refused without blocking.
  EXPECT_EQ((*src)->Open("fifo").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DirectorySource, SymlinkLoopStopsAfterBoundedHops) {
  TempDir tmp;
  fs::create_directories(tmp.Sub("root"));
  fs::create_symlink("b", tmp.Sub("root/a"));
  fs::create_symlink("a", tmp.Sub("root/b"));
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenDirectorySource(tmp.Sub("root"));
  ASSERT_TRUE(src.ok());
  absl::StatusOr<std::unique_ptr<ByteStream>> in = (*src)->Open("a");
  ASSERT_EQ(in.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(in.status()), "\"a\": more than 16 symlinks to follow");
}

TEST(DirectorySource, MissingDirectoryIsNotFound) {
  TempDir tmp;
  EXPECT_EQ(OpenDirectorySource(tmp.Sub("nope")).status().code(),
            absl::StatusCode::kNotFound);
  WriteFile(tmp.Sub("file"), "x");
  EXPECT_EQ(OpenDirectorySource(tmp.Sub("file")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(TarSource, ResolvesSymlinkAndHardlinkMembersInsideTheArchive) {
  TempDir tmp;
  std::string tar = MakeTar({
      {"./blobs/", "", "", ""},
      {"blobs/real.tar", "layer bytes", "", ""},
      {"id1/layer.tar", "", "../blobs/real.tar", ""},  // skopeo-style
      {"id2/layer.tar", "", "../id1/layer.tar", ""},   // a chain
      {"hard", "", "", "blobs/real.tar"},
      {"linkdir", "", "blobs", ""},  // a symlinked directory
  });
  WriteFile(tmp.Sub("a.tar"), tar);
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenTarSource(tmp.Sub("a.tar"));
  ASSERT_TRUE(src.ok()) << src.status();
  for (const char* path :
       {"blobs/real.tar", "./blobs/real.tar", "id1/layer.tar", "id2/layer.tar",
        "hard", "linkdir/real.tar"}) {
    SCOPED_TRACE(path);
    absl::StatusOr<std::string> all = (*src)->ReadAll(path);
    ASSERT_TRUE(all.ok()) << all.status();
    EXPECT_EQ(*all, "layer bytes");
    absl::StatusOr<long long> size = (*src)->Size(path);
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(*size, 11);
  }
}

TEST(TarSource, RefusesLinksOutOfTheArchiveLoopsAndNonFiles) {
  TempDir tmp;
  std::string tar = MakeTar({
      {"up", "", "../../etc/passwd", ""},
      {"abs", "", "/etc/passwd", ""},
      {"loop1", "", "loop2", ""},
      {"loop2", "", "loop1", ""},
      {"dir/", "", "", ""},
      {"file", "x", "", ""},
  });
  WriteFile(tmp.Sub("a.tar"), tar);
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenTarSource(tmp.Sub("a.tar"));
  ASSERT_TRUE(src.ok()) << src.status();
  struct Case {
    const char* path;
    absl::StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {"up", absl::StatusCode::kInvalidArgument,
       "\"up\": symlink \"up\" -> \"../../etc/passwd\" points outside the "
       "root"},
      {"abs", absl::StatusCode::kInvalidArgument,
       "\"abs\": symlink \"abs\" -> \"/etc/passwd\" points outside the root"},
      {"loop1", absl::StatusCode::kInvalidArgument,
       "\"loop1\": more than 16 symlinks to follow"},
      {"dir", absl::StatusCode::kInvalidArgument, "\"dir\": is a directory"},
      {"missing", absl::StatusCode::kNotFound, "\"missing\": not found"},
      {"file/x", absl::StatusCode::kNotFound, "\"file/x\": not found"},
      {"../file", absl::StatusCode::kInvalidArgument,
       "\"../file\": path escapes root (\"..\" component)"},
      {"/file", absl::StatusCode::kInvalidArgument, "\"/file\": absolute path"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    absl::StatusOr<std::unique_ptr<ByteStream>> in = (*src)->Open(c.path);
    ASSERT_EQ(in.status().code(), c.code) << in.status();
    EXPECT_EQ(Message(in.status()), c.message);
  }
}

TEST(TarSource, GzipCompressedTarWorks) {
  TempDir tmp;
  WriteFile(tmp.Sub("a.tar.gz"), Gzip(MakeTar({{"f", "hello", "", ""}})));
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenTarSource(tmp.Sub("a.tar.gz"));
  ASSERT_TRUE(src.ok()) << src.status();
  absl::StatusOr<std::string> all = (*src)->ReadAll("f");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, "hello");
}

TEST(TarSource, LaterHeaderForTheSameNameWins) {
  TempDir tmp;
  WriteFile(tmp.Sub("a.tar"),
            MakeTar({{"f", "old", "", ""}, {"f", "newer", "", ""}}));
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenTarSource(tmp.Sub("a.tar"));
  ASSERT_TRUE(src.ok()) << src.status();
  absl::StatusOr<std::string> all = (*src)->ReadAll("f");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, "newer");
}

TEST(TarSource, NotATarIsInvalidArgumentAndMissingFileNotFound) {
  TempDir tmp;
  WriteFile(tmp.Sub("junk"), std::string(2048, 'j'));
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenTarSource(tmp.Sub("junk"));
  EXPECT_EQ(src.status().code(), absl::StatusCode::kInvalidArgument)
      << src.status();
  EXPECT_EQ(OpenTarSource(tmp.Sub("nope")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(TarSource, StreamsOutliveEachOtherIndependently) {
  TempDir tmp;
  std::string big(200000, 'b');
  WriteFile(tmp.Sub("a.tar"),
            MakeTar({{"one", big, "", ""}, {"two", "second", "", ""}}));
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenTarSource(tmp.Sub("a.tar"));
  ASSERT_TRUE(src.ok());
  absl::StatusOr<std::unique_ptr<ByteStream>> a = (*src)->Open("one");
  absl::StatusOr<std::unique_ptr<ByteStream>> b = (*src)->Open("two");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(SlurpStream(**b), "second");
  EXPECT_EQ(SlurpStream(**a), big);
}

// --------------------------------------------- synthetic: docker-archives

struct DockerArchiveWriter {
  std::vector<TarMember> members;
  json manifest = json::array();

  // Adds an image; returns its config's digest.
  std::string AddImage(const std::vector<std::string>& layer_tars,
                       const std::vector<std::string>& repo_tags,
                       bool docker25 = false, bool gzip_layers = false) {
    std::vector<std::string> diff_ids, paths;
    for (size_t i = 0; i < layer_tars.size(); ++i) {
      diff_ids.push_back(Sha256::Of(layer_tars[i]));
      std::string blob = gzip_layers ? Gzip(layer_tars[i]) : layer_tars[i];
      std::string path = docker25 ? "blobs/sha256/" + Hex(Sha256::Of(blob))
                                  : Hex(Sha256::Of(blob)) + "/layer.tar";
      members.push_back({path, blob, "", ""});
      paths.push_back(path);
    }
    std::string config = ConfigJson(Platform{"linux", "amd64", ""}, diff_ids);
    std::string config_digest = Sha256::Of(config);
    std::string config_path = docker25 ? "blobs/sha256/" + Hex(config_digest)
                                       : Hex(config_digest) + ".json";
    members.push_back({config_path, config, "", ""});
    manifest.push_back(
        {{"Config", config_path}, {"RepoTags", repo_tags}, {"Layers", paths}});
    return config_digest;
  }
  void Write(const std::string& file) {
    std::vector<TarMember> all = members;
    all.push_back({"manifest.json", manifest.dump(), "", ""});
    WriteFile(file, MakeTar(all));
  }
};

std::string LayerTar(const std::string& content) {
  return MakeTar({{"etc/", "", "", ""}, {"etc/file", content, "", ""}});
}

TEST(DockerArchive, SeveralImagesWithoutNameIsNotFoundListingNames) {
  TempDir tmp;
  DockerArchiveWriter w;
  w.AddImage({LayerTar("a")}, {"a:1", "localhost:5000/a:2"});
  w.AddImage({LayerTar("b")}, {});
  w.Write(tmp.Sub("d.tar"));
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(tmp.Sub("d.tar")));
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(img.status()),
            "manifest.json lists 2 images; name one: a:1, "
            "localhost:5000/a:2, image 1 (untagged)");
}

TEST(DockerArchive, NameWithRegistryPortSelectsTheImage) {
  TempDir tmp;
  DockerArchiveWriter w;
  w.AddImage({LayerTar("a")}, {"a:1"});
  std::string second = w.AddImage({LayerTar("b")}, {"localhost:5000/x/y:2"});
  w.Write(tmp.Sub("d.tar"));
  absl::StatusOr<ImageRef> ref = ParseImageRef(
      "docker-archive:" + tmp.Sub("d.tar") + ":localhost:5000/x/y:2");
  ASSERT_TRUE(ref.ok()) << ref.status();
  absl::StatusOr<ResolvedImage> img = ResolveTar(*ref);
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->config_digest, second);
  EXPECT_THAT(img->source_tags, ElementsAre("localhost:5000/x/y:2"));
}

TEST(DockerArchive, Docker25LayoutUsesManifestJsonNotIndexJson) {
  TempDir tmp;
  DockerArchiveWriter w;
  std::string tar0 = LayerTar("zero"), tar1 = LayerTar("one");
  std::string config = w.AddImage({tar0, tar1}, {"app:25"}, /*docker25=*/true);
  // An index.json that would lead nowhere: it must not be read.
  w.members.push_back({"index.json", "{broken", "", ""});
  w.members.push_back(
      {"oci-layout", R"({"imageLayoutVersion":"1.0.0"})", "", ""});
  w.Write(tmp.Sub("d.tar"));
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(tmp.Sub("d.tar"), "app:25"));
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->config_digest, config);
  ASSERT_EQ(img->layers.size(), 2u);
  EXPECT_EQ(img->layers[0].source_path,
            "blobs/sha256/" + Hex(Sha256::Of(tar0)));
  EXPECT_EQ(img->layers[1].digest, Sha256::Of(tar1));
  EXPECT_EQ(img->layers[1].diff_id, Sha256::Of(tar1));
  EXPECT_EQ(img->layers[1].media_type, kDockerLayerTar);
}

TEST(DockerArchive, GzipLayersAreDescribedAsGzip) {
  TempDir tmp;
  DockerArchiveWriter w;
  std::string tar0 = LayerTar("zero");
  w.AddImage({tar0}, {"app:gz"}, false, /*gzip_layers=*/true);
  w.Write(tmp.Sub("d.tar"));
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(tmp.Sub("d.tar")));
  ASSERT_TRUE(img.ok()) << img.status();
  ASSERT_EQ(img->layers.size(), 1u);
  EXPECT_EQ(img->layers[0].media_type, kDockerLayerGzip);
  EXPECT_EQ(img->layers[0].digest, Sha256::Of(Gzip(tar0)));
  EXPECT_EQ(img->layers[0].size, static_cast<long long>(Gzip(tar0).size()));
  EXPECT_EQ(img->layers[0].diff_id, Sha256::Of(tar0));
  EXPECT_EQ(img->layers[0].compression, Compression::kGzip);
  EXPECT_THAT(img->manifest_json,
              HasSubstr(absl::StrCat(R"({"mediaType":")", kDockerLayerGzip,
                                     R"(","size":)", Gzip(tar0).size(),
                                     R"(,"digest":")", Sha256::Of(Gzip(tar0)),
                                     R"("}]})")));
  EXPECT_EQ(img->manifest_digest, Sha256::Of(img->manifest_json));
}

TEST(DockerArchive, ConfigNotMatchingItsNameIsDataLoss) {
  TempDir tmp;
  DockerArchiveWriter w;
  w.AddImage({LayerTar("a")}, {"a:1"});
  std::string fake(64, 'f');
  w.manifest[0]["Config"] = fake + ".json";
  w.members.push_back({fake + ".json", w.members[1].data, "", ""});
  w.Write(tmp.Sub("d.tar"));
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(tmp.Sub("d.tar")));
  ASSERT_EQ(img.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Message(img.status()),
            absl::StrCat("config \"", fake, ".json\": content is ",
                         Sha256::Of(w.members[1].data),
                         ", its name says sha256:", fake));
}

// Resolving does not read layers; the layer reader checks that an
// uncompressed layer hashes to its diff_id.
TEST(DockerArchive, UncompressedLayerNotMatchingDiffIdIsDataLossWhenRead) {
  TempDir tmp;
  DockerArchiveWriter w;
  w.AddImage({LayerTar("a")}, {"a:1"});
  w.members[0].data = LayerTar("tampered");
  w.Write(tmp.Sub("d.tar"));
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(tmp.Sub("d.tar")));
  ASSERT_TRUE(img.ok()) << img.status();
  ASSERT_EQ(img->layers.size(), 1u);
  EXPECT_EQ(img->layers[0].digest, img->layers[0].diff_id);
  auto source = OpenTarSource(tmp.Sub("d.tar"));
  ASSERT_TRUE(source.ok());
  auto blob = (*source)->Open(img->layers[0].source_path);
  ASSERT_TRUE(blob.ok());
  LayerReadOptions ro;
  ro.compression = img->layers[0].compression;
  ro.expected_blob_digest = img->layers[0].digest;
  ro.expected_diff_id = img->layers[0].diff_id;
  absl::StatusOr<LayerReadResult> read = ReadLayer(**blob, ro);
  ASSERT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
}

TEST(DockerArchive, LayerCountDifferentFromDiffIdsIsInvalidArgument) {
  TempDir tmp;
  DockerArchiveWriter w;
  w.AddImage({LayerTar("a")}, {"a:1"});
  w.manifest[0]["Layers"].push_back(w.manifest[0]["Layers"][0]);
  w.Write(tmp.Sub("d.tar"));
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(tmp.Sub("d.tar")));
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(img.status()),
              HasSubstr("manifest.json lists 2 layers but config"));
}

TEST(DockerArchive, MissingLayerIsNotFoundAndBrokenManifestJsonInvalid) {
  TempDir tmp;
  DockerArchiveWriter w;
  w.AddImage({LayerTar("a")}, {"a:1"});
  w.manifest[0]["Layers"][0] = "nope/layer.tar";
  w.Write(tmp.Sub("d.tar"));
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(tmp.Sub("d.tar")));
  ASSERT_EQ(img.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(img.status()),
            "layer 0 \"nope/layer.tar\": \"nope/layer.tar\": not found");

  WriteFile(tmp.Sub("e.tar"),
            MakeTar({{"manifest.json", R"([{"Config": 3}])", "", ""}}));
  img = ResolveTar(DockerArchiveRef(tmp.Sub("e.tar")));
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(img.status()),
            "manifest.json: field \"[0].Config\": want a string");

  WriteFile(tmp.Sub("f.tar"), MakeTar({{"other", "x", "", ""}}));
  img = ResolveTar(DockerArchiveRef(tmp.Sub("f.tar")));
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(img.status()),
            "no manifest.json: not a docker-archive (docker save) tarball");
}

TEST(ResolveImage, RootfsTransportsAreInvalidArgument) {
  TempDir tmp;
  fs::create_directories(tmp.Sub("x"));
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenDirectorySource(tmp.Sub("x"));
  ASSERT_TRUE(src.ok());
  ImageRef ref;
  ref.transport = Transport::kRootfsDir;
  EXPECT_EQ(ResolveImage(**src, ref, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  ref.transport = Transport::kRootfsTar;
  EXPECT_EQ(ResolveImage(**src, ref, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// docker://: the source serves "manifests/<tag or digest>" (indexes and
// manifests) and "blobs/sha256/<hex>" (config, layers), as a registry's
// endpoints do. A directory shaped that way stands in for one here.
TEST(ResolveImage, RegistryByTagThroughAnIndexAndByDigest) {
  TempDir tmp;
  LayoutWriter w(tmp.Sub("reg"));
  BuiltImage amd = WriteImage(w, Platform{"linux", "amd64", ""});
  BuiltImage arm = WriteImage(w, Platform{"linux", "arm64", "v8"});
  const std::string index =
      json{{"schemaVersion", 2},
           {"mediaType", kOciIndex},
           {"manifests", json::array({amd.desc, arm.desc})}}
          .dump();
  const std::string index_digest = Sha256::Of(index);
  WriteFile(tmp.Sub("reg/manifests/v1"), index);
  WriteFile(tmp.Sub("reg/manifests/" + index_digest), index);
  for (const BuiltImage* b : {&amd, &arm}) {
    WriteFile(tmp.Sub("reg/manifests/" + b->desc["digest"].get<std::string>()),
              b->manifest);
  }
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenDirectorySource(tmp.Sub("reg"));
  ASSERT_TRUE(src.ok());
  ImageRef ref;
  ref.transport = Transport::kRegistry;
  ref.path = "127.0.0.1:5000/app";
  ref.tag = "v1";
  absl::StatusOr<ResolvedImage> img =
      ResolveImage(**src, ref, Platform{"linux", "arm64", ""});
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->index_digest, index_digest);
  EXPECT_EQ(img->manifest_digest, arm.desc["digest"]);
  EXPECT_EQ(img->config_digest, arm.config_digest);
  EXPECT_EQ(DiffIds(*img), arm.diff_ids);
  ASSERT_EQ(img->layers.size(), 1u);
  EXPECT_EQ(img->layers[0].source_path,
            "blobs/sha256/" + Hex(arm.layer_digests[0]));

  // By digest, straight to the manifest.
  ref.tag.clear();
  ref.digest = amd.desc["digest"];
  img = ResolveImage(**src, ref, {});
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->manifest_digest, amd.desc["digest"]);
  EXPECT_EQ(img->index_digest, "");

  // A registry that answers a digest with other bytes.
  WriteFile(tmp.Sub("reg/manifests/" + amd.desc["digest"].get<std::string>()),
            arm.manifest);
  img = ResolveImage(**src, ref, {});
  ASSERT_EQ(img.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Message(img.status()),
            absl::StrCat("manifest ", amd.desc["digest"].get<std::string>().substr(0, 19),
                         "…: content is ", arm.desc["digest"].get<std::string>()));

  // Schema 1 is refused by name.
  WriteFile(tmp.Sub("reg/manifests/old"),
            R"({"schemaVersion":1,"name":"app","tag":"old","fsLayers":[]})");
  ref.digest.clear();
  ref.tag = "old";
  img = ResolveImage(**src, ref, {});
  ASSERT_EQ(img.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(Message(img.status()).find("Docker schema 1 manifests are not supported"),
            std::string::npos)
      << img.status();
}

// ------------------------------------------------------ skopeo cross-checks

int RunQuiet(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

TEST(Skopeo, OciLayoutCopiedToArchivesResolvesToTheSameImage) {
  REQUIRE_SKOPEO();
  TempDir tmp;
  LayoutWriter w(tmp.Sub("layout"));
  BuiltImage img = WriteImage(w, Platform{"linux", "amd64", ""}, 2);
  w.Index(json::array({Tagged(img.desc, "orig")}));
  const std::string skopeo = "skopeo --insecure-policy copy --quiet ";
  ASSERT_EQ(RunQuiet(skopeo + "oci:" + w.root() +
                     ":orig docker-archive:" + tmp.Sub("d.tar") + ":foo/bar:1"),
            0);
  ASSERT_EQ(RunQuiet(skopeo + "oci:" + w.root() +
                     ":orig oci-archive:" + tmp.Sub("o.tar") + ":copied"),
            0);

  absl::StatusOr<ResolvedImage> orig = ResolveDir(w.root(), "orig");
  ASSERT_TRUE(orig.ok()) << orig.status();

  absl::StatusOr<ImageRef> dref =
      ParseImageRef("docker-archive:" + tmp.Sub("d.tar") + ":foo/bar:1");
  ASSERT_TRUE(dref.ok());
  absl::StatusOr<ResolvedImage> d = ResolveTar(*dref);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->manifest_synthesized);
  EXPECT_EQ(d->config.diff_ids, img.diff_ids);
  EXPECT_EQ(DiffIds(*d), img.diff_ids);
  // skopeo stores docker-archive layers uncompressed: digest == diff_id.
  ASSERT_EQ(d->layers.size(), 2u);
  EXPECT_EQ(d->layers[0].digest, img.diff_ids[0]);
  EXPECT_EQ(d->layers[1].digest, img.diff_ids[1]);
  EXPECT_EQ(d->layers[0].media_type, kDockerLayerTar);
  EXPECT_THAT(d->source_tags, ElementsAre("docker.io/foo/bar:1"));

  absl::StatusOr<ImageRef> oref =
      ParseImageRef("oci-archive:" + tmp.Sub("o.tar") + ":copied");
  ASSERT_TRUE(oref.ok());
  absl::StatusOr<ResolvedImage> o = ResolveTar(*oref);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->manifest_digest, orig->manifest_digest);
  EXPECT_EQ(o->config_digest, orig->config_digest);
  EXPECT_EQ(DiffIds(*o), img.diff_ids);
  EXPECT_THAT(o->source_tags, ElementsAre("copied"));
}

// Lists the symlink members of a tar: name -> target.
std::vector<std::pair<std::string, std::string>> TarSymlinks(
    const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, file.c_str(), 1 << 16) == ARCHIVE_OK) {
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      if (archive_entry_filetype(e) == AE_IFLNK) {
        out.emplace_back(archive_entry_pathname(e), archive_entry_symlink(e));
      }
    }
  }
  archive_read_free(a);
  return out;
}

TEST(Skopeo, DockerArchiveRewrittenBySkopeoResolvesToTheSameImage) {
  REQUIRE_TESTDATA();
  REQUIRE_SKOPEO();
  TempDir tmp;
  ASSERT_EQ(RunQuiet("skopeo --insecure-policy copy --quiet docker-archive:" +
                     WhiteoutTar() + " docker-archive:" + tmp.Sub("w.tar") +
                     ":foo/bar:1"),
            0);
  absl::StatusOr<ResolvedImage> img =
      ResolveTar(DockerArchiveRef(tmp.Sub("w.tar"), "foo/bar:1"));
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->config_digest, kWhiteoutConfig);
  EXPECT_EQ(img->config.diff_ids, WhiteoutDiffIds());
  EXPECT_EQ(DiffIds(*img), WhiteoutDiffIds());
  ASSERT_EQ(img->layers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(img->layers[i].digest, WhiteoutDiffIds()[i]);
  }
  // Same config and layers as the original archive, so the same
  // synthesized manifest.
  EXPECT_EQ(
      img->manifest_digest,
      "sha256:23fff0bf819b659d18d41a62a5a4c3552ba66abcffbfd092f65016bbb9c0fb"
      "fa");

  // skopeo links the legacy "<id>/layer.tar" paths to the layer files:
  // every link resolves inside the archive to the file it names.
  absl::StatusOr<std::unique_ptr<ImageSource>> src =
      OpenTarSource(tmp.Sub("w.tar"));
  ASSERT_TRUE(src.ok());
  auto links = TarSymlinks(tmp.Sub("w.tar"));
  ASSERT_EQ(links.size(), 3u);
  for (const auto& [name, target] : links) {
    SCOPED_TRACE(name + " -> " + target);
    ASSERT_EQ(target.substr(0, 3), "../");
    absl::StatusOr<std::unique_ptr<ByteStream>> in = (*src)->Open(name);
    ASSERT_TRUE(in.ok()) << in.status();
    std::string data = SlurpStream(**in);
    EXPECT_EQ(Hex(Sha256::Of(data)) + ".tar", target.substr(3));
  }
}

// ------------------------------------------------- image config, platforms

TEST(ParsePlatform, AcceptsOsArchAndVariant) {
  struct Case {
    std::string in;
    Platform want;
  };
  const std::vector<Case> cases = {
      {"linux/amd64", {"linux", "amd64", ""}},
      {"linux/arm64/v8", {"linux", "arm64", "v8"}},
      {"windows/amd64", {"windows", "amd64", ""}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Platform> p = ParsePlatform(c.in);
    ASSERT_TRUE(p.ok()) << c.in << ": " << p.status();
    EXPECT_TRUE(*p == c.want) << c.in;
    EXPECT_EQ(p->ToString(), c.in);
  }
}

TEST(ParsePlatform, RejectsOtherShapes) {
  for (const char* bad : {"", "linux", "linux/", "/amd64", "linux/amd64/",
                          "a/b/c/d", "linux/amd 64"}) {
    absl::StatusOr<Platform> p = ParsePlatform(bad);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(Message(p.status()), HasSubstr("want OS/ARCH"));
  }
}

TEST(ParseImageConfig, ReadsEveryRecordedField) {
  const std::string text = R"({
    "architecture": "arm", "os": "linux", "variant": "v7",
    "os.version": "10.0", "created": "2024-05-01T12:00:00.123456789Z",
    "author": "someone", "docker_version": "24.0.7",
    "config": {
      "User": "app", "WorkingDir": "/srv", "StopSignal": "SIGTERM",
      "Env": ["PATH=/usr/bin", "A=b=c"],
      "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["run"],
      "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
      "Volumes": {"/var/lib": {}, "/data": {}},
      "Labels": {"vcs-ref": "abc", "INSTALL": "docker run x"},
      "Unknown": [1, 2]
    },
    "history": [
      {"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD",
       "author": "a", "comment": "c"},
      {"created_by": "ENV X=1", "empty_layer": true}
    ],
    "rootfs": {"type": "layers", "diff_ids": [
      "sha256:8897395fd26dc44ad0e2a834335b33198cb41ac4d98dfddf58eced3853fa7b17"]}
  })";
  absl::StatusOr<ImageConfig> c = ParseImageConfig(text);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->platform.ToString(), "linux/arm/v7");
  EXPECT_EQ(c->os_version, "10.0");
  EXPECT_EQ(c->created, "2024-05-01T12:00:00.123456789Z");
  EXPECT_EQ(c->author, "someone");
  EXPECT_EQ(c->docker_version, "24.0.7");
  EXPECT_EQ(c->user, "app");
  EXPECT_EQ(c->working_dir, "/srv");
  EXPECT_EQ(c->stop_signal, "SIGTERM");
  EXPECT_THAT(c->env, ElementsAre("PATH=/usr/bin", "A=b=c"));
  EXPECT_THAT(c->entrypoint, ElementsAre("/bin/sh", "-c"));
  EXPECT_THAT(c->cmd, ElementsAre("run"));
  EXPECT_THAT(c->exposed_ports, ElementsAre("53/udp", "8080/tcp"));
  EXPECT_THAT(c->volumes, ElementsAre("/data", "/var/lib"));
  ASSERT_EQ(c->labels.size(), 2u);
  EXPECT_EQ(c->labels.at("vcs-ref"), "abc");
  EXPECT_EQ(c->labels.at("INSTALL"), "docker run x");
  ASSERT_EQ(c->history.size(), 2u);
  EXPECT_EQ(c->history[0].created, "2024-01-01T00:00:00Z");
  EXPECT_EQ(c->history[0].created_by, "/bin/sh -c #(nop) ADD");
  EXPECT_EQ(c->history[0].author, "a");
  EXPECT_EQ(c->history[0].comment, "c");
  EXPECT_FALSE(c->history[0].empty_layer);
  EXPECT_EQ(c->history[1].created_by, "ENV X=1");
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_THAT(c->diff_ids, ElementsAre("sha256:8897395fd26dc44ad0e2a834335b33"
                                       "198cb41ac4d98dfddf58eced3853fa7b17"));
}

TEST(ParseImageConfig, DockerNullsReadAsAbsent) {
  absl::StatusOr<ImageConfig> c = ParseImageConfig(
      R"({"config": {"Entrypoint": null, "Cmd": null, "Labels": null,
          "Volumes": null, "Env": null}, "history": null,
          "rootfs": {"type": "layers", "diff_ids": null}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->entrypoint.empty());
  EXPECT_TRUE(c->labels.empty());
  EXPECT_TRUE(c->diff_ids.empty());
}

TEST(ParseImageConfig, WrongShapesAreInvalidArgumentNamingTheField) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::string rootfs = R"("rootfs": {"type": "layers", "diff_ids": []})";
  const std::vector<Case> cases = {
      {"{", "config is not valid JSON"},
      {"[]", "config is not a JSON object"},
      {R"({"architecture": 5, )" + rootfs + "}",
       "config field \"architecture\": want a string"},
      {R"({"config": {"Env": "PATH=/bin"}, )" + rootfs + "}",
       "config field \"config.Env\": want an array of strings"},
      {R"({"config": {"Cmd": ["a", 1]}, )" + rootfs + "}",
       "config field \"config.Cmd\": want an array of strings"},
      {R"({"config": {"Labels": {"a": 1}}, )" + rootfs + "}",
       "config field \"config.Labels.a\": want a string"},
      {R"({"config": {"ExposedPorts": ["80/tcp"]}, )" + rootfs + "}",
       "config field \"config.ExposedPorts\": want an object"},
      {R"({"config": [], )" + rootfs + "}",
       "config field \"config\": want an object"},
      {R"({"history": [{"empty_layer": "yes"}], )" + rootfs + "}",
       "config field \"history[0].empty_layer\": want true or false"},
      {R"({"history": {}, )" + rootfs + "}",
       "config field \"history\": want an array"},
      {R"({})", "config has no rootfs"},
      {R"({"rootfs": {"type": "tarballs", "diff_ids": []}})",
       "rootfs.type is \"tarballs\", want \"layers\""},
      {R"({"rootfs": {"diff_ids": []}})",
       "rootfs.type is \"\", want \"layers\""},
      {R"({"rootfs": {"type": "layers", "diff_ids": ["sha256:abc"]}})",
       "rootfs.diff_ids[0]: malformed digest \"sha256:abc\": want sha256: "
       "and 64 lowercase hex digits"},
      {R"({"rootfs": {"type": "layers", "diff_ids": [1]}})",
       "config field \"rootfs.diff_ids[0]\": want a string"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ImageConfig> got = ParseImageConfig(c.json);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument)
        << c.json;
    EXPECT_EQ(Message(got.status()), c.message) << c.json;
  }
}

}  // namespace
}  // namespace dci
