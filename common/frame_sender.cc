#include "common/frame_sender.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <vector>

namespace sealfs {
namespace {

// The unsent parts of a frame, at most three.
int UnsentParts(const OutgoingFrame& frame, std::array<iovec, 3>* parts) {
  std::size_t skip = frame.sent;
  int count = 0;
  auto add = [&](const void* data, std::size_t size) {
    if (skip >= size) {
      skip -= size;
      return;
    }
    (*parts)[count++] =
        iovec{const_cast<char*>(static_cast<const char*>(data)) + skip, size - skip};
    skip = 0;
  };
  add(frame.header, sizeof(frame.header));
  add(frame.message.data(), frame.message.size());
  add(frame.payload_bytes().data(), frame.payload_bytes().size());
  return count;
}

std::size_t FrameSize(const OutgoingFrame& frame) {
  return sizeof(frame.header) + frame.message.size() + frame.payload_bytes().size();
}

}  // namespace

FrameSender::FrameSender(asio::ip::tcp::socket* socket, Strand strand,
                         std::function<void(const std::error_code&)> on_error)
    : socket_(socket), strand_(std::move(strand)), on_error_(std::move(on_error)) {}

void FrameSender::Open(std::weak_ptr<void> owner) {
  std::lock_guard lock(mutex_);
  owner_ = std::move(owner);
  open_ = true;
  if (!closed_ && !writing_ && !queue_.empty()) {
    writing_ = true;
    WriteQueued();
  }
}

void FrameSender::OpenBlocking(std::weak_ptr<void> owner, int fd) {
  std::lock_guard lock(mutex_);
  owner_ = std::move(owner);
  open_ = true;
  blocking_fd_ = fd;
  std::vector<std::shared_ptr<OutgoingFrame>> queued;
  queued.swap(queue_);
  for (const auto& frame : queued) {
    if (closed_ || !WriteWhole(*frame)) return;
  }
}

void FrameSender::PostError(std::error_code error) {
  asio::post(strand_, [on_error = on_error_, owner = owner_.lock(), error] {
    if (owner) on_error(error);
  });
}

bool FrameSender::WriteWhole(OutgoingFrame& frame) {
  auto stall_deadline = std::chrono::steady_clock::now() + kSendStall;
  while (frame.sent < FrameSize(frame)) {
    std::array<iovec, 3> parts{};
    msghdr message{};
    message.msg_iov = parts.data();
    message.msg_iovlen = static_cast<std::size_t>(UnsentParts(frame, &parts));
    const ssize_t n = ::sendmsg(blocking_fd_, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      frame.sent += static_cast<std::size_t>(n);
      stall_deadline = std::chrono::steady_clock::now() + kSendStall;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      PostError(std::error_code(errno, std::system_category()));
      return false;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(
        stall_deadline - std::chrono::steady_clock::now());
    pollfd writable{blocking_fd_, POLLOUT, 0};
    if (left.count() <= 0 || ::poll(&writable, 1, static_cast<int>(left.count())) == 0) {
      PostError(std::make_error_code(std::errc::timed_out));
      return false;
    }
  }
  return true;
}

void FrameSender::Send(std::shared_ptr<OutgoingFrame> frame) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  if (open_ && blocking_fd_ >= 0) {
    WriteWhole(*frame);
    return;
  }
  if (open_ && !writing_ && queue_.empty()) {
    std::array<iovec, 3> parts{};
    msghdr message{};
    message.msg_iov = parts.data();
    message.msg_iovlen = static_cast<std::size_t>(UnsentParts(*frame, &parts));
    const ssize_t n = ::sendmsg(socket_->native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) frame->sent += static_cast<std::size_t>(n);
    if (frame->sent == FrameSize(*frame)) return;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      PostError(std::error_code(errno, std::system_category()));
      return;
    }
  }
  frame->KeepPayload();
  queue_.push_back(std::move(frame));
  if (open_ && !writing_) {
    writing_ = true;
    asio::post(strand_, [this, owner = owner_.lock()] {
      if (!owner) return;
      std::lock_guard lock(mutex_);
      WriteQueued();
    });
  }
}

void FrameSender::WriteQueued() {
  if (closed_ || queue_.empty()) {
    writing_ = false;
    if (!closed_ && after_writes_) {
      closed_ = true;
      asio::post(strand_, std::move(after_writes_));
    }
    return;
  }
  auto batch = std::make_shared<std::vector<std::shared_ptr<OutgoingFrame>>>();
  batch->swap(queue_);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(batch->size() * 3);
  for (const auto& frame : *batch) {
    std::array<iovec, 3> parts{};
    const int count = UnsentParts(*frame, &parts);
    for (int i = 0; i < count; ++i) buffers.emplace_back(parts[i].iov_base, parts[i].iov_len);
  }
  asio::async_write(*socket_, buffers,
                    asio::bind_executor(strand_, [this, batch, owner = owner_.lock()](
                                                     std::error_code ec, std::size_t) {
                      if (!owner) return;
                      if (ec) {
                        {
                          std::lock_guard lock(mutex_);
                          writing_ = false;
                        }
                        on_error_(ec);
                        return;
                      }
                      std::lock_guard lock(mutex_);
                      WriteQueued();
                    }));
}

void FrameSender::CloseAfterWrites(std::function<void()> then) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  after_writes_ = std::move(then);
  if (!writing_ && queue_.empty()) {
    closed_ = true;
    asio::post(strand_, std::move(after_writes_));
  }
}

void FrameSender::Close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  queue_.clear();
}

}  // namespace sealfs
