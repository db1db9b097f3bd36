// RPM header blob parsing.
//
// Design note. The blob layout (rpm lib/header.c, doc/manual/format.md):
//
//   int32 il; int32 dl;                      // big-endian
//   struct { int32 tag, type, offset, count; } index[il];
//   char data[dl];
//
// Invariants this file keeps (the tests check them by number):
//   1. Nothing is read outside `blob`: il, dl and the blob size must agree
//      exactly, every entry's type, alignment and offset is checked when the
//      index is read, and an entry's data (count elements, or count
//      NUL-terminated strings) is checked to end inside the data store before
//      it is used.
//   2. A header region (first entry HEADERIMMUTABLE / HEADERIMAGE /
//      HEADERSIGNATURES, type BIN, count 16) must have a trailer inside the
//      data store whose negative offset names a whole number of entries no
//      more than il (rpm lib/header.c hdrblobVerifyRegion). Entries after the
//      region ("dribbles", added by rpm at install time) replace region
//      entries with the same tag, as rpm's headerImport does: the last entry
//      for a tag wins.
//   3. Work and memory are bounded by the blob size: only the ~20 tags used
//      here are ever scanned, and the file list is capped in total bytes.
#include "indexer/packages/rpm_header.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/path.h"
#include "base/status_macros.h"

