#include "diff/inventory.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/digest.h"
#include "base/path.h"
#include "base/status_macros.h"
#include "indexer/packages/dpkg.h"
#include "indexer/packages/rpm_version.h"
#include "indexer/packages/version.h"

namespace dci {

absl::string_view ConfigStateName(ConfigFileState::State s) {
  switch (s) {
    case ConfigFileState::kUnmodified: return "unmodified";
    case ConfigFileState::kModified: return "modified";
    case ConfigFileState::kMissing: return "missing";
    case ConfigFileState::kUnknown: return "unknown";
  }
  return "unknown";
}

int CompareVersions(Ecosystem e, absl::string_view a, absl::string_view b) {
  switch (e) {
    case Ecosystem::kDeb: return CompareDebVersions(a, b);
    case Ecosystem::kRpm: return CompareRpmVersions(a, b);
    case Ecosystem::kApk: return CompareApkVersions(a, b);
  }
  return a.compare(b);
}

namespace {

using PackageKey = std::tuple<int, std::string, std::string, std::string>;

PackageKey KeyOf(const Package& p) {
  return {static_cast<int>(p.ecosystem), p.name, p.arch, p.FullVersion()};
}

bool Before(const ImagePackage& a, const ImagePackage& b) {
  return std::make_tuple(static_cast<int>(a.package.ecosystem), a.package.name,
                         a.package.arch) <
         std::make_tuple(static_cast<int>(b.package.ecosystem), b.package.name,
                         b.package.arch);
}

}  // namespace

absl::StatusOr<std::vector<ImagePackage>> LoadPackages(
    Store& store, const ImageRecord& image) {
  DCI_ASSIGN_OR_RETURN(std::vector<PackageDbRef> visible,
                       store.ImagePackageDbs(image.id));
  DCI_ASSIGN_OR_RETURN(std::vector<PackageDbRef> versions,
                       store.LayerPackageDbs(image.id));
  std::vector<ImagePackage> out;
  for (const PackageDbRef& db : visible) {
    DCI_ASSIGN_OR_RETURN(std::vector<Package> top, store.PackageSet(db.set_id));
    // Which layer introduced each package: the lowest version of this
    // database from which the package is in every version up to the top.
    std::map<PackageKey, int> since;
    for (const Package& p : top) since[KeyOf(p)] = db.layer_position;
    std::vector<const PackageDbRef*> lower;
    for (const PackageDbRef& v : versions) {
      if (v.db_path == db.db_path && v.layer_position < db.layer_position) {
        lower.push_back(&v);
      }
    }
    std::set<PackageKey> still;
    for (const auto& [k, pos] : since) still.insert(k);
    for (auto it = lower.rbegin(); it != lower.rend() && !still.empty(); ++it) {
      DCI_ASSIGN_OR_RETURN(std::vector<Package> older,
                           store.PackageSet((*it)->set_id));
      std::set<PackageKey> here;
      for (const Package& p : older) here.insert(KeyOf(p));
      for (auto k = still.begin(); k != still.end();) {
        if (here.count(*k)) {
          since[*k] = (*it)->layer_position;
          ++k;
        } else {
          k = still.erase(k);
        }
      }
    }
    for (Package& p : top) {
      ImagePackage ip;
      ip.layer = since[KeyOf(p)];
      ip.history_index = ip.layer >= 0 &&
                                 ip.layer < static_cast<int>(image.layers.size())
                             ? image.layers[ip.layer].history_index
                             : -1;
      ip.db_path = db.db_path;
      ip.package = std::move(p);
      out.push_back(std::move(ip));
    }
  }
  std::stable_sort(out.begin(), out.end(), Before);
  return out;
}

namespace {

// Text kept for the file at `path` in the tree, following nothing.
absl::StatusOr<std::optional<std::string>> TextAt(Store& store,
                                                  const MergedTree& tree,
                                                  const std::string& path) {
  auto it = tree.find(path);
  if (it == tree.end() || (it->second.entry.type != EntryType::kFile &&
                           it->second.entry.type != EntryType::kHardlink)) {
    return std::optional<std::string>();
  }
  return store.Content(it->second.entry.content_hash);
}

EntryLookup LookupIn(const MergedTree& tree) {
  return [&tree](std::string p) -> std::optional<ImageEntry> {
    auto it = tree.find(p);
    if (it == tree.end()) return std::nullopt;
    ImageEntry e;
    e.is_symlink = it->second.entry.type == EntryType::kSymlink;
    if (e.is_symlink) e.link_target = it->second.entry.link_target;
    return e;
  };
}

absl::StatusOr<ConfigFileState> CheckConfig(Store& store, const MergedTree& tree,
                                            const ConfigFile& c) {
  ConfigFileState s;
  s.path = c.path;
  auto it = tree.find(c.path);
  if (it == tree.end()) {
    s.state = ConfigFileState::kMissing;
    return s;
  }
  if (c.digest.empty() || c.algorithm.empty()) return s;  // unknown
  DCI_ASSIGN_OR_RETURN(std::optional<std::string> text,
                       TextAt(store, tree, c.path));
  if (!text.has_value()) return s;
  std::string actual = HexDigestOf(c.algorithm, *text);
  if (actual.empty()) return s;
  s.state = actual == c.digest ? ConfigFileState::kUnmodified
                               : ConfigFileState::kModified;
  return s;
}

}  // namespace

absl::StatusOr<ImageInventory> LoadInventory(Store& store,
                                             const ImageRecord& image,
                                             const MergedTree& tree,
                                             bool with_files) {
  ImageInventory inv;
  DCI_ASSIGN_OR_RETURN(inv.packages, LoadPackages(store, image));
  DCI_ASSIGN_OR_RETURN(std::vector<PackageDbRef> visible,
                       store.ImagePackageDbs(image.id));
  for (const PackageDbRef& db : visible) {
    DCI_ASSIGN_OR_RETURN(std::vector<std::string> w,
                         store.PackageSetWarnings(db.set_id));
    inv.warnings.insert(inv.warnings.end(), w.begin(), w.end());
  }
  for (ImagePackage& ip : inv.packages) {
    for (const ConfigFile& c : ip.package.config_files) {
      if (c.obsolete) continue;
      DCI_ASSIGN_OR_RETURN(ConfigFileState s, CheckConfig(store, tree, c));
      ip.configs.push_back(std::move(s));
    }
    if (with_files && ip.package.ecosystem == Ecosystem::kDeb &&
        ip.package.files.empty()) {
      // dpkg keeps each package's files in info/NAME.list, or
      // NAME:ARCH.list for multi-arch packages.
      for (const std::string& list :
           {absl::StrCat("var/lib/dpkg/info/", ip.package.name, ":",
                         ip.package.arch, ".list"),
            absl::StrCat("var/lib/dpkg/info/", ip.package.name, ".list")}) {
        DCI_ASSIGN_OR_RETURN(std::optional<std::string> text,
                             TextAt(store, tree, list));
        if (!text.has_value()) continue;
        for (absl::string_view line : absl::StrSplit(*text, '\n')) {
          absl::ConsumePrefix(&line, "/");  // .list files hold "/usr/bin/x"
          absl::StatusOr<std::string> p = NormalizeEntryPath(line);
          if (p.ok() && !p->empty()) ip.package.files.push_back(*p);
        }
        break;
      }
    }
  }
  absl::StatusOr<std::string> os = ResolveOsReleasePath(LookupIn(tree));
  if (os.ok()) {
    DCI_ASSIGN_OR_RETURN(std::optional<std::string> text,
                         TextAt(store, tree, *os));
    if (text.has_value()) {
      inv.os_release_path = *os;
      inv.os_release = ParseOsRelease(*text);
    }
  }
  DCI_ASSIGN_OR_RETURN(std::optional<std::string> passwd,
                       TextAt(store, tree, "etc/passwd"));
  if (passwd.has_value()) inv.users = ParsePasswd(*passwd);
  // etc/shadow is kept as password states only.
  auto shadow = tree.find("etc/shadow");
  if (shadow != tree.end() && shadow->second.entry.type == EntryType::kFile) {
    DCI_ASSIGN_OR_RETURN(std::optional<std::string> states,
                         store.ShadowStates(shadow->second.entry.content_hash));
    if (states.has_value()) ApplyShadow(ParseShadowStates(*states), &inv.users);
  }
  DCI_ASSIGN_OR_RETURN(std::optional<std::string> group,
                       TextAt(store, tree, "etc/group"));
  if (group.has_value()) inv.groups = ParseGroup(*group);
  std::vector<SymlinkEntry> links;
  for (const auto& [path, node] : tree) {
    if (node.entry.type == EntryType::kSymlink &&
        (absl::StartsWith(path, "etc/") ||
         absl::StartsWith(path, "usr/lib/systemd/") ||
         absl::StartsWith(path, "lib/systemd/"))) {
      links.push_back({path, node.entry.link_target});
    }
  }
  inv.services = FindEnabledServices(links);
  return inv;
}

namespace {

// Keeps the hits an image's merged tree really shows.
absl::StatusOr<std::vector<FileHit>> Visible(Store& store,
                                             const std::vector<EntryHit>& hits) {
  std::vector<FileHit> out;
  std::map<int64_t, ImageRecord> images;
  std::set<std::pair<int64_t, std::string>> seen;
  for (const EntryHit& h : hits) {
    if (h.entry.type == EntryType::kWhiteout) continue;
    DCI_ASSIGN_OR_RETURN(std::vector<int64_t> ids, store.ImagesWithLayer(h.layer_id));
    for (int64_t id : ids) {
      if (!seen.insert({id, h.entry.path}).second) continue;
      auto it = images.find(id);
      if (it == images.end()) {
        DCI_ASSIGN_OR_RETURN(ImageRecord r, store.GetImage(id));
        it = images.emplace(id, std::move(r)).first;
      }
      const ImageRecord& img = it->second;
      std::vector<int64_t> layer_ids;
      for (const ImageLayer& l : img.layers) layer_ids.push_back(l.layer_id);
      std::vector<std::string> paths = {h.entry.path};
      for (absl::string_view d = ParentPath(h.entry.path); !d.empty();
           d = ParentPath(d)) {
        paths.emplace_back(d);
      }
      DCI_ASSIGN_OR_RETURN(auto layers, store.LayerEntriesAt(layer_ids, paths));
      MergedTree t = MergeLayers(layers);
      auto node = t.find(h.entry.path);
      if (node == t.end()) continue;
      out.push_back({id, node->second.layer, node->second.entry});
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<FileHit>> FindByPath(Store& store,
                                                const std::string& path) {
  DCI_ASSIGN_OR_RETURN(std::vector<EntryHit> hits, store.EntriesWithPath(path));
  return Visible(store, hits);
}

absl::StatusOr<std::vector<FileHit>> FindByHash(Store& store,
                                                const ContentHash& hash) {
  DCI_ASSIGN_OR_RETURN(std::vector<EntryHit> hits, store.EntriesWithHash(hash));
  std::vector<FileHit> out;
  DCI_ASSIGN_OR_RETURN(std::vector<FileHit> all, Visible(store, hits));
  for (FileHit& f : all) {
    if (f.entry.content_hash == hash) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace dci
