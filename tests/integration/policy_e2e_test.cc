// Policies end to end: real sample images (scripts/make-sample-images.sh,
// make-rpm-image.sh) indexed by the real dcid, policies checked with the
// real dci, with the exact violations and evidence each image must give.
//
// Two more images are made here from the Debian sample the way a registry
// would receive them: "arm" is debian-v1's config with architecture arm64
// over the same layer; "risky" is debian-v1 plus one layer (an sshd_config
// allowing root logins, a setuid shell wrapper) with a config whose labels,
// user, ports, creation date and docker version break the usual rules.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/digest.h"
#include "tests/integration/harness.h"
#include "tests/integration/subscriber.h"
#include "tests/registry/registry_fixture.h"
#include "tests/testutil/tar_builder.h"

namespace dci::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

#define REQUIRE_SAMPLES()                                                      \
  do {                                                                         \
    if (!Exists(SamplesDir() + "/layout/index.json") ||                        \
        !Exists(SamplesDir() + "/rpm/layout/index.json")) {                    \
      if (std::getenv("CI")) FAIL() << "no sample images in " << SamplesDir(); \
      GTEST_SKIP() << "SKIPPED: no sample images in " << SamplesDir()          \
                   << "; run scripts/make-sample-images.sh";                   \
    }                                                                          \
  } while (0)

constexpr char kSshdConfig[] =
    "# sshd_config of the dci policy test image\n"
    "Port 22\n"
    "PermitRootLogin yes\n"
    "PasswordAuthentication yes\n";

std::string Blob(const std::string& layout, const std::string& digest) {
  return layout + "/blobs/sha256/" + digest.substr(7);
}

std::string WriteBlob(const std::string& layout, const std::string& data) {
  std::string digest = Sha256::Of(data);
  std::ofstream(Blob(layout, digest), std::ios::binary) << data;
  return digest;
}

// The Debian sample's v1 manifest and config.
struct Sample {
  json manifest;
  json config;
};

Sample DebianV1() {
  const std::string layout = SamplesDir() + "/layout";
  json index = json::parse(ReadFile(layout + "/index.json"));
  for (const json& m : index["manifests"]) {
    if (m["annotations"]["org.opencontainers.image.ref.name"] == "debian-v1") {
      Sample s;
      s.manifest = json::parse(ReadFile(Blob(layout, m["digest"])));
      s.config = json::parse(ReadFile(Blob(layout, s.manifest["config"]["digest"])));
      return s;
    }
  }
  return {};
}

