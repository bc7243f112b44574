import CLiburing

/// One kernel operation, described once for every reactor.
///
/// Each conforming type lives in its own file and knows how to fill an io_uring SQE
/// (the pattern of monoio's `driver/op/*.rs`): adding an operation touches one file.
/// The selector reactor will add its readiness interest and non-blocking attempt here.
protocol IOOperation {
    /// Fills `sqe` (everything but `user_data`). `slot` is stable storage for data the
    /// kernel reads at submission, such as a timespec or a socket address.
    func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, slot: UnsafeMutablePointer<OperationSlot>)
}
