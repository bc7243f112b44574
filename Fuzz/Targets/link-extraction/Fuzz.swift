import TorusFuzzChecks

/// libFuzzer's entry point: one input for the link-extraction checks (``FuzzTarget/linkExtraction``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.linkExtraction.fuzz(data, size)
}
