#include "indexer/layer_reader.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/content_hash.h"
#include "base/digest.h"
#include "indexer/byte_stream.h"
#include "tests/testutil/tar_builder.h"

namespace dci {
namespace {

using ::dci::testing::Gzip;
using ::dci::testing::TarBuilder;
using ::dci::testing::Zstd;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kMtime = 1700000000;  // TarBuilder's default

// ---------------------------------------------------------------------------
// Helpers.

absl::StatusOr<LayerReadResult> Read(const std::string& blob,
                                     LayerReadOptions options = {}) {
  std::unique_ptr<ByteStream> s = MakeStringStream(blob);
  return ReadLayer(*s, options);
}

LayerReadOptions With(Compression c) {
  LayerReadOptions o;
  o.compression = c;
  return o;
}

// "f path", "d path opaque implicit", "l path -> target": what the folding
// rules decide, in one line per entry.
std::string Summary(const LayerEntry& e) {
  std::string s =
      absl::StrCat(std::string(1, EntryTypeLetter(e.type)), " ", e.path);
  if (e.opaque) absl::StrAppend(&s, " opaque");
  if (e.implicit) absl::StrAppend(&s, " implicit");
  if (!e.link_target.empty()) absl::StrAppend(&s, " -> ", e.link_target);
  return s;
}

std::vector<std::string> Summaries(const LayerReadResult& r) {
  std::vector<std::string> out;
  for (const LayerEntry& e : r.entries) out.push_back(Summary(e));
  return out;
}

const LayerEntry* Find(const LayerReadResult& r, const std::string& path) {
  for (const LayerEntry& e : r.entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

ContentHash HashOf(const std::string& s) {
  return ContentHasher::Of(s.data(), s.size());
}

void ExpectError(const absl::StatusOr<LayerReadResult>& r,
                 absl::StatusCode code, const std::string& message) {
  ASSERT_FALSE(r.ok()) << "expected " << absl::StatusCodeToString(code);
  EXPECT_EQ(r.status().code(), code) << r.status();
  EXPECT_EQ(r.status().message(), message);
}

// Hand-made tar blocks, for what libarchive's writer will not produce.
// POSIX.1-2017 pax, "ustar Interchange Format": a 512-byte header whose
// checksum is the byte sum with the checksum field read as spaces.
struct Header {
  std::string name;
  char type = '0';
  uint64_t size = 0;
  std::string linkname;
  unsigned mode = 0644;
  unsigned devmajor = 0;
  unsigned devminor = 0;
  bool gnu_magic = false;  // "ustar  \0" (old GNU) instead of "ustar\0" "00"
  bool bad_checksum = false;
};

void Put(std::string* b, size_t off, const std::string& s) {
  b->replace(off, s.size(), s);
}

std::string Octal(uint64_t v, int width) {
  return absl::StrFormat("%0*o", width - 1, v) + std::string(1, '\0');
}

std::string HeaderBlock(const Header& h) {
  std::string b(512, '\0');
  Put(&b, 0, h.name.substr(0, 100));
  Put(&b, 100, Octal(h.mode, 8));
  Put(&b, 108, Octal(0, 8));
  Put(&b, 116, Octal(0, 8));
  Put(&b, 124, Octal(h.size, 12));
  Put(&b, 136, Octal(kMtime, 12));
  b[156] = h.type;
  Put(&b, 157, h.linkname.substr(0, 100));
  Put(&b, 257,
      h.gnu_magic ? std::string("ustar  \0", 8)
                  : std::string("ustar\0"
                                "00",
                                8));
  Put(&b, 329, Octal(h.devmajor, 8));
  Put(&b, 337, Octal(h.devminor, 8));
  Put(&b, 148, std::string(8, ' '));
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  if (h.bad_checksum) sum += 1;
  Put(&b, 148, absl::StrFormat("%06o", sum) + std::string("\0 ", 2));
  return b;
}

std::string Padded(const std::string& data) {
  return data + std::string((512 - data.size() % 512) % 512, '\0');
}

// "LEN key=value\n", LEN counting itself.
std::string PaxRecord(const std::string& key, const std::string& value) {
  const std::string body = " " + key + "=" + value + "\n";
  size_t n = body.size() + 1;
  while (std::to_string(n).size() + body.size() != n) ++n;
  return std::to_string(n) + body;
}

std::string PaxHeader(const std::string& records) {
  Header h;
  h.name = "PaxHeader/x";
  h.type = 'x';
  h.size = records.size();
  return HeaderBlock(h) + Padded(records);
}

std::string FileBlocks(const std::string& name, const std::string& content) {
  Header h;
  h.name = name;
  h.size = content.size();
  return HeaderBlock(h) + Padded(content);
}

const std::string kEndBlocks(1024, '\0');

// A deterministic, poorly compressible byte string.
std::string Noise(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Returns its data in reads of at most `chunk` bytes.
class ChunkedStream : public ByteStream {
 public:
  ChunkedStream(std::string data, size_t chunk)
      : data_(std::move(data)), chunk_(chunk) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    const size_t k = std::min({n, chunk_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

// Returns `data`, then fails like a dropped connection.
class FailingStream : public ByteStream {
 public:
  explicit FailingStream(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (pos_ == data_.size()) {
      return absl::UnavailableError("connection reset by peer");
    }
    const size_t k = std::min(n, data_.size() - pos_);
    std::copy_n(data_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// `head`, then `total` - head.size() zero bytes, counting what was read.
class ZeroTailStream : public ByteStream {
 public:
  ZeroTailStream(std::string head, uint64_t total)
      : head_(std::move(head)), total_(total) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    const uint64_t k = std::min<uint64_t>(n, total_ - pos_);
    for (uint64_t i = 0; i < k; ++i) {
      const uint64_t at = pos_ + i;
      buf[i] = at < head_.size() ? head_[at] : '\0';
    }
    pos_ += k;
    return static_cast<size_t>(k);
  }
  uint64_t read() const { return pos_; }

 private:
  std::string head_;
  uint64_t total_;
  uint64_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// Entry metadata.

TEST(LayerReader, RecordsExactMetadataOfEachEntryType) {
  const std::string passwd = "root:x:0:0::/root:/bin/sh\n";
  TarBuilder t;
  t.Dir("etc", 0750, 10, 20)
      .File("etc/passwd", passwd, 0640, 1000, 1001, 1600000000)
      .File("usr/bin/sudo", "#!", 04755)
      .File("empty", "")
      .Symlink("usr/bin/python", "/usr/bin/python3.11")
      .Symlink("lib64", "../lib")
      .Fifo("run/initctl")
      .CharDevice("dev/null", 1, 3);
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(
      Summaries(*r),
      ElementsAre("c dev/null", "f empty", "d etc", "f etc/passwd",
                  "l lib64 -> ../lib", "p run/initctl",
                  "l usr/bin/python -> /usr/bin/python3.11", "f usr/bin/sudo"));
  EXPECT_THAT(r->warnings, IsEmpty());

  const LayerEntry* e = Find(*r, "etc/passwd");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, EntryType::kFile);
  EXPECT_EQ(e->mode, 0640u);
  EXPECT_EQ(e->uid, 1000);
  EXPECT_EQ(e->gid, 1001);
  EXPECT_EQ(e->size, static_cast<int64_t>(passwd.size()));
  EXPECT_EQ(e->mtime, 1600000000);
  EXPECT_EQ(e->content_hash, HashOf(passwd));
  EXPECT_FALSE(e->opaque);
  EXPECT_FALSE(e->implicit);
  EXPECT_EQ(e->link_target, "");

  e = Find(*r, "etc");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->mode, 0750u);
  EXPECT_EQ(e->uid, 10);
  EXPECT_EQ(e->gid, 20);
  EXPECT_EQ(e->size, 0);
  EXPECT_EQ(e->mtime, kMtime);
  EXPECT_EQ(e->content_hash, ContentHash{});

  e = Find(*r, "usr/bin/sudo");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->mode, 04755u);  // setuid kept: mode is perm & 07777

  e = Find(*r, "empty");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size, 0);
  EXPECT_EQ(ContentHashHex(e->content_hash),
            "99aa06d3014798d86001c324468d497f");  // xxhsum -H2 of nothing

  e = Find(*r, "usr/bin/python");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, EntryType::kSymlink);
  EXPECT_EQ(e->mode, 0777u);
  EXPECT_EQ(e->size, 0);
  EXPECT_EQ(e->content_hash, ContentHash{});

  e = Find(*r, "dev/null");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, EntryType::kCharDevice);
  EXPECT_EQ(e->mode, 0666u);
  EXPECT_EQ(e->dev_major, 1u);
  EXPECT_EQ(e->dev_minor, 3u);

  e = Find(*r, "run/initctl");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, EntryType::kFifo);
  EXPECT_EQ(e->dev_major, 0u);
}

TEST(LayerReader, CapturesTheContentsAskedForAsTheLayerLeavesThem) {
  TarBuilder t;
  t.Dir("etc")
      .File("etc/a", "first")
      .File("etc/b", "not asked for")
      .File("etc/a", "second")  // rule 4: the last header wins
      .File("etc/gone", "x")
      .Dir("etc/gone")          // ends as a directory: dropped
      .Hardlink("etc/link", "etc/a")
      .File("var/lib/dpkg/status", "Package: x\n");
  LayerReadOptions opts;
  opts.capture = [](absl::string_view path, int64_t size) {
    return path != "etc/b" && size < 100;
  };
  auto s = MakeStringStream(t.Finish());
  auto r = ReadLayer(*s, opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->captured, (std::map<std::string, std::string>{
                             {"etc/a", "second"},
                             {"etc/link", "second"},
                             {"var/lib/dpkg/status", "Package: x\n"}}));
}

TEST(LayerReader, ReadsBlockDevices) {
  Header h;
  h.name = "dev/sda";
  h.type = '4';
  h.mode = 0660;
  h.devmajor = 8;
  h.devminor = 1;
  absl::StatusOr<LayerReadResult> r = Read(HeaderBlock(h) + kEndBlocks);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->entries.size(), 1u);
  const LayerEntry& e = r->entries[0];
  EXPECT_EQ(Summary(e), "b dev/sda");
  EXPECT_EQ(e.mode, 0660u);
  EXPECT_EQ(e.dev_major, 8u);
  EXPECT_EQ(e.dev_minor, 1u);
}

TEST(LayerReader, ListsDirectoriesWithoutParentEntriesAsTheyAre) {
  TarBuilder t;
  t.File("a/b/c/file", "x").Dir("x/y/z");
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Summaries(*r), ElementsAre("f a/b/c/file", "d x/y/z"));
}

TEST(LayerReader, SortsEntriesByPathBytes) {
  // Hand-made: libarchive's writer will not take a non-ASCII name in the C
  // locale.
  std::string tar;
  for (const char* name : {"a/b", "a-b", "B", "a.b", "\xc3\xa9", "a"}) {
    tar += FileBlocks(name, "");
  }
  absl::StatusOr<LayerReadResult> r = Read(tar + kEndBlocks);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Summaries(*r), ElementsAre("f B", "f a", "f a-b", "f a.b",
                                         "f a/b", "f \xc3\xa9"));
}

TEST(LayerReader, KeepsUtf8PaxNamesAsWritten) {
  const std::string name =
      "caf\xc3\xa9/\xc3\xbc"
      "ber.txt";
  const std::string tar = PaxHeader(PaxRecord("path", name)) +
                          FileBlocks("placeholder", "abc") + kEndBlocks;
  absl::StatusOr<LayerReadResult> r = Read(tar);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Summaries(*r), ElementsAre("f " + name));
  EXPECT_THAT(r->warnings, IsEmpty());
}

