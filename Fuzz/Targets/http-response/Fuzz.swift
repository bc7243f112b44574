import TorusFuzzChecks

/// libFuzzer's entry point: one input for the http-response checks (``FuzzTarget/httpResponse``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.httpResponse.fuzz(data, size)
}
