// Policy evaluation benchmarks.
//
//   policy_bench local DB IMAGE AGAINST POLICY ROUNDS
//     in process, on a copy of dcid's database: the policy parsed and
//     evaluated against IMAGE (drift rules against AGAINST, "" for the
//     previous version of its tag) without a PolicyCache, then with one
//     (first and warm); checks that both give the same result.
//   policy_bench cold DB IMAGE AGAINST POLICY ROUNDS
//     the first evaluation as a fresh dcid makes it: each round opens the
//     database anew and parses and evaluates with an empty PolicyCache
//     (timed: parse + evaluate); best and p50 over ROUNDS; checks that
//     each round gives the result of evaluating without a cache.
//   policy_bench rpc ADDRESS IMAGE AGAINST POLICY ROUNDS
//     `dci policy check` as users see it (the CheckPolicy RPC, warm), and
//     the Check RPC for IMAGE's stored verdicts: p50/p99.
//   policy_bench fleet DB POLICY SAMPLE
//     every image of a database built by `inventory_bench fleet` evaluated
//     with one PolicyCache (drift against the version before), in order;
//     and SAMPLE of them without the cache, for the per-image cost of
//     evaluating each alone.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "dci/v1/service.grpc.pb.h"
#include "policy/policy.h"
#include "policy/policy_cache.h"
#include "policy/result_json.h"
#include "policy/subject.h"
#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double Pct(std::vector<double> v, int pct) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * pct / 100)];
}

std::string Digest(const dci::PolicyResult& r) {
  std::string s = absl::StrCat(dci::VerdictName(r.verdict), "|", r.compared_with, "|");
  for (const auto& v : r.violations) {
    absl::StrAppend(&s, v.rule_id, ":");
    for (const auto& e : v.evidence) absl::StrAppend(&s, e.message, ";");
  }
  for (const auto& n : r.not_evaluated) absl::StrAppend(&s, n.rule_id, "?", n.reason);
  return s;
}

int64_t Now() { return absl::ToUnixSeconds(absl::Now()); }

int Local(const std::string& db, const std::string& image, const std::string& against,
          const std::string& policy_file, int rounds) {
  auto store = dci::Store::Open(db);
  if (!store.ok()) return 1;
  const std::string yaml = ReadFile(policy_file);
  auto img = (*store)->FindImage(image);
  if (!img.ok()) return 1;
  dci::PreviousOf prev;
  if (!against.empty()) {
    auto a = (*store)->FindImage(against);
    if (!a.ok()) return 1;
    prev.image = *a;
  }
  auto once = [&](dci::PolicyCache* cache, std::string* digest) -> double {
    auto t0 = Clock::now();
    auto p = dci::ParsePolicy(yaml);
    if (!p.ok()) return -1;
    auto r = dci::EvaluateStoredImage(**store, *p, *img, prev, Now(), cache);
    double ms = Ms(t0);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
      return -1;
    }
    if (digest) *digest = Digest(*r);
    return ms;
  };
  std::string plain_digest, cached_digest;
  std::vector<double> plain, warm;
  for (int i = 0; i < std::max(3, rounds / 10); ++i) plain.push_back(once(nullptr, &plain_digest));
  dci::PolicyCache cache;
  double first = once(&cache, &cached_digest);
  for (int i = 0; i < rounds; ++i) warm.push_back(once(&cache, nullptr));
  auto t0 = Clock::now();
  auto p = dci::ParsePolicy(yaml);
  double parse = Ms(t0);
  std::printf("policy: %zu rules (parse %.2f ms)\n", p->rules.size(), parse);
  std::printf("evaluate without cache: best %.2f ms, p50 %.2f ms\n",
              *std::min_element(plain.begin(), plain.end()), Pct(plain, 50));
  std::printf("evaluate with cache: first %.2f ms; warm best %.2f ms, p50 %.2f ms, p99 %.2f ms\n",
              first, *std::min_element(warm.begin(), warm.end()), Pct(warm, 50),
              Pct(warm, 99));
  std::printf("same result with and without cache: %s\n",
              plain_digest == cached_digest ? "yes" : "NO");
  return plain_digest == cached_digest ? 0 : 1;
}