TEST(LayerReader, HashesSparseFileHolesAsZeros) {
  // Old GNU sparse format ('S'): the map in the header says 5 bytes at
  // offset 1024 of a 3000-byte file; only those 5 bytes are stored.
  Header h;
  h.name = "sparse";
  h.type = 'S';
  h.size = 5;
  h.gnu_magic = true;
  std::string b = HeaderBlock(h);
  Put(&b, 386, Octal(1024, 12));  // sp[0].offset
  Put(&b, 398, Octal(5, 12));     // sp[0].numbytes
  Put(&b, 483, Octal(3000, 12));  // realsize
  Put(&b, 148, std::string(8, ' '));
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  Put(&b, 148, absl::StrFormat("%06o", sum) + std::string("\0 ", 2));
  absl::StatusOr<LayerReadResult> r = Read(b + Padded("hello") + kEndBlocks);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->entries.size(), 1u);
  const std::string logical =
      std::string(1024, '\0') + "hello" + std::string(3000 - 1029, '\0');
  EXPECT_EQ(r->entries[0].size, 3000);
  EXPECT_EQ(r->entries[0].content_hash, HashOf(logical));
}

// ---------------------------------------------------------------------------
// Folding rules (layer_reader.h), by number.

struct FoldCase {
  std::string name;
  std::function<void(TarBuilder&)> build;
  std::vector<std::string> want;
};

