// Status: the result of an internal operation, carried as a wire status code.
//
// Internal code returns a Status; it becomes an errno in exactly one place, ToErrno(), and a
// server reply carries its code in the frame header. Never parse the message: it is for logs.
#pragma once

#include <string>
#include <utility>

#include "sealfs.pb.h"

namespace sealfs {

using StatusCode = proto::StatusCode;

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status NotFound(std::string msg = {}) { return {proto::STATUS_NOT_FOUND, std::move(msg)}; }
  static Status Exists(std::string msg = {}) { return {proto::STATUS_EXISTS, std::move(msg)}; }
  static Status Invalid(std::string msg = {}) { return {proto::STATUS_INVALID, std::move(msg)}; }
  static Status IoError(std::string msg = {}) { return {proto::STATUS_IO_ERROR, std::move(msg)}; }
  // Maps a POSIX errno (as set by a failed system call) to the nearest status code.
  static Status FromErrno(int error_number, std::string msg = {});

  [[nodiscard]] bool ok() const { return code_ == proto::STATUS_OK; }
  [[nodiscard]] StatusCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  // The positive errno a POSIX call would report for this status (0 when ok).
  [[nodiscard]] int ToErrno() const;
  // A failure that another attempt may mend once the sender has fetched the cluster map: the
  // peer could not be reached or did not answer, is not the head of the record, or is on
  // another map. Nothing was applied, or what was can be asked again under the same request id.
  [[nodiscard]] bool transient() const;
  // "NOT_FOUND: message", for logs.
  [[nodiscard]] std::string ToString() const;

 private:
  StatusCode code_ = proto::STATUS_OK;
  std::string message_;
};

}  // namespace sealfs
