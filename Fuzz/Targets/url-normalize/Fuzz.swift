import TorusFuzzChecks

/// libFuzzer's entry point: one input for the url-normalize checks (``FuzzTarget/urlNormalize``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.urlNormalize.fuzz(data, size)
}