void RunFoldCases(const std::vector<FoldCase>& cases) {
  for (const FoldCase& c : cases) {
    SCOPED_TRACE(c.name);
    TarBuilder t;
    c.build(t);
    absl::StatusOr<LayerReadResult> r = Read(t.Finish());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(Summaries(*r), c.want);
  }
}

TEST(LayerReaderRule1, WhiteoutFileBecomesWhiteoutEntry) {
  RunFoldCases({
      {"in a directory",
       [](TarBuilder& t) { t.Dir("etc").Whiteout("etc/shadow"); },
       {"d etc", "w etc/shadow"}},
      {"at the root", [](TarBuilder& t) { t.Whiteout("tmp"); }, {"w tmp"}},
      {"with ./ prefix",
       [](TarBuilder& t) { t.RawName("./a/b/.wh.c"); },
       {"w a/b/c"}},
      {"twice", [](TarBuilder& t) { t.Whiteout("x").Whiteout("x"); }, {"w x"}},
  });
  TarBuilder t;
  t.Whiteout("etc/shadow");
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->entries.size(), 1u);
  const LayerEntry& w = r->entries[0];
  EXPECT_EQ(w.type, EntryType::kWhiteout);
  EXPECT_EQ(w.mode, 0u);  // a whiteout carries no metadata
  EXPECT_EQ(w.mtime, 0);
  EXPECT_EQ(w.size, 0);
  EXPECT_EQ(r->tar_headers, 1u);
}

TEST(LayerReaderRule2, OpaqueMarkerMarksItsDirectory) {
  RunFoldCases({
      {"directory header first",
       [](TarBuilder& t) { t.Dir("var/lib").Opaque("var/lib"); },
       {"d var/lib opaque"}},
      {"directory header after the marker",
       [](TarBuilder& t) { t.Opaque("var/lib").Dir("var/lib"); },
       {"d var/lib opaque"}},
      {"no directory header: implicit",
       [](TarBuilder& t) { t.Opaque("var/lib").File("var/lib/x", "1"); },
       {"d var/lib opaque implicit", "f var/lib/x"}},
  });
  TarBuilder t;
  t.Opaque("var/lib");
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->entries.size(), 1u);
  const LayerEntry& d = r->entries[0];
  EXPECT_EQ(d.type, EntryType::kDir);
  EXPECT_TRUE(d.implicit);
  EXPECT_EQ(d.mode, 0u);  // unknown: the merged tree keeps the lower one's
  EXPECT_EQ(d.mtime, 0);
}

TEST(LayerReaderRule2, OpaqueMarkerOnTheRootIsIgnoredWithAWarning) {
  TarBuilder t;
  t.Opaque("").File("a", "");
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Summaries(*r), ElementsAre("f a"));
  EXPECT_THAT(r->warnings,
              ElementsAre("entry \".wh..wh..opq\": opaque marker on the layer "
                          "root, ignored"));
}

TEST(LayerReaderRule3, RealEntryStaysNextToAWhiteoutOfTheSamePath) {
  RunFoldCases({
      {"whiteout then file",
       [](TarBuilder& t) { t.Whiteout("a").File("a", "new"); },
       {"f a"}},
      {"file then whiteout",
       [](TarBuilder& t) { t.File("a", "new").Whiteout("a"); },
       {"f a"}},
      {"whiteout then directory",
       [](TarBuilder& t) { t.Whiteout("d").Dir("d"); },
       {"d d opaque"}},
      {"directory then whiteout",
       [](TarBuilder& t) { t.Dir("d").Whiteout("d"); },
       {"d d opaque"}},
      {"whiteout then symlink",
       [](TarBuilder& t) { t.Whiteout("l").Symlink("l", "t"); },
       {"l l -> t"}},
  });
}

TEST(LayerReaderRule4, LastDuplicateHeaderWins) {
  TarBuilder t;
  t.File("a", "one", 0600).File("a", "two!", 0644);
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->entries.size(), 1u);
  EXPECT_EQ(r->entries[0].size, 4);
  EXPECT_EQ(r->entries[0].mode, 0644u);
  EXPECT_EQ(r->entries[0].content_hash, HashOf("two!"));
  EXPECT_EQ(r->tar_headers, 2u);

  RunFoldCases({
      {"directory replaced by file",
       [](TarBuilder& t) { t.Dir("x").File("x", ""); },
       {"f x"}},
      {"opaque mark stays on a directory header that comes later",
       [](TarBuilder& t) { t.Dir("x").Opaque("x").Dir("x"); },
       {"d x opaque"}},
      {"opaque mark does not stick to a file",
       [](TarBuilder& t) { t.Dir("x").Opaque("x").File("x", ""); },
       {"f x"}},
      {"opaque mark comes back with the directory",
       [](TarBuilder& t) { t.Dir("x").Opaque("x").File("x", "").Dir("x"); },
       {"d x opaque"}},
      {"whiteout mark stays too",
       [](TarBuilder& t) { t.Whiteout("x").Dir("x").Dir("x"); },
       {"d x opaque"}},
  });
}