int Cold(const std::string& db, const std::string& image, const std::string& against,
         const std::string& policy_file, int rounds) {
  const std::string yaml = ReadFile(policy_file);
  std::vector<double> cold;
  std::string reference;
  int mismatches = 0;
  // Round 0 is the reference, without a cache (untimed).
  for (int i = 0; i <= std::max(1, rounds); ++i) {
    auto store = dci::Store::Open(db);
    if (!store.ok()) return 1;
    auto img = (*store)->FindImage(image);
    if (!img.ok()) return 1;
    dci::PreviousOf prev;
    if (!against.empty()) {
      auto a = (*store)->FindImage(against);
      if (!a.ok()) return 1;
      prev.image = *a;
    }
    dci::PolicyCache cache;
    auto t0 = Clock::now();
    auto p = dci::ParsePolicy(yaml);
    if (!p.ok()) return 1;
    auto r = dci::EvaluateStoredImage(**store, *p, *img, prev, Now(), i == 0 ? nullptr : &cache);
    const double ms = Ms(t0);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    if (i == 0) {
      reference = Digest(*r);
      continue;
    }
    cold.push_back(ms);
    mismatches += Digest(*r) != reference;
  }
  std::printf("first evaluation, empty cache, fresh store (cold): best %.2f ms, p50 %.2f ms "
              "(%zu rounds)\n",
              *std::min_element(cold.begin(), cold.end()), Pct(cold, 50), cold.size());
  std::printf("cold results equal the uncached one: %s\n", mismatches == 0 ? "yes" : "NO");
  return mismatches == 0 ? 0 : 1;
}

int Rpc(const std::string& address, const std::string& image, const std::string& against,
        const std::string& policy_file, int rounds) {
  auto stub = dci::v1::Dci::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  const std::string yaml = ReadFile(policy_file);
  std::vector<double> check_policy, check;
  std::string verdict;
  for (int i = 0; i < rounds + 3; ++i) {
    grpc::ClientContext ctx;
    dci::v1::CheckPolicyRequest req;
    req.set_image(image);
    req.set_against(against);
    req.set_policy_yaml(yaml);
    req.set_policy_file(policy_file);
    dci::v1::PolicyVerdict resp;
    auto t0 = Clock::now();
    grpc::Status s = stub->CheckPolicy(&ctx, req, &resp);
    double ms = Ms(t0);
    if (!s.ok()) {
      std::fprintf(stderr, "CheckPolicy: %s\n", s.error_message().c_str());
      return 1;
    }
    if (i >= 3) check_policy.push_back(ms);  // warm
    verdict = resp.verdict();
    if (i == 0) {
      std::printf("policy check %s: %s, %d violations, %d not evaluated\n", image.c_str(),
                  verdict.c_str(), resp.violations_size(), resp.not_evaluated_size());
    }
  }
  for (int i = 0; i < rounds; ++i) {
    grpc::ClientContext ctx;
    dci::v1::CheckRequest req;
    req.set_image(image);
    dci::v1::CheckResponse resp;
    auto t0 = Clock::now();
    grpc::Status s = stub->Check(&ctx, req, &resp);
    check.push_back(Ms(t0));
    if (!s.ok() || resp.verdicts_size() == 0) {
      std::fprintf(stderr, "Check: no stored verdict for %s\n", image.c_str());
      return 1;
    }
  }
  std::printf("policy check (CheckPolicy RPC, warm): best %.2f ms, p50 %.2f ms, p99 %.2f ms\n",
              *std::min_element(check_policy.begin(), check_policy.end()),
              Pct(check_policy, 50), Pct(check_policy, 99));
  std::printf("Check RPC (stored verdict): p50 %.2f ms, p99 %.2f ms\n", Pct(check, 50),
              Pct(check, 99));
  return 0;
}