// Writes the "arm" and "risky" images into a new OCI layout at `dir`.
void MakePolicyLayout(const std::string& dir) {
  fs::create_directories(dir + "/blobs/sha256");
  std::ofstream(dir + "/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  Sample v1 = DebianV1();
  const json base_layer = v1.manifest["layers"][0];
  fs::copy_file(Blob(SamplesDir() + "/layout", base_layer["digest"]),
                Blob(dir, base_layer["digest"]));

  auto manifest_for = [&](const json& config, const std::vector<json>& layers) {
    const std::string config_text = config.dump();
    json m = {{"schemaVersion", 2},
              {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
              {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                          {"digest", WriteBlob(dir, config_text)},
                          {"size", config_text.size()}}},
              {"layers", layers}};
    const std::string text = m.dump();
    return json{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                {"digest", WriteBlob(dir, text)},
                {"size", text.size()}};
  };

  json arm = v1.config;
  arm["architecture"] = "arm64";
  arm["config"]["Labels"]["build-host"] = "rcm-img-docker12.build.example.com";
  json arm_desc = manifest_for(arm, {base_layer});
  arm_desc["annotations"] = {{"org.opencontainers.image.ref.name", "arm"}};

  TarBuilder t;
  t.Dir("etc/ssh").File("etc/ssh/sshd_config", kSshdConfig);
  t.File("usr/local/bin/backdoor", "#!/bin/sh\nexec /bin/sh \"$@\"\n", 04755);
  const std::string tar = t.Finish();
  const std::string gz = Gzip(tar);
  json layer = {{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                {"digest", WriteBlob(dir, gz)},
                {"size", gz.size()}};
  json risky = v1.config;
  risky["created"] = "2015-06-01T00:00:00Z";
  risky["docker_version"] = "1.12.6";
  risky["config"]["User"] = "";
  risky["config"]["ExposedPorts"]["22/tcp"] = json::object();
  risky["config"]["Labels"]["RUN"] =
      "docker run -d --privileged --net=host -v /:/host IMAGE";
  risky["config"]["Labels"]["build-host"] = "laptop-7.example.com";
  risky["rootfs"]["diff_ids"].push_back(Sha256::Of(tar));
  risky["history"].push_back({{"created", "2015-06-01T00:00:00Z"},
                              {"created_by", "add sshd_config and backdoor"}});
  json risky_desc = manifest_for(risky, {base_layer, layer});
  risky_desc["annotations"] = {{"org.opencontainers.image.ref.name", "risky"}};

  json index = {{"schemaVersion", 2}, {"manifests", {arm_desc, risky_desc}}};
  std::ofstream(dir + "/index.json") << index.dump();
}

// `dpkg-query -W` on a reference unpack: "NAME VERSION" per package.
std::map<std::string, std::string> DpkgVersions(const std::string& ref) {
  CommandResult r = RunCommand(
      {"/usr/bin/dpkg-query", "--admindir=" + SamplesDir() + "/refs/" + ref + "/rootfs/var/lib/dpkg",
       "-W", "-f=${Package} ${Version}\\n"});
  std::map<std::string, std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    size_t sp = line.find(' ');
    if (sp != std::string::npos) out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

// Paths of a reference tree listing (expected/*.tree.tsv) that are not
// directories and have one of `bits` in their mode.
std::vector<std::string> PathsWithModeBits(const std::string& tsv, unsigned bits) {
  std::vector<std::string> out;
  std::istringstream in(ReadFile(tsv));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 3 || f[1] == "d" || f[1] == "l") continue;
    if (std::stoul(f[2], nullptr, 8) & bits) out.push_back(f[0]);
  }
  return out;
}

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

class PolicyE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!Exists(SamplesDir() + "/layout/index.json") ||
        !Exists(SamplesDir() + "/rpm/layout/index.json")) {
      return;
    }
    char tmpl[] = "/tmp/dci-policy-e2e-XXXXXX";
    dir_ = new std::string(mkdtemp(tmpl));
    MakePolicyLayout(*dir_ + "/layout");
    dcid_ = new DcidProcess();
    if (!dcid_->ok()) return;
    const std::string s = SamplesDir();
    for (const auto& [ref, tag] : std::vector<std::pair<std::string, std::string>>{
             {"oci:" + s + "/layout:debian-v1", "deb:1"},
             {"oci:" + s + "/layout:debian-v2", "deb:2"},
             {"oci:" + *dir_ + "/layout:risky", "risky:1"},
             {"oci:" + s + "/rpm/layout:rpm-v1", "rpm:1"},
             {"oci:" + s + "/rpm/layout:rpm-v2", "rpm:2"},
             {"oci:" + s + "/rpm/layout:rpm-v3", "rpm:3"}}) {
      CommandResult r = dcid_->Dci({"index", ref, "--tag", tag});
      if (r.exit_code != 0) ADD_FAILURE() << ref << ": " << r.err;
    }
    CommandResult r = dcid_->Dci({"index", "oci:" + *dir_ + "/layout:arm", "--tag",
                                  "arm:1", "--platform", "linux/arm64"});
    if (r.exit_code != 0) ADD_FAILURE() << "arm: " << r.err;
  }
  static void TearDownTestSuite() {
    delete dcid_;
    dcid_ = nullptr;
    if (dir_ != nullptr) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (dcid_ != nullptr) {
      ASSERT_TRUE(dcid_->ok());
    }
  }

  // `dci policy check IMAGE --policy FILE --output json`: the verdict, and
  // the exit code in *code.
  json Check(const std::string& image, const std::string& policy_text, int* code,
             std::vector<std::string> extra = {}) {
    const std::string file = WriteFile(*dir_ + "/policy.yaml", policy_text);
    std::vector<std::string> args = {"--output", "json", "policy", "check", image,
                                     "--policy", file};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = dcid_->Dci(args);
    *code = r.exit_code;
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 4) << r.err;
    return r.out.empty() ? json::object() : json::parse(r.out);
  }

  static std::string* dir_;
  static DcidProcess* dcid_;
};
std::string* PolicyE2E::dir_ = nullptr;
DcidProcess* PolicyE2E::dcid_ = nullptr;

