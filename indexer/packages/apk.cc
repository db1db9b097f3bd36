#include "indexer/packages/apk.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/path.h"

namespace dci {
namespace {

constexpr absl::string_view kPath = "lib/apk/db/installed";
constexpr int kMaxWarnings = 100;

bool IsBlankLine(absl::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

// A short, printable rendering of untrusted bytes for a warning.
std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 60;
  const bool cut = s.size() > kMax;
  if (cut) s = s.substr(0, kMax);
  return absl::StrCat("\"", absl::CHexEscape(s), cut ? "...\"" : "\"");
}

// Keeps at most kMaxWarnings "path:line: message" warnings, then counts.
class WarningSink {
 public:
  explicit WarningSink(std::vector<std::string>& out) : out_(out) {}

  void Add(int line, absl::string_view message) {
    if (kept_ >= kMaxWarnings) {
      ++dropped_;
      return;
    }
    ++kept_;
    out_.push_back(absl::StrCat(kPath, ":", line, ": ", message));
  }
  void Finish() {
    if (dropped_ > 0) {
      out_.push_back(absl::StrCat(dropped_, " more warnings not shown"));
    }
    dropped_ = 0;
  }

 private:
  std::vector<std::string>& out_;
  int kept_ = 0;
  long long dropped_ = 0;
};

// The record being read.
struct Record {
  Package pkg;
  int first_line = 0;
  bool has_name = false;
  bool has_version = false;
  std::string dir;     // canonical directory of the last F line
  bool dir_ok = true;  // false after an F line that was rejected
  // The file of the last R line, which a Z line describes: kNoFile before
  // any R line of the current F, kRejected after an R line that was
  // rejected (warned there), else an index into pkg.files.
  static constexpr long kNoFile = -1;
  static constexpr long kRejected = -2;
  long file = kNoFile;
  bool digested = false;  // the file already has its Z line
};

// apk-tools' checksum text (2.x src/blob.c apk_blob_pull_csum, 3.x
// apk_blob_pull_digest): "Q1" + base64 or "X1" + hex of a SHA-1 (apk-tools
// 3 also writes a SHA-256 under "1" when the digest is that long), "Q2" /
// "X2" of a SHA-256, or plain hex of an MD5 (the oldest databases).
// Returns false for anything else.
bool ParseApkChecksum(absl::string_view v, FileDigest* out) {
  std::string raw;
  if (v.size() > 2 && (v[0] == 'Q' || v[0] == 'X') &&
      (v[1] == '1' || v[1] == '2')) {
    const absl::string_view body = v.substr(2);
    if (v[0] == 'Q') {
      if (!absl::Base64Unescape(body, &raw)) return false;
    } else {
      if (body.size() % 2 != 0) return false;
      for (char c : body) {
        if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
      }
      raw = absl::HexStringToBytes(body);
    }
    if (raw.size() == 20 && v[1] == '1') {
      out->algorithm = "sha1";
    } else if (raw.size() == 32) {
      out->algorithm = "sha256";
    } else {
      return false;
    }
  } else if (v.size() == 32) {
    for (char c : v) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
    }
    raw = absl::HexStringToBytes(v);
    out->algorithm = "md5";
  } else {
    return false;
  }
  out->digest = absl::BytesToHexString(raw);
  return true;
}

}  // namespace

