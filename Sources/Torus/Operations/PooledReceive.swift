import CLiburing
import Glibc

/// Receives into one of the loop's pooled buffers, chosen only once data has arrived, so
/// a receive that waits holds no buffer; 0 means the peer closed, -ENOBUFS (io_uring)
/// that every buffer is lent (nothing was read).
///
/// io_uring: IOSQE_BUFFER_SELECT; the kernel picks a buffer from the pool's ring and the
/// CQE names it (`IORING_CQE_F_BUFFER`). `multishot` keeps the receive armed: one CQE per
/// arrival, each naming its buffer, until end of stream, an error or a dry pool (Linux
/// 6.0). The kernel picks the buffer before it tries the socket, so on an empty ring a
/// receive that tries first answers -ENOBUFS at once, data or not; one that polls first
/// (`IORING_RECVSEND_POLL_FIRST`, always for a multishot one) waits for data without a
/// buffer, and its -ENOBUFS then means bytes are waiting. epoll: the attempt reads into a pooled buffer and lends it in one call
/// (``ReceiveBufferPool/receive(on:)``); a multishot receive repeats on every edge.
/// Either way the caller takes the filled buffer with
/// ``ReceiveBufferPool/takeFilled(result:flags:)``.
struct PooledReceive: IOOperation {
    var fd: Int32
    /// unowned(unsafe): the loop owns the pool and outlives every operation it runs; a
    /// strong reference would cost a retain and release per receive.
    unowned(unsafe) let pool: ReceiveBufferPool
    /// Stays armed after each result (a served connection's receive).
    var multishot = false
    /// Waits for data before taking a buffer (io_uring; implied by `multishot`): a
    /// receive retried after -ENOBUFS, so it does not wait holding a spare buffer.
    var pollFirst = false

    static var opcode: io_uring_op { IORING_OP_RECV }

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        if multishot {
            io_uring_prep_recv_multishot(sqe, fd, nil, 0, 0)
        } else {
            io_uring_prep_recv(sqe, fd, nil, pool.bufferSize, 0)
        }
        if multishot || pollFirst { sqe.pointee.ioprio |= UInt16(IORING_RECVSEND_POLL_FIRST) }
        torus_sqe_select_buffer(sqe, ReceiveBufferPool.group)
    }

    var selectorPlan: SelectorPlan { .whenReady(fd: fd, interest: .readable) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        pool.receive(on: fd)
    }

    /// A short read took everything the socket held (see ``Receive``).
    func drainsReadiness(_ result: Int32) -> Bool { result > 0 && Int(result) < pool.bufferSize }

    /// End of stream ends a multishot receive.
    var endsAtZero: Bool { true }
}
