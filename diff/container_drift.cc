#include "diff/container_drift.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/digest.h"
#include "base/path.h"
#include "base/status_macros.h"
#include "diff/inventory.h"
#include "diff/inventory_diff.h"
#include "indexer/inventory.h"
#include "indexer/rootfs/ignore_rules.h"
#include "indexer/system/config_text.h"
#include "indexer/system/os_release.h"
#include "indexer/system/services.h"
#include "indexer/system/unified_diff.h"
#include "indexer/system/users.h"

namespace dci {
namespace {

constexpr int64_t kMaxMd5sumsBytes = 4 << 20;

bool HasContent(const LayerEntry& e) {
  return e.type == EntryType::kFile || e.type == EntryType::kHardlink;
}

// dpkg's per-package digests of the files it unpacked (not conffiles):
// var/lib/dpkg/info/PKG.md5sums or PKG:ARCH.md5sums.
bool IsDpkgMd5sums(absl::string_view path) {
  return ParentPath(path) == "var/lib/dpkg/info" &&
         absl::EndsWith(path, ".md5sums");
}

// Rule 2: a hardlink is the file it names.
LayerEntry Normalized(const LayerEntry& e) {
  LayerEntry n = e;
  if (n.type == EntryType::kHardlink) {
    n.type = EntryType::kFile;
    n.link_target.clear();
  }
  return n;
}

// The two sides and how to read their text.
class Sides {
 public:
  Sides(Store& store, const MergedTree& image, const MergedTree& container,
        const RootSnapshot& snap)
      : store_(store), image_(image), container_(container), snap_(snap) {}

  const MergedTree& image() const { return image_; }
  const MergedTree& container() const { return container_; }
  const RootSnapshot& snap() const { return snap_; }

  static const TreeNode* At(const MergedTree& t, const std::string& p) {
    auto it = t.find(p);
    return it == t.end() ? nullptr : &it->second;
  }

  // Text of a file in the image: kept contents only.
  absl::StatusOr<std::optional<std::string>> ImageText(const std::string& p) {
    const TreeNode* n = At(image_, p);
    if (n == nullptr || !HasContent(n->entry)) return std::optional<std::string>();
    return store_.Content(n->entry.content_hash);
  }

  // Text of a file in the container: what the source captured, else (a
  // path the container shares with its image) the image's kept contents.
  absl::StatusOr<std::optional<std::string>> ContainerText(const std::string& p) {
    const TreeNode* n = At(container_, p);
    if (n == nullptr || !HasContent(n->entry)) return std::optional<std::string>();
    auto c = snap_.captured.find(p);
    if (c != snap_.captured.end()) return std::optional<std::string>(c->second);
    return store_.Content(n->entry.content_hash);
  }

  bool SameFile(const std::string& p) const {
    const TreeNode* a = At(image_, p);
    const TreeNode* b = At(container_, p);
    if (a == nullptr || b == nullptr) return a == b;
    return HasContent(a->entry) && HasContent(b->entry) &&
           a->entry.content_hash == b->entry.content_hash;
  }

  Store& store() { return store_; }

