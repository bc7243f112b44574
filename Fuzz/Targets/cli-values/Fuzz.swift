import TorusFuzzChecks

/// libFuzzer's entry point: one input for the cli-values checks (``FuzzTarget/commandLineValues``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.commandLineValues.fuzz(data, size)
}
