#include "diff/inventory_diff.h"

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/path.h"
#include "base/status_macros.h"
#include "diff/inventory.h"
#include "indexer/system/config_text.h"
#include "indexer/system/unified_diff.h"

namespace dci {
namespace {

bool Touches(const ImageDiff& d, const std::function<bool(const std::string&)>& f) {
  for (const FileChange& c : d.files) {
    if (f(c.path)) return true;
  }
  return false;
}

// The part of an image's merged tree at `paths` and under `dirs`, with the
// ancestors that decide their visibility (merged_tree.h invariant 5).
absl::StatusOr<MergedTree> PartialTree(Store& store, const ImageRecord& image,
                                       const std::vector<std::string>& paths,
                                       const std::vector<std::string>& dirs) {
  std::vector<int64_t> ids;
  for (const ImageLayer& l : image.layers) ids.push_back(l.layer_id);
  std::vector<std::string> at = paths;
  for (const std::string& d : dirs) at.push_back(d);
  std::vector<std::string> with_parents = at;
  for (const std::string& p : at) {
    for (absl::string_view d = ParentPath(p); !d.empty(); d = ParentPath(d)) {
      with_parents.emplace_back(d);
    }
  }
  DCI_ASSIGN_OR_RETURN(auto layers, store.LayerEntriesAt(ids, with_parents));
  for (const std::string& d : dirs) {
    DCI_ASSIGN_OR_RETURN(auto under, store.LayerEntriesUnder(ids, d));
    for (size_t i = 0; i < layers.size(); ++i) {
      layers[i].insert(layers[i].end(), under[i].begin(), under[i].end());
      std::sort(layers[i].begin(), layers[i].end(),
                [](const LayerEntry& x, const LayerEntry& y) {
                  return x.path < y.path;
                });
      layers[i].erase(std::unique(layers[i].begin(), layers[i].end(),
                                  [](const LayerEntry& x, const LayerEntry& y) {
                                    return x.path == y.path;
                                  }),
                      layers[i].end());
    }
  }
  return MergeLayers(layers);
}

absl::StatusOr<std::string> TextOf(Store& store, const std::optional<TreeNode>& n) {
  if (!n.has_value() || (n->entry.type != EntryType::kFile &&
                         n->entry.type != EntryType::kHardlink)) {
    return std::string();
  }
  DCI_ASSIGN_OR_RETURN(std::optional<std::string> t,
                       store.Content(n->entry.content_hash));
  return t.value_or(std::string());
}

absl::Status DiffPackages(Store& store, const ImageRecord& a,
                          const ImageRecord& b, ImageDiff& out) {
  DCI_ASSIGN_OR_RETURN(auto dbs_a, store.ImagePackageDbs(a.id));
  DCI_ASSIGN_OR_RETURN(auto dbs_b, store.ImagePackageDbs(b.id));
  auto sets = [](const std::vector<PackageDbRef>& v) {
    std::map<std::string, int64_t> m;
    for (const auto& d : v) m[d.db_path] = d.set_id;
    return m;
  };
  if (sets(dbs_a) == sets(dbs_b)) return absl::OkStatus();  // same databases
  DCI_ASSIGN_OR_RETURN(auto pa, LoadPackages(store, a));
  DCI_ASSIGN_OR_RETURN(auto pb, LoadPackages(store, b));
  std::vector<const Package*> la, lb;
  for (const ImagePackage& p : pa) la.push_back(&p.package);
  for (const ImagePackage& p : pb) lb.push_back(&p.package);
  DiffPackageLists(la, lb, out.packages);
  return absl::OkStatus();
}

// Config files: etc/** text whose content changed, with line diffs.
absl::Status DiffConfigs(Store& store, ImageDiff& out) {
  for (const FileChange& c : out.files) {
    if (!IsConfigPath(c.path)) continue;
    bool content = c.kind != ChangeKind::kChanged || (c.what & kChangedContent);
    if (!content) continue;
    auto is_file = [](const std::optional<TreeNode>& n) {
      return n.has_value() && (n->entry.type == EntryType::kFile ||
                               n->entry.type == EntryType::kHardlink);
    };
    if (!is_file(c.before) && !is_file(c.after)) continue;
    DCI_ASSIGN_OR_RETURN(std::string before, TextOf(store, c.before));
    DCI_ASSIGN_OR_RETURN(std::string after, TextOf(store, c.after));
    ConfigChange cc;
    cc.kind = c.kind;
    cc.path = c.path;
    bool kept = (!is_file(c.before) || !before.empty() || c.before->entry.size == 0) &&
                (!is_file(c.after) || !after.empty() || c.after->entry.size == 0);
    if (kept) {
      cc.unified_diff = UnifiedDiff(before, after, "a/" + c.path, "b/" + c.path);
    }
    out.configs.push_back(std::move(cc));
  }
  return absl::OkStatus();
}

absl::Status DiffAccounts(Store& store, const ImageRecord& a,
                          const ImageRecord& b, ImageDiff& out) {
  const std::vector<std::string> files = {"etc/passwd", "etc/group", "etc/shadow"};
  DCI_ASSIGN_OR_RETURN(MergedTree ta, PartialTree(store, a, files, {}));
  DCI_ASSIGN_OR_RETURN(MergedTree tb, PartialTree(store, b, files, {}));
  auto node = [](const MergedTree& t, const std::string& p) -> std::optional<TreeNode> {
    auto it = t.find(p);
    if (it == t.end()) return std::nullopt;
    return it->second;
  };
  auto load = [&](const MergedTree& t, PasswdFile* users, GroupFile* groups) -> absl::Status {
    DCI_ASSIGN_OR_RETURN(std::string passwd, TextOf(store, node(t, "etc/passwd")));
    DCI_ASSIGN_OR_RETURN(std::string shadow, TextOf(store, node(t, "etc/shadow")));
    DCI_ASSIGN_OR_RETURN(std::string group, TextOf(store, node(t, "etc/group")));
    *users = ParsePasswd(passwd);
    if (!shadow.empty()) ApplyShadow(ParseShadow(shadow), users);
    *groups = ParseGroup(group);
    return absl::OkStatus();
  };
  PasswdFile ua, ub;
  GroupFile ga, gb;
  DCI_RETURN_IF_ERROR(load(ta, &ua, &ga));
  DCI_RETURN_IF_ERROR(load(tb, &ub, &gb));
  DiffAccountFiles(ua, ub, ga, gb, out);
  return absl::OkStatus();
}

absl::Status DiffServices(Store& store, const ImageRecord& a,
                          const ImageRecord& b, ImageDiff& out) {
  DCI_ASSIGN_OR_RETURN(MergedTree ta, PartialTree(store, a, {}, ServiceDirs()));
  DCI_ASSIGN_OR_RETURN(MergedTree tb, PartialTree(store, b, {}, ServiceDirs()));
  DiffEnabledUnits(EnabledUnitsIn(ta), EnabledUnitsIn(tb), out);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> OsReleaseOf(
    Store& store, const ImageRecord& image) {
  DCI_ASSIGN_OR_RETURN(
      MergedTree t, PartialTree(store, image, {"etc/os-release", "usr/lib/os-release"}, {}));
  std::map<std::string, std::string> out;
  absl::StatusOr<std::string> path = OsReleasePathIn(t);
  if (!path.ok()) return out;
  auto it = t.find(*path);
  if (it == t.end()) return out;
  DCI_ASSIGN_OR_RETURN(std::string text, TextOf(store, it->second));
  return OsReleaseFields(text);
}

}  // namespace

absl::Status DiffInventory(Store& store, const ImageRecord& a,
                           const ImageRecord& b, const DiffSections& sections,
                           ImageDiff& out) {
  if (sections.packages) DCI_RETURN_IF_ERROR(DiffPackages(store, a, b, out));
  if (sections.configs) DCI_RETURN_IF_ERROR(DiffConfigs(store, out));
  auto account_file = [](const std::string& p) {
    return p == "etc/passwd" || p == "etc/group" || p == "etc/shadow";
  };
  if (sections.users && Touches(out, account_file)) {
    DCI_RETURN_IF_ERROR(DiffAccounts(store, a, b, out));
  }
  if (sections.services && Touches(out, IsServicePath)) {
    DCI_RETURN_IF_ERROR(DiffServices(store, a, b, out));
  }
  auto os_file = [](const std::string& p) {
    return p == "etc/os-release" || p == "usr/lib/os-release";
  };
  if (sections.metadata && Touches(out, os_file)) {
    DCI_ASSIGN_OR_RETURN(auto oa, OsReleaseOf(store, a));
    DCI_ASSIGN_OR_RETURN(auto ob, OsReleaseOf(store, b));
    DiffOsRelease(oa, ob, out);
  }
  return absl::OkStatus();
}

void DiffPackageLists(const std::vector<const Package*>& a,
                      const std::vector<const Package*>& b,
                      std::vector<PackageChange>& out) {
  using Key = std::tuple<int, std::string, std::string>;
  auto key = [](const Package& p) -> Key {
    return {static_cast<int>(p.ecosystem), p.name, p.arch};
  };
  std::map<Key, const Package*> ma, mb;
  for (const Package* p : a) ma[key(*p)] = p;
  for (const Package* p : b) mb[key(*p)] = p;
  std::set<Key> keys;
  for (const auto& [k, v] : ma) keys.insert(k);
  for (const auto& [k, v] : mb) keys.insert(k);
  for (const Key& k : keys) {
    auto ia = ma.find(k);
    auto ib = mb.find(k);
    const Package* x = ia == ma.end() ? nullptr : ia->second;
    const Package* y = ib == mb.end() ? nullptr : ib->second;
    const Package* any = x ? x : y;
    PackageChange c;
    c.ecosystem = std::string(EcosystemName(any->ecosystem));
    c.name = any->name;
    c.arch = any->arch;
    if (x) c.before = x->FullVersion();
    if (y) c.after = y->FullVersion();
    if (!x) {
      c.kind = ChangeKind::kAdded;
    } else if (!y) {
      c.kind = ChangeKind::kRemoved;
    } else {
      if (c.before == c.after) continue;
      c.kind = ChangeKind::kChanged;
      c.order = CompareVersions(any->ecosystem, c.before, c.after);
    }
    out.push_back(std::move(c));
  }
}

namespace {

std::string UserLine(const User& u) {
  return absl::StrCat("uid ", u.uid, " gid ", u.gid, " home ", u.home,
                      " shell ", u.shell, " password ",
                      PasswordStateName(u.password));
}

std::string GroupLine(const Group& g) {
  return absl::StrCat("gid ", g.gid, " members ", absl::StrJoin(g.members, ","));
}

template <typename T, typename Line>
void DiffNamed(const std::vector<T>& a, const std::vector<T>& b,
               const char* what, Line line, ImageDiff& out) {
  std::map<std::string, std::string> ma, mb;
  for (const T& x : a) ma[x.name] = line(x);
  for (const T& x : b) mb[x.name] = line(x);
  for (const auto& [n, l] : ma) {
    auto it = mb.find(n);
    if (it == mb.end()) {
      out.accounts.push_back({ChangeKind::kRemoved, what, n, l, ""});
    } else if (it->second != l) {
      out.accounts.push_back({ChangeKind::kChanged, what, n, l, it->second});
    }
  }
  for (const auto& [n, l] : mb) {
    if (!ma.count(n)) out.accounts.push_back({ChangeKind::kAdded, what, n, "", l});
  }
}

}  // namespace

void DiffAccountFiles(const PasswdFile& users_a, const PasswdFile& users_b,
                      const GroupFile& groups_a, const GroupFile& groups_b,
                      ImageDiff& out) {
  DiffNamed(users_a.users, users_b.users, "user", UserLine, out);
  DiffNamed(groups_a.groups, groups_b.groups, "group", GroupLine, out);
}

const std::vector<std::string>& ServiceDirs() {
  static const auto* const kDirs = new std::vector<std::string>{
      "etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system",
      "etc/rc0.d", "etc/rc1.d", "etc/rc2.d", "etc/rc3.d", "etc/rc4.d",
      "etc/rc5.d", "etc/rc6.d", "etc/rcS.d"};
  return *kDirs;
}

bool IsServicePath(const std::string& p) {
  for (const std::string& d : ServiceDirs()) {
    if (p == d || IsStrictlyUnder(p, d)) return true;
  }
  return false;
}

EnabledUnitSet EnabledUnitsIn(const MergedTree& tree) {
  std::vector<SymlinkEntry> links;
  for (const auto& [p, n] : tree) {
    if (n.entry.type == EntryType::kSymlink && IsServicePath(p)) {
      links.push_back({p, n.entry.link_target});
    }
  }
  EnabledUnitSet out;
  for (const EnabledUnit& u : FindEnabledServices(links).units) {
    out.insert({u.unit, u.target, std::string(EnablementKindName(u.kind))});
  }
  return out;
}

void DiffEnabledUnits(const EnabledUnitSet& a, const EnabledUnitSet& b,
                      ImageDiff& out) {
  for (const auto& u : a) {
    if (!b.count(u)) {
      out.services.push_back({ChangeKind::kRemoved, std::get<0>(u),
                              std::get<1>(u), std::get<2>(u)});
    }
  }
  for (const auto& u : b) {
    if (!a.count(u)) {
      out.services.push_back({ChangeKind::kAdded, std::get<0>(u),
                              std::get<1>(u), std::get<2>(u)});
    }
  }
}

absl::StatusOr<std::string> OsReleasePathIn(const MergedTree& tree) {
  EntryLookup lookup = [&tree](std::string p) -> std::optional<ImageEntry> {
    auto it = tree.find(p);
    if (it == tree.end()) return std::nullopt;
    ImageEntry e;
    e.is_symlink = it->second.entry.type == EntryType::kSymlink;
    e.link_target = it->second.entry.link_target;
    return e;
  };
  return ResolveOsReleasePath(lookup);
}

std::map<std::string, std::string> OsReleaseFields(const std::string& text) {
  OsRelease os = ParseOsRelease(text);
  std::map<std::string, std::string> out = os.other;
  auto put = [&out](const char* k, const std::string& v) {
    if (!v.empty()) out[k] = v;
  };
  put("ID", os.id);
  put("ID_LIKE", os.id_like);
  put("NAME", os.name);
  put("PRETTY_NAME", os.pretty_name);
  put("VERSION", os.version);
  put("VERSION_ID", os.version_id);
  put("VERSION_CODENAME", os.version_codename);
  put("HOME_URL", os.home_url);
  return out;
}

void DiffOsRelease(const std::map<std::string, std::string>& a,
                   const std::map<std::string, std::string>& b,
                   ImageDiff& out) {
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) {
      out.metadata.push_back({ChangeKind::kRemoved, "os_release", k, v, ""});
    } else if (it->second != v) {
      out.metadata.push_back({ChangeKind::kChanged, "os_release", k, v, it->second});
    }
  }
  for (const auto& [k, v] : b) {
    if (!a.count(k)) out.metadata.push_back({ChangeKind::kAdded, "os_release", k, "", v});
  }
}

}  // namespace dci
