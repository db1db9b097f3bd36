// The three RPM database formats, read from memory.
//
// Design note. All three store one RPM header blob per installed package
// (rpm_header.h); they differ only in how blobs are found:
//   - BerkeleyDB hash (libdb src/dbinc/db_page.h, hash_page layout): page 0
//     is the hash metadata page; hash pages hold key/data item pairs (key =
//     the 4-byte header instance number, data = the blob), and a blob too big
//     for a hash page lives on a chain of overflow pages that the item
//     (HOFFPAGE) points to.
//   - NDB (rpm lib/backend/ndb/rpmpkg.c): a 32-byte file header, slot pages
//     (pkgidx, blkoff, blkcnt per 16-byte slot), and blobs framed by a
//     "BlbS" head and a "BlbE" tail, in 16-byte blocks, all little-endian.
//   - SQLite (rpm lib/backend/sqlite.c): table Packages(hnum, blob).
//
// Invariants (checked by the tests by number):
//   1. No read outside `bytes`: every page number, slot, item offset and
//      length is range-checked first, in 64-bit arithmetic.
//   2. Bounded work: each page is visited once by the scan, every overflow
//      chain is cut off after as many pages as the file has, and a blob may
//      not claim more bytes than the file holds.
//   3. One bad record costs one warning and that record; at most
//      kMaxWarnings warnings are kept, then one line says how many more.
#include "indexer/packages/rpmdb.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "indexer/packages/rpm_header.h"

namespace dci {
namespace {

constexpr size_t kMaxWarnings = 100;

// Collects a scan's packages and (capped) warnings.
class ScanBuilder {
 public:
  void Warn(std::string w) {
    if (scan_.warnings.size() < kMaxWarnings) {
      scan_.warnings.push_back(std::move(w));
    } else {
      ++dropped_;
    }
  }

  // Parses one blob; `where` names the record in warnings.
  void AddBlob(absl::string_view blob, const std::string& where) {
    std::vector<std::string> notes;
    absl::StatusOr<Package> pkg = ParseRpmHeader(blob, &notes);
    if (!pkg.ok()) {
      Warn(absl::StrCat(where, ": bad header: ", pkg.status().message()));
      return;
    }
    for (std::string& n : notes) {
      Warn(absl::StrCat(where, " (", pkg->name, "): ", n));
    }
    scan_.packages.push_back(*std::move(pkg));
  }

  PackageScan Finish() && {
    if (dropped_ > 0) {
      scan_.warnings.push_back(
          absl::StrCat(dropped_, " more warning(s) not shown"));
    }
    return std::move(scan_);
  }

 private:
  PackageScan scan_;
  size_t dropped_ = 0;
};

uint32_t Le32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) |
         (uint32_t{u[3]} << 24);
}

