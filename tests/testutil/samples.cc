#include "tests/testutil/samples.h"

#include <cstdlib>

namespace dci::testing {

std::string SamplesDir() {
  const char* e = std::getenv("DCI_SAMPLES_DIR");
  return e && *e ? e : "/var/cache/dci/samples";
}

}  // namespace dci::testing