namespace dci {
namespace {

// Header data types (rpm include/rpm/rpmtag.h, rpmTagType_e).
enum : uint32_t {
  kTypeNull = 0,
  kTypeChar = 1,
  kTypeInt8 = 2,
  kTypeInt16 = 3,
  kTypeInt32 = 4,
  kTypeInt64 = 5,
  kTypeString = 6,
  kTypeBin = 7,
  kTypeStringArray = 8,
  kTypeI18nString = 9,
};

// Tags read here (rpm include/rpm/rpmtag.h, rpmTag_e).
enum : uint32_t {
  kTagHeaderImage = 61,
  kTagHeaderSignatures = 62,
  kTagHeaderImmutable = 63,
  kTagName = 1000,
  kTagVersion = 1001,
  kTagRelease = 1002,
  kTagEpoch = 1003,
  kTagSize = 1009,
  kTagVendor = 1011,
  kTagLicense = 1014,
  kTagPackager = 1015,
  kTagArch = 1022,
  kTagOldFilenames = 1027,
  kTagFileStates = 1029,
  kTagFileModes = 1030,
  kTagFileDigests = 1035,  // FILEMD5S in old rpm
  kTagFileFlags = 1037,
  kTagSourceRpm = 1044,
  kTagFileVerifyFlags = 1045,
  kTagDirIndexes = 1116,
  kTagBasenames = 1117,
  kTagDirNames = 1118,
  kTagLongSize = 5009,
  kTagFileDigestAlgo = 5011,
};

// rpm lib/rpmfi.h, rpmfileAttrs_e: RPMFILE_CONFIG = (1 << 0),
// RPMFILE_GHOST = (1 << 6).
constexpr uint32_t kFileConfig = 1u << 0;
constexpr uint32_t kFileGhost = 1u << 6;
// rpm include/rpm/rpmfiles.h: RPMFILE_STATE_NORMAL; the others (replaced,
// not installed, netshared, wrong color) are files rpm -V does not hash.
constexpr uint32_t kFileStateNormal = 0;
// rpm include/rpm/rpmvf.h: RPMVERIFY_FILEDIGEST (was RPMVERIFY_MD5).
constexpr uint32_t kVerifyFileDigest = 1u << 0;
// st_mode file type bits as rpm records them in FILEMODES (POSIX values).
constexpr uint32_t kModeTypeMask = 0170000;
constexpr uint32_t kModeDir = 0040000;
constexpr uint32_t kModeSymlink = 0120000;
// rpm's hdrblobInit limit on the index entry count (header_internal.h).
constexpr uint32_t kMaxIndexEntries = 0xffff;
constexpr size_t kEntrySize = 16;
// A region tag's BIN payload is one 16-byte index entry (REGION_TAG_COUNT).
constexpr uint32_t kRegionTagCount = 16;
// Paths longer than this are not real file names (PATH_MAX).
constexpr size_t kMaxPathBytes = 4096;

uint32_t Be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
         (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

uint64_t Be64(const char* p) { return (uint64_t{Be32(p)} << 32) | Be32(p + 4); }

// Size in bytes of one element of a fixed-size type; 0 for NULL and the
// string types, whose size is found by scanning.
size_t TypeSize(uint32_t type) {
  switch (type) {
    case kTypeChar:
    case kTypeInt8:
    case kTypeBin:
      return 1;
    case kTypeInt16:
      return 2;
    case kTypeInt32:
      return 4;
    case kTypeInt64:
      return 8;
    default:
      return 0;
  }
}

// rpm lib/header.c typeAlign.
size_t TypeAlign(uint32_t type) {
  size_t s = TypeSize(type);
  return s == 0 ? 1 : s;
}

std::string TagName(uint32_t tag) {
  switch (tag) {
    case kTagName:
      return "NAME";
    case kTagVersion:
      return "VERSION";
    case kTagRelease:
      return "RELEASE";
    case kTagEpoch:
      return "EPOCH";
    case kTagSize:
      return "SIZE";
    case kTagVendor:
      return "VENDOR";
    case kTagLicense:
      return "LICENSE";
    case kTagPackager:
      return "PACKAGER";
    case kTagArch:
      return "ARCH";
    case kTagOldFilenames:
      return "OLDFILENAMES";
    case kTagFileStates:
      return "FILESTATES";
    case kTagFileModes:
      return "FILEMODES";
    case kTagFileVerifyFlags:
      return "FILEVERIFYFLAGS";
    case kTagFileDigests:
      return "FILEDIGESTS";
    case kTagFileFlags:
      return "FILEFLAGS";
    case kTagSourceRpm:
      return "SOURCERPM";
    case kTagDirIndexes:
      return "DIRINDEXES";
    case kTagBasenames:
      return "BASENAMES";
    case kTagDirNames:
      return "DIRNAMES";
    case kTagLongSize:
      return "LONGSIZE";
    case kTagFileDigestAlgo:
      return "FILEDIGESTALGO";
  }
  return absl::StrCat("tag ", tag);
}

struct Entry {
  uint32_t tag;
  uint32_t type;
  uint32_t offset;
  uint32_t count;
};

// A checked view of the index and data store. Entry data is validated
// lazily, only for the tags that are read (invariant 3).
class HeaderView {
 public:
  static absl::StatusOr<HeaderView> Parse(absl::string_view blob) {
    if (blob.size() < 8) {
      return absl::DataLossError(absl::StrCat("header is ", blob.size(),
                                              " bytes, shorter than its "
                                              "8-byte preamble"));
    }
    if (blob.size() > kMaxRpmHeaderBytes) {
      return absl::DataLossError(absl::StrCat("header is ", blob.size(),
                                              " bytes (limit ",
                                              kMaxRpmHeaderBytes, ")"));
    }
    const uint32_t il = Be32(blob.data());
    const uint32_t dl = Be32(blob.data() + 4);
    if (il < 1 || il > kMaxIndexEntries) {
      return absl::DataLossError(
          absl::StrCat("impossible index entry count ", il));
    }
    if (dl > kMaxRpmHeaderBytes) {
      return absl::DataLossError(absl::StrCat("impossible data length ", dl));
    }
    const uint64_t want = 8 + uint64_t{il} * kEntrySize + dl;
    if (want != blob.size()) {
      return absl::DataLossError(absl::StrCat(
          "header size mismatch: ", il, " entries and ", dl,
          " data bytes need ", want, " bytes, blob has ", blob.size()));
    }
    HeaderView h;
    h.data_ = blob.substr(8 + size_t{il} * kEntrySize);
    h.entries_.reserve(il);
    const char* p = blob.data() + 8;
    for (uint32_t i = 0; i < il; ++i, p += kEntrySize) {
      Entry e{Be32(p), Be32(p + 4), Be32(p + 8), Be32(p + 12)};
      if (e.type > kTypeI18nString) {
        return absl::DataLossError(absl::StrCat(
            "index entry ", i, " (", TagName(e.tag), "): bad type ", e.type));
      }
      // rpm hdrchkRange: the offset must lie inside the data store.
      if (e.offset >= dl && !(e.offset == dl && e.type == kTypeNull)) {
        return absl::DataLossError(
            absl::StrCat("index entry ", i, " (", TagName(e.tag), "): offset ",
                         e.offset, " outside the ", dl, "-byte data store"));
      }
      if (e.offset % TypeAlign(e.type) != 0) {
        return absl::DataLossError(
            absl::StrCat("index entry ", i, " (", TagName(e.tag), "): offset ",
                         e.offset, " misaligned for type ", e.type));
      }
      if (e.type != kTypeNull && (e.count < 1 || e.count > dl)) {
        return absl::DataLossError(
            absl::StrCat("index entry ", i, " (", TagName(e.tag),
                         "): impossible count ", e.count));
      }
      h.entries_.push_back(e);
    }
    DCI_RETURN_IF_ERROR(h.CheckRegion());
    return h;
  }

  // The entry in force for `tag`: the last one (invariant 2).
  const Entry* Find(uint32_t tag) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (it->tag == tag) return &*it;
    }
    return nullptr;
  }