uint32_t Be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
         (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

// ---------------------------------------------------------------------------
// BerkeleyDB hash.

// libdb src/dbinc/db_page.h.
constexpr uint32_t kHashMagic = 0x061561;
constexpr uint32_t kBtreeMagic = 0x053162;
constexpr uint8_t kPageHashUnsorted = 2;  // P_HASH_UNSORTED (db < 4.6)
constexpr uint8_t kPageOverflow = 7;      // P_OVERFLOW
constexpr uint8_t kPageHashMeta = 8;      // P_HASHMETA
constexpr uint8_t kPageHash = 13;         // P_HASH
constexpr uint8_t kItemKeyData = 1;       // H_KEYDATA
constexpr uint8_t kItemDuplicate = 2;     // H_DUPLICATE
constexpr uint8_t kItemOffPage = 3;       // H_OFFPAGE
constexpr uint8_t kItemOffDup = 4;        // H_OFFDUP
constexpr size_t kPageHeaderSize = 26;    // SIZEOF_PAGE
// With page checksums (DBMETA_CHKSUM) the header is followed by PG_CHKSUM,
// moving the item index to byte 32 (P_OVERHEAD).
constexpr uint8_t kMetaFlagChecksum = 0x01;
constexpr size_t kPageHeaderSizeChecksum = 32;
constexpr size_t kOffPageItemSize = 12;  // HOFFPAGE: type, pad[3], pgno, tlen

class BdbReader {
 public:
  BdbReader(absl::string_view bytes, ScanBuilder* out)
      : bytes_(bytes), out_(out) {}

  void Read() {
    if (bytes_.size() < 512) {
      out_->Warn(absl::StrCat("not a BerkeleyDB database: ", bytes_.size(),
                              " bytes, less than one page"));
      return;
    }
    // DBMETA (db_page.h): magic at 12, pagesize at 20, encrypt_alg at 24,
    // type at 25, metaflags at 26, last_pgno at 32. The magic tells the
    // byte order the file was written in.
    const uint32_t magic_le = Le32(bytes_.data() + 12);
    const uint32_t magic_be = Be32(bytes_.data() + 12);
    if (magic_le == kHashMagic) {
      big_endian_ = false;
    } else if (magic_be == kHashMagic) {
      big_endian_ = true;
    } else if (magic_le == kBtreeMagic || magic_be == kBtreeMagic) {
      out_->Warn("BerkeleyDB btree database, not the hash database rpm uses");
      return;
    } else {
      out_->Warn("not a BerkeleyDB hash database (bad magic number)");
      return;
    }
    page_size_ = U32(bytes_.data() + 20);
    if (page_size_ < 512 || page_size_ > 65536 ||
        (page_size_ & (page_size_ - 1)) != 0) {
      out_->Warn(
          absl::StrCat("BerkeleyDB metadata: bad page size ", page_size_));
      return;
    }
    if (bytes_[24] != 0) {
      out_->Warn("BerkeleyDB database is encrypted");
      return;
    }
    if (static_cast<uint8_t>(bytes_[25]) != kPageHashMeta) {
      out_->Warn(absl::StrCat("BerkeleyDB metadata page has type ",
                              static_cast<uint8_t>(bytes_[25]),
                              ", not hash metadata"));
      return;
    }
    overhead_ = (static_cast<uint8_t>(bytes_[26]) & kMetaFlagChecksum)
                    ? kPageHeaderSizeChecksum
                    : kPageHeaderSize;
    npages_ = bytes_.size() / page_size_;
    if (bytes_.size() % page_size_ != 0) {
      out_->Warn(absl::StrCat("file ends inside page ", npages_,
                              " (truncated); reading the ", npages_,
                              " whole pages"));
    }
    const uint64_t last_pgno = U32(bytes_.data() + 32);
    if (last_pgno + 1 > npages_) {
      out_->Warn(absl::StrCat("metadata says the last page is ", last_pgno,
                              " but the file holds ", npages_,
                              " pages (truncated)"));
    }
    // Every hash page, in file order (as go-rpmdb and rpm's bdb_ro do): the
    // buckets' pages and their overflow-bucket pages are all P_HASH pages,
    // so the scan needs neither the bucket table nor the hash function.
    for (uint64_t p = 1; p < npages_; ++p) {
      const uint8_t type = static_cast<uint8_t>(Page(p)[25]);
      if (type == kPageHash || type == kPageHashUnsorted) ReadHashPage(p);
    }
  }

 private:
  uint32_t U32(const char* p) const { return big_endian_ ? Be32(p) : Le32(p); }
  uint16_t U16(const char* p) const {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return big_endian_ ? static_cast<uint16_t>((u[0] << 8) | u[1])
                       : static_cast<uint16_t>(u[0] | (u[1] << 8));
  }
  const char* Page(uint64_t p) const { return bytes_.data() + p * page_size_; }

  void ReadHashPage(uint64_t p) {
    const char* page = Page(p);
    const std::string where = absl::StrCat("page ", p);
    // PAGE header: pgno at 8, entries at 20.
    if (U32(page + 8) != p) {
      out_->Warn(absl::StrCat(where, ": header names page ", U32(page + 8),
                              "; page skipped"));
      return;
    }
    const uint32_t entries = U16(page + 20);
    if (overhead_ + 2 * uint64_t{entries} > page_size_) {
      out_->Warn(absl::StrCat(where, ": ", entries,
                              " items cannot fit in the page; page skipped"));
      return;
    }
    if (entries % 2 != 0) {
      out_->Warn(absl::StrCat(where, ": odd item count ", entries,
                              "; last item ignored"));
    }
    // Items are packed from the page's end downwards: item k spans
    // [inp[k], inp[k-1]) with inp[-1] = page size (db_page.h LEN_HITEM).
    const size_t index_end = overhead_ + 2 * size_t{entries};
    std::vector<uint32_t> off(entries);
    for (uint32_t k = 0; k < entries; ++k) {
      off[k] = U16(page + overhead_ + 2 * k);
      const uint32_t end = k == 0 ? page_size_ : off[k - 1];
      if (off[k] < index_end || off[k] >= end) {
        out_->Warn(absl::StrCat(where, ": item ", k, " has bad offset ", off[k],
                                "; rest of page skipped"));
        off.resize(k);
        break;
      }
    }
    for (size_t k = 0; k + 1 < off.size(); k += 2) {
      absl::string_view key(page + off[k],
                            (k == 0 ? page_size_ : off[k - 1]) - off[k]);
      absl::string_view data(page + off[k + 1], off[k] - off[k + 1]);
      const std::string item = absl::StrCat(where, " item ", k + 1);
      // rpm keeps its next header instance number under key 0 (lib/rpmdb.c,
      // "join key"); it is not a package.
      if (key.size() == 5 && static_cast<uint8_t>(key[0]) == kItemKeyData &&
          key.substr(1) == absl::string_view("\0\0\0\0", 4)) {
        continue;
      }
      switch (static_cast<uint8_t>(data[0])) {
        case kItemKeyData:
          out_->AddBlob(data.substr(1), item);
          break;
        case kItemOffPage: {
          std::string blob;
          if (ReadOverflow(data, item, &blob)) out_->AddBlob(blob, item);
          break;
        }
        case kItemDuplicate:
        case kItemOffDup:
          out_->Warn(absl::StrCat(item,
                                  ": duplicate-key items are not used "
                                  "by rpm; skipped"));
          break;
        default:
          out_->Warn(absl::StrCat(item, ": unknown item type ",
                                  static_cast<uint8_t>(data[0])));
      }
    }
  }

  // Follows an HOFFPAGE item's chain of overflow pages; each holds OV_LEN
  // (the header's hf_offset field) bytes after the page header.
  bool ReadOverflow(absl::string_view item, const std::string& where,
                    std::string* blob) {
    if (item.size() < kOffPageItemSize) {
      out_->Warn(absl::StrCat(where, ": overflow reference is ", item.size(),
                              " bytes"));
      return false;
    }
    uint64_t pgno = U32(item.data() + 4);
    const uint32_t tlen = U32(item.data() + 8);
    if (tlen > bytes_.size()) {
      out_->Warn(absl::StrCat(where, ": value claims ", tlen,
                              " bytes, more than the file"));
      return false;
    }
    blob->reserve(tlen);
    for (uint64_t steps = 0; pgno != 0; ++steps) {
      if (steps >= npages_ || pgno >= npages_) {
        out_->Warn(absl::StrCat(
            where, ": overflow chain reaches page ", pgno,
            steps >= npages_ ? " again (loop)" : " past the end of the file"));
        return false;
      }
      const char* page = Page(pgno);
      if (static_cast<uint8_t>(page[25]) != kPageOverflow ||
          U32(page + 8) != pgno) {
        out_->Warn(absl::StrCat(where, ": overflow page ", pgno,
                                " is not an overflow page (type ",
                                static_cast<uint8_t>(page[25]), ")"));
        return false;
      }
      const uint32_t len = U16(page + 22);
      if (overhead_ + len > page_size_ || blob->size() + len > tlen) {
        out_->Warn(absl::StrCat(where, ": overflow page ", pgno,
                                " has bad length ", len));
        return false;
      }
      blob->append(page + overhead_, len);
      pgno = U32(page + 16);
    }
    if (blob->size() != tlen) {
      out_->Warn(absl::StrCat(where, ": overflow chain holds ", blob->size(),
                              " of ", tlen, " bytes"));
      return false;
    }
    return true;
  }

  absl::string_view bytes_;
  ScanBuilder* out_;
  bool big_endian_ = false;
  uint32_t page_size_ = 0;
  size_t overhead_ = kPageHeaderSize;
  uint64_t npages_ = 0;
};

// ---------------------------------------------------------------------------
// NDB (rpm lib/backend/ndb/rpmpkg.c). Everything is little-endian.

constexpr size_t kNdbHeaderSize = 32;
constexpr size_t kNdbSlotSize = 16;
constexpr size_t kNdbBlockSize = 16;
constexpr size_t kNdbPageSize = 4096;
constexpr size_t kNdbBlobHeadSize = 16;  // magic, pkgidx, timestamp, bloblen
constexpr size_t kNdbBlobTailSize = 12;  // adler32, bloblen, magic

constexpr uint32_t Magic(char a, char b, char c, char d) {
  return uint32_t(uint8_t(a)) | (uint32_t(uint8_t(b)) << 8) |
         (uint32_t(uint8_t(c)) << 16) | (uint32_t(uint8_t(d)) << 24);
}
constexpr uint32_t kNdbMagic = Magic('R', 'p', 'm', 'P');
constexpr uint32_t kNdbSlotMagic = Magic('S', 'l', 'o', 't');
constexpr uint32_t kNdbBlobHeadMagic = Magic('B', 'l', 'b', 'S');
constexpr uint32_t kNdbBlobTailMagic = Magic('B', 'l', 'b', 'E');

// RFC 1950 section 8.2, as rpmpkg.c uses it over a blob's head, data and
// padding.
uint32_t Adler32(absl::string_view data) {
  uint32_t s1 = 1;
  uint32_t s2 = 0;
  size_t i = 0;
  while (i < data.size()) {
    // 5552 bytes is the most that cannot overflow s2 before the modulo.
    const size_t n = std::min<size_t>(5552, data.size() - i);
    for (size_t k = 0; k < n; ++k) {
      s1 += static_cast<uint8_t>(data[i + k]);
      s2 += s1;
    }
    s1 %= 65521;
    s2 %= 65521;
    i += n;
  }
  return (s2 << 16) | s1;
}

struct NdbSlot {
  uint32_t pkgidx;
  uint32_t blkoff;
  uint32_t blkcnt;
  uint32_t slotno;
};

void ReadNdb(absl::string_view bytes, ScanBuilder* out) {
  if (bytes.size() < kNdbHeaderSize || Le32(bytes.data()) != kNdbMagic) {
    out->Warn("not an rpm NDB package database (no RpmP header)");
    return;
  }
  const uint32_t version = Le32(bytes.data() + 4);
  if (version != 0) {
    out->Warn(absl::StrCat("NDB version ", version, " (only 0 is known)"));
    return;
  }
  if (bytes.size() % kNdbBlockSize != 0) {
    out->Warn(absl::StrCat("file size ", bytes.size(),
                           " is not a whole number of 16-byte blocks"));
  }
  const uint64_t file_blocks = bytes.size() / kNdbBlockSize;
  uint64_t slot_pages = Le32(bytes.data() + 12);
  if (slot_pages == 0 || slot_pages * kNdbPageSize > bytes.size()) {
    out->Warn(absl::StrCat("header says ", slot_pages,
                           " slot pages but the file holds ",
                           bytes.size() / kNdbPageSize, " pages"));
    slot_pages = bytes.size() / kNdbPageSize;
    if (slot_pages == 0) return;
  }
  // Blobs start after the slot pages (rpmpkgReadSlots' minblkoff).
  const uint64_t min_blkoff = slot_pages * (kNdbPageSize / kNdbBlockSize);
  std::vector<NdbSlot> slots;
  size_t bad_slots = 0;
  std::string first_bad;
  auto bad = [&](uint32_t slotno, const std::string& why) {
    if (bad_slots++ == 0) first_bad = absl::StrCat("slot ", slotno, ": ", why);
  };
  // The first two slot positions hold the file header.
  for (uint64_t o = kNdbHeaderSize, slotno = o / kNdbSlotSize;
       o < slot_pages * kNdbPageSize; o += kNdbSlotSize, ++slotno) {
    const char* s = bytes.data() + o;
    if (Le32(s) != kNdbSlotMagic) {
      bad(slotno, "bad magic");
      continue;
    }
    NdbSlot slot{Le32(s + 4), Le32(s + 8), Le32(s + 12),
                 static_cast<uint32_t>(slotno)};
    if (slot.blkoff == 0) continue;  // a free slot
    if (slot.pkgidx == 0 || slot.blkcnt == 0 || slot.blkoff < min_blkoff ||
        uint64_t{slot.blkoff} + slot.blkcnt > file_blocks) {
      bad(slotno,
          absl::StrCat("package ", slot.pkgidx, " at block ", slot.blkoff, "+",
                       slot.blkcnt, " is outside the blob area"));
      continue;
    }
    slots.push_back(slot);
  }
  if (bad_slots > 0) {
    out->Warn(
        absl::StrCat(bad_slots, " bad slot(s) skipped, first ", first_bad));
  }
  // rpmpkgList returns packages in blob order.
  std::sort(slots.begin(), slots.end(), [](const NdbSlot& a, const NdbSlot& b) {
    return a.blkoff < b.blkoff;
  });
  for (const NdbSlot& slot : slots) {
    const std::string where = absl::StrCat("package ", slot.pkgidx);
    absl::string_view area = bytes.substr(size_t{slot.blkoff} * kNdbBlockSize,
                                          size_t{slot.blkcnt} * kNdbBlockSize);
    // rpmpkgReadBlob's checks.
    if (area.size() < kNdbBlobHeadSize + kNdbBlobTailSize) {
      out->Warn(absl::StrCat(where, ": blob area of ", area.size(),
                             " bytes is too small"));
      continue;
    }
    if (Le32(area.data()) != kNdbBlobHeadMagic ||
        Le32(area.data() + 4) != slot.pkgidx) {
      out->Warn(absl::StrCat(where, ": no blob header at block ", slot.blkoff));
      continue;
    }
    const uint64_t bloblen = Le32(area.data() + 12);
    const uint64_t want_blocks =
        (kNdbBlobHeadSize + bloblen + kNdbBlobTailSize + kNdbBlockSize - 1) /
        kNdbBlockSize;
    if (want_blocks != slot.blkcnt) {
      out->Warn(absl::StrCat(where, ": blob of ", bloblen,
                             " bytes does not fill its ", slot.blkcnt,
                             " blocks"));
      continue;
    }
    const char* tail = area.data() + area.size() - kNdbBlobTailSize;
    if (Le32(tail + 8) != kNdbBlobTailMagic || Le32(tail + 4) != bloblen) {
      out->Warn(absl::StrCat(where, ": bad blob trailer"));
      continue;
    }
    // rpm itself does not check the sum when it reads a blob (only when it
    // verifies the neighbours of a write), so a mismatch is reported but the
    // header, which is checked on its own, is still read.
    if (Adler32(area.substr(0, area.size() - kNdbBlobTailSize)) != Le32(tail)) {
      out->Warn(absl::StrCat(where, ": blob checksum mismatch"));
    }
    out->AddBlob(area.substr(kNdbBlobHeadSize, bloblen), where);
  }
}

// ---------------------------------------------------------------------------
// SQLite.

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;
using SqliteStmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Bounds the work one hostile database can cause (SQLite's "Defense against
// dark arts" advice: progress handler, length limit, defensive mode).
constexpr int kSqliteProgressOps = 1000;
constexpr int kSqliteMaxProgressCalls = 200000;  // 2e8 VM operations
constexpr int kSqliteMaxLength = 256 << 20;

int StopRunaway(void* calls) {
  int* n = static_cast<int*>(calls);
  return ++*n > kSqliteMaxProgressCalls ? 1 : 0;
}

void ReadSqlite(absl::string_view bytes, ScanBuilder* out) {
  static constexpr absl::string_view kSqliteMagic("SQLite format 3\0", 16);
  if (bytes.size() < 100 || bytes.substr(0, 16) != kSqliteMagic) {
    out->Warn("not an SQLite database (no \"SQLite format 3\" header)");
    return;
  }
  // Our private copy, which SQLite reads in place. It must outlive `db`,
  // so it is declared first.
  std::string image(bytes);
  // SQLite file format (fileformat2.html, "1.3 The Database Header"): bytes
  // 18 and 19 are the write and read versions, 2 for a WAL-mode database.
  // rpm >= 4.16 puts rpmdb.sqlite in WAL mode. Reading a WAL database needs
  // a -wal file and its -shm wal-index, which the in-memory VFS behind
  // sqlite3_deserialize cannot provide, so the first query fails with
  // SQLITE_CANTOPEN ("unable to open database file"); marking our copy as a
  // legacy rollback-journal database (1) makes SQLite read the main file as
  // it is (the page format is the same in both modes). Frames still in a -wal
  // file are not seen, which is the contract of ReadRpmSqlite (the main file is
  // all the caller hands in).
  if (image[18] == 2) image[18] = 1;
  if (image[19] == 2) image[19] = 1;

  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(":memory:", &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    out->Warn(absl::StrCat("sqlite: cannot open an in-memory database: ",
                           sqlite3_errstr(rc)));
    return;
  }
  int progress_calls = 0;
  sqlite3_progress_handler(db.get(), kSqliteProgressOps, StopRunaway,
                           &progress_calls);
  sqlite3_limit(db.get(), SQLITE_LIMIT_LENGTH, kSqliteMaxLength);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_VIEW, 0, nullptr);
  rc = sqlite3_deserialize(
      db.get(), "main", reinterpret_cast<unsigned char*>(image.data()),
      static_cast<sqlite3_int64>(image.size()),
      static_cast<sqlite3_int64>(image.size()), SQLITE_DESERIALIZE_READONLY);
  if (rc != SQLITE_OK) {
    out->Warn(absl::StrCat("sqlite: cannot load the database: ",
                           sqlite3_errmsg(db.get())));
    return;
  }

  // rpm lib/backend/sqlite.c: CREATE TABLE Packages (hnum INTEGER PRIMARY
  // KEY AUTOINCREMENT, blob BLOB NOT NULL). Insist on a real table: a view
  // (disabled above anyway) could compute anything.
  sqlite3_stmt* raw_stmt = nullptr;
  rc = sqlite3_prepare_v2(
      db.get(),
      "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'Packages'",
      -1, &raw_stmt, nullptr);
  SqliteStmt check(raw_stmt);
  if (rc != SQLITE_OK) {
    out->Warn(absl::StrCat("sqlite: cannot read the schema: ",
                           sqlite3_errmsg(db.get())));
    return;
  }
  rc = sqlite3_step(check.get());
  if (rc != SQLITE_ROW) {
    out->Warn(rc == SQLITE_DONE
                  ? std::string("sqlite: no Packages table")
                  : absl::StrCat("sqlite: cannot read the schema: ",
                                 sqlite3_errmsg(db.get())));
    return;
  }
  check.reset();

  raw_stmt = nullptr;
  rc = sqlite3_prepare_v2(db.get(),
                          "SELECT hnum, blob FROM Packages ORDER BY hnum", -1,
                          &raw_stmt, nullptr);
  SqliteStmt stmt(raw_stmt);
  if (rc != SQLITE_OK) {
    out->Warn(absl::StrCat("sqlite: cannot query Packages: ",
                           sqlite3_errmsg(db.get())));
    return;
  }
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const std::string where =
        absl::StrCat("hnum ", sqlite3_column_int64(stmt.get(), 0));
    if (sqlite3_column_type(stmt.get(), 1) != SQLITE_BLOB) {
      out->Warn(absl::StrCat(where, ": blob column is not a BLOB"));
      continue;
    }
    const void* data = sqlite3_column_blob(stmt.get(), 1);
    const int n = sqlite3_column_bytes(stmt.get(), 1);
    out->AddBlob(
        absl::string_view(static_cast<const char*>(data),
                          data == nullptr ? 0 : static_cast<size_t>(n)),
        where);
  }
  if (rc != SQLITE_DONE) {
    out->Warn(absl::StrCat("sqlite: reading Packages stopped: ",
                           progress_calls > kSqliteMaxProgressCalls
                               ? std::string("work limit reached")
                               : std::string(sqlite3_errmsg(db.get()))));
  }
}

}  // namespace

PackageScan ReadRpmBdb(absl::string_view bytes) {
  ScanBuilder out;
  BdbReader(bytes, &out).Read();
  return std::move(out).Finish();
}

PackageScan ReadRpmNdb(absl::string_view bytes) {
  ScanBuilder out;
  ReadNdb(bytes, &out);
  return std::move(out).Finish();
}

PackageScan ReadRpmSqlite(absl::string_view bytes) {
  ScanBuilder out;
  ReadSqlite(bytes, &out);
  return std::move(out).Finish();
}

}  // namespace dci
