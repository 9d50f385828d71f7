// FrameSender: the sending side of one connection, used by RpcServer's connections and by
// RpcChannel. A frame goes out at once, from the thread that sends it (a worker with its reply,
// a client thread with its request), when nothing is queued before it and the socket takes it
// whole; otherwise it is queued and written in order by asynchronous writes on the connection's
// strand. The fast path saves the hand-off to an I/O thread: a thread wakeup, which costs tens
// of microseconds on a small VM, on every request and every reply.
//
// A socket no I/O thread watches (an RpcChannel whose callers read their replies) has no
// strand to queue on: each frame is written whole by the thread that sends it, which waits for
// room in the socket when it must (OpenBlocking).
//
// Thread-safe. The socket is read by the connection's strand meanwhile; the kernel allows one
// reader and one writer on a socket at once, and every write goes through this class.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/frame.h"

namespace sealfs {

// A frame queued for sending: header, message and payload, written with one gather; the first
// `sent` bytes have gone out already.
struct OutgoingFrame {
  uint8_t header[kFrameHeaderSize] = {};
  std::string message;
  std::string payload;
  // Instead of payload, the sender's own bytes, valid only until FrameSender::Send returns: a
  // frame written whole at once is never copied; Send copies them into payload when it keeps
  // the frame to write later.
  std::string_view borrowed_payload;
  std::size_t sent = 0;

  [[nodiscard]] std::string_view payload_bytes() const {
    return borrowed_payload.empty() ? std::string_view(payload) : borrowed_payload;
  }
  void KeepPayload() {
    if (borrowed_payload.empty()) return;
    payload.assign(borrowed_payload);
    borrowed_payload = {};
  }
};

class FrameSender {
 public:
  using Strand = asio::strand<asio::io_context::executor_type>;
  // on_error runs on the strand when a write fails; the owner closes the connection.
  FrameSender(asio::ip::tcp::socket* socket, Strand strand,
              std::function<void(const std::error_code&)> on_error);

  // Frames sent before Open wait in the queue (a channel still connecting). Open, on the
  // strand, writes them and lets later ones go out at once. `owner` is kept alive by every
  // asynchronous write.
  void Open(std::weak_ptr<void> owner);
  // Open for a socket that Asio no longer watches (released after connect): Send writes each
  // frame whole from the calling thread, and a peer that takes no byte for kSendStall fails
  // the connection. Frames queued before it are written at once, by this thread.
  void OpenBlocking(std::weak_ptr<void> owner, int fd);
  static constexpr std::chrono::seconds kSendStall{10};
  void Send(std::shared_ptr<OutgoingFrame> frame);
  // Closes the sender once what is queued has been written (then `then` runs on the strand).
  void CloseAfterWrites(std::function<void()> then);
  // No frame is written after this returns; queued ones are dropped. Any thread. The caller
  // closes the socket after it.
  void Close();

 private:
  void WriteQueued();  // on the strand, with writing_ set
  // OpenBlocking's way: the whole frame, waiting for room; false (on_error posted) on failure.
  bool WriteWhole(OutgoingFrame& frame);  // with mutex_ held
  void PostError(std::error_code error);

  asio::ip::tcp::socket* const socket_;
  const Strand strand_;
  const std::function<void(const std::error_code&)> on_error_;
  std::weak_ptr<void> owner_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<OutgoingFrame>> queue_;  // GUARDED_BY(mutex_)
  bool open_ = false;                                  // GUARDED_BY(mutex_)
  bool closed_ = false;                                // GUARDED_BY(mutex_)
  bool writing_ = false;                // GUARDED_BY(mutex_): an asynchronous write is on its way
  int blocking_fd_ = -1;                // GUARDED_BY(mutex_): set by OpenBlocking
  std::function<void()> after_writes_;  // GUARDED_BY(mutex_)
};

}  // namespace sealfs
