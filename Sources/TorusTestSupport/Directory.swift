import Foundation

/// The directory helpers torus-bench and the tests share: checking an output or
/// test-file directory, and making a scratch one.
public enum Directory {
    /// Whether `path` is a directory this process may write in.
    public static func isWritable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            && access(path, W_OK) == 0
    }

    /// Makes a new directory named `template` with its trailing `XXXXXX` made unique
    /// (`mkdtemp`); returns its path.
    public static func makeTemporary(_ template: String) throws -> String {
        var bytes = Array(template.utf8CString)
        guard let path = mkdtemp(&bytes) else { throw SupportError.fileFailed(template, errno) }
        return String(cString: path)
    }
}