TEST(LayerReaderRule5, HardlinkTakesSizeAndHashOfItsTarget) {
  TarBuilder t;
  t.File("bin/a", "payload")
      .Hardlink("bin/b", "bin/a")
      .Hardlink("./bin/c/", "bin/b");
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Summaries(*r),
              ElementsAre("f bin/a", "h bin/b -> bin/a", "h bin/c -> bin/b"));
  for (const LayerEntry& e : r->entries) {
    EXPECT_EQ(e.size, 7) << e.path;
    EXPECT_EQ(e.content_hash, HashOf("payload")) << e.path;
  }
}

struct BadHardlink {
  std::string name;
  std::function<void(TarBuilder&)> build;
  std::string message;
};

TEST(LayerReaderRule5, HardlinkToMissingLaterOrNonFileEntryIsAnError) {
  const std::vector<BadHardlink> cases = {
      {"missing", [](TarBuilder& t) { t.Hardlink("b", "nothere"); },
       "entry \"b\": hardlink to \"nothere\", which is not an earlier entry "
       "of this layer"},
      {"later", [](TarBuilder& t) { t.Hardlink("b", "a").File("a", "x"); },
       "entry \"b\": hardlink to \"a\", which is not an earlier entry of this "
       "layer"},
      {"directory", [](TarBuilder& t) { t.Dir("d").Hardlink("b", "d"); },
       "entry \"b\": hardlink to \"d\", which is a dir, not a regular file"},
      {"symlink", [](TarBuilder& t) { t.Symlink("s", "x").Hardlink("b", "s"); },
       "entry \"b\": hardlink to \"s\", which is a symlink, not a regular "
       "file"},
      {"whiteout only",
       [](TarBuilder& t) { t.Whiteout("w").Hardlink("b", "w"); },
       "entry \"b\": hardlink to \"w\", which is not an earlier entry of this "
       "layer"},
      {"escaping target",
       [](TarBuilder& t) { t.Hardlink("b", "../../etc/shadow"); },
       "entry \"b\": hardlink target \"../../etc/shadow\": path escapes root "
       "(\"..\" component)"},
      {"absolute target",
       [](TarBuilder& t) {
         t.File("etc/shadow", "").Hardlink("b", "/etc/shadow");
       },
       "entry \"b\": hardlink target \"/etc/shadow\": absolute path"},
  };
  for (const BadHardlink& c : cases) {
    SCOPED_TRACE(c.name);
    TarBuilder t;
    c.build(t);
    ExpectError(Read(t.Finish()), absl::StatusCode::kInvalidArgument,
                c.message);
  }
}

TEST(LayerReaderRule6, NamesAreCanonical) {
  TarBuilder t;
  t.Dir("./")
      .Dir("./etc/")
      .File("./etc/hosts", "h")
      .File("usr//lib/./x", "")
      .Dir("var/");
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  // The root ("./") is not listed but its header is counted.
  EXPECT_THAT(Summaries(*r),
              ElementsAre("d etc", "f etc/hosts", "f usr/lib/x", "d var"));
  EXPECT_EQ(r->tar_headers, 5u);
}

struct HostileName {
  std::string name;  // as written in the tar
  std::string message;
};

TEST(LayerReaderRule6, HostileNamesAreInvalidArgument) {
  const std::vector<HostileName> cases = {
      {"etc/../../x",
       "entry \"etc/../../x\": path escapes root (\"..\" component)"},
      {"../x", "entry \"../x\": path escapes root (\"..\" component)"},
      {"/etc/passwd", "entry \"/etc/passwd\": absolute path"},
      {"a/.wh...", "entry \"a/.wh...\": whiteout of \"..\" names no path"},
      {".wh.", "entry \".wh.\": whiteout of \"\" names no path"},
      {"a/.wh..", "entry \"a/.wh..\": whiteout of \".\" names no path"},
  };
  for (const HostileName& c : cases) {
    SCOPED_TRACE(c.name);
    TarBuilder t;
    t.File("ok", "").RawName(c.name);
    ExpectError(Read(t.Finish()), absl::StatusCode::kInvalidArgument,
                c.message);
  }
}

TEST(LayerReaderRule6, NulInAPaxPathIsInvalidArgument) {
  // libarchive would cut "etc/passwd\0.evil" to "etc/passwd" silently.
  const std::string tar =
      PaxHeader(PaxRecord("path", std::string("etc/passwd\0.evil", 16))) +
      FileBlocks("placeholder", "x") + kEndBlocks;
  ExpectError(Read(tar), absl::StatusCode::kInvalidArgument,
              "entry \"etc/passwd\": pax \"path\" record contains a NUL byte "
              "(full value \"etc/passwd\\x00.evil\")");
}

TEST(LayerReaderRule6, NulInAPaxLinkpathIsInvalidArgument) {
  Header h;
  h.name = "link";
  h.type = '2';
  h.linkname = "placeholder";
  const std::string tar =
      PaxHeader(PaxRecord("linkpath", std::string("/bin\0sh", 7))) +
      HeaderBlock(h) + kEndBlocks;
  ExpectError(Read(tar), absl::StatusCode::kInvalidArgument,
              "entry \"link\": pax \"linkpath\" record contains a NUL byte "
              "(full value \"/bin\\x00sh\")");
}

TEST(LayerReaderRule6, EmptyNameIsAnError) {
  const std::string tar =
      FileBlocks("a", "1") + FileBlocks("", "") + kEndBlocks;
  ExpectError(Read(tar), absl::StatusCode::kInvalidArgument,
              "tar header at byte 1024 has an empty name");
}

TEST(LayerReaderRule6, RootThatIsNotADirectoryIsAnError) {
  TarBuilder t;
  t.Symlink("./", "/etc");
  ExpectError(Read(t.Finish()), absl::StatusCode::kInvalidArgument,
              "entry \"./\": the layer root must be a directory, not a "
              "symlink");
}

TEST(LayerReaderRule7, AufsMetadataIsSkippedWithAWarning) {
  TarBuilder t;
  t.Dir(".wh..wh.plnk")
      .File(".wh..wh.plnk/1234.5678", "x")
      .File(".wh..wh.aufs", "")
      .File("etc/.wh..wh.orph", "")
      .File("kept", "");
  absl::StatusOr<LayerReadResult> r = Read(t.Finish());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Summaries(*r), ElementsAre("f kept"));
  EXPECT_THAT(
      r->warnings,
      ElementsAre("entry \".wh..wh.plnk/\": AUFS metadata, skipped",
                  "entry \".wh..wh.plnk/1234.5678\": inside a \".wh.\" "
                  "directory (AUFS metadata?), skipped",
                  "entry \".wh..wh.aufs\": AUFS metadata, skipped",
                  "entry \"etc/.wh..wh.orph\": AUFS metadata, skipped"));
  EXPECT_EQ(r->tar_headers, 5u);
}

