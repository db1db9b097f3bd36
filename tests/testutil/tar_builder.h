// Builds small synthetic layer tars in memory with libarchive's writer, for
// edge cases real tools do not produce.
//
//   TarBuilder t;
//   t.Dir("etc").File("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
//   t.Whiteout("etc/shadow");  // writes "etc/.wh.shadow"
//   std::string tar = t.Finish();
//   std::string gz = Gzip(tar);
#ifndef DCI_TESTS_TESTUTIL_TAR_BUILDER_H_
#define DCI_TESTS_TESTUTIL_TAR_BUILDER_H_

#include <string>

namespace dci::testing {

class TarBuilder {
 public:
  TarBuilder();
  ~TarBuilder();
  TarBuilder(const TarBuilder&) = delete;
  TarBuilder& operator=(const TarBuilder&) = delete;

  TarBuilder& File(const std::string& name, const std::string& content,
                   unsigned mode = 0644, long uid = 0, long gid = 0,
                   long long mtime = 1700000000);
  TarBuilder& Dir(const std::string& name, unsigned mode = 0755, long uid = 0,
                  long gid = 0);
  TarBuilder& Symlink(const std::string& name, const std::string& target);
  TarBuilder& Hardlink(const std::string& name, const std::string& target);
  TarBuilder& Fifo(const std::string& name);
  TarBuilder& CharDevice(const std::string& name, unsigned major,
                         unsigned minor);
  // "DIR/.wh.NAME" for path "DIR/NAME".
  TarBuilder& Whiteout(const std::string& path);
  // "DIR/.wh..wh..opq".
  TarBuilder& Opaque(const std::string& dir);
  // A header with exactly this name, written as a regular empty file.
  TarBuilder& RawName(const std::string& name);

  // The tar (pax restricted format) with its end-of-archive blocks.
  std::string Finish();

 private:
  struct Impl;
  Impl* impl_;
};

std::string Gzip(const std::string& data);
std::string Zstd(const std::string& data);

}  // namespace dci::testing

#endif  // DCI_TESTS_TESTUTIL_TAR_BUILDER_H_
