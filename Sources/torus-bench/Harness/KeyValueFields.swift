extension String {
    /// The `key=value` fields after the first word of a line a child process reports
    /// (`statistics syscalls=S mallocs=M`, `nop in_flight=K ... wall_ns_per_op=W`).
    var keyValueFields: [Substring: Substring] {
        var fields: [Substring: Substring] = [:]
        for field in split(separator: " ").dropFirst() {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }
}