  // First string of a STRING / I18NSTRING entry; nullopt when absent.
  absl::StatusOr<std::optional<absl::string_view>> String(uint32_t tag) const {
    const Entry* e = Find(tag);
    if (e == nullptr) return std::optional<absl::string_view>();
    if (e->type != kTypeString && e->type != kTypeI18nString) {
      return WrongType(*e, "a string");
    }
    DCI_ASSIGN_OR_RETURN(std::vector<absl::string_view> v, Strings(*e, 1));
    return std::optional<absl::string_view>(v[0]);
  }

  // All strings of a STRING_ARRAY entry; empty when absent.
  absl::StatusOr<std::vector<absl::string_view>> StringArray(
      uint32_t tag) const {
    const Entry* e = Find(tag);
    if (e == nullptr) return std::vector<absl::string_view>();
    if (e->type != kTypeStringArray) return WrongType(*e, "a string array");
    return Strings(*e, e->count);
  }

  // All values of an INT32 entry; empty when absent.
  absl::StatusOr<std::vector<uint32_t>> Int32Array(uint32_t tag) const {
    const Entry* e = Find(tag);
    if (e == nullptr) return std::vector<uint32_t>();
    if (e->type != kTypeInt32) return WrongType(*e, "INT32");
    DCI_RETURN_IF_ERROR(CheckFixed(*e));
    std::vector<uint32_t> out;
    out.reserve(e->count);
    const char* p = data_.data() + e->offset;
    for (uint32_t i = 0; i < e->count; ++i) out.push_back(Be32(p + 4 * i));
    return out;
  }

  // All values of a CHAR, INT8, INT16 or INT32 entry, widened (FILEMODES is
  // INT16, FILESTATES CHAR); empty when absent.
  absl::StatusOr<std::vector<uint32_t>> Numbers(uint32_t tag) const {
    const Entry* e = Find(tag);
    if (e == nullptr) return std::vector<uint32_t>();
    if (e->type != kTypeChar && e->type != kTypeInt8 &&
        e->type != kTypeInt16 && e->type != kTypeInt32) {
      return WrongType(*e, "an integer array");
    }
    DCI_RETURN_IF_ERROR(CheckFixed(*e));
    std::vector<uint32_t> out;
    out.reserve(e->count);
    const char* p = data_.data() + e->offset;
    const size_t size = TypeSize(e->type);
    for (uint32_t i = 0; i < e->count; ++i, p += size) {
      const auto* u = reinterpret_cast<const unsigned char*>(p);
      switch (size) {
        case 1:
          out.push_back(u[0]);
          break;
        case 2:
          out.push_back((uint32_t{u[0]} << 8) | u[1]);
          break;
        default:
          out.push_back(Be32(p));
      }
    }
    return out;
  }

