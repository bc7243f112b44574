import TorusFuzzChecks

/// libFuzzer's entry point: one input for the http-request-differential checks (``FuzzTarget/httpRequestDifferential``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.httpRequestDifferential.fuzz(data, size)
}
