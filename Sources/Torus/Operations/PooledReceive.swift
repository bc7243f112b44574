import CLiburing
import Glibc

/// Receives into one of the loop's pooled buffers, chosen only once data has arrived, so
/// a receive that waits holds no buffer; 0 means the peer closed, -ENOBUFS that every
/// buffer is lent (nothing was read).
///
/// io_uring: IOSQE_BUFFER_SELECT; the kernel picks a buffer from the pool's ring and the
/// CQE names it (`IORING_CQE_F_BUFFER`). epoll: the attempt reads into the pool's top
/// free buffer, which the caller then lends (``ReceiveBufferPool/lendTop()``).
struct PooledReceive: IOOperation {
    var fd: Int32
    /// unowned(unsafe): the loop owns the pool and outlives every operation it runs; a
    /// strong reference would cost a retain and release per receive.
    unowned(unsafe) let pool: ReceiveBufferPool

    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>) {
        io_uring_prep_recv(sqe, fd, nil, pool.bufferSize, 0)
        torus_sqe_select_buffer(sqe, ReceiveBufferPool.group)
    }

    var selectorPlan: SelectorPlan { .whenReady(fd: fd, interest: .readable) }

    func attempt(_ state: inout AttemptState) -> Int32 {
        guard let buffer = pool.top else { return -ENOBUFS }
        return .syscallResult(recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)))
    }

    /// A short read took everything the socket held (see ``Receive``).
    func drainsReadiness(_ result: Int32) -> Bool { result > 0 && Int(result) < pool.bufferSize }
}
