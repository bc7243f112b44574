import Foundation

/// The directory helpers the scenarios share: checking an output or test-file directory,
/// and making a scratch one.
enum Directory {
    /// Whether `path` is a directory this process may write in.
    static func isWritable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            && access(path, W_OK) == 0
    }

    /// Makes a new directory named `template` with its trailing `XXXXXX` made unique
    /// (`mkdtemp`); returns its path.
    static func makeTemporary(_ template: String) throws -> String {
        var bytes = Array(template.utf8CString)
        guard let path = mkdtemp(&bytes) else { throw BenchError.fileFailed(template, errno) }
        return String(cString: path)
    }
}