absl::StatusOr<PackageScan> ParseApkInstalled(absl::string_view text) {
  PackageScan scan;
  WarningSink warnings(scan.warnings);
  Record rec;
  long long field_lines = 0;
  int first_bad_line = 0;
  absl::string_view first_bad;
  bool any_content = false;

  auto finish_record = [&]() {
    if (rec.first_line != 0) {
      if (!rec.has_name) {
        warnings.Add(rec.first_line, "record has no P (name); skipped");
      } else if (!rec.has_version) {
        warnings.Add(rec.first_line,
                     absl::StrCat("package ", Quote(rec.pkg.name),
                                  " has no V (version); skipped"));
      } else {
        scan.packages.push_back(std::move(rec.pkg));
      }
    }
    rec = Record();
    rec.pkg.ecosystem = Ecosystem::kApk;
  };
  rec.pkg.ecosystem = Ecosystem::kApk;

  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    absl::string_view line =
        text.substr(pos, nl == absl::string_view::npos ? nl : nl - pos);
    pos = nl == absl::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (IsBlankLine(line)) {
      finish_record();
      continue;
    }
    any_content = true;
    if (line.size() < 2 || line[1] != ':') {
      if (first_bad_line == 0) {
        first_bad_line = line_no;
        first_bad = line;
      }
      warnings.Add(line_no,
                   absl::StrCat("line ", Quote(line), " is not \"K:value\""));
      continue;
    }
    ++field_lines;
    const char key = line[0];
    const absl::string_view value = line.substr(2);

    if (key == 'P' && rec.has_name) {
      warnings.Add(line_no, absl::StrCat("P line without a blank line before "
                                         "it; starting a new record"));
      finish_record();
    }
    if (rec.first_line == 0) rec.first_line = line_no;

    switch (key) {
      case 'P':
        rec.pkg.name = std::string(value);
        rec.has_name = !value.empty();
        break;
      case 'V':
        rec.pkg.version = std::string(value);
        rec.has_version = !value.empty();
        break;
      case 'A':
        rec.pkg.arch = std::string(value);
        break;
      case 'o':
        rec.pkg.source_name = std::string(value);
        break;
      case 'm':
        rec.pkg.maintainer = std::string(value);
        break;
      case 'L':
        rec.pkg.license = std::string(value);
        break;
      case 'I': {
        int64_t size = 0;
        if (!value.empty() && absl::ascii_isdigit(value[0]) &&
            absl::SimpleAtoi(value, &size) && size >= 0) {
          rec.pkg.installed_size = size;
        } else {
          warnings.Add(line_no, absl::StrCat("I (installed size) ",
                                             Quote(value), " is not a number"));
        }
        break;
      }
      case 'F': {
        absl::StatusOr<std::string> dir = NormalizeEntryPath(value);
        rec.dir_ok = dir.ok();
        rec.dir = dir.ok() ? *std::move(dir) : std::string();
        rec.file = Record::kNoFile;
        if (!rec.dir_ok) {
          warnings.Add(line_no, absl::StrCat("directory ", Quote(value),
                                             " skipped with its files: ",
                                             dir.status().message()));
        }
        break;
      }
      case 'R': {
        rec.file = Record::kRejected;
        rec.digested = false;
        if (!rec.dir_ok) break;  // warned at the F line
        const std::string joined = rec.dir.empty()
                                       ? std::string(value)
                                       : absl::StrCat(rec.dir, "/", value);
        absl::StatusOr<std::string> file = NormalizeEntryPath(joined);
        if (!file.ok() || file->empty() || value.empty()) {
          warnings.Add(
              line_no,
              absl::StrCat("file ", Quote(value), " in ", Quote(rec.dir),
                           " skipped", file.ok() ? "" : ": ",
                           file.ok() ? "" : file.status().message()));
          break;
        }
        rec.file = static_cast<long>(rec.pkg.files.size());
        rec.pkg.files.push_back(*std::move(file));
        break;
      }
      case 'Z': {
        // The content checksum of the file of the R line above it (apk-tools
        // src/database.c apk_db_fdb_read, case 'Z').
        if (rec.file == Record::kRejected) break;  // warned at the R line
        if (rec.file == Record::kNoFile) {
          warnings.Add(line_no, "Z (file checksum) without an R line before "
                                "it; skipped");
          break;
        }
        if (rec.digested) {
          warnings.Add(line_no,
                       absl::StrCat("second Z line for ",
                                    Quote(rec.pkg.files[rec.file]),
                                    "; the first is kept"));
          break;
        }
        FileDigest d;
        if (!ParseApkChecksum(value, &d)) {
          warnings.Add(line_no,
                       absl::StrCat("Z (file checksum) ", Quote(value),
                                    " of ", Quote(rec.pkg.files[rec.file]),
                                    " is not an apk checksum; skipped"));
          break;
        }
        d.path = rec.pkg.files[rec.file];
        rec.pkg.file_digests.push_back(std::move(d));
        rec.digested = true;
        break;
      }
      default:
        break;  // checksums, dependencies, ACLs, timestamps: not modelled
    }
  }
  finish_record();
  warnings.Finish();

  if (any_content && field_lines == 0) {
    return absl::DataLossError(absl::StrCat(
        kPath, ": not an apk installed database: no \"K:value\" line (line ",
        first_bad_line, " is ", Quote(first_bad), ")"));
  }
  return scan;
}

}  // namespace dci