// ---------------------------------------------------------------------------
// Compression and digests.

std::string SmallTar() {
  TarBuilder t;
  t.Dir("etc")
      .File("etc/hostname", "box\n")
      .Symlink("etc/mtab", "/proc/mounts");
  return t.Finish();
}

struct CompressionCase {
  std::string name;
  std::string blob;
  Compression compression;
};

TEST(LayerReader, ReadsEachCompressionExplicitOrSniffed) {
  const std::string tar = SmallTar();
  const std::string gz = Gzip(tar);
  const std::string zst = Zstd(tar);
  const std::vector<CompressionCase> cases = {
      {"gzip", gz, Compression::kGzip},  {"gzip auto", gz, Compression::kAuto},
      {"zstd", zst, Compression::kZstd}, {"zstd auto", zst, Compression::kAuto},
      {"none", tar, Compression::kNone}, {"none auto", tar, Compression::kAuto},
  };
  for (const CompressionCase& c : cases) {
    SCOPED_TRACE(c.name);
    LayerReadOptions o = With(c.compression);
    o.expected_blob_digest = Sha256::Of(c.blob);
    o.expected_diff_id = Sha256::Of(tar);
    absl::StatusOr<LayerReadResult> r = Read(c.blob, o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->blob_digest, Sha256::Of(c.blob));
    EXPECT_EQ(r->diff_id, Sha256::Of(tar));
    EXPECT_EQ(r->compressed_size, c.blob.size());
    EXPECT_EQ(r->uncompressed_size, tar.size());
    EXPECT_EQ(r->tar_headers, 3u);
    EXPECT_THAT(Summaries(*r), ElementsAre("d etc", "f etc/hostname",
                                           "l etc/mtab -> /proc/mounts"));
  }
}

TEST(LayerReader, UncompressedBlobDigestIsTheDiffId) {
  const std::string tar = SmallTar();
  absl::StatusOr<LayerReadResult> r = Read(tar, With(Compression::kNone));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blob_digest, r->diff_id);
  EXPECT_EQ(r->diff_id, Sha256::Of(tar));
}

TEST(LayerReader, ReadsMultiMemberGzipInAnyReadSize) {
  const std::string tar = SmallTar();
  // Members split mid-header and mid-data, plus an empty member (pigz and
  // concatenating tools write such streams).
  const std::string blob = Gzip(tar.substr(0, 700)) + Gzip("") +
                           Gzip(tar.substr(700, 1000)) + Gzip(tar.substr(1700));
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1} << 20}) {
    SCOPED_TRACE(chunk);
    ChunkedStream s(blob, chunk);
    absl::StatusOr<LayerReadResult> r = ReadLayer(s, With(Compression::kGzip));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->diff_id, Sha256::Of(tar));
    EXPECT_EQ(r->blob_digest, Sha256::Of(blob));
    EXPECT_EQ(r->entries.size(), 3u);
  }
}

TEST(LayerReader, ReadsMultiFrameZstd) {
  const std::string tar = SmallTar();
  const std::string blob = Zstd(tar.substr(0, 1000)) + Zstd(tar.substr(1000));
  ChunkedStream s(blob, 5);
  absl::StatusOr<LayerReadResult> r = ReadLayer(s, With(Compression::kAuto));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->diff_id, Sha256::Of(tar));
  EXPECT_EQ(r->entries.size(), 3u);
}

TEST(LayerReader, ReadsGzipHeaderWithNameAndComment) {
  // RFC 1952 section 2.3.1: FLG.FNAME (0x08) and FLG.FCOMMENT (0x10) add
  // zero-terminated fields after the 10-byte header (`gzip FILE` writes the
  // name).
  const std::string tar = SmallTar();
  std::string gz = Gzip(tar);
  ASSERT_EQ(gz[3], '\0');  // no flags
  gz[3] = 0x18;
  gz.insert(10, std::string("layer.tar\0a comment\0", 20));
  absl::StatusOr<LayerReadResult> r = Read(gz);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->diff_id, Sha256::Of(tar));
  EXPECT_EQ(r->entries.size(), 3u);
}

