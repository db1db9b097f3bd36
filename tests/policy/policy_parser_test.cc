// The policy grammar (policy/policy.h): every rule kind parses into the
// condition it says, and every malformed file is refused with the line and
// column of what is wrong.
#include <re2/re2.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/policy.h"

namespace dci {
namespace {

Policy MustParse(const std::string& yaml) {
  absl::StatusOr<Policy> p = ParsePolicy(yaml);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : Policy{};
}

TEST(PolicyParser, EveryConditionKindParses) {
  Policy p = MustParse(R"(name: all-kinds
description: one rule of each kind
rules:
  - id: arch
    description: x86 only
    severity: deny
    metadata: {field: architecture, not_in: [amd64, x86_64]}
  - id: run-label
    severity: warn
    metadata: {field: label, key: RUN, contains: [--privileged, --net=host]}
  - id: heartbleed
    package: {name: openssl, ecosystem: deb, version: '>=1.0.1,<1.0.1g'}
  - id: by-source
    severity: info
    package: {source: glibc, absent: true}
  - id: many-packages
    package_count: {greater_than: 500, ecosystem: rpm}
  - id: suid
    file: {setuid: true, except: [/usr/bin/su, usr/bin/passwd]}
  - id: writable
    file: {world_writable: true, type: file, uid_not_in: [0, 65534]}
  - id: bad-hash
    file: {hash_in: [0123456789ABCDEF0123456789abcdef]}
  - id: sshd
    config: {path: /etc/ssh/sshd_config, matches: '^\s*PermitRootLogin\s+yes'}
  - id: edited
    config: {modified: true, path: 'etc/*'}
  - id: drift
    any:
      - drift: {new_setuid: true}
      - drift: {new_packages: true, names: ['lib*']}
      - drift: {changed: [architecture, user]}
      - drift: {labels_removed: true, keys: [maintainer]}
  - id: combined
    all:
      - metadata: {field: age_days, greater_than: 365}
      - not: {metadata: {field: docker_version, version: '>=20.10'}}
)");
  ASSERT_EQ(p.rules.size(), 12u);
  EXPECT_EQ(p.name, "all-kinds");
  EXPECT_EQ(p.description, "one rule of each kind");

  const Rule& arch = p.rules[0];
  EXPECT_EQ(arch.id, "arch");
  EXPECT_EQ(arch.description, "x86 only");
  EXPECT_EQ(arch.severity, Severity::kDeny);
  EXPECT_EQ(arch.pos.line, 4);
  EXPECT_EQ(arch.pos.column, 5);
  EXPECT_EQ(arch.condition.kind, Condition::kMetadata);
  EXPECT_EQ(arch.condition.field, "architecture");
  EXPECT_EQ(arch.condition.matcher.op, Matcher::kNotIn);
  EXPECT_EQ(arch.condition.matcher.values, (std::vector<std::string>{"amd64", "x86_64"}));

  const Condition& run = p.rules[1].condition;
  EXPECT_EQ(p.rules[1].severity, Severity::kWarn);
  EXPECT_EQ(run.field, "label");
  EXPECT_EQ(run.key, "RUN");
  EXPECT_EQ(run.matcher.op, Matcher::kContains);
  EXPECT_EQ(run.matcher.values, (std::vector<std::string>{"--privileged", "--net=host"}));

  const Condition& hb = p.rules[2].condition;
  EXPECT_EQ(p.rules[2].severity, Severity::kDeny);  // the default
  EXPECT_EQ(hb.kind, Condition::kPackage);
  EXPECT_EQ(hb.name_glob, "openssl");
  EXPECT_FALSE(hb.by_source);
  EXPECT_EQ(hb.ecosystem, "deb");
  ASSERT_TRUE(hb.has_range);
  EXPECT_EQ(VersionRangeToString(hb.range), ">=1.0.1,<1.0.1g");

  const Condition& src = p.rules[3].condition;
  EXPECT_EQ(p.rules[3].severity, Severity::kInfo);
  EXPECT_TRUE(src.by_source);
  EXPECT_EQ(src.name_glob, "glibc");
  EXPECT_TRUE(src.absent);

  const Condition& count = p.rules[4].condition;
  EXPECT_EQ(count.kind, Condition::kPackageCount);
  EXPECT_EQ(count.matcher.number, 500);
  EXPECT_EQ(count.ecosystem, "rpm");

  const Condition& suid = p.rules[5].condition;
  EXPECT_EQ(suid.kind, Condition::kFile);
  EXPECT_TRUE(suid.setuid);
  EXPECT_EQ(suid.except_globs, (std::vector<std::string>{"usr/bin/su", "usr/bin/passwd"}));

  const Condition& ww = p.rules[6].condition;
  EXPECT_TRUE(ww.world_writable);
  EXPECT_EQ(ww.type, "file");
  EXPECT_EQ(ww.uid_not_in, (std::vector<int64_t>{0, 65534}));

  EXPECT_EQ(p.rules[7].condition.hash_in,
            (std::vector<std::string>{"0123456789abcdef0123456789abcdef"}));

  const Condition& sshd = p.rules[8].condition;
  EXPECT_EQ(sshd.kind, Condition::kConfig);
  EXPECT_EQ(sshd.path_globs, (std::vector<std::string>{"etc/ssh/sshd_config"}));
  EXPECT_EQ(sshd.matcher.regex->pattern(), "^\\s*PermitRootLogin\\s+yes");

  EXPECT_TRUE(p.rules[9].condition.modified);

  const Condition& drift = p.rules[10].condition;
  ASSERT_EQ(drift.kind, Condition::kAny);
  ASSERT_EQ(drift.children.size(), 4u);
  EXPECT_EQ(drift.children[0].drift, "new_setuid");
  EXPECT_EQ(drift.children[1].drift, "new_packages");
  EXPECT_EQ(drift.children[1].names, (std::vector<std::string>{"lib*"}));
  EXPECT_EQ(drift.children[2].drift, "changed");
  EXPECT_EQ(drift.children[2].names, (std::vector<std::string>{"architecture", "user"}));
  EXPECT_EQ(drift.children[3].drift, "labels_removed");
  EXPECT_EQ(drift.children[3].names, (std::vector<std::string>{"maintainer"}));
  EXPECT_EQ(drift.children[0].pos.line, 30);
  EXPECT_EQ(drift.children[0].pos.column, 9);

  const Condition& all = p.rules[11].condition;
  ASSERT_EQ(all.kind, Condition::kAll);
  ASSERT_EQ(all.children.size(), 2u);
  EXPECT_EQ(all.children[0].matcher.op, Matcher::kGreaterThan);
  EXPECT_EQ(all.children[0].matcher.number, 365);
  ASSERT_EQ(all.children[1].kind, Condition::kNot);
  EXPECT_EQ(all.children[1].children[0].matcher.op, Matcher::kVersion);

  EXPECT_TRUE(p.needs.packages);
  EXPECT_TRUE(p.needs.files);
  EXPECT_TRUE(p.needs.configs);
  EXPECT_TRUE(p.needs.drift);
}

TEST(PolicyParser, MetadataOnlyPolicyNeedsNoLayers) {
  Policy p = MustParse(
      "rules:\n"
      "  - id: a\n"
      "    metadata: {field: user, absent: true}\n");
  EXPECT_FALSE(p.needs.packages);
  EXPECT_FALSE(p.needs.files);
  EXPECT_FALSE(p.needs.configs);
  EXPECT_FALSE(p.needs.drift);
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string error;  // the whole message
};

class PolicyParserErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(PolicyParserErrors, NameLineAndColumn) {
  absl::StatusOr<Policy> p = ParsePolicy(GetParam().yaml);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(p.status().message()), GetParam().error);
}

const char kRule[] = "rules:\n  - id: r\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, PolicyParserErrors,
    ::testing::Values(
        BadCase{"Empty", "", "1:1: empty policy: want a mapping with \"rules\""},
        BadCase{"NotYaml", "rules: [a, b\n",
                "2:1: not valid YAML: end of sequence flow not found"},
        BadCase{"TabIndent", "rules:\n  - id: r\n\tseverity: deny\n",
                "3:1: not valid YAML: illegal tab when looking for indentation"},
        BadCase{"NoRules", "name: x\n", "1:1: the policy has no \"rules\""},
        BadCase{"UnknownTopField", "name: x\nrule: []\n",
                "2:1: unknown field \"rule\" in the policy (want name, description, rules)"},
        BadCase{"RulesNotAList", "rules: {id: r}\n",
                "1:8: \"rules\" must be a list of rules"},
        BadCase{"UnknownRuleField",
                std::string(kRule) + "    serverity: warn\n    metadata: {field: os, equals: linux}\n",
                "3:5: unknown field \"serverity\" in a rule (want id, description, severity, "
                "metadata, package, package_count, file, config, drift, all, any, not)"},
        BadCase{"MissingId", "rules:\n  - severity: warn\n    metadata: {field: os, equals: linux}\n",
                "2:5: a rule needs an \"id\""},
        BadCase{"DuplicateId",
                "rules:\n  - id: r\n    metadata: {field: os, equals: linux}\n"
                "  - id: r\n    metadata: {field: os, equals: linux}\n",
                "4:9: rule id \"r\" used twice"},
        BadCase{"DuplicateField",
                std::string(kRule) + "    id: s\n    metadata: {field: os, equals: linux}\n",
                "3:5: field \"id\" given twice in a rule"},
        BadCase{"BadSeverity",
                std::string(kRule) + "    severity: fatal\n    metadata: {field: os, equals: linux}\n",
                "3:15: severity \"fatal\": want info, warn or deny"},
        BadCase{"NoCondition", std::string(kRule) + "    severity: warn\n",
                "2:5: rule \"r\" has no condition (want one of metadata, package, "
                "package_count, file, config, drift, all, any, not)"},
        BadCase{"TwoConditions",
                std::string(kRule) + "    metadata: {field: os, equals: linux}\n"
                                     "    package: {name: bash}\n",
                "4:5: a rule has one condition: \"metadata\" and \"package\" "
                "(combine them with all or any)"},
        BadCase{"UnknownMetadataField",
                std::string(kRule) + "    metadata: {field: arch, equals: amd64}\n",
                "3:23: unknown metadata field \"arch\" (want architecture, os, variant, "
                "platform, user, created, author, docker_version, working_dir, "
                "stop_signal, entrypoint, cmd, label, env, label_keys, env_keys, "
                "exposed_ports, volumes, history, layers, size, compressed_size, age_days)"},
        BadCase{"LabelWithoutKey",
                std::string(kRule) + "    metadata: {field: label, present: true}\n",
                "3:23: field \"label\" needs a \"key\""},
        BadCase{"UnknownMatcher",
                std::string(kRule) + "    metadata: {field: os, is: linux}\n",
                "3:27: unknown field \"is\" in metadata (want field, key, equals, not_equals, "
                "in, not_in, matches, not_matches, contains, not_contains, present, "
                "absent, greater_than, less_than, version)"},
        BadCase{"BadRegex",
                std::string(kRule) +
                    "    metadata:\n      field: label\n      key: build-host\n"
                    "      not_matches: '^rcm-img-docker(\\d+'\n",
                "6:20: bad regex \"^rcm-img-docker(\\d+\": missing ): ^rcm-img-docker(\\d+"},
        BadCase{"BadVersionRange",
                std::string(kRule) + "    package:\n      name: openssl\n"
                                     "      version: '>=1.0.1,,<1.0.1g'\n",
                "5:16: bad version range \">=1.0.1,,<1.0.1g\": version range "
                "\">=1.0.1,,<1.0.1g\": empty term"},
        BadCase{"NumberTestOnText",
                std::string(kRule) + "    metadata: {field: user, greater_than: 3}\n",
                "3:29: \"greater_than\" needs a number field (layers, size, "
                "compressed_size, age_days)"},
        BadCase{"NotANumber",
                std::string(kRule) + "    metadata: {field: layers, greater_than: many}\n",
                "3:45: \"greater_than\" must be a number"},
        BadCase{"SetuidFalse", std::string(kRule) + "    file: {setuid: false}\n",
                "3:20: \"setuid\" can only be true"},
        BadCase{"FileWithoutTest", std::string(kRule) + "    file: {except: [tmp]}\n",
                "3:11: file needs a path or a test: type, setuid, setgid, world_writable, "
                "uid_in, uid_not_in, hash_in"},
        BadCase{"BadHash", std::string(kRule) + "    file: {hash_in: [abc]}\n",
                "3:22: hash \"abc\": want 32 hex digits (XXH3-128)"},
        BadCase{"BadUid", std::string(kRule) + "    file: {uid_not_in: [root]}\n",
                "3:25: \"uid_not_in\": \"root\" is not a numeric id"},
        BadCase{"ConfigWithoutTest",
                std::string(kRule) + "    config: {path: etc/ssh/sshd_config}\n",
                "3:13: config needs \"matches\" or \"modified\""},
        BadCase{"UnknownDriftField",
                std::string(kRule) + "    drift: {changed: [architecture, labels]}\n",
                "3:37: cannot watch \"labels\" for changes (want architecture, os, "
                "variant, user, entrypoint, cmd, working_dir, exposed_ports)"},
        BadCase{"EmptyAll", std::string(kRule) + "    all: []\n",
                "3:10: \"all\" must be a list of conditions"},
        BadCase{"NotWithTwoConditions",
                std::string(kRule) + "    not: {package: {name: a}, file: {setuid: true}}\n",
                "3:10: a condition has exactly one of metadata, package, package_count, "
                "file, config, drift, all, any, not"},
        BadCase{"NestedBadRegex",
                std::string(kRule) + "    any:\n      - all:\n          - config:\n"
                                     "              path: etc/*\n"
                                     "              matches: '(?<name>x)'\n",
                "7:24: bad regex \"(?<name>x)\": invalid perl operator: (?<"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

}  // namespace
}  // namespace dci
