#include "clients/cli/render.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"

namespace dci::cli {
namespace {

constexpr char kReset[] = "\033[0m";
constexpr char kRed[] = "\033[31m";
constexpr char kGreen[] = "\033[32m";
constexpr char kYellow[] = "\033[33m";
constexpr char kBold[] = "\033[1m";
constexpr char kDim[] = "\033[2m";

std::string Paint(const Style& s, const char* code, const std::string& text) {
  return s.color ? absl::StrCat(code, text, kReset) : text;
}

std::string Short(const std::string& digest) {
  size_t colon = digest.find(':');
  std::string hex = colon == std::string::npos ? digest : digest.substr(colon + 1);
  return hex.substr(0, 12);
}

std::string PlatformString(const v1::Platform& p) {
  std::string s = absl::StrCat(p.os(), "/", p.architecture());
  if (!p.variant().empty()) absl::StrAppend(&s, "/", p.variant());
  return s;
}

std::string Tags(const v1::Image& img) {
  std::vector<std::string> t;
  for (const auto& tag : img.tags()) t.push_back(tag.name() + ":" + tag.tag());
  return t.empty() ? "<none>" : absl::StrJoin(t, ", ");
}

char TypeChar(v1::EntryType t) {
  switch (t) {
    case v1::ENTRY_TYPE_DIR: return 'd';
    case v1::ENTRY_TYPE_SYMLINK: return 'l';
    case v1::ENTRY_TYPE_HARDLINK: return 'h';
    case v1::ENTRY_TYPE_CHAR_DEVICE: return 'c';
    case v1::ENTRY_TYPE_BLOCK_DEVICE: return 'b';
    case v1::ENTRY_TYPE_FIFO: return 'p';
    case v1::ENTRY_TYPE_WHITEOUT: return 'w';
    case v1::ENTRY_TYPE_SOCKET: return 's';
    default: return '-';
  }
}

std::string EntryLine(const v1::FileEntry& e) {
  std::string line = absl::StrFormat("%s %5d %5d %10d  %s", ModeString(e),
                                     e.uid(), e.gid(), e.size(), e.path());
  if (e.type() == v1::ENTRY_TYPE_SYMLINK) {
    absl::StrAppend(&line, " -> ", e.link_target());
  } else if (e.type() == v1::ENTRY_TYPE_HARDLINK) {
    absl::StrAppend(&line, " link to ", e.link_target());
  }
  if (e.opaque()) absl::StrAppend(&line, "  (opaque)");
  return line;
}

const char* KindWord(v1::ChangeKind k) {
  switch (k) {
    case v1::ADDED: return "added";
    case v1::REMOVED: return "removed";
    default: return "changed";
  }
}

}  // namespace

std::string HumanBytes(int64_t n) {
  if (n < 1000) return absl::StrCat(n, " B");
  const char* units[] = {"kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = -1;
  while (v >= 1000 && u < 3) {
    v /= 1000;
    ++u;
  }
  return absl::StrFormat("%.1f %s", v, units[u]);
}

std::string ModeString(const v1::FileEntry& e) {
  std::string s(10, '-');
  s[0] = TypeChar(e.type());
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    if (e.mode() & (0400u >> i)) s[i + 1] = rwx[i];
  }
  if (e.mode() & 04000) s[3] = (e.mode() & 0100) ? 's' : 'S';
  if (e.mode() & 02000) s[6] = (e.mode() & 0010) ? 's' : 'S';
  if (e.mode() & 01000) s[9] = (e.mode() & 0001) ? 't' : 'T';
  return s;
}

void RenderImages(const v1::ListImagesResponse& r, const Style& s,
                  std::ostream& out) {
  out << Paint(s, kBold,
               absl::StrFormat("%-40s %-12s %-16s %-25s %10s %6s", "NAME:TAG",
                               "DIGEST", "PLATFORM", "CREATED", "SIZE",
                               "LAYERS"))
      << "\n";
  for (const v1::Image& img : r.images()) {
    out << absl::StrFormat("%-40s %-12s %-16s %-25s %10s %6d\n", Tags(img),
                           Short(img.manifest_digest()),
                           PlatformString(img.platform()), img.created(),
                           HumanBytes(img.total_size()), img.layers_size());
  }
}

void RenderImage(const v1::Image& img, const Style& s, std::ostream& out) {
  auto field = [&](const char* name, const std::string& value) {
    if (!value.empty()) {
      out << Paint(s, kBold, absl::StrFormat("%-20s", name)) << value << "\n";
    }
  };
  field("Tags", Tags(img));
  field("Manifest", img.manifest_digest() +
                        (img.manifest_synthesized() ? " (synthesized)" : ""));
  field("Manifest type", img.manifest_media_type());
  field("Config", img.config_digest());
  field("Config type", img.config_media_type());
  field("Index", img.index_digest());
  field("Platform", PlatformString(img.platform()));
  field("OS version", img.os_version());
  field("Created", img.created());
  field("Author", img.author());
  field("Docker version", img.docker_version());
  field("User", img.user());
  field("Working dir", img.working_dir());
  field("Entrypoint", absl::StrJoin(img.entrypoint(), " "));
  field("Cmd", absl::StrJoin(img.cmd(), " "));
  field("Stop signal", img.stop_signal());
  field("Exposed ports", absl::StrJoin(img.exposed_ports(), ", "));
  field("Volumes", absl::StrJoin(img.volumes(), ", "));
  // Inspected, not indexed: only the blobs' (compressed) sizes are known.
  int64_t blob_bytes = 0;
  for (const v1::Layer& l : img.layers()) blob_bytes += l.blob_size();
  const bool inspected = img.total_size() == 0 && blob_bytes > 0;
  field("Size", inspected ? HumanBytes(blob_bytes) + " compressed"
                          : HumanBytes(img.total_size()));
  field("Source", img.source());
  if (!img.env().empty()) {
    out << Paint(s, kBold, "Env") << "\n";
    for (const auto& e : img.env()) out << "  " << e << "\n";
  }
  if (!img.labels().empty()) {
    out << Paint(s, kBold, "Labels") << "\n";
    std::map<std::string, std::string> sorted(img.labels().begin(),
                                              img.labels().end());
    for (const auto& [k, v] : sorted) out << "  " << k << "=" << v << "\n";
  }
  out << Paint(s, kBold, "Layers") << "\n";
  for (const v1::Layer& l : img.layers()) {
    if (inspected) {
      out << absl::StrFormat("  %2d  %s  %10s compressed  %s\n", l.position(),
                             Short(l.diff_id()), HumanBytes(l.blob_size()),
                             Paint(s, kDim, l.created_by().substr(0, 80)));
      continue;
    }
    out << absl::StrFormat("  %2d  %s  %10s  %7d entries  %s\n", l.position(),
                           Short(l.diff_id()), HumanBytes(l.size()),
                           l.entry_count(),
                           Paint(s, kDim, l.created_by().substr(0, 80)));
  }
  if (!img.warnings().empty()) {
    out << Paint(s, kBold, "Warnings") << "\n";
    for (const auto& w : img.warnings()) {
      out << "  " << Paint(s, kYellow, w) << "\n";
    }
  }
}

void RenderFiles(const v1::ListFilesResponse& r, bool by_layer,
                 const Style& s, std::ostream& out) {
  int layer = -1;
  for (const v1::FileEntry& e : r.files()) {
    if (by_layer && e.layer() != layer) {
      layer = e.layer();
      out << Paint(s, kBold, absl::StrCat("layer ", layer)) << "\n";
    }
    std::string line = EntryLine(e);
    if (!by_layer) absl::StrAppend(&line, "  ", Paint(s, kDim, absl::StrCat("[", e.layer(), "]")));
    if (e.type() == v1::ENTRY_TYPE_WHITEOUT) line = Paint(s, kRed, line);
    out << (by_layer ? "  " : "") << line << "\n";
  }
}

void RenderDiff(const v1::ImageDiff& d, const Style& s, std::ostream& out) {
  out << Paint(s, kBold, "Images") << "\n  a " << d.image_a() << "\n  b "
      << d.image_b() << "\n";
  if (!d.metadata().empty()) {
    out << Paint(s, kBold, "Metadata") << "\n";
    for (const v1::FieldChange& c : d.metadata()) {
      std::string name = c.key().empty() ? c.field()
                                         : absl::StrCat(c.field(), " ", c.key());
      switch (c.kind()) {
        case v1::ADDED:
          out << Paint(s, kGreen, absl::StrCat("  + ", name, ": ", c.after()));
          break;
        case v1::REMOVED:
          out << Paint(s, kRed, absl::StrCat("  - ", name, ": ", c.before()));
          break;
        default:
          out << Paint(s, kYellow,
                       absl::StrCat("  ~ ", name, ": ", c.before(), " -> ",
                                    c.after()));
      }
      out << "\n";
    }
  }
  if (!d.history().empty()) {
    out << Paint(s, kBold, "History") << "\n";
    for (const v1::HistoryChange& h : d.history()) {
      bool add = h.kind() == v1::ADDED;
      out << Paint(s, add ? kGreen : kRed,
                   absl::StrCat("  ", add ? "+ " : "- ", h.index(), ": ",
                                h.created_by().substr(0, 100),
                                h.empty_layer() ? " (no layer)" : ""))
          << "\n";
    }
  }
  for (v1::ChangeKind kind : {v1::ADDED, v1::REMOVED, v1::CHANGED}) {
    std::vector<const v1::FileChange*> group;
    for (const auto& c : d.files()) {
      if (c.kind() == kind) group.push_back(&c);
    }
    if (group.empty()) continue;
    out << Paint(s, kBold, absl::StrCat("Files ", KindWord(kind), " (",
                                        group.size(), ")"))
        << "\n";
    for (const v1::FileChange* c : group) {
      if (kind == v1::ADDED) {
        out << Paint(s, kGreen, "  + " + EntryLine(c->after())) << "\n";
      } else if (kind == v1::REMOVED) {
        out << Paint(s, kRed, "  - " + EntryLine(c->before())) << "\n";
      } else {
        std::vector<std::string> what;
        for (const std::string& w : c->changed()) {
          if (w == "size") {
            what.push_back(absl::StrCat("size ", c->before().size(), " -> ",
                                        c->after().size()));
          } else if (w == "mode") {
            what.push_back(absl::StrCat("mode ", ModeString(c->before()),
                                        " -> ", ModeString(c->after())));
          } else if (w == "owner") {
            what.push_back(absl::StrCat(
                "owner ", c->before().uid(), ":", c->before().gid(), " -> ",
                c->after().uid(), ":", c->after().gid()));
          } else if (w == "link_target") {
            what.push_back(absl::StrCat("link ", c->before().link_target(),
                                        " -> ", c->after().link_target()));
          } else if (w == "type") {
            what.push_back(absl::StrCat("type ", std::string(1, TypeChar(c->before().type())),
                                        " -> ", std::string(1, TypeChar(c->after().type()))));
          } else {
            what.push_back(w);
          }
        }
        out << Paint(s, kYellow, absl::StrCat("  ~ ", c->path(), "  (",
                                              absl::StrJoin(what, ", "), ")"))
            << "\n";
      }
    }
  }
  if (!d.packages().empty()) {
    out << Paint(s, kBold, absl::StrCat("Packages (", d.packages_size(), ")")) << "\n";
    for (const v1::PackageChange& p : d.packages()) {
      std::string name = absl::StrCat(p.name(), p.arch().empty() ? "" : ":" + p.arch(),
                                      " [", p.ecosystem(), "]");
      if (p.kind() == v1::ADDED) {
        out << Paint(s, kGreen, absl::StrCat("  + ", name, " ", p.after())) << "\n";
      } else if (p.kind() == v1::REMOVED) {
        out << Paint(s, kRed, absl::StrCat("  - ", name, " ", p.before())) << "\n";
      } else {
        out << Paint(s, kYellow, absl::StrCat("  ~ ", name, " ", p.before(), " -> ",
                                              p.after(), " (", p.direction(), ")"))
            << "\n";
      }
    }
  }
  if (!d.configs().empty()) {
    out << Paint(s, kBold, absl::StrCat("Config files (", d.configs_size(), ")")) << "\n";
    for (const v1::ConfigChange& c : d.configs()) {
      out << "  " << Paint(s, kBold, c.path()) << "\n";
      if (c.unified_diff().empty()) {
        out << "    (content not kept: binary or over the size limit)\n";
        continue;
      }
      for (absl::string_view line : absl::StrSplit(c.unified_diff(), '\n')) {
        if (line.empty()) continue;
        const char* color = line[0] == '+' && !absl::StartsWith(line, "+++") ? kGreen
                            : line[0] == '-' && !absl::StartsWith(line, "---") ? kRed
                            : line[0] == '@' ? kDim : "";
        std::string text = absl::StrCat("    ", line);
        out << (color[0] ? Paint(s, color, text) : text) << "\n";
      }
    }
  }
  if (!d.accounts().empty()) {
    out << Paint(s, kBold, "Users and groups") << "\n";
    for (const v1::AccountChange& a : d.accounts()) {
      std::string head = absl::StrCat(a.what(), " ", a.name());
      if (a.kind() == v1::ADDED) {
        out << Paint(s, kGreen, absl::StrCat("  + ", head, ": ", a.after())) << "\n";
      } else if (a.kind() == v1::REMOVED) {
        out << Paint(s, kRed, absl::StrCat("  - ", head, ": ", a.before())) << "\n";
      } else {
        out << Paint(s, kYellow, absl::StrCat("  ~ ", head, ": ", a.before(), " -> ",
                                              a.after()))
            << "\n";
      }
    }
  }
  if (!d.services().empty()) {
    out << Paint(s, kBold, "Services") << "\n";
    for (const v1::ServiceChange& c : d.services()) {
      bool add = c.kind() == v1::ADDED;
      out << Paint(s, add ? kGreen : kRed,
                   absl::StrCat("  ", add ? "+ enabled " : "- disabled ", c.unit(),
                                " (", c.how(), " ", c.target(), ")"))
          << "\n";
    }
  }
  const v1::DiffSummary& sum = d.summary();
  out << Paint(s, kBold, "Summary") << "\n"
      << absl::StrFormat(
             "  files: %d added, %d removed, %d changed; metadata: %d "
             "changed; %d shared layers; %d paths examined in %.1f ms\n",
             sum.files_added(), sum.files_removed(), sum.files_changed(),
             sum.metadata_changed(), sum.shared_layers(), sum.paths_examined(),
             sum.server_millis());
  if (!d.packages().empty() || sum.configs_changed() > 0) {
    out << absl::StrFormat(
        "  packages: %d added, %d removed, %d upgraded, %d downgraded; "
        "config files: %d changed\n",
        sum.packages_added(), sum.packages_removed(), sum.packages_upgraded(),
        sum.packages_downgraded(), sum.configs_changed());
  }
}

void RenderIndexSummary(const v1::IndexSummary& sum, const Style& s,
                        std::ostream& out) {
  out << Paint(s, kBold, "Indexed ") << sum.manifest_digest() << "\n";
  if (!sum.index_digest().empty()) {
    std::vector<std::string> plats;
    for (const auto& p : sum.available_platforms()) {
      plats.push_back(PlatformString(p));
    }
    out << "  platform " << PlatformString(sum.platform()) << " picked from "
        << sum.index_digest() << " (" << absl::StrJoin(plats, ", ") << ")\n";
  } else {
    out << "  platform " << PlatformString(sum.platform()) << "\n";
  }
  out << "  config   " << sum.config_digest() << "\n";
  out << absl::StrFormat("  layers   %d new, %d already known%s\n",
                         sum.layers_new(), sum.layers_known(),
                         sum.already_indexed() ? " (image already indexed)"
                                               : "");
  out << absl::StrFormat("  entries  %d\n", sum.entries());
  if (sum.bytes_fetched() > 0) {
    out << absl::StrFormat("  fetched  %d bytes from the registry (%d layers "
                           "skipped: already indexed)\n",
                           sum.bytes_fetched(), sum.layers_known());
  }
  out << absl::StrFormat("  seconds  %.3f\n", sum.seconds());
  std::vector<std::string> tags;
  for (const auto& t : sum.tags()) tags.push_back(t.name() + ":" + t.tag());
  if (!tags.empty()) out << "  tags     " << absl::StrJoin(tags, ", ") << "\n";
  for (const auto& w : sum.warnings()) {
    out << Paint(s, kYellow, "  warning: " + w) << "\n";
  }
}

namespace {

std::string Drift(const v1::DriftSummary& d) {
  std::string s = absl::StrFormat("files +%d -%d ~%d", d.files_added(),
                                  d.files_removed(), d.files_changed());
  auto names = [&s](const char* what, const auto& list) {
    if (list.empty()) return;
    absl::StrAppend(&s, "; ", what, " ", absl::StrJoin(list, ","));
  };
  names("packages added", d.packages_added());
  names("removed", d.packages_removed());
  names("upgraded", d.packages_upgraded());
  names("downgraded", d.packages_downgraded());
  if (d.configs_changed() > 0) {
    absl::StrAppend(&s, "; configs ~", d.configs_changed());
  }
  if (!d.metadata_changed().empty()) {
    absl::StrAppend(&s, "; metadata ", absl::StrJoin(d.metadata_changed(), ","));
  }
  return s;
}

std::string Time(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

}  // namespace

void RenderHistory(const v1::TagHistoryResponse& h, const Style& s,
                   std::ostream& out) {
  if (h.tag().empty()) {
    out << Paint(s, kBold, absl::StrFormat("%-24s %-12s %6s", "TAG", "DIGEST",
                                           "MOVES"))
        << "\n";
    for (const auto& t : h.tags()) {
      out << absl::StrFormat("%-24s %-12s %6d\n", h.name() + ":" + t.tag(),
                             t.image().empty() ? "<removed>" : Short(t.image()),
                             t.moves());
    }
    return;
  }
  out << Paint(s, kBold, h.name() + ":" + h.tag()) << "\n";
  for (const auto& e : h.entries()) {
    out << absl::StrFormat("  %s  %s .. %s%s\n", Short(e.image()),
                           Time(e.first_seen()), Time(e.last_seen()),
                           e.current() ? Paint(s, kGreen, "  (current)") : "");
    if (e.has_drift()) {
      out << "      " << Paint(s, kDim, Drift(e.drift())) << "\n";
    }
  }
}

void RenderEvent(const v1::Event& e, const Style& s, std::ostream& out) {
  std::string line = absl::StrFormat(
      "%6d  %s  %-13s", e.seq(),
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                       absl::FromUnixMicros(e.committed_at_us()),
                       absl::UTCTimeZone()),
      v1::EventKind_Name(e.kind()));
  if (!e.name().empty()) {  // CONTAINER_DRIFT names a container, no tag
    absl::StrAppend(&line, "  ", e.name(), e.tag().empty() ? "" : ":", e.tag());
  }
  if (!e.old_image().empty()) {
    absl::StrAppend(&line, "  ", Short(e.old_image()), " -> ", Short(e.image()));
  } else if (!e.image().empty()) {  // POLICY_BOUND has none
    absl::StrAppend(&line, "  ", Short(e.image()));
  }
  if (e.has_drift()) absl::StrAppend(&line, "  ", Paint(s, kDim, Drift(e.drift())));
  if (e.has_policy()) {  // POLICY_VIOLATION
    absl::StrAppend(&line, "  policy ", e.policy().policy(), ": ", e.policy().verdict(),
                    " (", e.policy().violations_size(), " violated)");
  }
  out << line << "\n";
}

void RenderPackages(const v1::ListPackagesResponse& r, bool files,
                    const Style& s, std::ostream& out) {
  out << Paint(s, kBold, absl::StrFormat("%-4s %-32s %-28s %-8s %-24s %s", "TYPE",
                                         "NAME", "VERSION", "ARCH", "SOURCE",
                                         "LAYER"))
      << "\n";
  for (const v1::Package& p : r.packages()) {
    out << absl::StrFormat("%-4s %-32s %-28s %-8s %-24s %d  %s\n", p.ecosystem(),
                           p.name(), p.full_version(), p.arch(), p.source_name(),
                           p.layer(), Paint(s, kDim, p.created_by().substr(0, 60)));
    for (const v1::ConfigFileState& c : p.config_files()) {
      if (c.state() == "modified" || c.state() == "missing") {
        out << Paint(s, kYellow, absl::StrCat("       config ", c.path(), ": ", c.state()))
            << "\n";
      }
    }
    if (files) {
      for (const std::string& f : p.files()) out << "       " << f << "\n";
    }
  }
  for (const std::string& w : r.warnings()) {
    out << Paint(s, kYellow, "warning: " + w) << "\n";
  }
}

void RenderSystem(const v1::ImageSystem& sys, const Style& s, std::ostream& out) {
  if (!sys.os_release().empty()) {
    out << Paint(s, kBold, "OS release") << "  " << Paint(s, kDim, sys.os_release_path())
        << "\n";
    std::map<std::string, std::string> sorted(sys.os_release().begin(),
                                              sys.os_release().end());
    for (const auto& [k, v] : sorted) out << "  " << k << "=" << v << "\n";
  }
  out << Paint(s, kBold, absl::StrCat("Packages  ", sys.package_count())) << "\n";
  if (!sys.users().empty()) {
    out << Paint(s, kBold, absl::StrCat("Users (", sys.users_size(), ")")) << "\n";
    for (const v1::User& u : sys.users()) {
      out << absl::StrFormat("  %-16s %6d %6d  %-24s %-20s password %s\n", u.name(),
                             u.uid(), u.gid(), u.home(), u.shell(), u.password());
    }
  }
  if (!sys.groups().empty()) {
    out << Paint(s, kBold, absl::StrCat("Groups (", sys.groups_size(), ")")) << "\n";
    for (const v1::Group& g : sys.groups()) {
      out << absl::StrFormat("  %-16s %6d  %s\n", g.name(), g.gid(),
                             absl::StrJoin(g.members(), ","));
    }
  }
  if (!sys.services().empty()) {
    out << Paint(s, kBold, absl::StrCat("Enabled services (", sys.services_size(), ")"))
        << "\n";
    for (const v1::EnabledService& e : sys.services()) {
      out << absl::StrFormat("  %-32s %-8s %s%s\n", e.unit(), e.how(), e.target(),
                             e.vendor() ? " (vendor)" : "");
    }
  }
  for (const std::string& w : sys.warnings()) {
    out << Paint(s, kYellow, "warning: " + w) << "\n";
  }
}

void RenderWhoHas(const v1::WhoHasResponse& r, const Style& s, std::ostream& out) {
  for (const v1::WhoHasHit& h : r.hits()) {
    std::vector<std::string> tags;
    for (const auto& t : h.tags()) tags.push_back(t.name() + ":" + t.tag());
    out << absl::StrFormat("%-12s %-40s %s %s %s [%s]\n", Short(h.image()),
                           tags.empty() ? "<none>" : absl::StrJoin(tags, ","),
                           h.package().name(), h.package().full_version(),
                           h.package().arch(), h.package().ecosystem());
  }
  out << Paint(s, kDim, absl::StrCat(r.hits_size(), " packages in ", r.images(),
                                     " images"))
      << "\n";
}

void RenderFindFile(const v1::FindFileResponse& r, const Style& s,
                    std::ostream& out) {
  for (const v1::FindFileHit& h : r.hits()) {
    std::vector<std::string> tags;
    for (const auto& t : h.tags()) tags.push_back(t.name() + ":" + t.tag());
    out << absl::StrFormat("%-12s %-40s layer %d  %s\n", Short(h.image()),
                           tags.empty() ? "<none>" : absl::StrJoin(tags, ","),
                           h.entry().layer(), EntryLine(h.entry()));
  }
}

void RenderRepoWatches(const v1::ListRepoWatchesResponse& r, const Style& s,
                       std::ostream& out) {
  if (r.watches().empty()) {
    out << "no repository is watched\n";
    return;
  }
  out << Paint(s, kBold, absl::StrFormat("%-40s %-12s %8s  %-20s %s",
                                         "REPOSITORY", "TAGS", "EVERY",
                                         "LAST POLL", "LAST ERROR"))
      << "\n";
  for (const v1::RepoWatch& w : r.watches()) {
    out << absl::StrFormat("%-40s %-12s %7ds  %-20s %s\n", w.repository(),
                           w.tag_glob(), w.interval_seconds(),
                           w.last_poll().empty() ? "(not yet)" : w.last_poll(),
                           w.last_error().empty()
                               ? std::string("-")
                               : Paint(s, kYellow, w.last_error()));
  }
}

}  // namespace dci::cli