TEST(LayerReader, ZstdFrameNeedingAHugeWindowIsResourceExhausted) {
  // A frame header asking for a 256 MiB window (zstd --long=28): refused
  // before any memory is allocated for it.
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> c(ZSTD_createCCtx(),
                                                       &ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_windowLog, 28);
  const std::string tar = SmallTar();
  std::string out(ZSTD_compressBound(tar.size()) + 64, '\0');
  ZSTD_inBuffer in{tar.data(), tar.size(), 0};
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  // Continue, then end: the frame does not know its size, so the window
  // stays as asked.
  ZSTD_compressStream2(c.get(), &ob, &in, ZSTD_e_continue);
  ZSTD_inBuffer none{nullptr, 0, 0};
  ASSERT_EQ(ZSTD_compressStream2(c.get(), &ob, &none, ZSTD_e_end), 0u);
  out.resize(ob.pos);
  absl::StatusOr<LayerReadResult> r = Read(out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
      << r.status();
  EXPECT_THAT(r.status().message(),
              HasSubstr("zstd frame needs a window larger than the 128 MiB "
                        "allowed"));
}

TEST(LayerReader, BlobDigestMismatchIsDataLoss) {
  const std::string gz = Gzip(SmallTar());
  LayerReadOptions o;
  o.expected_blob_digest = Sha256::Of("something else");
  ExpectError(
      Read(gz, o), absl::StatusCode::kDataLoss,
      absl::StrCat("blob digest mismatch: expected ",
                   Sha256::Of("something else"), ", got ", Sha256::Of(gz)));
}

TEST(LayerReader, DiffIdMismatchIsDataLoss) {
  const std::string tar = SmallTar();
  LayerReadOptions o;
  o.expected_blob_digest = Sha256::Of(Gzip(tar));
  o.expected_diff_id = Sha256::Of("other");
  // Gzip() output is deterministic here: same input, same bytes.
  ExpectError(Read(Gzip(tar), o), absl::StatusCode::kDataLoss,
              absl::StrCat("diff_id mismatch: expected ", Sha256::Of("other"),
                           ", got ", Sha256::Of(tar)));
}

TEST(LayerReader, MalformedExpectedDigestIsInvalidArgument) {
  LayerReadOptions o;
  o.expected_diff_id = "md5:abc";
  ExpectError(Read(SmallTar(), o), absl::StatusCode::kInvalidArgument,
              "expected diff_id: unsupported digest \"md5:abc\": only sha256 "
              "is accepted");
}

TEST(LayerReader, TruncatedGzipIsDataLoss) {
  const std::string gz = Gzip(SmallTar());
  // Inside the deflate data, and inside the 8-byte CRC/ISIZE trailer.
  for (size_t cut : {gz.size() / 2, gz.size() - 3}) {
    SCOPED_TRACE(cut);
    ExpectError(
        Read(gz.substr(0, cut), With(Compression::kGzip)),
        absl::StatusCode::kDataLoss,
        absl::StrCat("gzip data truncated: the blob ends after ", cut,
                     " bytes, before the end of the compressed stream"));
  }
}

TEST(LayerReader, TruncatedZstdIsDataLoss) {
  const std::string zst = Zstd(SmallTar());
  const size_t cut = zst.size() - 4;
  ExpectError(Read(zst.substr(0, cut)), absl::StatusCode::kDataLoss,
              absl::StrCat("zstd data truncated: the blob ends after ", cut,
                           " bytes, before the end of the compressed stream"));
}

TEST(LayerReader, EmptyBlobDeclaredGzipIsDataLoss) {
  ExpectError(Read("", With(Compression::kGzip)), absl::StatusCode::kDataLoss,
              "layer blob is empty, expected gzip data");
}

TEST(LayerReader, CorruptGzipIsDataLoss) {
  std::string gz = Gzip(Noise(4000, 1));
  gz[gz.size() - 6] ^= 0x55;  // the stored CRC-32
  absl::StatusOr<LayerReadResult> r = Read(gz);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(),
              HasSubstr("corrupt gzip data in member 1 near compressed byte"));
  EXPECT_THAT(r.status().message(), HasSubstr("CRC-32 or length mismatch"));

  std::string bad_block = Gzip(SmallTar());
  bad_block[10] = '\xff';  // first deflate block header: reserved type 11
  r = Read(bad_block);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("corrupt gzip data in member 1"));
}

// Bytes that fail to inflate and are not the blob the manifest names: the
// rest is read, and the digest mismatch is what is reported; bytes that are
// the named blob keep the inflate error.
TEST(LayerReader, UnreadableBytesOfAnotherBlobAreADigestMismatch) {
  const std::string good = Gzip(Noise(3 << 20, 7));
  std::string bad = good;
  bad[10] = '\xff';  // first deflate block header: reserved type 11
  LayerReadOptions o;
  o.expected_blob_digest = Sha256::Of(good);
  absl::StatusOr<LayerReadResult> r = Read(bad, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::StartsWith(absl::StrCat(
                  "blob digest mismatch: expected ", Sha256::Of(good),
                  ", got ", Sha256::Of(bad),
                  " (the bytes also failed to read: corrupt gzip data in "
                  "member 1")));

  o.expected_blob_digest = Sha256::Of(bad);
  r = Read(bad, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::StartsWith("corrupt gzip data in member 1"));
}

TEST(LayerReader, GarbageAfterTheLastGzipMemberIsDataLoss) {
  const std::string gz = Gzip(SmallTar());
  ExpectError(
      Read(gz + "junk!junk!", With(Compression::kGzip)),
      absl::StatusCode::kDataLoss,
      absl::StrCat("corrupt gzip data in member 2 near compressed byte ",
                   gz.size() + 10, ": not a gzip member header"));
}

TEST(LayerReader, GzipDeclaredButPlainTarIsDataLoss) {
  absl::StatusOr<LayerReadResult> r =
      Read(SmallTar(), With(Compression::kGzip));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("not a gzip member header"));
}

// ---------------------------------------------------------------------------
// Tar structure.

TEST(LayerReader, TarCutMidHeaderIsDataLossNamingThePreviousEntry) {
  TarBuilder t;
  t.File("a", "hello").File("b", "x");
  const std::string tar = t.Finish();  // a: 0-1023, b: 1024-2047
  ExpectError(Read(tar.substr(0, 1024 + 300)), absl::StatusCode::kDataLoss,
              "tar header at byte 1024 (after entry \"a\"): Truncated tar "
              "archive");
}

TEST(LayerReader, TarCutMidDataIsDataLossNamingTheEntry) {
  TarBuilder t;
  t.File("big", Noise(5000, 2));
  const std::string tar = t.Finish();
  ExpectError(Read(Gzip(tar.substr(0, 512 + 3000))),
              absl::StatusCode::kDataLoss,
              "entry \"big\": tar data truncated or corrupt at byte 3512 "
              "(3000 of 5000 content bytes read): Truncated tar archive");
}

TEST(LayerReader, TarCutInsideTheLastPaddingIsDataLoss) {
  // Unlike the umoci case, part of the padding is there: Go's archive/tar
  // fails on this too.
  TarBuilder t;
  t.File("a", "abc");
  const std::string tar = t.Finish();
  absl::StatusOr<LayerReadResult> r = Read(tar.substr(0, 700));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(),
              HasSubstr("entry \"a\": tar data truncated or corrupt at byte "
                        "700 (3 of 3 content bytes read)"));
}

TEST(LayerReader, HeaderWithBadChecksumIsDataLoss) {
  Header h;
  h.name = "b";
  h.bad_checksum = true;
  const std::string tar = FileBlocks("a", "1") + HeaderBlock(h) + kEndBlocks;
  ExpectError(Read(tar), absl::StatusCode::kDataLoss,
              "tar header at byte 1024 (after entry \"a\"): Damaged tar "
              "archive");
  ExpectError(Read(HeaderBlock(h) + kEndBlocks), absl::StatusCode::kDataLoss,
              "not a tar archive: Unrecognized archive format");
}

