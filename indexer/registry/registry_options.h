// How dci talks to a registry: TLS, credentials, timeouts, retries and size
// limits. The flags mirror skopeo's (--tls-verify, --cert-dir, --creds,
// --authfile) so a command line that works with skopeo works with dci.
#ifndef DCI_INDEXER_REGISTRY_REGISTRY_OPTIONS_H_
#define DCI_INDEXER_REGISTRY_REGISTRY_OPTIONS_H_

#include <cstddef>
#include <string>

#include "absl/time/time.h"

namespace dci {

// A plain value; copyable.
struct RegistryOptions {
  // Verify the registry's TLS certificate and host name (skopeo
  // --tls-verify). Off also skips verification of token servers, and lets
  // a registry that answers https:// with plain HTTP be spoken to over
  // http:// (an "insecure registry", as containers-image and docker have
  // it).
  bool tls_verify = true;
  // skopeo --cert-dir: every "*.crt" is a CA trusted on top of the system
  // ones; "NAME.cert" with "NAME.key" is a client certificate (the first
  // pair in name order is used).
  std::string cert_dir;

  enum class Scheme {
    kAuto,   // http:// for loopback hosts (127.0.0.0/8, ::1, localhost),
             // https:// for everything else
    kHttps,  // always https://
    kHttp,   // always plain http://
  };
  Scheme scheme = Scheme::kAuto;

  // "USER:PASS" (skopeo --creds); wins over the authfile.
  std::string credentials;
  // A docker-style config.json (skopeo --authfile): "auths" maps a
  // registry host to {"auth": base64("user:pass")} or
  // {"username": ..., "password": ...}. "" for none.
  std::string authfile;

  absl::Duration connect_timeout = absl::Seconds(30);
  // A transfer slower than low_speed_bytes_per_second for low_speed_time is
  // abandoned (and retried, see max_retries).
  absl::Duration low_speed_time = absl::Seconds(30);
  long low_speed_bytes_per_second = 1;

  // Retries after the first attempt, for connection errors, 5xx and 429.
  // The delay before retry n (0-based) is backoff_base * 2^n, at most
  // backoff_max. A 4xx other than 429 is final.
  int max_retries = 4;
  absl::Duration backoff_base = absl::Milliseconds(500);
  absl::Duration backoff_max = absl::Seconds(10);

  // A manifest or index larger than this is refused with ResourceExhausted
  // before it is read in full.
  size_t max_manifest_bytes = 4 << 20;
  // Bounds on ListTags: pages followed through Link headers, and tags.
  int max_tag_pages = 100;
  size_t max_tags = 100000;

  std::string user_agent = "dci/0.1";
};

}  // namespace dci

#endif  // DCI_INDEXER_REGISTRY_REGISTRY_OPTIONS_H_
