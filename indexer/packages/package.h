// An installed package as a package manager's own database records it
// (dpkg status, the RPM database, apk's installed file), and what reading a
// database found.
#ifndef DCI_INDEXER_PACKAGES_PACKAGE_H_
#define DCI_INDEXER_PACKAGES_PACKAGE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dci {

// Stored as text in the database: "deb", "rpm", "apk".
enum class Ecosystem { kDeb, kRpm, kApk };
absl::string_view EcosystemName(Ecosystem e);

// A file a package marks as configuration (dpkg conffile, rpm %config), with
// the digest its database recorded for the packaged content.
struct ConfigFile {
  std::string path;       // canonical: no leading '/'
  std::string digest;     // lowercase hex as recorded ("" when none)
  std::string algorithm;  // "md5", "sha256", "sha1", ... ("" when none)
  bool obsolete = false;  // dpkg marks conffiles no longer shipped
};

// The digest a package database recorded for one regular file's content,
// which `rpm -V` / `apk audit` check the file against: rpm FILEDIGESTS
// (directories, symlinks, ghosts, files not installed and files with
// %verify(not md5) left out, as rpm -V skips them), apk's Z: line. dpkg
// keeps its md5sums outside the status file (info/PKG.md5sums), so dpkg
// packages have none here.
struct FileDigest {
  std::string path;       // canonical, one of Package::files
  std::string algorithm;  // "md5", "sha1", "sha256", ...
  std::string digest;     // lowercase hex
};

struct Package {
  Ecosystem ecosystem = Ecosystem::kDeb;
  std::string name;
  // Versions split as each ecosystem does:
  //   deb: epoch (may be ""), version = upstream version, release = the
  //        debian revision (may be ""); FullVersion() gives
  //        "[epoch:]upstream[-revision]" as dpkg prints it.
  //   rpm: epoch ("" when the header has none), version, release.
  //   apk: version holds the whole "1.2.3-r4"; epoch and release are "".
  std::string epoch;
  std::string version;
  std::string release;
  std::string arch;
  std::string source_name;     // deb Source, rpm SOURCERPM's name, apk origin
  std::string source_version;  // when the database records it
  std::string status;          // dpkg: "install ok installed", ...
  std::vector<std::string> files;  // canonical paths, as the database lists
  std::vector<ConfigFile> config_files;
  std::vector<FileDigest> file_digests;  // rpm, apk; in `files` order
  std::string license;
  std::string maintainer;  // dpkg Maintainer, rpm packager/vendor, apk m
  long long installed_size = 0;  // bytes

  std::string FullVersion() const;  // as the ecosystem prints it
};

// What one database gave. Parsers never crash on hostile bytes: a corrupt
// record becomes a warning naming it, and the records around it are kept.
struct PackageScan {
  std::vector<Package> packages;
  std::vector<std::string> warnings;
};

}  // namespace dci

#endif  // DCI_INDEXER_PACKAGES_PACKAGE_H_