 private:
  Store& store_;
  const MergedTree& image_;
  const MergedTree& container_;
  const RootSnapshot& snap_;
};

absl::Status DiffConfigs(Sides& s, ImageDiff& out) {
  for (const FileChange& c : out.files) {
    if (!IsConfigPath(c.path)) continue;
    bool content = c.kind != ChangeKind::kChanged || (c.what & kChangedContent);
    if (!content) continue;
    auto is_file = [](const std::optional<TreeNode>& n) {
      return n.has_value() && HasContent(n->entry);
    };
    if (!is_file(c.before) && !is_file(c.after)) continue;
    DCI_ASSIGN_OR_RETURN(std::optional<std::string> before, s.ImageText(c.path));
    DCI_ASSIGN_OR_RETURN(std::optional<std::string> after, s.ContainerText(c.path));
    if (after.has_value() && !IsTextConfig(*after)) after.reset();
    ConfigChange cc;
    cc.kind = c.kind;
    cc.path = c.path;
    bool kept = (!is_file(c.before) || before.has_value()) &&
                (!is_file(c.after) || after.has_value());
    if (kept) {
      cc.unified_diff = UnifiedDiff(before.value_or(""), after.value_or(""),
                                    "a/" + c.path, "b/" + c.path);
    }
    out.configs.push_back(std::move(cc));
  }
  return absl::OkStatus();
}

// The container's packages: the image's for each database the container
// left as it was, its own (parsed from the captured bytes) for the others.
absl::StatusOr<std::vector<Package>> ContainerPackages(
    Sides& s, const std::vector<ImagePackage>& image_packages,
    std::vector<std::string>& warnings, bool* changed) {
  std::vector<Package> out;
  *changed = false;
  std::set<std::string> db_paths;
  for (const auto* tree : {&s.image(), &s.container()}) {
    for (const auto& [p, n] : *tree) {
      if (HasContent(n.entry) && PackageDbAt(p).has_value()) db_paths.insert(p);
    }
  }
  for (const std::string& db : db_paths) {
    const TreeNode* in_container = Sides::At(s.container(), db);
    if (s.SameFile(db)) {
      for (const ImagePackage& ip : image_packages) {
        if (ip.db_path == db) out.push_back(ip.package);
      }
      continue;
    }
    *changed = true;
    if (in_container == nullptr || !HasContent(in_container->entry)) continue;
    auto c = s.snap().captured.find(db);
    if (c == s.snap().captured.end()) {
      warnings.push_back(absl::StrCat(db, ": package database changed but was "
                                          "not read (too large)"));
      continue;
    }
    LayerInventory inv = ExtractInventory({{db, c->second}}, InventoryOptions{});
    for (LayerPackageDb& pdb : inv.package_dbs) {
      for (std::string& w : pdb.scan.warnings) warnings.push_back(std::move(w));
      for (Package& p : pdb.scan.packages) out.push_back(std::move(p));
    }
  }
  return out;
}

absl::Status DiffAccounts(Sides& s, ImageDiff& out) {
  PasswdFile ua, ub;
  GroupFile ga, gb;
  DCI_ASSIGN_OR_RETURN(auto passwd_a, s.ImageText("etc/passwd"));
  DCI_ASSIGN_OR_RETURN(auto passwd_b, s.ContainerText("etc/passwd"));
  DCI_ASSIGN_OR_RETURN(auto group_a, s.ImageText("etc/group"));
  DCI_ASSIGN_OR_RETURN(auto group_b, s.ContainerText("etc/group"));
  ua = ParsePasswd(passwd_a.value_or(""));
  ub = ParsePasswd(passwd_b.value_or(""));
  ga = ParseGroup(group_a.value_or(""));
  gb = ParseGroup(group_b.value_or(""));
  // etc/shadow: the image keeps password states only; the container's file
  // is parsed in memory and never kept.
  const TreeNode* sa = Sides::At(s.image(), "etc/shadow");
  if (sa != nullptr && HasContent(sa->entry)) {
    DCI_ASSIGN_OR_RETURN(std::optional<std::string> states,
                         s.store().ShadowStates(sa->entry.content_hash));
    if (states.has_value()) ApplyShadow(ParseShadowStates(*states), &ua);
  }
  const TreeNode* sb = Sides::At(s.container(), "etc/shadow");
  if (sb != nullptr && HasContent(sb->entry)) {
    auto c = s.snap().captured.find("etc/shadow");
    if (c != s.snap().captured.end()) {
      ApplyShadow(ParseShadow(c->second), &ub);
    } else {
      DCI_ASSIGN_OR_RETURN(std::optional<std::string> states,
                           s.store().ShadowStates(sb->entry.content_hash));
      if (states.has_value()) ApplyShadow(ParseShadowStates(*states), &ub);
    }
  }
  DiffAccountFiles(ua, ub, ga, gb, out);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> OsReleaseOf(
    Sides& s, bool container) {
  const MergedTree& t = container ? s.container() : s.image();
  std::map<std::string, std::string> out;
  absl::StatusOr<std::string> path = OsReleasePathIn(t);
  if (!path.ok()) return out;
  std::optional<std::string> text;
  if (container) {
    DCI_ASSIGN_OR_RETURN(text, s.ContainerText(*path));
  } else {
    DCI_ASSIGN_OR_RETURN(text, s.ImageText(*path));
  }
  if (!text.has_value()) return out;
  return OsReleaseFields(*text);
}

// What the package databases recorded for the files the container
// changed: dpkg's md5sums for packaged files and conffile digests, every
// file digest rpm -V checks, apk's Z: checksums.
struct Recorded {
  std::string ecosystem, package, algorithm, digest;
  bool config = false;
};

absl::Status CheckPackagedFiles(Sides& s, RootSource& source,
                                const ImageRecord& image,
                                const std::vector<Package>& packages,
                                ContainerDrift& out) {
  // The candidates: regular files whose bytes changed or are new, and
  // those whose bytes could not be read (rule 3), which are tried again.
  std::set<std::string> changed;
  for (const FileChange& c : out.diff.files) {
    if (!c.after.has_value() || !HasContent(c.after->entry)) continue;
    if (c.kind == ChangeKind::kAdded ||
        (c.kind == ChangeKind::kChanged &&
         (c.what & (kChangedContent | kChangedType)))) {
      changed.insert(c.path);
    }
  }
  for (const std::string& p : s.snap().content_unknown) {
    const TreeNode* n = Sides::At(s.container(), p);
    if (n != nullptr && HasContent(n->entry)) changed.insert(p);
  }
  if (changed.empty()) return absl::OkStatus();

  std::map<std::string, Recorded> recorded;
  std::set<std::string> deb_installed;
  for (const Package& p : packages) {
    const std::string eco(EcosystemName(p.ecosystem));
    if (p.ecosystem == Ecosystem::kDeb) deb_installed.insert(p.name);
    std::set<std::string> configs;
    for (const ConfigFile& c : p.config_files) configs.insert(c.path);
    // rpm and apk record a digest for each regular file (rpm's with the
    // files rpm -V would not hash already left out); rpm package sets
    // stored before those were kept have their %config digests only.
    if (p.ecosystem != Ecosystem::kDeb && !p.file_digests.empty()) {
      for (const FileDigest& d : p.file_digests) {
        if (!changed.count(d.path) || recorded.count(d.path)) continue;
        recorded[d.path] = {eco, p.name, d.algorithm, d.digest,
                            configs.count(d.path) > 0};
      }
      continue;
    }
    for (const ConfigFile& c : p.config_files) {
      if (c.obsolete || c.digest.empty() || c.algorithm.empty()) continue;
      if (!changed.count(c.path) || recorded.count(c.path)) continue;
      recorded[c.path] = {eco, p.name, c.algorithm, c.digest, true};
    }
  }
  for (const auto& [path, text] : s.snap().captured) {
    if (!IsDpkgMd5sums(path)) continue;
    absl::string_view base = BaseName(path);
    absl::ConsumeSuffix(&base, ".md5sums");
    std::string package(base.substr(0, base.find(':')));
    if (!deb_installed.count(package)) continue;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      // "<32 hex>  path/without/leading/slash"
      if (line.size() < 35 || line[32] != ' ') continue;
      absl::string_view file = line.substr(34);
      absl::ConsumePrefix(&file, "/");
      std::string p(file);
      if (!changed.count(p) || recorded.count(p)) continue;
      recorded[p] = {"deb", package, "md5", std::string(line.substr(0, 32)), false};
    }
  }
  if (s.snap().kind == RootSnapshot::Kind::kUpperLayer && !deb_installed.empty()) {
    // An upper directory holds the md5sums of packages the container
    // installed only; the image index keeps dpkg's file lists but not its
    // md5sums. Name what could not be checked rather than pass it.
    std::set<std::string> unchecked;
    for (const std::string& p : changed) {
      if (!recorded.count(p)) unchecked.insert(p);
    }
    if (!unchecked.empty()) {
      DCI_ASSIGN_OR_RETURN(ImageInventory inv,
                           LoadInventory(s.store(), image, s.image(), true));
      for (const ImagePackage& ip : inv.packages) {
        if (ip.package.ecosystem != Ecosystem::kDeb) continue;
        for (const std::string& f : ip.package.files) {
          if (!unchecked.count(f)) continue;
          out.warnings.push_back(absl::StrCat(
              f, ": owned by ", ip.package.name, ", whose dpkg md5sums are "
              "not in the upper directory: not checked against its digest "
              "(drift dir: on the merged root checks it)"));
        }
      }
    }
  }
  if (recorded.empty()) return absl::OkStatus();

  // Text the source already captured is hashed in memory; the rest is read
  // once more from the source.
  std::map<std::string, std::string> actual, wanted;
  for (const auto& [path, r] : recorded) {
    auto c = s.snap().captured.find(path);
    if (c != s.snap().captured.end() && !s.snap().content_unknown.count(path)) {
      actual[path] = HexDigestOf(r.algorithm, c->second);
    } else {
      wanted[path] = r.algorithm;
    }
  }
  DCI_ASSIGN_OR_RETURN(auto more, source.FileDigests(wanted));
  actual.insert(more.begin(), more.end());
  for (const auto& [path, r] : recorded) {
    auto a = actual.find(path);
    if (a == actual.end() || a->second.empty()) {
      out.warnings.push_back(absl::StrCat(path, ": could not be read again to "
                                                "check its package digest"));
      continue;
    }
    if (a->second == r.digest) continue;
    out.modified_files.push_back(
        {path, r.ecosystem, r.package, r.algorithm, r.digest, a->second, r.config});
  }
  return absl::OkStatus();
}

void DropIgnored(MergedTree& tree, const IgnoreRules& rules) {
  for (auto it = tree.begin(); it != tree.end();) {
    if (rules.Matches(it->first)) {
      it = tree.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

absl::StatusOr<ContainerDrift> DiffContainer(Store& store,
                                             const ImageRecord& image,
                                             RootSource& source,
                                             const ContainerDriftOptions& options) {
  ContainerDrift out;
  IgnoreRules rules(options.default_ignores ? DefaultIgnoreGlobs()
                                            : std::vector<std::string>{},
                    options.ignore);
  out.ignored = rules.globs();

  RootReadOptions ro;
  ro.ignore = rules;
  ro.cross_filesystems = options.cross_filesystems;
  ro.limits = options.limits;
  const InventoryOptions inventory;
  ro.capture = [&inventory](absl::string_view p, int64_t n) {
    return WantsContent(p, n, inventory) ||
           (IsDpkgMd5sums(p) && n <= kMaxMd5sumsBytes);
  };
  DCI_ASSIGN_OR_RETURN(RootSnapshot snap, source.Read(ro));
  out.entries_scanned = static_cast<int64_t>(snap.entries.size());
  out.bytes_hashed = snap.bytes_hashed;
  out.warnings = snap.warnings;

  std::vector<std::vector<LayerEntry>> layers;
  for (const ImageLayer& l : image.layers) {
    DCI_ASSIGN_OR_RETURN(std::vector<LayerEntry> entries,
                         store.LayerEntries(l.layer_id));
    layers.push_back(std::move(entries));
  }
  MergedTree image_tree = MergeLayers(layers);
  MergedTree container_tree;
  const int top = static_cast<int>(image.layers.size());
  if (snap.kind == RootSnapshot::Kind::kUpperLayer) {
    layers.push_back(snap.entries);
    container_tree = MergeLayers(layers);
  } else {
    for (const LayerEntry& e : snap.entries) {
      container_tree.emplace_hint(container_tree.end(), e.path, TreeNode{e, top});
    }
  }
  layers.clear();
  DropIgnored(image_tree, rules);  // rule 1
  DropIgnored(container_tree, rules);

  // Files: every path of either tree, in path order.
  ImageDiff& d = out.diff;
  d.shared_layers = top;
  auto ia = image_tree.begin();
  auto ib = container_tree.begin();
  while (ia != image_tree.end() || ib != container_tree.end()) {
    ++d.paths_examined;
    FileChange c;
    if (ib == container_tree.end() ||
        (ia != image_tree.end() && ia->first < ib->first)) {
      c.kind = ChangeKind::kRemoved;
      c.path = ia->first;
      c.before = ia->second;
      ++ia;
    } else if (ia == image_tree.end() || ib->first < ia->first) {
      c.kind = ChangeKind::kAdded;
      c.path = ib->first;
      c.after = ib->second;
      ++ib;
    } else {
      c.kind = ChangeKind::kChanged;
      c.path = ia->first;
      c.what = CompareEntries(Normalized(ia->second.entry),
                              Normalized(ib->second.entry),
                              snap.content_unknown.count(c.path) > 0);
      if (c.what != 0) {
        c.before = ia->second;
        c.after = ib->second;
      }
      ++ia;
      ++ib;
      if (c.what == 0) continue;
    }
    d.files.push_back(std::move(c));
  }
  for (const std::string& p : snap.content_unknown) {
    if (!rules.Matches(p)) {
      out.warnings.push_back(absl::StrCat(p, ": content not compared (unreadable)"));
    }
  }

  Sides sides(store, image_tree, container_tree, snap);
  DCI_ASSIGN_OR_RETURN(std::vector<ImagePackage> image_packages,
                       LoadPackages(store, image));
  bool dbs_changed = false;
  DCI_ASSIGN_OR_RETURN(
      std::vector<Package> container_packages,
      ContainerPackages(sides, image_packages, out.warnings, &dbs_changed));
  if (options.sections.packages && dbs_changed) {
    std::vector<const Package*> la, lb;
    for (const ImagePackage& p : image_packages) la.push_back(&p.package);
    for (const Package& p : container_packages) lb.push_back(&p);
    DiffPackageLists(la, lb, d.packages);
  }
  if (options.sections.configs) DCI_RETURN_IF_ERROR(DiffConfigs(sides, d));
  auto touches = [&d](const std::function<bool(const std::string&)>& f) {
    for (const FileChange& c : d.files) {
      if (f(c.path)) return true;
    }
    return false;
  };
  auto account_file = [](const std::string& p) {
    return p == "etc/passwd" || p == "etc/group" || p == "etc/shadow";
  };
  if (options.sections.users && touches(account_file)) {
    DCI_RETURN_IF_ERROR(DiffAccounts(sides, d));
  }
  if (options.sections.services && touches(IsServicePath)) {
    DiffEnabledUnits(EnabledUnitsIn(sides.image()),
                     EnabledUnitsIn(sides.container()), d);
  }
  auto os_file = [](const std::string& p) {
    return p == "etc/os-release" || p == "usr/lib/os-release";
  };
  if (options.sections.metadata && touches(os_file)) {
    DCI_ASSIGN_OR_RETURN(auto oa, OsReleaseOf(sides, false));
    DCI_ASSIGN_OR_RETURN(auto ob, OsReleaseOf(sides, true));
    DiffOsRelease(oa, ob, d);
  }
  if (options.sections.packages) {
    DCI_RETURN_IF_ERROR(
        CheckPackagedFiles(sides, source, image, container_packages, out));
  }
  if (!options.sections.files) d.files.clear();
  return out;
}

}  // namespace dci