// "rule: message | message" per violation, in rule order.
std::vector<std::string> Violations(const json& verdict) {
  std::vector<std::string> out;
  for (const json& v : verdict["violations"]) {
    std::string line = v["rule"].get<std::string>() + " [" +
                       v["severity"].get<std::string>() + "]:";
    for (const json& e : v["evidence"]) line += " " + e["message"].get<std::string>() + " |";
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> EvidencePaths(const json& violation) {
  std::vector<std::string> out;
  for (const json& e : violation["evidence"]) out.push_back(e["path"]);
  return out;
}

constexpr char kArchOnly[] = R"(rules:
  - id: amd64-only
    description: x86_64 nodes only
    severity: deny
    metadata: {field: architecture, not_in: [amd64, x86_64]}
)";

TEST_F(PolicyE2E, ArchitectureRulePassesAmd64AndDeniesArm64) {
  REQUIRE_SAMPLES();
  int code = -1;
  json deb = Check("deb:1", kArchOnly, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(deb["verdict"], "pass");
  EXPECT_EQ(deb["rules"], 1);
  EXPECT_TRUE(deb["violations"].empty());

  json arm = Check("arm:1", kArchOnly, &code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(arm["verdict"], "deny");
  ASSERT_EQ(arm["violations"].size(), 1u);
  const json& v = arm["violations"][0];
  EXPECT_EQ(v["rule"], "amd64-only");
  EXPECT_EQ(v["description"], "x86_64 nodes only");
  EXPECT_EQ(v["severity"], "deny");
  ASSERT_EQ(v["evidence"].size(), 1u);
  EXPECT_EQ(v["evidence"][0]["subject"], "metadata");
  EXPECT_EQ(v["evidence"][0]["field"], "architecture");
  EXPECT_EQ(v["evidence"][0]["value"], "arm64");
  EXPECT_EQ(v["evidence"][0]["message"],
            "architecture is \"arm64\" (not one of \"amd64\", \"x86_64\")");
}

TEST_F(PolicyE2E, MetadataRulesGiveTheLabelUserAndDateThatBrokeThem) {
  REQUIRE_SAMPLES();
  const std::string policy = R"(name: metadata
rules:
  - id: no-privileged-run
    severity: deny
    metadata: {field: label, key: RUN, contains: [--privileged, --net=host, --pid=host]}
  - id: build-host
    severity: deny
    metadata: {field: label, key: build-host, not_matches: '^rcm-img-docker\d+\.build\.'}
  - id: stale
    severity: warn
    metadata: {field: age_days, greater_than: 1000}
  - id: root-user
    severity: warn
    metadata: {field: user, matches: '^(|root|0)(:.*)?$'}
  - id: old-docker
    severity: warn
    metadata: {field: docker_version, version: '<18.09'}
  - id: ssh-port
    severity: info
    metadata: {field: exposed_ports, in: [22/tcp]}
)";
  int code = -1;
  json risky = Check("risky:1", policy, &code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(risky["verdict"], "deny");
  EXPECT_EQ(risky["policy"], "metadata");
  const int64_t days =
      (absl::ToUnixSeconds(absl::Now()) - absl::ToUnixSeconds(absl::FromCivil(
                                              absl::CivilSecond(2015, 6, 1), absl::UTCTimeZone()))) /
      86400;
  EXPECT_EQ(Violations(risky),
            (std::vector<std::string>{
                "no-privileged-run [deny]: label RUN \"docker run -d --privileged "
                "--net=host -v /:/host IMAGE\" contains \"--privileged\", \"--net=host\" |",
                "build-host [deny]: label build-host \"laptop-7.example.com\" does not "
                "match /^rcm-img-docker\\d+\\.build\\./ |",
                absl::StrCat("stale [warn]: created 2015-06-01T00:00:00Z, ", days,
                             " days ago (more than 1000) |"),
                "root-user [warn]: user \"\" matches /^(|root|0)(:.*)?$/ |",
                "old-docker [warn]: docker_version \"1.12.6\" is within <18.09 |",
                "ssh-port [info]: exposed_ports is \"22/tcp\" (one of \"22/tcp\") |"}));
  EXPECT_EQ(risky["violations"][1]["evidence"][0]["field"], "label:build-host");
  EXPECT_EQ(risky["violations"][1]["evidence"][0]["value"], "laptop-7.example.com");

  // The arm image has the release farm's build host; the Debian sample has
  // no build-host label at all, which the rule also refuses.
  json arm = Check("arm:1", policy, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(arm["verdict"], "pass");
  json deb = Check("deb:1", policy, &code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(Violations(deb),
            (std::vector<std::string>{"build-host [deny]: label build-host is absent |"}));
}

TEST_F(PolicyE2E, ExitCodesForCi) {
  REQUIRE_SAMPLES();
  const std::string warn_only = R"(rules:
  - id: old
    severity: warn
    metadata: {field: age_days, greater_than: 100}
)";
  int code = -1;
  EXPECT_EQ(Check("deb:1", warn_only, &code)["verdict"], "warn");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(Check("deb:1", warn_only, &code, {"--fail-on", "warn"})["verdict"], "warn");
  EXPECT_EQ(code, 1);
  Check("arm:1", kArchOnly, &code, {"--fail-on", "warn"});
  EXPECT_EQ(code, 4);

  // A policy file with a typo: its line and column, exit 1, no verdict.
  const std::string bad = WriteFile(*dir_ + "/bad.yaml",
                                    "rules:\n  - id: a\n    serverity: deny\n"
                                    "    metadata: {field: os, equals: linux}\n");
  CommandResult r = dcid_->Dci({"policy", "check", "deb:1", "--policy", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, absl::StrCat("dci: ", bad,
                                ":3:5: unknown field \"serverity\" in a rule (want id, "
                                "description, severity, metadata, package, package_count, "
                                "file, config, drift, all, any, not)\n"));
  r = dcid_->Dci({"policy", "check", "nosuch:1", "--policy", *dir_ + "/policy.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  r = dcid_->Dci({"policy", "check", "deb:1"});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(PolicyE2E, PackageRangeMatchesExactlyTheImagesWhoseVersionIsInIt) {
  REQUIRE_SAMPLES();
  // rpm's order: dci-conf 1.0-1 (rpm-v1) is below 2.0, 2.0-1 (v2, v3) is not.
  const std::string policy = R"(rules:
  - id: old-dci-conf
    severity: deny
    package: {name: dci-conf, ecosystem: rpm, version: '<2.0'}
)";
  int code = -1;
  json v1 = Check("rpm:1", policy, &code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(Violations(v1),
            (std::vector<std::string>{
                "old-dci-conf [deny]: rpm dci-conf 1.0-1 (var/lib/rpm/rpmdb.sqlite) is "
                "within <2.0 |"}));
  EXPECT_EQ(v1["violations"][0]["evidence"][0]["package"], "rpm dci-conf");
  EXPECT_EQ(v1["violations"][0]["evidence"][0]["version"], "1.0-1");
  EXPECT_EQ(Check("rpm:2", policy, &code)["verdict"], "pass");
  EXPECT_EQ(Check("rpm:3", policy, &code)["verdict"], "pass");

  // dpkg's order, against the versions dpkg-query reads from the unpacks.
  const std::map<std::string, std::string> v1_pkgs = DpkgVersions("debian-v1");
  const std::map<std::string, std::string> v2_pkgs = DpkgVersions("debian-v2");
  ASSERT_TRUE(v1_pkgs.count("libc6"));
  ASSERT_TRUE(v2_pkgs.count("less"));
  const std::string libc = R"(rules:
  - id: libc
    severity: warn
    package: {name: libc6, version: '>=2.36,<2.37'}
  - id: pager
    severity: deny
    package: {name: less, version: '>=590'}
)";
  json deb1 = Check("deb:1", libc, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(Violations(deb1),
            (std::vector<std::string>{absl::StrCat(
                "libc [warn]: deb libc6 ", v1_pkgs.at("libc6"),
                " (var/lib/dpkg/status) is within >=2.36,<2.37 |")}));
  json deb2 = Check("deb:2", libc, &code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(Violations(deb2),
            (std::vector<std::string>{
                absl::StrCat("libc [warn]: deb libc6 ", v2_pkgs.at("libc6"),
                             " (var/lib/dpkg/status) is within >=2.36,<2.37 |"),
                absl::StrCat("pager [deny]: deb less ", v2_pkgs.at("less"),
                             " (var/lib/dpkg/status) is within >=590 |")}));
  // A required package, and a package count.
  json req = Check("deb:1", R"(rules:
  - id: needs-ca
    severity: deny
    not: {package: {name: ca-certificates}}
  - id: too-many
    severity: warn
    package_count: {greater_than: 50, ecosystem: deb}
)", &code);
  EXPECT_EQ(Violations(req),
            (std::vector<std::string>{
                "needs-ca [deny]: none found: package ca-certificates |",
                absl::StrCat("too-many [warn]: ", v1_pkgs.size(),
                             " deb packages (more than 50) |")}));
}

TEST_F(PolicyE2E, SetuidFilesOutsideTheAllowlist) {
  REQUIRE_SAMPLES();
  const std::string policy = R"(rules:
  - id: setuid
    severity: deny
    file: {setuid: true, except: [usr/bin/su, /usr/bin/passwd]}
)";
  std::vector<std::string> want;
  for (const std::string& p :
       PathsWithModeBits(SamplesDir() + "/expected/debian-v1.tree.tsv", 04000)) {
    if (p != "usr/bin/su" && p != "usr/bin/passwd") want.push_back(p);
  }
  ASSERT_EQ(want.size(), 6u);  // chfn chsh gpasswd mount newgrp umount
  int code = -1;
  json deb = Check("deb:1", policy, &code);
  EXPECT_EQ(code, 4);
  ASSERT_EQ(deb["violations"].size(), 1u);
  EXPECT_EQ(EvidencePaths(deb["violations"][0]), want);
  EXPECT_EQ(deb["violations"][0]["evidence"][0]["message"],
            "usr/bin/chfn (file, mode 4755, owner 0:0)");
  EXPECT_EQ(deb["violations"][0]["evidence"][0]["value"], "4755");

  want.push_back("usr/local/bin/backdoor");  // in path order
  json risky = Check("risky:1", policy, &code);
  EXPECT_EQ(EvidencePaths(risky["violations"][0]), want);
}

TEST_F(PolicyE2E, ConfigRegexGivesTheLineAndItsNumber) {
  REQUIRE_SAMPLES();
  const std::string policy = R"(rules:
  - id: ssh-root-login
    severity: deny
    config: {path: /etc/ssh/sshd_config, matches: '^\s*PermitRootLogin\s+yes'}
  - id: extra-groups
    severity: info
    config: {path: 'etc/*.conf', matches: '^EXTRA_GROUPS='}
  - id: edited
    severity: warn
    config: {modified: true}
)";
  int code = -1;
  json risky = Check("risky:1", policy, &code);
  EXPECT_EQ(code, 4);
  ASSERT_EQ(risky["violations"].size(), 1u);
  const json& e = risky["violations"][0]["evidence"][0];
  EXPECT_EQ(e["path"], "etc/ssh/sshd_config");
  EXPECT_EQ(e["line"], 3);
  EXPECT_EQ(e["value"], "PermitRootLogin yes");
  EXPECT_EQ(e["message"], "etc/ssh/sshd_config:3: PermitRootLogin yes");

  // debian-v2 appended EXTRA_GROUPS="users" to adduser.conf, a conffile.
  int line = 0, n = 0;
  std::istringstream conf(ReadFile(SamplesDir() + "/refs/debian-v2/rootfs/etc/adduser.conf"));
  for (std::string l; std::getline(conf, l);) {
    ++n;
    if (l.rfind("EXTRA_GROUPS=", 0) == 0) line = n;
  }
  ASSERT_GT(line, 0);
  const std::string adduser = DpkgVersions("debian-v2").at("adduser");
  json deb2 = Check("deb:2", policy, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(Violations(deb2),
            (std::vector<std::string>{
                absl::StrCat("extra-groups [info]: etc/adduser.conf:", line,
                             ": EXTRA_GROUPS=\"users\" |"),
                absl::StrCat("edited [warn]: etc/adduser.conf: packaged config of deb adduser ",
                             adduser, " is modified |")}));
  EXPECT_EQ(Check("deb:1", policy, &code)["verdict"], "pass");
  // rpm-v3 edited etc/dci-test.conf by hand.
  json rpm3 = Check("rpm:3", policy, &code);
  EXPECT_EQ(Violations(rpm3),
            (std::vector<std::string>{
                "edited [warn]: etc/dci-test.conf: packaged config of rpm dci-conf 2.0-1 "
                "is modified |"}));
}

TEST_F(PolicyE2E, DriftAgainstThePreviousVersionOfTheTag) {
  REQUIRE_SAMPLES();
  const std::string s = SamplesDir();
  const std::string drift =
      ReadFile(std::string(DCI_SOURCE_DIR) + "/examples/policies/drift.yaml");
  ASSERT_FALSE(drift.empty());
  ASSERT_EQ(dcid_->Dci({"index", "oci:" + s + "/layout:debian-v1", "--tag", "app:1"}).exit_code, 0);
  int code = -1;
  json first = Check("app:1", drift, &code);
  EXPECT_EQ(first["verdict"], "pass");
  ASSERT_EQ(first["notEvaluated"].size(), 4u);
  EXPECT_EQ(first["notEvaluated"][0]["rule"], "new-setuid");
  EXPECT_EQ(first["notEvaluated"][0]["reason"], "no previous version of app:1 to compare with");

  // v1 -> v2: four new packages, a label removed, no new setuid file.
  ASSERT_EQ(dcid_->Dci({"index", "oci:" + s + "/layout:debian-v2", "--tag", "app:1"}).exit_code, 0);
  const std::map<std::string, std::string> v1 = DpkgVersions("debian-v1");
  const std::map<std::string, std::string> v2 = DpkgVersions("debian-v2");
  const std::string since = absl::StrCat(
      " since app:1@", json::parse(dcid_->Dci({"--output", "json", "show", "deb:1"}).out)
                           ["manifestDigest"].get<std::string>());
  std::string new_pkgs = "new-packages [warn]:";
  for (const auto& [name, version] : v2) {
    if (!v1.count(name)) absl::StrAppend(&new_pkgs, " deb ", name, " ", version, " is new", since, " |");
  }
  json second = Check("app:1", drift, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(second["verdict"], "warn");
  EXPECT_TRUE(second["notEvaluated"].empty());
  EXPECT_EQ(second["comparedWith"], since.substr(7));
  EXPECT_EQ(Violations(second),
            (std::vector<std::string>{
                new_pkgs,
                absl::StrCat("label-removed [warn]: label dci.sample.removed-in (was \"v2\") "
                             "removed", since, " |")}));
  EXPECT_EQ(second["violations"][0]["evidence"].size(), 4u);  // less procps + 2 libs

  // v2 -> risky: a new setuid file and the user changed.
  ASSERT_EQ(dcid_->Dci({"index", "oci:" + *dir_ + "/layout:risky", "--tag", "app:1"}).exit_code, 0);
  const std::string since2 = absl::StrCat(
      " since app:1@", json::parse(dcid_->Dci({"--output", "json", "show", "deb:2"}).out)
                           ["manifestDigest"].get<std::string>());
  json third = Check("app:1", drift, &code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(Violations(third),
            (std::vector<std::string>{
                absl::StrCat("new-setuid [deny]: usr/local/bin/backdoor is setuid now (mode "
                             "4755, owner 0:0), was absent", since2, " |"),
                absl::StrCat("platform-or-user-changed [deny]: user changed from "
                             "\"65534:65534\" to \"\"", since2, " |"),
                absl::StrCat("label-removed [warn]: label dci.sample.added-in (was \"v2\") "
                             "removed", since2, " |")}));
  // --against names the image to compare with.
  json against = Check("risky:1", drift, &code, {"--against", "deb:1"});
  EXPECT_EQ(against["comparedWith"],
            absl::StrCat("deb:1@", json::parse(dcid_->Dci({"--output", "json", "show",
                                                            "deb:1"}).out)["manifestDigest"]
                                       .get<std::string>()));
  EXPECT_EQ(against["violations"][0]["rule"], "new-setuid");
}

TEST_F(PolicyE2E, InspectJudgesMetadataRulesAndListsTheOthers) {
  REQUIRE_SAMPLES();
  const std::string file = std::string(DCI_SOURCE_DIR) + "/examples/policies/registry-admission.yaml";
  CommandResult r = dcid_->Dci({"--output", "json", "inspect",
                                "oci:" + *dir_ + "/layout:risky", "--policy", file});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  json img = json::parse(r.out);
  ASSERT_EQ(img["policyVerdicts"].size(), 1u);
  const json& v = img["policyVerdicts"][0];
  EXPECT_EQ(v["policy"], "registry-admission");
  EXPECT_EQ(v["verdict"], "deny");
  EXPECT_EQ(Violations(v),
            (std::vector<std::string>{
                "build-host [deny]: label build-host \"laptop-7.example.com\" does not match "
                "/^rcm-img-docker\\d+\\.build\\./ |",
                "no-ssh-port [deny]: exposed_ports is \"22/tcp\" (one of \"22/tcp\") |"}));
  ASSERT_EQ(v["notEvaluated"].size(), 1u);
  EXPECT_EQ(v["notEvaluated"][0]["rule"], "no-sudo");
  EXPECT_EQ(v["notEvaluated"][0]["reason"],
            "needs the image's packages (its layers are not indexed)");
  // Nothing was stored by inspect.
  EXPECT_EQ(dcid_->Dci({"show", img["manifestDigest"].get<std::string>().substr(0, 20)}).exit_code,
            0);  // risky itself was indexed by the suite
  r = dcid_->Dci({"inspect", "oci:" + *dir_ + "/layout:arm", "--platform", "linux/arm64",
                  "--policy", file});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.out.find("DENY  amd64-only\n        architecture is \"arm64\" (not one of "
                       "\"amd64\", \"x86_64\")\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("not evaluated  no-sudo: needs the image's packages"), std::string::npos);
}

// Before download: a loopback docker-registry holds "risky" with its layer
// blobs deleted from the registry's storage, so any layer fetch would fail;
// inspect --policy still judges every metadata rule.
TEST_F(PolicyE2E, InspectFromARegistryFetchesNoLayer) {
  REQUIRE_SAMPLES();
  const std::string storage = *dir_ + "/registry";
  fs::create_directories(storage);
  RegistryProcess registry(storage, "");
  ASSERT_TRUE(registry.ok()) << registry.log();
  std::string out;
  const std::string ref = absl::StrCat("docker://", registry.address(), "/team/risky:1");
  ASSERT_EQ(testing::Run({"/usr/bin/skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                 "oci:" + *dir_ + "/layout:risky", ref}, &out), 0) << out;
  const std::string blobs = storage + "/docker/registry/v2/blobs/sha256";
  json manifest = json::parse(ReadFile(Blob(*dir_ + "/layout", json::parse(ReadFile(
      *dir_ + "/layout/index.json"))["manifests"][1]["digest"])));
  int removed = 0;
  for (const json& l : manifest["layers"]) {
    const std::string hex = l["digest"].get<std::string>().substr(7);
    removed += fs::remove(blobs + "/" + hex.substr(0, 2) + "/" + hex + "/data") ? 1 : 0;
  }
  ASSERT_EQ(removed, 2);
  // The proof that the blobs are gone: indexing needs them, and they are
  // not found.
  DcidProcess fresh;
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh.Dci({"index", ref, "--tls-verify=false"}).exit_code, 2);

  CommandResult r = fresh.Dci({"--output", "json", "inspect", ref, "--tls-verify=false",
                               "--policy", std::string(DCI_SOURCE_DIR) +
                                               "/examples/policies/registry-admission.yaml"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  json img = json::parse(r.out);
  ASSERT_EQ(img["policyVerdicts"].size(), 1u);
  const json& v = img["policyVerdicts"][0];
  EXPECT_EQ(v["verdict"], "deny");
  EXPECT_EQ(Violations(v),
            (std::vector<std::string>{
                "build-host [deny]: label build-host \"laptop-7.example.com\" does not match "
                "/^rcm-img-docker\\d+\\.build\\./ |",
                "no-ssh-port [deny]: exposed_ports is \"22/tcp\" (one of \"22/tcp\") |"}));
  ASSERT_EQ(v["notEvaluated"].size(), 1u);
  EXPECT_EQ(v["notEvaluated"][0]["rule"], "no-sudo");
  EXPECT_EQ(json::parse(fresh.Dci({"--output", "json", "images"}).out)["images"].size(), 0u);
}

// Bound policies: evaluated when a matching image is indexed or its tag
// moves; the verdict is stored with the image and one POLICY_VIOLATION
// event per violating image reaches subscribers.
// Denies setuid files outside debian's own, warns about less.
constexpr char kGuardPolicy[] = R"(description: the cluster's guard
rules:
  - id: setuid
    severity: deny
    file: {setuid: true, except: [usr/bin/su, usr/bin/passwd, usr/bin/mount, usr/bin/umount,
                                  usr/bin/newgrp, usr/bin/chsh, usr/bin/chfn, usr/bin/gpasswd]}
  - id: pager
    severity: warn
    package: {name: less}
)";

TEST(PolicyBound, EvaluatedOnIndexStoredAndReported) {
  REQUIRE_SAMPLES();
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  char tmpl[] = "/tmp/dci-policy-bound-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  MakePolicyLayout(dir + "/layout");
  const std::string file = WriteFile(dir + "/guard.yaml", kGuardPolicy);
  v1::SubscribeRequest req;
  req.set_since(0);
  req.add_kinds(v1::POLICY_VIOLATION);
  Subscriber sub(dcid.address(), req);

  CommandResult r = dcid.Dci({"policy", "add", "guard", file, "--images", "app:*"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "policy guard (2 rules) bound to images app:*\n");
  r = dcid.Dci({"policy", "list"});
  EXPECT_NE(r.out.find("guard                    app:*                                2  "),
            std::string::npos) << r.out;
  r = dcid.Dci({"policy", "show", "guard"});
  EXPECT_NE(r.out.find("  - id: pager\n"), std::string::npos);

  const std::string s = SamplesDir();
  // dci index prints the bound policies' verdicts; --fail-on makes them
  // its exit code.
  r = dcid.Dci({"index", "oci:" + s + "/layout:debian-v1", "--tag", "app:1", "--fail-on", "warn"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nPolicies:\n  policy guard on sha256:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" (app:1): pass\n"), std::string::npos) << r.out;
  r = dcid.Dci({"--output", "json", "index", "oci:" + dir + "/layout:risky", "--tag", "other:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["policyVerdicts"], json::array()) << r.out;  // not bound to other:*
  r = dcid.Dci({"--output", "json", "index", "oci:" + s + "/layout:debian-v2", "--tag", "app:2",
                "--fail-on", "warn"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // warn, with --fail-on warn
  json v2_index = json::parse(r.out);
  ASSERT_EQ(v2_index["policyVerdicts"].size(), 1u) << r.out;
  EXPECT_EQ(v2_index["policyVerdicts"][0]["policy"], "guard");
  EXPECT_EQ(v2_index["policyVerdicts"][0]["verdict"], "warn");
  EXPECT_EQ(v2_index["policyVerdicts"][0]["tag"], "app:2");
  EXPECT_EQ(v2_index["policyVerdicts"][0]["violations"][0]["rule"], "pager");
  r = dcid.Dci({"index", "oci:" + dir + "/layout:risky", "--tag", "app:3", "--fail-on", "deny"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.out.find(" (app:3): deny\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("usr/local/bin/backdoor"), std::string::npos) << r.out;
  EXPECT_EQ(dcid.Dci({"index", "oci:" + dir + "/layout:risky", "--fail-on", "never"}).exit_code,
            1);

  // debian-v1 passes (its setuid files are all allowed, no less); v2 brings
  // less (warn); risky brings a setuid file (deny) once tagged app:3.
  std::vector<v1::Event> events = sub.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  auto digest_of = [&dcid](const std::string& image) {
    return json::parse(dcid.Dci({"--output", "json", "show", image}).out)["manifestDigest"]
        .get<std::string>();
  };
  EXPECT_EQ(events[0].kind(), v1::POLICY_VIOLATION);
  EXPECT_EQ(events[0].name(), "app");
  EXPECT_EQ(events[0].tag(), "2");
  EXPECT_EQ(events[0].image(), digest_of("app:2"));
  EXPECT_EQ(events[0].policy().policy(), "guard");
  EXPECT_EQ(events[0].policy().verdict(), "warn");
  ASSERT_EQ(events[0].policy().violations_size(), 1);
  EXPECT_EQ(events[0].policy().violations(0).evidence(0).message(),
            absl::StrCat("deb less ", DpkgVersions("debian-v2").at("less"),
                         " (var/lib/dpkg/status)"));
  EXPECT_EQ(events[1].name(), "app");
  EXPECT_EQ(events[1].tag(), "3");
  EXPECT_EQ(events[1].image(), digest_of("app:3"));
  EXPECT_EQ(events[1].policy().verdict(), "deny");
  ASSERT_EQ(events[1].policy().violations_size(), 1);
  EXPECT_EQ(events[1].policy().violations(0).evidence(0).path(), "usr/local/bin/backdoor");
  EXPECT_EQ(events[1].policy().event_seq(), events[1].seq());

  // Stored with the image: dci show, and the admission Check.
  json v1_show = json::parse(dcid.Dci({"--output", "json", "show", "app:1"}).out);
  ASSERT_EQ(v1_show["policyVerdicts"].size(), 1u);
  EXPECT_EQ(v1_show["policyVerdicts"][0]["verdict"], "pass");
  EXPECT_EQ(v1_show["policyVerdicts"][0]["tag"], "app:1");
  EXPECT_EQ(v1_show["policyVerdicts"][0]["eventSeq"], "0");
  json v3_show = json::parse(dcid.Dci({"--output", "json", "show", "app:3"}).out);
  ASSERT_EQ(v3_show["policyVerdicts"].size(), 1u);
  EXPECT_EQ(v3_show["policyVerdicts"][0]["verdict"], "deny");
  EXPECT_EQ(v3_show["policyVerdicts"][0]["eventSeq"], std::to_string(events[1].seq()));
  r = dcid.Dci({"show", "app:3"});
  EXPECT_NE(r.out.find("Policies:\n  policy guard on "), std::string::npos) << r.out;

  r = dcid.Dci({"admit", "app:3"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.out.find("  guard/setuid: usr/local/bin/backdoor (file, mode 4755, owner 0:0)\n"),
            std::string::npos) << r.out;
  EXPECT_EQ(dcid.Dci({"admit", "app:2"}).exit_code, 0);  // warn is allowed
  EXPECT_EQ(dcid.Dci({"admit", "app:1"}).exit_code, 0);

  // One event per violating image, no more: app:1 passed, other:1 is not
  // bound.
  EXPECT_EQ(sub.WaitFor(3, absl::Seconds(1)).size(), 2u);
  sub.Stop();

  // The verdicts survive a restart; removing the policy stops evaluations.
  ASSERT_TRUE(dcid.Restart());
  EXPECT_EQ(json::parse(dcid.Dci({"--output", "json", "show", "app:3"}).out)
                ["policyVerdicts"][0]["verdict"], "deny");
  EXPECT_EQ(dcid.Dci({"policy", "remove", "guard"}).exit_code, 0);
  EXPECT_EQ(dcid.Dci({"policy", "remove", "guard"}).exit_code, 2);
  r = dcid.Dci({"--output", "json", "index", "oci:" + dir + "/layout:risky", "--tag", "app:4",
                "--fail-on", "deny"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // the verdict of a removed policy binds nothing
  EXPECT_EQ(json::parse(r.out)["policyVerdicts"], json::array()) << r.out;
  EXPECT_EQ(json::parse(dcid.Dci({"--output", "json", "show", "app:4"}).out)
                ["policyVerdicts"][0]["tag"], "app:3");  // no new verdict
  fs::remove_all(dir);
}

// A policy bound after images were indexed judges those it applies to
// before `dci policy add` answers: the admission Check sees their verdicts
// at once, and the violations are events like any other.
TEST(PolicyBound, ImagesIndexedBeforeTheBindingAreJudged) {
  REQUIRE_SAMPLES();
  DcidProcess dcid;
  ASSERT_TRUE(dcid.ok());
  char tmpl[] = "/tmp/dci-policy-late-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  MakePolicyLayout(dir + "/layout");
  const std::string file = WriteFile(dir + "/guard.yaml", kGuardPolicy);
  const std::string s = SamplesDir();
  ASSERT_EQ(dcid.Dci({"index", "oci:" + s + "/layout:debian-v1", "--tag", "app:1"}).exit_code, 0);
  ASSERT_EQ(dcid.Dci({"index", "oci:" + dir + "/layout:risky", "--tag", "app:3",
                      "--tag", "other:1"}).exit_code, 0);
  ASSERT_EQ(dcid.Dci({"index", "oci:" + s + "/layout:debian-v2", "--tag", "web:2"}).exit_code, 0);
  EXPECT_EQ(dcid.Dci({"admit", "app:3"}).exit_code, 0);  // nothing bound yet

  v1::SubscribeRequest req;
  req.set_since(0);
  req.add_kinds(v1::POLICY_BOUND);
  req.add_kinds(v1::POLICY_VIOLATION);
  Subscriber sub(dcid.address(), req);
  CommandResult r = dcid.Dci({"policy", "add", "guard", file, "--images", "app:*"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "policy guard (2 rules) bound to images app:*\n"
            "judged 2 images already indexed: 1 deny, 0 warn, 1 pass\n");

  // Judged as soon as the answer came: web:2 (less, a warn) is not bound.
  EXPECT_EQ(dcid.Dci({"admit", "app:3"}).exit_code, 4);
  EXPECT_EQ(dcid.Dci({"admit", "other:1"}).exit_code, 4);  // the same image
  EXPECT_EQ(dcid.Dci({"admit", "app:1"}).exit_code, 0);
  EXPECT_EQ(json::parse(dcid.Dci({"--output", "json", "show", "web:2"}).out)["policyVerdicts"],
            json::array());
  json v1_show = json::parse(dcid.Dci({"--output", "json", "show", "app:1"}).out);
  ASSERT_EQ(v1_show["policyVerdicts"].size(), 1u);
  EXPECT_EQ(v1_show["policyVerdicts"][0]["verdict"], "pass");
  EXPECT_EQ(v1_show["policyVerdicts"][0]["tag"], "app:1");

  std::vector<v1::Event> events = sub.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind(), v1::POLICY_BOUND);
  EXPECT_EQ(events[0].name(), "guard");
  EXPECT_EQ(events[0].image(), "");
  EXPECT_EQ(events[1].kind(), v1::POLICY_VIOLATION);
  EXPECT_EQ(events[1].name(), "app");
  EXPECT_EQ(events[1].tag(), "3");
  EXPECT_EQ(events[1].policy().verdict(), "deny");
  EXPECT_EQ(events[1].policy().violations(0).evidence(0).path(), "usr/local/bin/backdoor");
  EXPECT_EQ(sub.WaitFor(3, absl::Seconds(1)).size(), 2u);  // one per violating image
  sub.Stop();

  // A new text under the same name judges them again, with the new rules.
  const std::string relaxed = WriteFile(dir + "/relaxed.yaml", R"(rules:
  - id: pager
    severity: warn
    package: {name: less}
)");
  r = dcid.Dci({"--output", "json", "policy", "add", "guard", relaxed, "--images", "*"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json bound = json::parse(r.out);
  EXPECT_EQ(bound["imagesJudged"], 3);  // app:1, app:3 (= other:1), web:2
  EXPECT_EQ(bound["imagesWarned"], 1);  // web:2 has less
  EXPECT_EQ(bound["imagesDenied"], 0) << r.out;
  EXPECT_EQ(dcid.Dci({"admit", "app:3"}).exit_code, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dci::testing