  // First value of an INT64 entry; nullopt when absent.
  absl::StatusOr<std::optional<uint64_t>> Int64(uint32_t tag) const {
    const Entry* e = Find(tag);
    if (e == nullptr) return std::optional<uint64_t>();
    if (e->type != kTypeInt64) return WrongType(*e, "INT64");
    DCI_RETURN_IF_ERROR(CheckFixed(*e));
    return std::optional<uint64_t>(Be64(data_.data() + e->offset));
  }

  size_t data_size() const { return data_.size(); }

 private:
  HeaderView() = default;

  // Invariant 2 (rpm lib/header.c hdrblobVerifyRegion).
  absl::Status CheckRegion() const {
    const Entry& first = entries_[0];
    if (first.tag != kTagHeaderImmutable && first.tag != kTagHeaderImage &&
        first.tag != kTagHeaderSignatures) {
      return absl::OkStatus();  // a legacy header without a region
    }
    if (first.type != kTypeBin || first.count != kRegionTagCount) {
      return absl::DataLossError(
          absl::StrCat("region tag ", first.tag, " has type ", first.type,
                       " and count ", first.count, " (want BIN, 16)"));
    }
    if (uint64_t{first.offset} + kRegionTagCount > data_.size()) {
      return absl::DataLossError(
          absl::StrCat("region trailer at ", first.offset, " outside the ",
                       data_.size(), "-byte data store"));
    }
    const char* t = data_.data() + first.offset;
    uint32_t ttag = Be32(t);
    const uint32_t ttype = Be32(t + 4);
    const int32_t toffset = static_cast<int32_t>(Be32(t + 8));
    const uint32_t tcount = Be32(t + 12);
    // Old packages carry HEADERIMAGE in the signature region's trailer.
    if (first.tag == kTagHeaderSignatures && ttag == kTagHeaderImage) {
      ttag = kTagHeaderSignatures;
    }
    if (ttag != first.tag || ttype != kTypeBin || tcount != kRegionTagCount) {
      return absl::DataLossError("invalid region trailer");
    }
    // The trailer's offset is minus the region's size in index bytes.
    const int64_t region_bytes = -int64_t{toffset};
    if (region_bytes <= 0 || region_bytes % kEntrySize != 0 ||
        static_cast<uint64_t>(region_bytes) / kEntrySize > entries_.size()) {
      return absl::DataLossError(
          absl::StrCat("invalid region size ", region_bytes));
    }
    return absl::OkStatus();
  }

  absl::Status WrongType(const Entry& e, absl::string_view want) const {
    return absl::DataLossError(
        absl::StrCat(TagName(e.tag), " has type ", e.type, ", not ", want));
  }

  absl::Status CheckFixed(const Entry& e) const {
    const uint64_t end =
        uint64_t{e.offset} + uint64_t{e.count} * TypeSize(e.type);
    if (end > data_.size()) {
      return absl::DataLossError(absl::StrCat(
          TagName(e.tag), ": ", e.count, " values at offset ", e.offset,
          " run past the ", data_.size(), "-byte data store"));
    }
    return absl::OkStatus();
  }

  // `n` NUL-terminated strings starting at e.offset, each ending inside the
  // data store.
  absl::StatusOr<std::vector<absl::string_view>> Strings(const Entry& e,
                                                         uint32_t n) const {
    std::vector<absl::string_view> out;
    out.reserve(n);
    size_t pos = e.offset;
    for (uint32_t i = 0; i < n; ++i) {
      if (pos >= data_.size()) {
        return absl::DataLossError(absl::StrCat(TagName(e.tag), ": string ", i,
                                                " of ", n,
                                                " starts past the data store"));
      }
      const void* nul =
          std::memchr(data_.data() + pos, '\0', data_.size() - pos);
      if (nul == nullptr) {
        return absl::DataLossError(absl::StrCat(
            TagName(e.tag), ": string ", i, " of ", n, " is not terminated"));
      }
      const size_t end = static_cast<const char*>(nul) - data_.data();
      out.push_back(data_.substr(pos, end - pos));
      pos = end + 1;
    }
    return out;
  }

