import SystemPackage

extension FileDescriptor.OpenOptions {
    /// `O_DIRECT`: reads and writes go to the device, bypassing the page cache (buffers,
    /// offsets and sizes aligned to the device's block size). Swift's Glibc import hides
    /// the constant (glibc defines it only under `_GNU_SOURCE`).
    ///
    /// A ``File`` opened with it submits each read and write at once instead of with the
    /// loop turn's batch: the device then sees a steady stream rather than bursts, which
    /// measured 68k -> 88k random 4 KiB reads per second at depth 32 on this machine's
    /// virtio disk (fio: 94k), while page-cache reads keep the batching that makes them
    /// fast (550k batched against 442k submitted one by one).
    public static var direct: Self {
        #if arch(arm64)
            Self(rawValue: 0o200000)
        #else
            Self(rawValue: 0o40000)
        #endif
    }
}
