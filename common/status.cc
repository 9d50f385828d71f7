#include "status.h"

#include <cerrno>

namespace sealfs {

namespace {

struct CodeErrno {
  StatusCode code;
  int error_number;
};

// The one table between wire status codes and errno. The first row of a code is the errno it
// becomes; FromErrno reads the table the other way.
constexpr CodeErrno kCodeErrno[] = {
    {proto::STATUS_NOT_FOUND, ENOENT},
    {proto::STATUS_EXISTS, EEXIST},
    {proto::STATUS_NOT_DIR, ENOTDIR},
    {proto::STATUS_IS_DIR, EISDIR},
    {proto::STATUS_NOT_EMPTY, ENOTEMPTY},
    {proto::STATUS_INVALID, EINVAL},
    {proto::STATUS_NAME_TOO_LONG, ENAMETOOLONG},
    {proto::STATUS_NO_SPACE, ENOSPC},
    {proto::STATUS_NO_SPACE, EDQUOT},
    {proto::STATUS_IO_ERROR, EIO},
    {proto::STATUS_BAD_FRAME, EPROTO},
    {proto::STATUS_UNKNOWN_OP, EOPNOTSUPP},
    {proto::STATUS_NO_DATA, ENODATA},
    {proto::STATUS_RANGE, ERANGE},
    {proto::STATUS_PERMISSION, EACCES},
    {proto::STATUS_CONFLICT, EAGAIN},
    {proto::STATUS_UNREACHABLE, EHOSTUNREACH},
    {proto::STATUS_UNREACHABLE, ECONNREFUSED},
    {proto::STATUS_UNREACHABLE, ECONNRESET},
    {proto::STATUS_TIMED_OUT, EIO},
    {proto::STATUS_TIMED_OUT, ETIMEDOUT},
    {proto::STATUS_TOO_BIG, EFBIG},
    {proto::STATUS_TOO_BIG, E2BIG},
    {proto::STATUS_NOT_SUPPORTED, EOPNOTSUPP},
    {proto::STATUS_LOOP, ELOOP},
    {proto::STATUS_BAD_DESCRIPTOR, EBADF},
    {proto::STATUS_NOT_PERMITTED, EPERM},
    {proto::STATUS_BUSY, EBUSY},
    {proto::STATUS_PAST_END, ENXIO},
    {proto::STATUS_TOO_MANY_OPEN, EMFILE},
};

}  // namespace

Status Status::FromErrno(int error_number, std::string msg) {
  for (const auto& row : kCodeErrno) {
    if (row.error_number == error_number) return {row.code, std::move(msg)};
  }
  return {proto::STATUS_IO_ERROR, std::move(msg)};
}

bool Status::transient() const {
  switch (code_) {
    case proto::STATUS_UNREACHABLE:
    case proto::STATUS_TIMED_OUT:
    case proto::STATUS_NOT_HEAD:
    case proto::STATUS_STALE_MAP:
    case proto::STATUS_TOO_FEW_COPIES:
      return true;
    default:
      return false;
  }
}

int Status::ToErrno() const {
  if (ok()) return 0;
  for (const auto& row : kCodeErrno) {
    if (row.code == code_) return row.error_number;
  }
  return EIO;
}

std::string Status::ToString() const {
  std::string name = proto::StatusCode_Name(code_);
  if (name.rfind("STATUS_", 0) == 0) name.erase(0, 7);
  if (message_.empty()) return name;
  return name + ": " + message_;
}

}  // namespace sealfs