  absl::string_view data_;
  std::vector<Entry> entries_;
};

// "bash-5.1-2.el9.src.rpm" -> ("bash", "5.1-2.el9"). Names may contain '-';
// version and release may not (rpm build/parseSpec.c rejects them).
void SplitSourceRpm(absl::string_view srpm, Package* pkg) {
  absl::string_view s = srpm;
  if (absl::ConsumeSuffix(&s, ".src.rpm") ||
      absl::ConsumeSuffix(&s, ".nosrc.rpm")) {
    const size_t rel_dash = s.rfind('-');
    if (rel_dash != absl::string_view::npos && rel_dash > 0) {
      const size_t ver_dash = s.rfind('-', rel_dash - 1);
      if (ver_dash != absl::string_view::npos && ver_dash > 0) {
        pkg->source_name = std::string(s.substr(0, ver_dash));
        pkg->source_version = std::string(s.substr(ver_dash + 1));
        return;
      }
    }
  }
  // Not in the usual shape: keep it whole rather than guess.
  pkg->source_name = std::string(srpm);
}

std::string LowerHex(absl::string_view s) { return absl::AsciiStrToLower(s); }

// Hex digits a digest of `algorithm` has; 0 for an unknown algorithm.
size_t HexDigits(absl::string_view algorithm) {
  if (algorithm == "md5") return 32;
  if (algorithm == "sha1") return 40;
  if (algorithm == "sha224") return 56;
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha384") return 96;
  if (algorithm == "sha512") return 128;
  return 0;
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::string_view RpmDigestAlgorithmName(unsigned int algo) {
  // rpm include/rpm/rpmcrypto.h pgpHashAlgo = RFC 4880 section 9.4.
  switch (algo) {
    case 1:
      return "md5";
    case 2:
      return "sha1";
    case 8:
      return "sha256";
    case 9:
      return "sha384";
    case 10:
      return "sha512";
    case 11:
      return "sha224";
  }
  return "";
}

absl::StatusOr<Package> ParseRpmHeader(absl::string_view blob,
                                       std::vector<std::string>* notes) {
  DCI_ASSIGN_OR_RETURN(HeaderView h, HeaderView::Parse(blob));
  Package pkg;
  pkg.ecosystem = Ecosystem::kRpm;

  auto required = [&h](uint32_t tag) -> absl::StatusOr<std::string> {
    DCI_ASSIGN_OR_RETURN(std::optional<absl::string_view> v, h.String(tag));
    if (!v.has_value()) {
      return absl::DataLossError(absl::StrCat("no ", TagName(tag), " tag"));
    }
    return std::string(*v);
  };
  auto optional = [&h](uint32_t tag) -> absl::StatusOr<std::string> {
    DCI_ASSIGN_OR_RETURN(std::optional<absl::string_view> v, h.String(tag));
    return v.has_value() ? std::string(*v) : std::string();
  };

  DCI_ASSIGN_OR_RETURN(pkg.name, required(kTagName));
  DCI_ASSIGN_OR_RETURN(pkg.version, required(kTagVersion));
  DCI_ASSIGN_OR_RETURN(pkg.release, required(kTagRelease));
  DCI_ASSIGN_OR_RETURN(pkg.arch, optional(kTagArch));
  DCI_ASSIGN_OR_RETURN(pkg.license, optional(kTagLicense));
  DCI_ASSIGN_OR_RETURN(std::vector<uint32_t> epoch, h.Int32Array(kTagEpoch));
  // rpm prints INT32 tags unsigned (lib/formats.c, rpmtdGetNumber).
  if (!epoch.empty()) pkg.epoch = absl::StrCat(epoch[0]);

  DCI_ASSIGN_OR_RETURN(std::string srpm, optional(kTagSourceRpm));
  if (!srpm.empty()) SplitSourceRpm(srpm, &pkg);

  DCI_ASSIGN_OR_RETURN(pkg.maintainer, optional(kTagPackager));
  if (pkg.maintainer.empty()) {
    DCI_ASSIGN_OR_RETURN(pkg.maintainer, optional(kTagVendor));
  }

  DCI_ASSIGN_OR_RETURN(std::optional<uint64_t> long_size,
                       h.Int64(kTagLongSize));
  if (long_size.has_value()) {
    pkg.installed_size =
        static_cast<long long>(*long_size & 0x7fffffffffffffffULL);
  } else {
    DCI_ASSIGN_OR_RETURN(std::vector<uint32_t> size, h.Int32Array(kTagSize));
    if (!size.empty()) pkg.installed_size = size[0];
  }

  // File names: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i] since rpm 4.0
  // ("compressed file lists"), OLDFILENAMES before.
  // nullopt marks a name that was too long to build (see the note below).
  std::vector<std::optional<std::string>> raw_paths;
  DCI_ASSIGN_OR_RETURN(std::vector<absl::string_view> basenames,
                       h.StringArray(kTagBasenames));
  // Invariant 3: real headers list their paths in less than the blob's own
  // size many times over; anything beyond this is hostile.
  const size_t path_budget = 16 * blob.size() + (size_t{16} << 20);
  size_t path_bytes = 0;
  size_t skipped = 0;
  std::string first_skip;
  auto skip = [&skipped, &first_skip](absl::string_view path,
                                      absl::string_view why) {
    if (skipped++ == 0) {
      first_skip = absl::StrCat("\"", path.substr(0, 200), "\": ", why);
    }
  };
  const absl::string_view too_long =
      "longer than 4096 bytes, or past the header's budget for names";
  if (!basenames.empty()) {
    DCI_ASSIGN_OR_RETURN(std::vector<absl::string_view> dirnames,
                         h.StringArray(kTagDirNames));
    DCI_ASSIGN_OR_RETURN(std::vector<uint32_t> dirindexes,
                         h.Int32Array(kTagDirIndexes));
    if (dirindexes.size() != basenames.size()) {
      return absl::DataLossError(
          absl::StrCat("BASENAMES has ", basenames.size(),
                       " entries but DIRINDEXES has ", dirindexes.size()));
    }
    raw_paths.reserve(basenames.size());
    for (size_t i = 0; i < basenames.size(); ++i) {
      if (dirindexes[i] >= dirnames.size()) {
        return absl::DataLossError(
            absl::StrCat("DIRINDEXES[", i, "] = ", dirindexes[i],
                         " but DIRNAMES has ", dirnames.size(), " entries"));
      }
      absl::string_view dir = dirnames[dirindexes[i]];
      if (dir.size() + basenames[i].size() > kMaxPathBytes ||
          path_bytes > path_budget) {
        skip(absl::StrCat(dir.substr(0, 100), "..."), too_long);
        raw_paths.emplace_back();  // keeps the indexes aligned
        continue;
      }
      raw_paths.push_back(absl::StrCat(dir, basenames[i]));
      path_bytes += raw_paths.back()->size();
    }
  } else {
    DCI_ASSIGN_OR_RETURN(std::vector<absl::string_view> old,
                         h.StringArray(kTagOldFilenames));
    raw_paths.reserve(old.size());
    for (absl::string_view p : old) {
      if (p.size() > kMaxPathBytes || path_bytes > path_budget) {
        skip(absl::StrCat(p.substr(0, 100), "..."), too_long);
        raw_paths.emplace_back();
        continue;
      }
      raw_paths.emplace_back(p);
      path_bytes += p.size();
    }
  }

  DCI_ASSIGN_OR_RETURN(std::vector<absl::string_view> digests,
                       h.StringArray(kTagFileDigests));
  DCI_ASSIGN_OR_RETURN(std::vector<uint32_t> flags,
                       h.Int32Array(kTagFileFlags));
  DCI_ASSIGN_OR_RETURN(std::vector<uint32_t> modes, h.Numbers(kTagFileModes));
  DCI_ASSIGN_OR_RETURN(std::vector<uint32_t> states,
                       h.Numbers(kTagFileStates));
  DCI_ASSIGN_OR_RETURN(std::vector<uint32_t> verify,
                       h.Numbers(kTagFileVerifyFlags));
  auto check_count = [&raw_paths](const auto& v,
                                  uint32_t tag) -> absl::Status {
    if (v.empty() || v.size() == raw_paths.size()) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat(TagName(tag), " has ", v.size(),
                                            " entries for ", raw_paths.size(),
                                            " files"));
  };
  DCI_RETURN_IF_ERROR(check_count(digests, kTagFileDigests));
  DCI_RETURN_IF_ERROR(check_count(flags, kTagFileFlags));
  // The arrays read only to choose which digests to keep: a bad one costs
  // the package its per-file digests, not the package.
  bool keep_digests = true;
  for (auto [v, tag] : {std::make_pair(&modes, kTagFileModes),
                        std::make_pair(&states, kTagFileStates),
                        std::make_pair(&verify, kTagFileVerifyFlags)}) {
    absl::Status st = check_count(*v, tag);
    if (st.ok()) continue;
    keep_digests = false;
    if (notes != nullptr) {
      notes->push_back(absl::StrCat(st.message(), ": file digests not kept"));
    }
  }
  // rpm lib/rpmfi.c: without FILEDIGESTALGO the digests are MD5.
  DCI_ASSIGN_OR_RETURN(std::vector<uint32_t> algo,
                       h.Int32Array(kTagFileDigestAlgo));
  std::string algorithm = "md5";
  if (!algo.empty()) {
    algorithm = std::string(RpmDigestAlgorithmName(algo[0]));
    if (algorithm.empty()) {
      algorithm = absl::StrCat("pgphashalgo-", algo[0]);
      if (notes != nullptr) {
        notes->push_back(absl::StrCat("unknown FILEDIGESTALGO ", algo[0]));
      }
    }
  }

  // Which files rpm -V hashes (rpm lib/verify.c rpmfilesVerify): regular
  // files in the NORMAL state whose verify flags include the digest, that
  // are not %ghost, with a digest recorded.
  const size_t hex_digits = HexDigits(algorithm);
  size_t bad_digests = 0;
  auto verified = [&](size_t i) {
    if (!keep_digests || digests.empty() || digests[i].empty() ||
        hex_digits == 0) {
      return false;
    }
    if (!flags.empty() && (flags[i] & kFileGhost) != 0) return false;
    if (!modes.empty()) {
      const uint32_t type = modes[i] & kModeTypeMask;
      if (type == kModeDir || type == kModeSymlink) return false;
    }
    if (!states.empty() && states[i] != kFileStateNormal) return false;
    if (!verify.empty() && (verify[i] & kVerifyFileDigest) == 0) return false;
    if (digests[i].size() != hex_digits || !IsHex(digests[i])) {
      ++bad_digests;
      return false;
    }
    return true;
  };

  pkg.files.reserve(raw_paths.size());
  for (size_t i = 0; i < raw_paths.size(); ++i) {
    if (!raw_paths[i].has_value()) continue;
    const std::string& raw = *raw_paths[i];
    // rpm file names are absolute; dci's canonical form has no leading '/'.
    absl::string_view rel = raw;
    while (absl::ConsumePrefix(&rel, "/")) {
    }
    absl::StatusOr<std::string> path = NormalizeEntryPath(rel);
    if (!path.ok()) {
      skip(raw, path.status().message());
      continue;
    }
    if (!flags.empty() && (flags[i] & kFileConfig) != 0) {
      ConfigFile cf;
      cf.path = *path;
      if (!digests.empty() && !digests[i].empty()) {
        cf.digest = LowerHex(digests[i]);
        cf.algorithm = algorithm;
      }
      pkg.config_files.push_back(std::move(cf));
    }
    if (verified(i)) {
      pkg.file_digests.push_back({*path, algorithm, LowerHex(digests[i])});
    }
    pkg.files.push_back(*std::move(path));
  }
  if (skipped > 0 && notes != nullptr) {
    notes->push_back(
        absl::StrCat(skipped, " file name(s) skipped, first ", first_skip));
  }
  if (bad_digests > 0 && notes != nullptr) {
    notes->push_back(absl::StrCat(bad_digests, " FILEDIGESTS entr",
                                  bad_digests == 1 ? "y is" : "ies are",
                                  " not ", hex_digits, " hex digits: not "
                                  "kept for checking"));
  }
  return pkg;
}

}  // namespace dci