TEST(LayerReader, HeaderClaimingHugeSizeIsDataLoss) {
  Header h;
  h.name = "huge";
  h.size = uint64_t{8} << 30;
  const std::string tar = HeaderBlock(h) + Padded("only this") + kEndBlocks;
  ExpectError(Read(tar), absl::StatusCode::kDataLoss,
              "entry \"huge\": tar data truncated or corrupt at byte 2048 "
              "(1536 of 8589934592 content bytes read): Truncated tar archive");
}

TEST(LayerReader, GarbageIsDataLoss) {
  ExpectError(Read(Noise(5000, 3)), absl::StatusCode::kDataLoss,
              "not a tar archive: Unrecognized archive format");
  ExpectError(Read(Gzip(Noise(5000, 3))), absl::StatusCode::kDataLoss,
              "not a tar archive: Unrecognized archive format");
}

TEST(LayerReader, EmptyTarIsAnEmptyLayerWithAWarning) {
  for (const std::string& blob : {std::string(), Gzip("")}) {
    absl::StatusOr<LayerReadResult> r = Read(blob);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_THAT(r->entries, IsEmpty());
    EXPECT_THAT(r->warnings, ElementsAre("layer tar is empty (0 bytes)"));
    EXPECT_EQ(r->diff_id, Sha256::Of(""));
  }
}

TEST(LayerReader, EndBlocksOnlyIsAnEmptyLayer) {
  absl::StatusOr<LayerReadResult> r = Read(Gzip(kEndBlocks));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->entries, IsEmpty());
  EXPECT_THAT(r->warnings, IsEmpty());
  EXPECT_EQ(r->tar_headers, 0u);
}

TEST(LayerReader, BytesAfterTheEndBlocksCountInTheDiffId) {
  const std::string tar = SmallTar() + std::string(9216, '\0') + "trailer";
  absl::StatusOr<LayerReadResult> r = Read(Gzip(tar));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->diff_id, Sha256::Of(tar));
  EXPECT_EQ(r->uncompressed_size, tar.size());
  EXPECT_EQ(r->entries.size(), 3u);
}

// ---------------------------------------------------------------------------
// umoci insert: the tar stops right after the last file's data.

TEST(LayerReader, TarEndingRightAfterLastFileDataIsReadWithAWarning) {
  TarBuilder t;
  t.Dir("etc").File("etc/motd", "hello\n");
  const std::string full = t.Finish();  // etc: 0-511, motd: 512-1535, end
  const std::string cut = full.substr(0, 512 + 512 + 6);
  LayerReadOptions o;
  o.expected_diff_id = Sha256::Of(cut);
  absl::StatusOr<LayerReadResult> r = Read(Gzip(cut), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Summaries(*r), ElementsAre("d etc", "f etc/motd"));
  EXPECT_EQ(Find(*r, "etc/motd")->content_hash, HashOf("hello\n"));
  EXPECT_EQ(Find(*r, "etc/motd")->size, 6);
  EXPECT_THAT(r->warnings,
              ElementsAre("entry \"etc/motd\": layer tar ends right after "
                          "this entry's data, without padding or "
                          "end-of-archive blocks (written by umoci insert?)"));
}

TEST(LayerReader, TarWithoutEndBlocksAtABlockBoundaryIsReadWithAWarning) {
  TarBuilder t;
  t.File("a", std::string(512, 'a')).Dir("d");
  const std::string full = t.Finish();
  for (size_t end : {size_t{1024}, size_t{1536}}) {  // after a, after d
    SCOPED_TRACE(end);
    absl::StatusOr<LayerReadResult> r = Read(full.substr(0, end));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->entries.size(), end == 1024 ? 1u : 2u);
    EXPECT_THAT(r->warnings,
                ElementsAre("layer tar ends without end-of-archive blocks "
                            "(written by umoci insert?)"));
  }
}

TEST(LayerReader, ReadsARealUmociInsertLayer) {
  const std::string path =
      std::string(DCI_SOURCE_DIR) + "/tests/testdata/umoci-insert-layer.tar.gz";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  std::unique_ptr<ByteStream> s = MakeFdStream(fd);
  LayerReadOptions o;
  o.compression = Compression::kGzip;  // as umoci's manifest says
  o.expected_blob_digest =
      "sha256:74780fed905c1adefb6c709f25e476c7fb056b5f453e58af9bd854532b31460c";
  o.expected_diff_id =
      "sha256:800b3c23cc57607abb1b7e2fcbfa03847987508797d93f973075dc9b8d63ca01";
  absl::StatusOr<LayerReadResult> r = ReadLayer(*s, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->compressed_size, 188u);
  EXPECT_EQ(r->uncompressed_size, 2054u);
  EXPECT_THAT(Summaries(*r), ElementsAre("d etc", "f etc/issue", "f etc/motd"));
  EXPECT_THAT(r->warnings,
              ElementsAre("entry \"etc/motd\": layer tar ends right after "
                          "this entry's data, without padding or "
                          "end-of-archive blocks (written by umoci insert?)"));
  const LayerEntry* issue = Find(*r, "etc/issue");
  ASSERT_NE(issue, nullptr);
  EXPECT_EQ(issue->mode, 0640u);
  EXPECT_EQ(issue->size, 24);
  EXPECT_EQ(issue->mtime, 1704164645);  // 2024-01-02 03:04:05 UTC
  EXPECT_EQ(ContentHashHex(issue->content_hash),
            "737dcf503319d67252eabfc505511fe0");  // xxhsum -H2
  const LayerEntry* motd = Find(*r, "etc/motd");
  ASSERT_NE(motd, nullptr);
  EXPECT_EQ(motd->mode, 0644u);
  EXPECT_EQ(motd->size, 6);
  EXPECT_EQ(ContentHashHex(motd->content_hash),
            "6bba86c7e069f56d5a10b435f1c8e49c");
  EXPECT_EQ(Find(*r, "etc")->mode, 0755u);
}

// ---------------------------------------------------------------------------
// Limits.

