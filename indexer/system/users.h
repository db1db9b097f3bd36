// Users and groups an image defines: etc/passwd, etc/group, and from
// etc/shadow only whether each account has a usable password.
//
// Password hashes are never kept: the parsers look at the password field in
// the caller's buffer, classify it, and copy nothing of it into any result
// or warning (issue 3: "never store password hashes").
#ifndef DCI_INDEXER_SYSTEM_USERS_H_
#define DCI_INDEXER_SYSTEM_USERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dci {

// What a password field says, without the hash. passwd(5), shadow(5),
// crypt(5).
enum class PasswordState {
  // passwd only: "x", the real field is in etc/shadow.
  kInShadow,
  // "": no password is needed to log in (passwd(5): "If the password field
  // is empty, no password is required").
  kEmpty,
  // Starts with '!': the account is locked; whatever follows is the old
  // field (shadow(5)). "!", "!!", "!*" and "!$6$..." are all locked.
  kLocked,
  // Anything that crypt(3) cannot have produced, such as "*", "*LK*" or
  // "NP": password login is impossible.
  kDisabled,
  // A crypt(3) hash: "$id$..." (yescrypt, SHA-512, bcrypt, MD5, ...), a
  // 13-character traditional DES hash, or a 20-character "_" BSDi hash.
  kSet,
};

// "in_shadow", "empty", "locked", "disabled", "set": the stored form.
absl::string_view PasswordStateName(PasswordState s);

// Classifies a password field of etc/shadow (or of etc/passwd, where "x"
// means kInShadow). Looks only at the shape of the field.
PasswordState ClassifyPasswordField(absl::string_view field, bool passwd_file);

struct User {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string gecos;
  std::string home;
  std::string shell;
  // What etc/passwd's field says; kInShadow unless a legacy hash or marker
  // is in etc/passwd itself. ApplyShadow replaces kInShadow.
  PasswordState password = PasswordState::kInShadow;
};

struct Group {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;  // as listed, empty entries dropped
};

// One account's etc/shadow entry: its name and password state, nothing else.
struct ShadowEntry {
  std::string name;
  PasswordState password = PasswordState::kDisabled;
};

struct PasswdFile {
  std::vector<User> users;  // in file order
  std::vector<std::string> warnings;
};

struct GroupFile {
  std::vector<Group> groups;  // in file order
  std::vector<std::string> warnings;
};

struct ShadowFile {
  std::vector<ShadowEntry> entries;  // in file order
  std::vector<std::string> warnings;
};

// Parsers for the three files. Each line is one record of ':'-separated
// fields (passwd: 7, group: 4, shadow: 9); a line ends at '\n'. As glibc's
// files backend does, empty lines and lines starting with '#' are skipped
// silently. Lines that are not a valid record become a warning naming the
// line number and are skipped: the wrong number of fields, an empty name,
// a uid or gid that is not a decimal number below 2^32, a NIS compat entry
// ("+name", "-name": not a local account). Duplicate names are kept, each
// as written. The name is taken as it is (any bytes but ':' and '\n').
//
// Warnings never quote the line: for passwd and shadow it may hold a hash.
PasswdFile ParsePasswd(absl::string_view content);
GroupFile ParseGroup(absl::string_view content);
ShadowFile ParseShadow(absl::string_view content);

// Resolves "x" in etc/passwd through etc/shadow: every user whose password is
// kInShadow takes its shadow entry's state (the first entry with that name,
// as glibc's getspnam finds). A user without a shadow entry keeps kInShadow
// and gets a warning in `passwd->warnings`: login then compares against the
// literal "x", which no password hashes to, so the account cannot log in
// with a password.
void ApplyShadow(const ShadowFile& shadow, PasswdFile* passwd);

// What dci keeps of etc/shadow: one "name\tstate" line per entry, in file
// order (state as PasswordStateName), and the file's warnings as
// "#warning\t..." lines. ParseShadowStates reads it back; lines it does not
// recognise are skipped.
std::string ShadowStatesText(const ShadowFile& shadow);
ShadowFile ParseShadowStates(absl::string_view text);

}  // namespace dci

#endif  // DCI_INDEXER_SYSTEM_USERS_H_
