/// A buffer ``ReceiveBufferPool`` lent: one of its ring or stack (`id`), or a spare.
struct LentBuffer {
    var bytes: UnsafeMutableRawBufferPointer
    var id: UInt16?
}