TEST(LayerReader, DecompressionBombIsResourceExhausted) {
  TarBuilder t;
  t.File("zeros", std::string(8 << 20, '\0'));
  const std::string tar = t.Finish();
  LayerReadOptions o;
  o.limits.max_uncompressed_bytes = 1 << 20;
  const std::string message =
      "layer decompresses to more than 1048576 bytes "
      "(limits.max_uncompressed_bytes); decompression bomb?";
  ExpectError(Read(Gzip(tar), o), absl::StatusCode::kResourceExhausted,
              message);
  ExpectError(Read(Zstd(tar), o), absl::StatusCode::kResourceExhausted,
              message);
  ExpectError(Read(tar, o), absl::StatusCode::kResourceExhausted, message);
}

TEST(LayerReader, LimitIsInclusive) {
  const std::string tar = SmallTar();
  LayerReadOptions o;
  o.limits.max_uncompressed_bytes = tar.size();
  o.limits.max_entries = 3;
  absl::StatusOr<LayerReadResult> r = Read(Gzip(tar), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entries.size(), 3u);
}

TEST(LayerReader, EntryCapIsResourceExhausted) {
  TarBuilder t;
  for (int i = 0; i < 5; ++i) t.File(absl::StrCat("f", i), "");
  LayerReadOptions o;
  o.limits.max_entries = 3;
  ExpectError(Read(Gzip(t.Finish()), o), absl::StatusCode::kResourceExhausted,
              "layer has more than 3 tar entries (limits.max_entries)");
}

// ---------------------------------------------------------------------------
// The two threads: large layers, failures on either side, progress.

TEST(LayerReader, LargeLayerSpanningManyRingSlots) {
  TarBuilder t;
  std::vector<std::string> contents;
  for (int i = 0; i < 40; ++i) {
    contents.push_back(Noise(static_cast<size_t>(i) * 37000 + 1, 10 + i));
    t.File(absl::StrFormat("d/f%02d", i), contents.back());
  }
  t.File("d/last", "end");
  const std::string tar = t.Finish();
  ASSERT_GT(tar.size(), 20u << 20);  // more than twice the ring
  const std::string gz = Gzip(tar);
  std::vector<LayerProgress> seen;
  std::atomic<int> calls{0};
  LayerReadOptions o;
  o.expected_blob_digest = Sha256::Of(gz);
  o.expected_diff_id = Sha256::Of(tar);
  o.progress = [&](const LayerProgress& p) {
    ++calls;
    seen.push_back(p);  // called from one thread at a time
  };
  absl::StatusOr<LayerReadResult> r = Read(gz, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->entries.size(), 41u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(r->entries[i].content_hash, HashOf(contents[i])) << i;
    EXPECT_EQ(r->entries[i].size, static_cast<int64_t>(contents[i].size()));
  }
  EXPECT_EQ(r->entries[40].content_hash, HashOf("end"));
  ASSERT_GE(calls.load(), 20);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].uncompressed_bytes, seen[i - 1].uncompressed_bytes);
    EXPECT_GE(seen[i].compressed_bytes, seen[i - 1].compressed_bytes);
    EXPECT_GE(seen[i].entries, seen[i - 1].entries);
  }
  EXPECT_EQ(seen.back().compressed_bytes, gz.size());
  EXPECT_EQ(seen.back().uncompressed_bytes, tar.size());
  EXPECT_EQ(seen.back().entries, 41u);
}

TEST(LayerReader, StreamErrorStopsTheParser) {
  TarBuilder t;
  t.File("a", Noise(3 << 20, 4));
  const std::string gz = Gzip(t.Finish());
  FailingStream s(gz.substr(0, gz.size() / 2));
  absl::StatusOr<LayerReadResult> r = ReadLayer(s, {});
  ExpectError(r, absl::StatusCode::kUnavailable,
              "reading layer blob: connection reset by peer");
}

TEST(LayerReader, ParserErrorStopsAProducerBlockedOnAFullRing) {
  // A hostile first entry, then 1 GiB of zeros: the parser fails at once,
  // while the producer has filled the ring and waits for room.
  TarBuilder t;
  t.RawName("../escape");
  ZeroTailStream s(t.Finish().substr(0, 512), uint64_t{1} << 30);
  ExpectError(ReadLayer(s, With(Compression::kNone)),
              absl::StatusCode::kInvalidArgument,
              "entry \"../escape\": path escapes root (\"..\" component)");
  EXPECT_LT(s.read(), uint64_t{64} << 20);
}

TEST(LayerReader, ParserErrorAtTheStartOfAGzipLayerReturnsPromptly) {
  TarBuilder t;
  t.RawName("/abs");
  t.File("big", std::string(32 << 20, 'z'));
  ExpectError(Read(Gzip(t.Finish())), absl::StatusCode::kInvalidArgument,
              "entry \"/abs\": absolute path");
}

// Whatever the damage, ReadLayer returns (OK or an error): no crash, no hang,
// no leak (the sanitizer builds run this too).
TEST(LayerReader, SurvivesCutAndFlippedBytesAnywhere) {
  TarBuilder t;
  t.Dir("etc")
      .File("etc/a", Noise(3000, 5))
      .Hardlink("etc/b", "etc/a")
      .Whiteout("etc/c")
      .Opaque("var")
      .Symlink("l", "../x")
      .File("z", Noise(70000, 6));
  const std::string tar = t.Finish();
  std::mt19937 rng(7);
  for (const std::string& blob : {tar, Gzip(tar), Zstd(tar)}) {
    for (int i = 0; i < 150; ++i) {
      std::string b = blob;
      if (i % 2 == 0) {
        b.resize(rng() % b.size());
      } else {
        for (int k = 0; k < 3; ++k) b[rng() % b.size()] ^= 1 << (rng() % 8);
      }
      absl::StatusOr<LayerReadResult> r = Read(b);
      if (!r.ok()) {
        EXPECT_NE(r.status().code(), absl::StatusCode::kInternal) << r.status();
        EXPECT_NE(r.status().code(), absl::StatusCode::kCancelled)
            << r.status();
      }
    }
  }
}

}  // namespace
}  // namespace dci