int Fleet(const std::string& db, const std::string& policy_file, int sample) {
  auto store = dci::Store::Open(db);
  if (!store.ok()) return 1;
  auto p = dci::ParsePolicy(ReadFile(policy_file));
  if (!p.ok()) {
    std::fprintf(stderr, "%s\n", std::string(p.status().message()).c_str());
    return 1;
  }
  auto images = (*store)->ListImages();
  if (!images.ok()) return 1;
  std::sort(images->begin(), images->end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  const int64_t now = Now();
  auto previous_of = [&](size_t i) {
    dci::PreviousOf prev;
    if (i > 0) prev.image = (*images)[i - 1];
    return prev;
  };
  // Alone: each image evaluated without sharing (spread over the fleet).
  std::vector<std::string> alone(images->size());
  std::vector<double> alone_ms;
  const size_t step = std::max<size_t>(1, images->size() / std::max(1, sample));
  for (size_t i = 0; i < images->size(); i += step) {
    auto t0 = Clock::now();
    auto r = dci::EvaluateStoredImage(**store, *p, (*images)[i], previous_of(i), now);
    alone_ms.push_back(Ms(t0));
    if (!r.ok()) return 1;
    alone[i] = Digest(*r);
  }
  dci::PolicyCache cache;
  int deny = 0, warn = 0, mismatches = 0;
  auto t0 = Clock::now();
  for (size_t i = 0; i < images->size(); ++i) {
    auto r = dci::EvaluateStoredImage(**store, *p, (*images)[i], previous_of(i), now, &cache);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    deny += r->verdict == dci::Verdict::kDeny;
    warn += r->verdict == dci::Verdict::kWarn;
    if (!alone[i].empty() && alone[i] != Digest(*r)) ++mismatches;
  }
  double total = Ms(t0);
  double per_alone = Pct(alone_ms, 50);
  auto st = cache.stats();
  std::printf("fleet: %zu images, %zu rules: total %.2f s shared, %.3f ms per image "
              "(%d deny, %d warn)\n",
              images->size(), p->rules.size(), total / 1000, total / images->size(), deny,
              warn);
  std::printf("each alone (%zu sampled, no cache): p50 %.2f ms per image; %zu x that = %.1f s; "
              "shared/alone %.3f\n",
              alone_ms.size(), per_alone, images->size(), per_alone * images->size() / 1000,
              total / (per_alone * images->size()));
  std::printf("cache: %lld layers read, %lld package sets read, %lld hits, %lld misses\n",
              (long long)st.layers_read, (long long)st.package_sets_read, (long long)st.hits,
              (long long)st.misses);
  std::printf("sampled results equal with and without cache: %s\n",
              mismatches == 0 ? "yes" : "NO");
  return mismatches == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "local" && argc == 7) {
    return Local(argv[2], argv[3], argv[4], argv[5], std::atoi(argv[6]));
  }
  if (mode == "cold" && argc == 7) {
    return Cold(argv[2], argv[3], argv[4], argv[5], std::atoi(argv[6]));
  }
  if (mode == "rpc" && argc == 7) {
    return Rpc(argv[2], argv[3], argv[4], argv[5], std::atoi(argv[6]));
  }
  if (mode == "fleet" && argc == 5) return Fleet(argv[2], argv[3], std::atoi(argv[4]));
  std::fprintf(stderr,
               "usage: policy_bench local DB IMAGE AGAINST POLICY ROUNDS\n"
               "       policy_bench cold DB IMAGE AGAINST POLICY ROUNDS\n"
               "       policy_bench rpc ADDRESS IMAGE AGAINST POLICY ROUNDS\n"
               "       policy_bench fleet DB POLICY SAMPLE\n");
  return 1;
}
