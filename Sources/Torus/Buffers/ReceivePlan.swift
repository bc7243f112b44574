/// How a receive gets a buffer from the loop's ``ReceiveBufferPool``, decided in one
/// place (``ReceiveBufferPool/plan(afterShortage:)``) for every receive on either reactor.
enum ReceivePlan {
    /// io_uring with a provided-buffer ring (Linux 5.19): the receive waits holding no
    /// buffer and the kernel picks one when data arrives (IOSQE_BUFFER_SELECT); the CQE
    /// names it. A served connection keeps one multishot receive armed (Linux 6.0).
    case kernelSelects
    /// epoll: the receive waits for readability holding no buffer, then reads into a
    /// pooled one and lends it in the same call (``ReceiveBufferPool/receive(on:)``).
    case readWhenReady
    /// io_uring without buffer rings, or after the ring ran dry (ENOBUFS): a buffer is
    /// lent first and the receive reads into it.
    case lendFirst
}
