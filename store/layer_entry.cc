#include "store/layer_entry.h"

namespace dci {

absl::string_view EntryTypeName(EntryType t) {
  switch (t) {
    case EntryType::kFile: return "file";
    case EntryType::kDir: return "dir";
    case EntryType::kSymlink: return "symlink";
    case EntryType::kHardlink: return "hardlink";
    case EntryType::kCharDevice: return "char";
    case EntryType::kBlockDevice: return "block";
    case EntryType::kFifo: return "fifo";
    case EntryType::kWhiteout: return "whiteout";
    case EntryType::kSocket: return "socket";
  }
  return "unknown";
}

char EntryTypeLetter(EntryType t) {
  switch (t) {
    case EntryType::kFile: return 'f';
    case EntryType::kDir: return 'd';
    case EntryType::kSymlink: return 'l';
    case EntryType::kHardlink: return 'h';
    case EntryType::kCharDevice: return 'c';
    case EntryType::kBlockDevice: return 'b';
    case EntryType::kFifo: return 'p';
    case EntryType::kWhiteout: return 'w';
    case EntryType::kSocket: return 's';
  }
  return '?';
}

}  // namespace dci
