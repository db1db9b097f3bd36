// Where the real sample images are (scripts/make-sample-images.sh).
#ifndef DCI_TESTS_TESTUTIL_SAMPLES_H_
#define DCI_TESTS_TESTUTIL_SAMPLES_H_

#include <string>

namespace dci::testing {

// DCI_SAMPLES_DIR or /var/cache/dci/samples.
std::string SamplesDir();

}  // namespace dci::testing

#endif  // DCI_TESTS_TESTUTIL_SAMPLES_H_
