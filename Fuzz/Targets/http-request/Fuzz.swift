import TorusFuzzChecks

/// libFuzzer's entry point: one input for the http-request checks (``FuzzTarget/httpRequest``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.httpRequest.fuzz(data, size)
}
