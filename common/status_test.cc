#include "status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace sealfs {
namespace {

TEST(StatusTest, MapsCodesToTheErrnoPosixReports) {
  EXPECT_EQ(Status::Ok().ToErrno(), 0);
  EXPECT_EQ(Status::NotFound().ToErrno(), ENOENT);
  EXPECT_EQ(Status(proto::STATUS_NOT_EMPTY, "").ToErrno(), ENOTEMPTY);
  EXPECT_EQ(Status(proto::STATUS_UNREACHABLE, "").ToErrno(), EHOSTUNREACH);
  EXPECT_EQ(Status(proto::STATUS_TIMED_OUT, "").ToErrno(), EIO);
  EXPECT_EQ(Status(proto::STATUS_NO_DATA, "").ToErrno(), ENODATA);
}

TEST(StatusTest, EveryCodeHasAnErrno) {
  for (int code = proto::StatusCode_MIN + 1; code <= proto::StatusCode_MAX; ++code) {
    if (!proto::StatusCode_IsValid(code)) continue;
    EXPECT_GT(Status(static_cast<proto::StatusCode>(code), "").ToErrno(), 0) << code;
  }
}

TEST(StatusTest, FromErrnoRoundTrips) {
  for (int e : {ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, ENAMETOOLONG, ENOSPC, ENODATA,
                ERANGE, EACCES, ELOOP, EBADF, EPERM}) {
    EXPECT_EQ(Status::FromErrno(e).ToErrno(), e) << e;
  }
  EXPECT_EQ(Status::FromErrno(EDQUOT).code(), proto::STATUS_NO_SPACE);
  EXPECT_EQ(Status::FromErrno(12345).code(), proto::STATUS_IO_ERROR);
}

TEST(StatusTest, ToStringNamesTheCode) {
  EXPECT_EQ(Status::NotFound("no /a").ToString(), "NOT_FOUND: no /a");
  EXPECT_EQ(Status::Ok().ToString(), "OK");
}

}  // namespace
}  // namespace sealfs
