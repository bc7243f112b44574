import Glibc

/// Why a helper of this module failed: a program not built, a process or pipe that
/// could not be made, a file or directory call that failed. Worded as torus-bench prints
/// it.
public enum SupportError: Error, CustomStringConvertible {
    case missingExecutable(String)
    case spawnFailed(String, Int32)
    case fileFailed(String, Int32)

    /// The error as torus-bench prints it.
    public var description: String {
        switch self {
        case .missingExecutable(let path): "not built: \(path) (run `swift build -c release` first)"
        case .spawnFailed(let path, let error): "cannot start \(path): \(String(cString: strerror(error)))"
        case .fileFailed(let path, let error): "\(path): \(String(cString: strerror(error)))"
        }
    }
}
