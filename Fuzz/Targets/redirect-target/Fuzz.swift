import TorusFuzzChecks

/// libFuzzer's entry point: one input for the redirect-target checks (``FuzzTarget/redirectTarget``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.redirectTarget.fuzz(data, size)
}
